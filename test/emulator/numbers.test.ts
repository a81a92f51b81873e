/**
 * Numbers read as memcached 1.6 reads them (`safe_strtoull`, `safe_strtoul`, `safe_strtol` over
 * C's `strtoull`/`strtol`): white space, signs, overflow (ERANGE), the negative-number check, and
 * the narrowing to 32 bits that C assignments do.
 */
import { describe, expect, it } from 'vitest'
import { byteString, strtol32, strtoul32, strtoull } from '../../src/emulator/numbers.js'

const U64_MAX = 2n ** 64n - 1n
const I64_MAX = 2n ** 63n - 1n

describe('strtoull', () => {
  it.each([
    ['0', 0n],
    ['007', 7n],
    ['+5', 5n],
    ['-0', 0n],
    [' \t\v\f\r\n12', 12n],
    ['12 abc', 12n],
    ['12\r\n', 12n],
    ['18446744073709551615', U64_MAX],
    // strtoull negates modulo 2^64; safe_strtoull refuses only results that read as negative when signed.
    ['-18446744073709551615', 1n],
    ['-9223372036854775809', I64_MAX],
  ] as const)('reads %j as %s', (text, expected) => {
    expect(strtoull(text)).toBe(expected)
  })

  it.each([
    ['', 'no digits'],
    [' ', 'no digits'],
    ['+', 'a sign and no digits'],
    ['- 5', 'white space after the sign'],
    ['12abc', 'a number not ending at white space'],
    ['0x10', 'hexadecimal'],
    ['1.5', 'a decimal point'],
    ['-1', 'negative when signed, after a minus'],
    ['-9223372036854775808', 'negative when signed, after a minus'],
    ['18446744073709551616', 'out of range (ERANGE)'],
    ['-18446744073709551616', 'out of range (ERANGE)'],
    ['99999999999999999999999', 'out of range (ERANGE)'],
  ] as const)('refuses %j: %s', (text, _why) => {
    expect(strtoull(text)).toBeUndefined()
  })
})

describe('strtoul32', () => {
  it.each([
    ['4294967295', 4294967295],
    ['4294967296', 0],
    ['4294967297', 1],
    ['18446744073709551615', 4294967295],
    [' 42', 42],
  ] as const)('keeps the low 32 bits of %j: %s', (text, expected) => {
    expect(strtoul32(text)).toBe(expected)
  })

  it.each(['-1', '18446744073709551616', 'x', ''])('refuses %j', (text) => {
    expect(strtoul32(text)).toBeUndefined()
  })
})

describe('strtol32', () => {
  it.each([
    ['-5', -5],
    ['+5', 5],
    ['2147483647', 2147483647],
    ['2147483648', -2147483648],
    ['4294967297', 1],
    ['-2147483649', 2147483647],
    ['9223372036854775807', -1],
    ['-9223372036854775808', 0],
    ['60 ', 60],
  ] as const)('reads %j as the int32 %s', (text, expected) => {
    expect(strtol32(text)).toBe(expected)
  })

  it.each(['9223372036854775808', '-9223372036854775809', '', '-', '5x', ' '])('refuses %j', (text) => {
    expect(strtol32(text)).toBeUndefined()
  })
})

describe('byteString', () => {
  it('is one char per byte, every byte value, from where the view starts', () => {
    const backing = new Uint8Array([0x41, 0x31, 0x32, 0xff, 0x42])
    expect(byteString(backing.subarray(1, 4))).toBe('12\u00ff')
    const every = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(Array.from(byteString(every), (char) => char.charCodeAt(0))).toEqual(Array.from(every))
    // Short views (keys) take another path: every byte value through it too.
    for (let start = 0; start < 256; start += 16) {
      const view = every.subarray(start, start + 16)
      expect(Array.from(byteString(view), (char) => char.charCodeAt(0))).toEqual(Array.from(view))
    }
  })
})
