/**
 * Every command takes `CallOptions` last and turns them into the request's context when it runs:
 * the transport sees the caller's signal, a deadline counted from the run, and the retry permission.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { commands } from '../../src/commands/commands.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'
import { text } from '../../src/serde/text.js'
import { emptyContext, type RequestContext } from '../../src/transport/context.js'
import type { Transport } from '../../src/transport/transport.js'

/** Records the context of every request; answers a hit for retrievals and a success otherwise. */
const recording = (): Transport & { readonly contexts: Array<RequestContext | undefined>; readonly requests: Array<Request> } => {
  const contexts: Array<RequestContext | undefined> = []
  const requests: Array<Request> = []
  const replyTo = (request: Request): Reply.Reply => {
    switch (request._tag) {
      case 'Get':
        return Reply.values(request.keys.map((key) => ({ key, flags: 0, value: new TextEncoder().encode('v') })))
      case 'Store':
        return Reply.stored
      case 'Delete':
        return Reply.deleted
      case 'Incr':
        return Reply.numeric(1n)
      case 'Version':
        return Reply.versionReply('1.6.18')
      default:
        return Reply.ok
    }
  }
  return {
    contexts,
    requests,
    send: (request, context) => () => {
      contexts.push(context)
      requests.push(request)
      return Promise.resolve(E.right(replyTo(request)))
    },
    close: async () => undefined,
  }
}

const all = commands(text)

describe('call options become the request context', () => {
  it('passes the shared empty context when a call gives no options (nothing allocated per call)', async () => {
    const transport = recording()
    await all.get('k')(transport)()
    await all.set('k', 'v')(transport)()
    for (const context of transport.contexts) expect(context === undefined || context === emptyContext).toBe(true)
  })

  it('passes the signal and the retry permission as given', async () => {
    const transport = recording()
    const controller = new AbortController()
    await all.incr('n', 1, { signal: controller.signal, retry: true })(transport)()
    expect(transport.contexts[0]?.signal).toBe(controller.signal)
    expect(transport.contexts[0]?.retry).toBe(true)
  })

  it('counts the timeout from when the command runs, not from when it was built', async () => {
    const transport = recording()
    const built = all.get('k', { timeout: 100 })
    const before = Date.now()
    await built(transport)()
    const deadline = transport.contexts[0]?.deadline
    expect(deadline).toBeGreaterThanOrEqual(before + 100)
  })

  it('gives every request of a many-key command one context', async () => {
    const transport = recording()
    const controller = new AbortController()
    await all.setMany(
      [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ],
      { signal: controller.signal, timeout: 500 },
    )(transport)()
    expect(transport.requests.map((request) => request._tag)).toEqual(['Store', 'Store', 'Store'])
    const [first, ...others] = transport.contexts
    expect(first?.signal).toBe(controller.signal)
    for (const context of others) expect(context).toBe(first)
  })

  it('reaches the transport from every kind of command', async () => {
    const transport = recording()
    const options = { timeout: 1000 }
    await all.set('k', 'v', options)(transport)()
    await all.delete('k', options)(transport)()
    await all.deleteMany(['a', 'b'], options)(transport)()
    await all.getMany(['a', 'b'], options)(transport)()
    await all.touch('k', 10, options)(transport)()
    await all.version(options)(transport)()
    await all.flushAll({ ...options, delay: 0 })(transport)()
    await all.raw('version', 'line', undefined, options)(transport)()
    for (const context of transport.contexts) expect(context?.deadline).toBeTypeOf('number')
    expect(transport.contexts).toHaveLength(9)
  })
})
