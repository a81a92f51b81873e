import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makePymemcache, parsePythonInt, pymemcache, PYMEMCACHE_FLAGS, type PymemcacheValue } from '../../src/serde/pymemcache.js'
import { ascii, encoded, everyByte, leftOf, neverThrows, plain, rightOf, roundTrips, utf8, wellFormed } from './support.js'

const normalise = (value: PymemcacheValue): unknown =>
  typeof value === 'bigint' && Number.isSafeInteger(Number(value)) ? Number(value) : value instanceof Uint8Array ? plain(value) : value

describe('pymemcache flags', () => {
  it('are the ones in pymemcache/serde.py', () => {
    expect(PYMEMCACHE_FLAGS).toEqual({ bytes: 0, pickle: 1, integer: 2, long: 4, compressed: 8, text: 16 })
  })
})

describe('pymemcache: writing, as python_memcache_serializer', () => {
  it.each<[string, PymemcacheValue, number, string]>([
    ['str', 'héllo', 16, Buffer.from('héllo').toString('hex')],
    ['empty str', '', 16, ''],
    ['bytes', new Uint8Array([0, 255]), 0, '00ff'],
    ['int', 42, 2, Buffer.from('42').toString('hex')],
    ['negative int', -7, 2, Buffer.from('-7').toString('hex')],
    ['-0', -0, 2, Buffer.from('0').toString('hex')],
    ['an int above 2^53 as a number', 2 ** 60, 2, Buffer.from('1152921504606846976').toString('hex')],
    ['a big int (flag 2 on Python 3, never 4)', 2n ** 100n, 2, Buffer.from((2n ** 100n).toString()).toString('hex')],
  ])('%s', (_name, value, flags, hex) => {
    const written = rightOf(pymemcache.serialize(value))
    expect(written.flags).toBe(flags)
    expect(Buffer.from(written.bytes).toString('hex')).toBe(hex)
  })

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s, which pymemcache would pickle', (value) => {
    const error = leftOf(pymemcache.serialize(value))
    expect(error.flags).toBe(1)
    expect(error.message).toContain('pymemcache would pickle')
  })

  it.each<[string, unknown, string]>([
    ['a boolean (a bool is pickled too)', true, 'the boolean true'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an object', { a: 1 }, 'an object'],
    ['an array', [1], 'an array of 1 item'],
    ['an ArrayBuffer', new ArrayBuffer(1), 'an ArrayBuffer'],
  ])('refuses %s from plain JavaScript, which pymemcache would pickle', (_name, value, shown) => {
    const error = leftOf(pymemcache.serialize(value as PymemcacheValue))
    expect(error.flags).toBe(PYMEMCACHE_FLAGS.pickle)
    expect(error.message).toBe(
      `pymemcache would pickle ${shown}, and pickle is not written here: store a string, a Uint8Array or an integer (number or bigint), or write structured values with the json serde`,
    )
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(pymemcache.serialize)
    neverThrows(makePymemcache({ minCompressLength: 1 }).serialize)
  })

  it('refuses a string with a lone surrogate (Python cannot encode it either)', () => {
    expect(leftOf(pymemcache.serialize('\uD800')).message).toContain('lone surrogate')
  })
})

describe('pymemcache: reading, as python_memcache_deserializer', () => {
  it.each<[string, number, string | Uint8Array, PymemcacheValue]>([
    ['flags 0: bytes', 0, 'abc', utf8('abc')],
    ['flags 16: text', 16, 'héllo', 'héllo'],
    ['flags 2: int', 2, '42', 42],
    ['flags 4: long', 4, '-42', -42],
    ['flags 2: big int as bigint', 2, '123456789012345678901234567890', 123456789012345678901234567890n],
    ['text wins over pickle (17)', 17, 'x', 'x'],
    ['text wins over int (18)', 18, '12', '12'],
    ['int wins over long and pickle (7)', 7, '5', 5],
    ['long wins over pickle (5)', 5, '5', 5],
    ['unknown bits: bytes (32)', 32, 'raw', utf8('raw')],
    ['unknown high bit: bytes (2^31)', 2 ** 31, 'raw', utf8('raw')],
  ])('%s', (_name, flags, bytes, expected) => {
    expect(normalise(rightOf(pymemcache.deserialize(encoded(bytes, flags))))).toEqual(normalise(expected))
  })

  it('reads every byte value with flags 0', () => {
    expect(plain(rightOf(pymemcache.deserialize(encoded(everyByte(), 0))) as Uint8Array)).toEqual(everyByte())
  })

  it.each([1, 1 | 8, 1 | 32])('refuses pickled values (flags %s) with a clear error', (flags) => {
    const bytes = flags & 8 ? zlib.deflateSync(Buffer.from([0x80, 0x04, 0x4b, 0x01, 0x2e])) : new Uint8Array([0x80, 0x04, 0x4b, 0x01, 0x2e])
    const error = leftOf(pymemcache.deserialize(encoded(bytes, flags)))
    expect(error.flags).toBe(flags)
    expect(error.message).toContain('pickled by Python')
  })

  it('reads text that is not UTF-8 as a Left (Python would raise UnicodeDecodeError)', () => {
    expect(leftOf(pymemcache.deserialize(encoded(new Uint8Array([0xc3, 0x28]), 16))).message).toContain('not valid UTF-8')
  })

  it.each(['', '1.5', '1e3', '0x10', '1__0', '_1', '1_', '- 5', '12abc'])('reads int %j as a Left, as int() refuses it', (source) => {
    expect(leftOf(pymemcache.deserialize(encoded(source, 2))).message).toContain('invalid literal for int() with base 10')
  })

  it('reads ints as int() parses them: whitespace, sign, underscores, leading zeros', () => {
    for (const [source, value] of [[' +1_000\n', 1000], ['\v-007\f', -7], ['0', 0]] as const) {
      expect(rightOf(pymemcache.deserialize(encoded(source, 2)))).toBe(value)
    }
  })

  it('integers: "bigint" reads every int as a bigint', () => {
    expect(rightOf(makePymemcache({ integers: 'bigint' }).deserialize(encoded('42', 2)))).toBe(42n)
  })

  it('inflates any value with bit 8, then reads the other bits', () => {
    const packed = (text: string) => zlib.deflateSync(Buffer.from(text))
    expect(rightOf(pymemcache.deserialize(encoded(packed('héllo'), 16 | 8)))).toBe('héllo')
    expect(rightOf(pymemcache.deserialize(encoded(packed('99'), 2 | 8)))).toBe(99)
    expect(plain(rightOf(pymemcache.deserialize(encoded(packed('raw'), 8))) as Uint8Array)).toEqual(utf8('raw'))
  })

  it('reads bit 8 on bytes that do not inflate as a Left', () => {
    const error = leftOf(pymemcache.deserialize(encoded('not zlib', 16 | 8)))
    expect(error.flags).toBe(24)
    expect(error.message).toContain('cannot inflate the value (deflate)')
  })
})

