/**
 * memcached's base64 for `b` keys: its lenient decoder, pinned case by case, and plain encoding.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64, encodeBase64 } from '../../src/emulator/base64.js'

describe('decodeBase64', () => {
  it.each([
    ['a2V5', 'key'],
    ['YmluMQ==', 'bin1'],
    ['AP8=', '\u0000\u00ff'],
    ['AA==', '\u0000'],
    // Bytes outside the alphabet are skipped, as memcached's decoder skips them.
    ['a2V5!!', 'key'],
    ['a2-V5', 'key'],
    // Decoding stops after the first group holding padding.
    ['AA==a2V5', '\u0000'],
  ])('%s decodes to its bytes', (text, bytes) => {
    expect(decodeBase64(text)).toBe(bytes)
  })

  it.each(['a2V', 'a2V5=', '!!!!', 'k', '', 'A===', '===='])('%s is refused, as memcached returns 0 for it', (text) => {
    expect(decodeBase64(text)).toBeUndefined()
  })

  it('reads back what encodeBase64 writes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 187 }), (bytes) => {
        const key = Buffer.from(bytes).toString('latin1')
        expect(decodeBase64(encodeBase64(key))).toBe(key)
      }),
    )
  })

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => void decodeBase64(text)))
  })
})

describe('encodeBase64', () => {
  it('writes padded base64 of the bytes of a byte string', () => {
    expect(encodeBase64('key')).toBe('a2V5')
    expect(encodeBase64('\u0000\u00ff')).toBe('AP8=')
    expect(encodeBase64('bin1')).toBe('YmluMQ==')
  })
})
