import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { getMany, get } from '../../src/commands/retrieval.js'
import { set } from '../../src/commands/storage.js'
import { makeEngine } from '../../src/emulator/engine.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import { withKeyPrefix } from '../../src/middleware/key-prefix.js'
import { prefixProblem } from '../../src/protocol/key.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { fakeTransport } from './fake.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const value = bytes('v')

describe('withKeyPrefix', () => {
  const keyed: ReadonlyArray<Request.Request> = [
    Request.get(['a', 'b']),
    Request.gets(['a']),
    Request.gat(5, ['c']),
    Request.gats(5, ['c']),
    Request.set('a', value),
    Request.store('add', 'a', value),
    Request.cas('a', value, 1n),
    Request.del('a'),
    Request.incr('n', 1n),
    Request.decr('n', 1n),
    Request.touch('t', 9),
  ]

  it('sets the prefix on every keyed request and leaves its keys as the caller wrote them', async () => {
    const inner = fakeTransport(() => E.right(Reply.stored))
    const transport = withKeyPrefix('app:')(inner.transport)
    for (const request of keyed) await transport.send(request)()
    expect(inner.sent).toEqual(keyed.map((request) => ({ ...request, prefix: 'app:' })))
  })

  it('leaves raw lines and requests without keys alone, and is the identity for an empty prefix', async () => {
    const inner = fakeTransport(() => E.right(Reply.line('OK')))
    const transport = withKeyPrefix('app:')(inner.transport)
    const untouched = [Request.raw('get a', 'line'), Request.version, Request.stats(), Request.flushAll()]
    for (const request of untouched) await transport.send(request)()
    expect(inner.sent).toEqual(untouched)
    inner.sent.forEach((request, index) => expect(request).toBe(untouched[index]))
    expect(withKeyPrefix('')(inner.transport)).toBe(inner.transport)
  })

  it('hands the reply back as it came (no rebuilt items) and passes the context on', async () => {
    const reply = Reply.values([{ key: 'a', flags: 0, value }])
    const inner = fakeTransport(() => E.right(reply))
    const context = { deadline: Date.now() + 1_000, retry: false }
    const outcome = await withKeyPrefix('app:')(inner.transport).send(Request.get(['a']), context)()
    expect(E.isRight(outcome) && outcome.right).toBe(reply)
    expect(inner.contexts).toEqual([context])
  })

  it('nested prefixes: the layer nearer the wire goes in front, so a namespace cannot be left from above', async () => {
    const inner = fakeTransport(() => E.right(Reply.stored))
    const transport = pipe(inner.transport, withKeyPrefix('tenant:'), withKeyPrefix('app:'))
    await transport.send(Request.set('k', value))()
    await transport.send({ ...Request.get(['k']), prefix: 'caller:' })()
    expect(inner.sent.map((request) => 'prefix' in request && request.prefix)).toEqual(['tenant:app:', 'tenant:app:caller:'])
  })

  it('an invalid prefix fails keyed requests with InvalidArgument, sending nothing, and lets the others through', async () => {
    const inner = fakeTransport(() => E.right(Reply.versionReply('1.6.18')))
    const transport = withKeyPrefix('my app:')(inner.transport)
    const outcome = await transport.send(Request.get(['a']))()
    expect(E.isLeft(outcome) && outcome.left).toMatchObject({ _tag: 'InvalidArgument', argument: 'keyPrefix' })
    expect(await transport.send(Request.version)()).toEqual(E.right(Reply.versionReply('1.6.18')))
    expect(inner.sent).toEqual([Request.version])
  })

  it('checks the prefix once, when the middleware is made, with the unicode option', async () => {
    const inner = fakeTransport(() => E.right(Reply.stored))
    const refused = await withKeyPrefix('é:')(inner.transport).send(Request.get(['a']))()
    expect(E.isLeft(refused) && refused.left._tag).toBe('InvalidArgument')
    const accepted = await withKeyPrefix('é:', { allowUnicodeKeys: true })(inner.transport).send(Request.get(['a']))()
    expect(E.isRight(accepted)).toBe(true)
  })

  it('prefixProblem', () => {
    expect(prefixProblem('app:')).toBeUndefined()
    expect(prefixProblem('a b')).toContain('space')
    expect(prefixProblem('x'.repeat(250))).toContain('no room')
  })
})

// These need the encoder to write `prefix + key` and the decoder to answer for the caller's key.
describe('withKeyPrefix on the wire (memoryTransport)', () => {
  it('stores under prefix + key and answers for the caller key', async () => {
    const engine = makeEngine()
    const prefixed = withKeyPrefix('app:')(memoryTransport({ engine }))
    const plain = memoryTransport({ engine })
    expect(E.isRight(await set('a', { bytes: bytes('1'), flags: 0 })(prefixed)())).toBe(true)
    expect(await get('a')(plain)()).toEqual(E.right(O.none))
    expect(O.isSome(E.getOrElseW(() => O.none)(await get('app:a')(plain)()))).toBe(true)
    const found = await getMany(['b', 'a'])(prefixed)()
    expect(E.isRight(found) && [...found.right.keys()]).toEqual(['a'])
  })

  it('checks prefix + key against 250 bytes, naming the caller key', async () => {
    const transport = withKeyPrefix('p:')(memoryTransport())
    expect(await get('k'.repeat(248))(transport)()).toEqual(E.right(O.none))
    const refused = await get('k'.repeat(249))(transport)()
    expect(E.isLeft(refused) && refused.left).toMatchObject({ _tag: 'InvalidKey', key: 'k'.repeat(249) })
  })

  it('property: a prefixed store answers exactly like an unprefixed one', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd')
    await fc.assert(
      fc.asyncProperty(fc.array(key), fc.uniqueArray(key), async (asked, stored) => {
        const plain = memoryTransport()
        const prefixedStore = memoryTransport()
        for (const k of stored) {
          await set(k, { bytes: bytes(k), flags: 0 })(plain)()
          await set(`ns:${k}`, { bytes: bytes(k), flags: 0 })(prefixedStore)()
        }
        expect(await getMany(asked)(withKeyPrefix('ns:')(prefixedStore))()).toEqual(await getMany(asked)(plain)())
      }),
      { numRuns: 50 },
    )
  })
})
