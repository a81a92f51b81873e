import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { text, TEXT_FLAGS } from '../../src/serde/text.js'
import { decodeUtf8, encodeUtf8, firstInvalidUtf8 } from '../../src/serde/utf8.js'
import { anyUtf16, encoded, leftOf, neverThrows, rightOf, roundTrips, utf8, wellFormed } from './support.js'

describe('text', () => {
  it('writes UTF-8 with flags 0', () => {
    const written = rightOf(text.serialize('héllo ☃ 😀'))
    expect(written.flags).toBe(TEXT_FLAGS)
    expect(Buffer.from(written.bytes).toString('hex')).toBe(Buffer.from('héllo ☃ 😀', 'utf8').toString('hex'))
  })

  it('round-trips every well-formed string', () => {
    roundTrips(text, wellFormed())
  })

  it('keeps a leading byte-order mark', () => {
    expect(rightOf(text.deserialize(encoded(utf8('\uFEFFa'), 0)))).toBe('\uFEFFa')
  })

  it.each([
    ['a lone high surrogate', 'a\uD800', 'U+D800 at index 1'],
    ['a lone low surrogate', '\uDC00b', 'U+DC00 at index 0'],
    ['a reversed pair', '\uDE00\uD83D', 'U+DE00 at index 0'],
  ])('refuses to write %s', (_name, value, where) => {
    const error = leftOf(text.serialize(value))
    expect(error.message).toContain('lone surrogate')
    expect(error.message).toContain(where)
  })

  it.each([
    ['a stray continuation byte', [0x61, 0x80], 1],
    ['a truncated sequence', [0xe2, 0x82], 0],
    ['an overlong encoding', [0xc0, 0xaf], 0],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['0xff', [0x68, 0x69, 0xff], 2],
  ])('reads %s as a Left naming the offset, never U+FFFD', (_name, bytes, offset) => {
    const error = leftOf(text.deserialize(encoded(new Uint8Array(bytes), 16)))
    expect(error.flags).toBe(16)
    expect(error.message).toContain(`at offset ${offset}`)
  })

  it('accepts exactly the strings whose UTF-16 is well formed', () => {
    fc.assert(
      fc.property(anyUtf16(), (value) => {
        const wellFormedValue = Buffer.from(value, 'utf8').toString('utf8') === value
        expect(text.serialize(value)._tag === 'Right').toBe(wellFormedValue)
        expect(encodeUtf8(0)(value)._tag === 'Right').toBe(wellFormedValue)
      }),
    )
  })
})

describe('encodeUtf8 / decodeUtf8 on values of the wrong type (plain JavaScript)', () => {
  it('are Lefts, never a TypeError', () => {
    expect(leftOf(encodeUtf8(16)(undefined as unknown as string))).toEqual({
      _tag: 'SerdeError',
      flags: 16,
      message: 'only a string can be written as UTF-8 text, got undefined',
    })
    expect(leftOf(decodeUtf8(16)('abc' as unknown as Uint8Array)).message).toBe(
      'only bytes (a Uint8Array) can be read as UTF-8 text, got the string "abc"',
    )
  })
})

describe('firstInvalidUtf8', () => {
  it('agrees with a fatal TextDecoder on random bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let valid = true
        try {
          fatal.decode(bytes)
        } catch {
          valid = false
        }
        expect(firstInvalidUtf8(bytes) === -1).toBe(valid)
        expect(decodeUtf8(0)(bytes)._tag === 'Right').toBe(valid)
      }),
      { numRuns: 2000 },
    )
  })

  it('points at the first bad sequence after a valid prefix', () => {
    fc.assert(
      fc.property(wellFormed(), (prefix) => {
        const good = utf8(prefix)
        const bytes = new Uint8Array([...good, 0xff, 0x61])
        expect(firstInvalidUtf8(bytes)).toBe(good.length)
      }),
    )
  })
})

describe('text: values that are not strings (plain JavaScript)', () => {
  const advice = 'use the json serde for other values, or stringified(text) to store String(value)'

  it.each<[string, unknown, string]>([
    ['undefined', undefined, `text writes strings only, got undefined: to remove a key use delete; ${advice}`],
    ['null', null, `text writes strings only, got null: to remove a key use delete; ${advice}`],
    ['a number', 42, `text writes strings only, got the number 42: ${advice}`],
    ['an object', { a: 1 }, `text writes strings only, got an object: ${advice}`],
    ['a boolean', true, `text writes strings only, got the boolean true: ${advice}`],
    ['a bigint', 7n, `text writes strings only, got the bigint 7n: ${advice}`],
    ['an array', ['a'], `text writes strings only, got an array of 1 item: ${advice}`],
    ['a Buffer', Buffer.from('a'), `text writes strings only, got a Buffer of 1 bytes: ${advice}`],
    ['a boxed string', Object('a'), `text writes strings only, got a String: ${advice}`],
  ])('refuses %s with a Left naming it, never storing String(value)', (_name, value, message) => {
    const error = leftOf(text.serialize(value as string))
    expect(error).toEqual({ _tag: 'SerdeError', flags: TEXT_FLAGS, message })
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(text.serialize)
  })
})
