import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { version } from '../../src/commands/admin.js'
import { incr } from '../../src/commands/arithmetic.js'
import { del } from '../../src/commands/deletion.js'
import { raw } from '../../src/commands/raw.js'
import { gatsMany, get, getMany } from '../../src/commands/retrieval.js'
import { cas, set } from '../../src/commands/storage.js'
import { touch } from '../../src/commands/touch.js'
import * as Reply from '../../src/protocol/reply.js'
import { prefixProblem, withKeyPrefix } from '../../src/middleware/key-prefix.js'
import { always, bytes, scripted, storeBacked } from './support.js'

describe('withKeyPrefix', () => {
  it('prefixes every key of every keyed command', async () => {
    const inner = scripted((req) => (req._tag === 'Get' || req._tag === 'Gats' ? Reply.values([]) : req._tag === 'Incr' ? Reply.notFound : req._tag === 'Delete' ? Reply.deleted : req._tag === 'Touch' ? Reply.touched : Reply.stored))
    const transport = withKeyPrefix('app:')(inner)
    await get('a')(transport)()
    await getMany(['a', 'b'])(transport)()
    await gatsMany(['c'], 5)(transport)()
    await set('a', { bytes: bytes('v'), flags: 0 })(transport)()
    await cas('a', { bytes: bytes('v'), flags: 0 }, 1n)(transport)()
    await del('a')(transport)()
    await incr('n', 1)(transport)()
    await touch('t', 9)(transport)()
    expect(inner.written).toEqual([
      'get app:a\r\n',
      'get app:a app:b\r\n',
      'gats 5 app:c\r\n',
      'set app:a 0 0 1\r\nv\r\n',
      'cas app:a 0 0 1 1\r\nv\r\n',
      'delete app:a\r\n',
      'incr app:n 1\r\n',
      'touch app:t 9\r\n',
    ])
  })

  it('strips the prefix from the keys of replies', async () => {
    const transport = withKeyPrefix('app:')(storeBacked(new Map([['app:a', bytes('1')], ['b', bytes('unprefixed')]])))
    const result = await getMany(['b', 'a'])(transport)()
    expect(E.isRight(result) && [...result.right.keys()]).toEqual(['a'])
  })

  it('a reply key without the prefix is a ProtocolError', async () => {
    const transport = withKeyPrefix('app:')(always(Reply.values([{ key: 'a', flags: 0, value: bytes('x') }])))
    const result = await get('a')(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it('checks prefix + key against 250 bytes, naming the caller key, with nothing sent', async () => {
    const inner = always(Reply.values([]))
    const transport = withKeyPrefix('p:')(inner)
    expect(await get('k'.repeat(248))(transport)()).toEqual(E.right(O.none))
    const result = await get('k'.repeat(249))(transport)()
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'InvalidKey', key: 'k'.repeat(249) })
    expect(E.isLeft(result) && result.left.message).toContain('with the prefix')
    expect(inner.written).toEqual([`get p:${'k'.repeat(248)}\r\n`])
  })

  it('counts UTF-8 bytes of a unicode prefix', async () => {
    const inner = scripted(() => Reply.values([]), { allowUnicodeKeys: true })
    const transport = withKeyPrefix('é:', { allowUnicodeKeys: true })(inner)
    expect(E.isRight(await get('k'.repeat(247))(transport)())).toBe(true)
    expect(E.isLeft(await get('k'.repeat(248))(transport)())).toBe(true)
  })

  it('an invalid prefix fails keyed requests with InvalidArgument, and leaves the others alone', async () => {
    const inner = scripted((req) => (req._tag === 'Version' ? Reply.versionReply('1.6.18') : Reply.values([])))
    const transport = withKeyPrefix('my app:')(inner)
    const result = await get('a')(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(await version()(transport)()).toEqual(E.right('1.6.18'))
    expect(inner.written).toEqual(['version\r\n'])
  })

  it('leaves raw lines alone and is the identity for an empty prefix', async () => {
    const inner = always(Reply.line('OK'))
    await raw('get a', 'line')(withKeyPrefix('app:')(inner))()
    expect(inner.written).toEqual(['get a\r\n'])
    expect(withKeyPrefix('')(inner)).toBe(inner)
  })

  it('prefixProblem', () => {
    expect(prefixProblem('app:')).toBeUndefined()
    expect(prefixProblem('a b')).toContain('space')
    expect(prefixProblem('x'.repeat(250))).toContain('no room')
  })

  it('property: a prefixed store answers exactly like an unprefixed one', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd')
    await fc.assert(
      fc.asyncProperty(fc.array(key), fc.uniqueArray(key), async (asked, stored) => {
        const plain = storeBacked(new Map(stored.map((k) => [k, bytes(k)])))
        const prefixedStore = storeBacked(new Map(stored.map((k) => [`ns:${k}`, bytes(k)])))
        const a = await getMany(asked)(plain)()
        const b = await getMany(asked)(withKeyPrefix('ns:')(prefixedStore))()
        expect(b).toEqual(a)
      }),
    )
  })
})
