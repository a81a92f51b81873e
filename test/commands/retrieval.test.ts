import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { encodedSerde } from '../../src/commands/command.js'
import { commands } from '../../src/commands/commands.js'
import { gat, gatMany, gats, gatsMany, get, getMany, gets, getsMany, splitGatKeys } from '../../src/commands/retrieval.js'
import { clientError, protocolError, serverError, unknownCommand, valueTooLarge } from '../../src/protocol/error.js'
import { serdeError } from '../../src/serde/error.js'
import { MAX_GAT_LINE, encode } from '../../src/protocol/encode.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Serde } from '../../src/serde/serde.js'
import { always, bytes, scripted, storeBacked, text } from './support.js'

const item = (key: string, value: string, flags = 0, cas?: bigint): Reply.Item =>
  cas === undefined ? { key, flags, value: bytes(value) } : { key, flags, value: bytes(value), cas }

const utf8: Serde<string> = {
  serialize: (value) => E.right({ bytes: bytes(value), flags: 0 }),
  deserialize: ({ bytes: raw, flags }) => (flags === 0 ? E.right(text(raw)) : E.left(serdeError(flags, `unknown flags ${flags}`))),
}

describe('get', () => {
  it('is some(value with flags) on a hit, sending one get line', async () => {
    const transport = always(Reply.values([item('a', 'hello', 7)]))
    const result = await get('a')(transport)()
    expect(result).toEqual(E.right(O.some({ bytes: bytes('hello'), flags: 7 })))
    expect(transport.written).toEqual(['get a\r\n'])
  })

  it('is none on a miss', async () => {
    expect(await get('a')(always(Reply.values([])))()).toEqual(E.right(O.none))
  })

  it.each([
    ['ClientError', clientError('bad command line format')],
    ['ServerError', serverError('out of memory')],
    ['UnknownCommand', unknownCommand('')],
    ['ValueTooLarge', valueTooLarge('a', -1)],
  ] as const)('turns a %s Failure into that Left', async (_name, error) => {
    expect(await get('a')(always(Reply.failure(error)))()).toEqual(E.left(error))
  })

  it('turns an unexpected reply into a ProtocolError', async () => {
    const result = await get('a')(always(Reply.stored))()
    expect(result).toEqual(E.left(protocolError('unexpected Stored reply to get')))
  })

  it('passes a transport Left through', async () => {
    const error = { _tag: 'Timeout', after: 5, request: 'get', node: 'n', message: 'slow' } as const
    expect(await get('a')(always(E.left(error)))()).toEqual(E.left(error))
  })

  it('refuses an invalid key with nothing written', async () => {
    const transport = always(Reply.values([]))
    const result = await get('a b')(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidKey')
    expect(transport.written).toEqual([])
  })

  it('reads values through the serde of commands(serde), and a serde refusal is the Left', async () => {
    const { get: getText } = commands(utf8)
    expect(await getText('a')(always(Reply.values([item('a', 'héllo')])))()).toEqual(E.right(O.some('héllo')))
    const refused = await getText('a')(always(Reply.values([item('a', 'x', 3)])))()
    expect(refused).toEqual(E.left(serdeError(3, 'unknown flags 3')))
  })
})

describe('getMany', () => {
  it('does no I/O for an empty key list', async () => {
    const transport = always(Reply.values([]))
    expect(await getMany([])(transport)()).toEqual(E.right(new Map()))
    expect(transport.sent).toEqual([])
  })

  it('yields the found keys in the caller order, misses absent', async () => {
    // memcached answers in request order, but a router merging nodes may not: the map follows the caller.
    const transport = always(Reply.values([item('a', '1'), item('c', '3')]))
    const result = await getMany(['c', 'b', 'a'])(transport)()
    expect(E.isRight(result)).toBe(true)
    if (E.isRight(result)) {
      expect([...result.right.keys()]).toEqual(['c', 'a'])
      expect(text((result.right.get('a') as { bytes: Uint8Array }).bytes)).toBe('1')
    }
    expect(transport.written).toEqual(['get c b a\r\n'])
  })

  it('asks a repeated key once and answers it once', async () => {
    const transport = always(Reply.values([item('a', '1'), item('b', '2')]))
    const result = await getMany(['a', 'b', 'a'])(transport)()
    expect(transport.written).toEqual(['get a b\r\n'])
    expect(E.isRight(result) && [...result.right.keys()]).toEqual(['a', 'b'])
  })

  it('fails as a whole when one value does not deserialize', async () => {
    const { getMany: getTexts } = commands(utf8)
    const result = await getTexts(['a', 'b'])(always(Reply.values([item('a', '1'), item('b', '2', 9)])))()
    expect(result).toEqual(E.left(serdeError(9, 'unknown flags 9')))
  })

  it('turns a Failure into its Left', async () => {
    const error = serverError('busy')
    expect(await getMany(['a', 'b'])(always(Reply.failure(error)))()).toEqual(E.left(error))
  })

  it('property: the map holds exactly the stored keys among the distinct asked ones, in first-asked order', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')
    await fc.assert(
      fc.asyncProperty(fc.array(key, { maxLength: 12 }), fc.uniqueArray(key), async (asked, stored) => {
        const transport = storeBacked(new Map(stored.map((k) => [k, bytes(`v-${k}`)])))
        const result = await getMany(asked)(transport)()
        const expected = [...new Set(asked)].filter((k) => stored.includes(k))
        expect(E.isRight(result)).toBe(true)
        if (E.isRight(result)) {
          expect([...result.right.keys()]).toEqual(expected)
          for (const [k, value] of result.right) expect(text(value.bytes)).toBe(`v-${k}`)
        }
        expect(transport.sent.length).toBe(asked.length === 0 ? 0 : 1)
      }),
    )
  })
})

