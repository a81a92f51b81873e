import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { serialize } from 'node:v8'
import { v8, V8_FLAGS } from '../../src/serde/v8.js'
import { encoded, leftOf, neverThrows, rightOf, roundTrips, utf8 } from './support.js'

describe('v8', () => {
  it('writes node:v8 format with flags 32', () => {
    const written = rightOf(v8.serialize({ a: 1 }))
    expect(written.flags).toBe(V8_FLAGS)
    expect(written.flags).toBe(32)
    expect(Buffer.from(written.bytes).equals(serialize({ a: 1 }))).toBe(true)
  })

  it('keeps what JSON loses', () => {
    const value = {
      map: new Map<unknown, unknown>([['a', 1n]]),
      set: new Set([1, 2]),
      at: new Date(0),
      pattern: /a+/gi,
      missing: undefined,
      notANumber: Number.NaN,
      negativeZero: -0,
      bytes: new Uint8Array([0, 255]),
    }
    const read = rightOf(v8.deserialize(rightOf(v8.serialize(value)))) as typeof value
    expect(read).toEqual(value)
    expect(Object.is(read.negativeZero, -0)).toBe(true)
    expect('missing' in read).toBe(true)
  })

  it('keeps cycles', () => {
    const cycle: { self?: unknown } = {}
    cycle.self = cycle
    const read = rightOf(v8.deserialize(rightOf(v8.serialize(cycle)))) as { self: unknown }
    expect(read.self).toBe(read)
  })

  it('round-trips structured-cloneable values', () => {
    roundTrips(
      v8,
      fc.anything({ withMap: true, withSet: true, withBigInt: true, withDate: true, withTypedArray: true, withNullPrototype: false }),
    )
  })

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['an object holding a function', { f: () => 1 }],
  ])('refuses to write %s', (_name, value) => {
    const error = leftOf(v8.serialize(value))
    expect(error.flags).toBe(V8_FLAGS)
    expect(error.message).toContain('cannot write the value with node:v8')
  })

  it('never throws, whatever plain JavaScript passes (a throwing getter or Proxy is a Left)', () => {
    neverThrows(v8.serialize)
  })

  it.each([
    ['empty bytes', new Uint8Array(0)],
    ['JSON text', utf8('{"a":1}')],
    ['a truncated value', serialize({ a: 'x'.repeat(20) }).subarray(0, 10)],
  ])('reads %s as a Left', (_name, bytes) => {
    const error = leftOf(v8.deserialize(encoded(bytes, 32)))
    expect(error.flags).toBe(32)
    expect(error.message).toContain('not in node:v8 format')
  })
})
