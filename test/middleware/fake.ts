import * as E from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'
import type { Transport } from '../../src/transport/transport.js'

export type Outcome = E.Either<MemcacheError, Reply.Reply>

/** A transport whose answers a test scripts, recording every request it was sent. */
export const fakeTransport = (answer: (request: Request, attempt: number) => Outcome | Promise<Outcome>) => {
  const sent: Array<Request> = []
  let closed = 0
  const transport: Transport = {
    send: (request) => async () => {
      sent.push(request)
      return answer(request, sent.length)
    },
    close: async () => {
      closed++
    },
  }
  return { transport, sent, closedCount: () => closed }
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