describe('gets / getsMany', () => {
  it('yields the value and its cas unique as a bigint', async () => {
    const big = 18_446_744_073_709_551_615n
    const result = await gets('a')(always(Reply.values([item('a', 'x', 0, big)])))()
    expect(result).toEqual(E.right(O.some({ value: { bytes: bytes('x'), flags: 0 }, cas: big })))
  })

  it('refuses an item without a cas unique as a ProtocolError', async () => {
    const result = await gets('a')(always(Reply.values([item('a', 'x')])))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it('getsMany maps keys to versioned values in caller order', async () => {
    const transport = always(Reply.values([item('b', '2', 0, 5n), item('a', '1', 0, 4n)]))
    const result = await getsMany(['b', 'a', 'z'])(transport)()
    expect(transport.written).toEqual(['gets b a z\r\n'])
    expect(E.isRight(result) && [...result.right].map(([k, v]) => [k, v.cas])).toEqual([
      ['b', 5n],
      ['a', 4n],
    ])
  })

  it('getsMany does no I/O for []', async () => {
    const transport = always(Reply.values([]))
    expect(await getsMany([])(transport)()).toEqual(E.right(new Map()))
    expect(transport.sent).toEqual([])
  })
})

describe('gat / gats', () => {
  it('gat sends the exptime then the key and yields an Option', async () => {
    const transport = always(Reply.values([item('a', 'x')]))
    expect(await gat('a', 300)(transport)()).toEqual(E.right(O.some({ bytes: bytes('x'), flags: 0 })))
    expect(transport.written).toEqual(['gat 300 a\r\n'])
  })

  it('gats yields the cas unique', async () => {
    const transport = always(Reply.values([item('a', 'x', 1, 9n)]))
    expect(await gats('a', 0)(transport)()).toEqual(E.right(O.some({ value: { bytes: bytes('x'), flags: 1 }, cas: 9n })))
    expect(transport.written).toEqual(['gats 0 a\r\n'])
  })

  it('gat on a miss is none; a Failure is its Left', async () => {
    expect(await gat('a', 1)(always(Reply.values([])))()).toEqual(E.right(O.none))
    expect(await gat('a', 1)(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
  })

  it('gatMany and gatsMany do no I/O for []', async () => {
    const transport = always(Reply.values([]))
    expect(await gatMany([], 5)(transport)()).toEqual(E.right(new Map()))
    expect(await gatsMany([], 5)(transport)()).toEqual(E.right(new Map()))
    expect(transport.sent).toEqual([])
  })

  it('splits a long gat over several lines, each within MAX_GAT_LINE, and merges in caller order', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `key-${String(i).padStart(3, '0')}-${'x'.repeat(90)}`)
    const transport = storeBacked(new Map(keys.filter((_, i) => i % 3 === 0).map((k) => [k, bytes(k.slice(0, 7))])))
    const result = await gatMany([...keys].reverse(), 60)(transport)()
    expect(transport.sent.length).toBeGreaterThan(1)
    for (const line of transport.written) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(MAX_GAT_LINE)
    expect(transport.sent.flatMap((req) => (req._tag === 'Gat' ? req.keys : []))).toEqual([...keys].reverse())
    const expected = [...keys].reverse().filter((_, i, all) => keys.indexOf(all[i] as string) % 3 === 0)
    expect(E.isRight(result) && [...result.right.keys()]).toEqual(expected)
  })

  it('gatsMany merges the cas uniques of every part', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}-${'y'.repeat(200)}`)
    const transport = storeBacked(new Map(keys.map((k) => [k, bytes('v')])))
    const result = await gatsMany(keys, 10)(transport)()
    expect(transport.sent.length).toBeGreaterThan(1)
    expect(E.isRight(result) && result.right.size).toBe(keys.length)
    if (E.isRight(result)) expect(new Set([...result.right.values()].map((v) => v.cas)).size).toBe(keys.length)
  })
})

describe('splitGatKeys', () => {
  it('property: every group encodes within MAX_GAT_LINE and the groups concatenate to the keys', () => {
    const keyArb = fc.string({ minLength: 1, maxLength: 250, unit: fc.constantFrom('a', 'b', 'é', '€', '1') })
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 80 }), fc.integer({ min: -1, max: 2_000_000_000 }), (keys, exptime) => {
        const usable = keys.filter((k) => Buffer.byteLength(k) <= 250)
        const groups = splitGatKeys('gats', exptime, usable)
        expect(groups.flat()).toEqual(usable)
        for (const group of groups) {
          expect(group.length).toBeGreaterThan(0)
          const line = `gats ${exptime} ${group.join(' ')}\r\n`
          expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_GAT_LINE)
        }
      }),
    )
  })

  it('keeps what fits on one line together', () => {
    expect(splitGatKeys('gat', 0, ['a', 'b', 'c'])).toEqual([['a', 'b', 'c']])
    expect(E.isRight(encode({ _tag: 'Gat', exptime: 0, keys: ['a', 'b', 'c'] }))).toBe(true)
  })
})

describe('the Encoded serde', () => {
  it('is the identity both ways', () => {
    const value = { bytes: new Uint8Array([0, 255]), flags: 42 }
    expect(encodedSerde.serialize(value)).toEqual(E.right(value))
    expect(encodedSerde.deserialize(value)).toEqual(E.right(value))
  })
})

describe('scripted fake', () => {
  it('really encodes: a bad gat exptime is refused before sending', async () => {
    const transport = scripted(() => Reply.values([]))
    const result = await gat('a', 1.5)(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(transport.sent).toEqual([])
  })
})
