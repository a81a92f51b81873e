import * as E from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'
import { emptyContext, type RequestContext } from '../../src/transport/context.js'
import type { Transport } from '../../src/transport/transport.js'

export type Outcome = E.Either<MemcacheError, Reply.Reply>

/**
 * A transport whose answers a test scripts, recording every request it was sent and the context
 * it came with. It ignores the context itself, as a custom transport may.
 */
export const fakeTransport = (answer: (request: Request, attempt: number, context: RequestContext) => Outcome | Promise<Outcome>) => {
  const sent: Array<Request> = []
  const contexts: Array<RequestContext> = []
  let closed = 0
  const transport: Transport = {
    send: (request, context = emptyContext) => async () => {
      sent.push(request)
      contexts.push(context)
      return answer(request, sent.length, context)
    },
    close: async () => {
      closed++
    },
  }
  return { transport, sent, contexts, closedCount: () => closed }
}

/** A transport whose sends wait until the test releases them, one by one, in order. */
export const heldTransport = () => {
  const held: Array<(outcome: Outcome) => void> = []
  const fake = fakeTransport(() => new Promise<Outcome>((resolve) => held.push(resolve)))
  const release = (outcome: Outcome): void => {
    const next = held.shift()
    if (next === undefined) throw new Error('no send is waiting')
    next(outcome)
  }
  return { ...fake, release, waiting: () => held.length }
}

/** A store of plain text values answering gets, for read-path tests. */
export const cacheOf = (entries: Record<string, string>) => (request: Request): Outcome => {
  if (request._tag === 'Get' || request._tag === 'Gets') {
    const items = request.keys.flatMap((key) => {
      const value = entries[key]
      return value === undefined ? [] : [{ key, flags: 0, value: new TextEncoder().encode(value) }]
    })
    return E.right(Reply.values(items))
  }
  return E.right(Reply.stored)
}

export const keysOfValues = (outcome: Outcome): ReadonlyArray<string> =>
  E.isRight(outcome) && outcome.right._tag === 'Values' ? outcome.right.items.map((item) => item.key) : []

/** Lets every pending microtask and promise callback run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
