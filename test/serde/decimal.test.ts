import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bigint, DECIMAL_FLAGS, number } from '../../src/serde/decimal.js'
import { ascii, encoded, leftOf, neverThrows, rightOf, roundTrips } from './support.js'

describe('number', () => {
  it('writes the shortest decimal text with flags 0', () => {
    const written = rightOf(number.serialize(1.5))
    expect(written.flags).toBe(DECIMAL_FLAGS)
    expect(ascii(written.bytes)).toBe('1.5')
    expect(ascii(rightOf(number.serialize(1e21)).bytes)).toBe(String(1e21))
  })

  it('round-trips every double, NaN, infinities and -0 included', () => {
    roundTrips(number, fc.double(), (value) => (Object.is(value, -0) ? '-0' : value))
    for (const special of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(rightOf(number.deserialize(rightOf(number.serialize(special))))).toBe(special)
    }
    expect(Object.is(rightOf(number.deserialize(rightOf(number.serialize(-0)))), -0)).toBe(true)
  })

  it('reads space-padded digits, as memcached leaves them after a decr', () => {
    expect(rightOf(number.deserialize(encoded('9   ', 0)))).toBe(9)
    expect(rightOf(number.deserialize(encoded(' \t42\r\n', 0)))).toBe(42)
  })

  it.each(['', ' ', '0x10', '1_000', '+1', '1e', '--1', 'nan', 'infinity', '1 2', '١'])('reads %j as a Left', (source) => {
    const error = leftOf(number.deserialize(encoded(source, 3)))
    expect(error.flags).toBe(3)
    expect(error.message).toContain('not a decimal number')
  })
})

describe('bigint', () => {
  it('writes decimal digits with flags 0', () => {
    const written = rightOf(bigint.serialize(-(2n ** 64n)))
    expect(written.flags).toBe(0)
    expect(ascii(written.bytes)).toBe('-18446744073709551616')
  })

  it('round-trips any bigint', () => {
    roundTrips(bigint, fc.bigInt({ min: -(2n ** 512n), max: 2n ** 512n }))
  })

  it('reads space-padded digits', () => {
    expect(rightOf(bigint.deserialize(encoded('18446744073709551615 ', 0)))).toBe(2n ** 64n - 1n)
  })

  it.each(['', '1.5', '1e3', '0x10', '+1', '-', 'abc', '1 1'])('reads %j as a Left', (source) => {
    expect(leftOf(bigint.deserialize(encoded(source, 0))).message).toContain('not a decimal integer')
  })

  it('shows a bounded preview of a long foreign value', () => {
    const message = leftOf(bigint.deserialize(encoded('x'.repeat(10_000), 0))).message
    expect(message.length).toBeLessThan(100)
  })
})

describe('number and bigint: values of another type (plain JavaScript)', () => {
  it.each<[string, unknown, string]>([
    ['a numeric string', '42', 'got the string "42": convert it with Number(value) first, or use the text serde to store the string as it is'],
    ['a bigint', 42n, 'got the bigint 42n: use the bigint serde for bigints'],
    ['undefined', undefined, 'got undefined: use the json serde for other values'],
    ['a boxed number', Object(1), 'got a Number: use the json serde for other values'],
  ])('number refuses %s', (_name, value, message) => {
    const error = leftOf(number.serialize(value as number))
    expect(error.flags).toBe(DECIMAL_FLAGS)
    expect(error.message).toBe(`number writes JavaScript numbers only, ${message}`)
  })

  it.each<[string, unknown, string]>([
    ['a whole number', 42, 'got the number 42: pass 42n (BigInt(value) converts a whole number), or use the number serde'],
    ['a fraction', 1.5, 'got the number 1.5: convert it with BigInt(value) first (it must be a whole number), or use the number or text serde'],
    ['a number past 2^53', 1e21, 'got the number 1e+21: convert it with BigInt(value) first'],
    ['a numeric string', '42', 'got the string "42": convert it with BigInt(value) first'],
    ['null', null, 'got null: use the json serde for other values'],
  ])('bigint refuses %s', (_name, value, message) => {
    const error = leftOf(bigint.serialize(value as bigint))
    expect(error.flags).toBe(DECIMAL_FLAGS)
    expect(error.message).toContain(`bigint writes bigints only, ${message}`)
  })

  it('never throw, whatever plain JavaScript passes', () => {
    neverThrows(number.serialize)
    neverThrows(bigint.serialize)
  })
})
