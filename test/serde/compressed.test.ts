import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import fc from 'fast-check'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { bytes } from '../../src/serde/bytes.js'
import {
  COMPRESSION_DEFAULTS,
  compressBytes,
  compressed,
  decompressBytes,
  type CompressionAlgorithm,
} from '../../src/serde/compressed.js'
import { json } from '../../src/serde/json.js'
import type { Serde } from '../../src/serde/serde.js'
import { flagged } from '../../src/serde/serde.js'
import { text } from '../../src/serde/text.js'
import { encoded, expectSameBytes, leftOf, mebibyte, neverThrows, plain, rightOf, roundTrips } from './support.js'

const algorithms: ReadonlyArray<CompressionAlgorithm> = ['deflate', 'gzip', 'brotli']

const inflate = (algorithm: CompressionAlgorithm, data: Uint8Array): Uint8Array =>
  algorithm === 'deflate' ? zlib.inflateSync(data) : algorithm === 'gzip' ? zlib.gunzipSync(data) : zlib.brotliDecompressSync(data)

describe.each(algorithms)('compressed (%s)', (algorithm) => {
  const serde = compressed(bytes, { threshold: 64, algorithm })

  it('leaves values below the threshold alone', () => {
    const value = new Uint8Array(63)
    const written = rightOf(serde.serialize(value))
    expect(written.flags).toBe(0)
    expect(written.bytes).toBe(value)
  })

  it('compresses values at the threshold, marks the flag bit, and the bytes are the algorithm\'s own format', () => {
    const value = new Uint8Array(64).fill(97)
    const written = rightOf(serde.serialize(value))
    expect(written.flags).toBe(8)
    expect(written.bytes.length).toBeLessThan(64)
    expect(plain(inflate(algorithm, written.bytes))).toEqual(value)
  })

  it('keeps the original when compression does not shrink it', () => {
    const value = new Uint8Array(randomBytes(4096))
    const written = rightOf(serde.serialize(value))
    expect(written.flags).toBe(0)
    expect(written.bytes).toBe(value)
  })

  it('round-trips any bytes, compressed or not', () => {
    roundTrips(
      serde,
      fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(s.repeat(4)))),
      plain,
    )
  })

  it('round-trips a mebibyte', () => {
    const value = mebibyte()
    const written = rightOf(compressed(bytes, { algorithm }).serialize(value))
    expect(written.bytes.length).toBeLessThan(value.length / 10)
    expectSameBytes(rightOf(compressed(bytes, { algorithm }).deserialize(written)), value)
  })

  it('reads values written before compression was turned on', () => {
    const old = rightOf(text.serialize('x'.repeat(1000)))
    expect(rightOf(compressed(text, { threshold: 10, algorithm }).deserialize(old))).toBe('x'.repeat(1000))
  })

  it('reads a value marked compressed that does not inflate as a Left', () => {
    const error = leftOf(serde.deserialize(encoded(new Uint8Array([1, 2, 3, 4, 5]), 8)))
    expect(error.flags).toBe(8)
    expect(error.message).toContain(`cannot inflate the value (${algorithm})`)
  })

  it('refuses to inflate past maxDecompressedLength', () => {
    const bomb = rightOf(compressBytes(algorithm)(new Uint8Array(100_000)))
    const guarded = compressed(bytes, { algorithm, maxDecompressedLength: 50_000 })
    expect(leftOf(guarded.deserialize(encoded(bomb, 8))).message).toContain('it would exceed 50000 bytes')
    expect(rightOf(compressed(bytes, { algorithm, maxDecompressedLength: 100_000 }).deserialize(encoded(bomb, 8))).length).toBe(100_000)
  })

  it('reports a compression failure (an out-of-range level) as a Left', () => {
    const broken = compressed(bytes, { algorithm, threshold: 0, level: 99 })
    expect(leftOf(broken.serialize(new Uint8Array(10))).message).toContain(`cannot ${algorithm}-compress the value`)
  })
})