describe('pymemcache: compression, as CompressedSerde', () => {
  const shared = makePymemcache({ minCompressLength: 400 })

  it('compresses values strictly longer than minCompressLength with zlib, flag 8 OR\'ed in', () => {
    expect(rightOf(shared.serialize('a'.repeat(400))).flags).toBe(16)
    const written = rightOf(shared.serialize('a'.repeat(401)))
    expect(written.flags).toBe(16 | 8)
    expect(zlib.inflateSync(written.bytes).toString()).toBe('a'.repeat(401))
  })

  it('keeps the original when compression would make it larger', () => {
    const incompressible = new Uint8Array(randomBytes(1000))
    expect(zlib.deflateSync(incompressible).length).toBeGreaterThan(incompressible.length)
    const written = rightOf(shared.serialize(incompressible))
    expect(written.flags).toBe(0)
    expect(written.bytes).toBe(incompressible)
  })

  it('uses compressLevel', () => {
    const value = 'abcabcabd'.repeat(200)
    const fast = rightOf(makePymemcache({ minCompressLength: 1, compressLevel: 1 }).serialize(value))
    expect(plain(fast.bytes)).toEqual(plain(zlib.deflateSync(Buffer.from(value), { level: 1 })))
    expect(leftOf(makePymemcache({ minCompressLength: 1, compressLevel: 42 }).serialize(value)).message).toContain('cannot deflate-compress')
  })

  it('never compresses without minCompressLength', () => {
    expect(rightOf(pymemcache.serialize('a'.repeat(100_000))).flags).toBe(16)
  })

  it('refuses to inflate past maxDecompressedLength', () => {
    const big = rightOf(shared.serialize(new Uint8Array(10_000)))
    expect(leftOf(makePymemcache({ maxDecompressedLength: 1000 }).deserialize(big)).message).toContain('exceed 1000 bytes')
  })
})

describe('pymemcache: round trips', () => {
  const values: fc.Arbitrary<PymemcacheValue> = fc.oneof(
    wellFormed(),
    fc.uint8Array({ maxLength: 600 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    wellFormed().map((s) => s.repeat(50)),
  )

  it('without compression', () => {
    roundTrips(pymemcache, values, normalise)
  })

  it('with compression', () => {
    roundTrips(makePymemcache({ minCompressLength: 16 }), values, normalise)
  })

  it('with integers: "bigint"', () => {
    const serde = makePymemcache({ integers: 'bigint' })
    fc.assert(fc.property(fc.bigInt(), (value) => rightOf(serde.deserialize(rightOf(serde.serialize(value)))) === value))
  })
})

describe('parsePythonInt', () => {
  it('reads decimal digits with underscores and padding', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.boolean(), fc.constantFrom('', ' ', '\t', '\n '), (value, plus, pad) => {
        const digits = (value < 0n ? -value : value).toString()
        const spaced = digits.replace(/(\d)(?=\d)/g, (d) => (d === '1' ? '1_' : d))
        const source = `${pad}${value < 0n ? '-' : plus ? '+' : ''}${spaced}${pad}`
        expect(rightOf(parsePythonInt(utf8(source)))).toBe(value)
      }),
    )
  })

  it('refuses anything int() refuses', () => {
    for (const source of ['', '+', '1 1', '1.0', '١']) expect(parsePythonInt(utf8(source))._tag).toBe('Left')
    expect(ascii(utf8('x'))).toBe('x')
  })
})