describe('compressed', () => {
  it('has documented defaults: deflate, flag 8, threshold 1024', () => {
    const serde = compressed(bytes)
    expect(COMPRESSION_DEFAULTS.threshold).toBe(1024)
    expect(rightOf(serde.serialize(new Uint8Array(1023))).flags).toBe(0)
    const written = rightOf(serde.serialize(new Uint8Array(1024)))
    expect(written.flags).toBe(8)
    expect(plain(zlib.inflateSync(written.bytes))).toEqual(new Uint8Array(1024))
  })

  it('is the same data-first and data-last', () => {
    const value = { list: Array.from({ length: 100 }, (_, i) => i) }
    const first = compressed(json, { threshold: 10 })
    const last = pipe(json, compressed({ threshold: 10 }))
    expect(rightOf(first.serialize(value))).toEqual(rightOf(last.serialize(value)))
  })

  it('ORs its bit into the inner flags and clears it before the inner serde reads', () => {
    const serde = compressed(json, { threshold: 0, flag: 2 ** 31 })
    const written = rightOf(serde.serialize({ a: 'b'.repeat(100) }))
    expect(written.flags).toBe(2 ** 31 + 2)
    const strict: Serde<unknown> = pipe(json, flagged(2), compressed({ threshold: 0, flag: 2 ** 31 }))
    expect(rightOf(strict.deserialize(written))).toEqual({ a: 'b'.repeat(100) })
  })

  it('refuses an inner serde that already uses the compression bit', () => {
    const error = leftOf(compressed(json, { flag: 2 }).serialize({ a: 1 }))
    expect(error.message).toContain('use the compression bit 2')
  })

  it.each([0, 3, 12, -8, 2 ** 32, 0.5])('refuses flag %s, which is not a single bit', (flag) => {
    const serde = compressed(bytes, { flag })
    expect(leftOf(serde.serialize(new Uint8Array(1))).message).toContain('flag must be a single bit')
    expect(leftOf(serde.deserialize(encoded(new Uint8Array(1), 0))).message).toContain('flag must be a single bit')
  })

  it('passes the inner serde\'s Left through', () => {
    expect(leftOf(compressed(text).serialize('\uD800')).message).toContain('lone surrogate')
    expect(leftOf(compressed(text).serialize(42 as unknown as string)).message).toContain('text writes strings only, got the number 42')
    expect(leftOf(compressed(bytes, { threshold: 0 }).serialize('x'.repeat(100) as unknown as Uint8Array)).message).toContain(
      'bytes writes a Uint8Array (or Buffer) only, got the string',
    )
    expect(leftOf(compressed(text).deserialize(encoded(new Uint8Array([0xff]), 0))).message).toContain('not valid UTF-8')
  })
})

describe('compressBytes / decompressBytes', () => {
  it.each(algorithms)('%s round-trips any bytes', (algorithm) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (value) => {
        const packed = rightOf(compressBytes(algorithm)(value))
        expect(plain(rightOf(decompressBytes(algorithm)(packed)))).toEqual(value)
      }),
      { numRuns: 50 },
    )
  })
})

describe('compressed errors', () => {
  it('report the flags as stored when the inner serde fails after inflating', () => {
    const packed = zlib.deflateSync(Buffer.from([0xff]))
    const error = leftOf(compressed(text).deserialize(encoded(packed, 8)))
    expect(error.flags).toBe(8)
    expect(error.message).toContain('not valid UTF-8')
  })
})

describe('compressed: values of the wrong type (plain JavaScript)', () => {
  it.each(algorithms)('never throws over %s, whatever the inner serde', (algorithm) => {
    neverThrows(compressed(bytes, { threshold: 0, algorithm }).serialize)
    neverThrows(compressed(text, { threshold: 0, algorithm }).serialize)
    neverThrows(compressed(json, { threshold: 16, algorithm }).serialize)
  })
})
