/**
 * Strict UTF-8 for serdes: invalid bytes and lone surrogates are `Left`s, never U+FFFD.
 *
 * A text value that changed on its way through the cache is worse than one that failed: a
 * replacement character would be written back, compared, or shown as if it were data.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'

// `ignoreBOM` keeps a leading U+FEFF as data: a string that starts with one must come back whole.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

// In a `u` regular expression a well-formed surrogate pair is one astral code point, so only a
// lone surrogate matches the Surrogate category.
const loneSurrogate = /\p{Cs}/u

// `String.prototype.isWellFormed` (ES2024, in Node 20) is several times faster than the regular
// expression; the expression only runs to find where the problem is.
const nativeIsWellFormed: unknown = Reflect.get(String.prototype, 'isWellFormed')
const isWellFormed = (text: string): boolean =>
  typeof nativeIsWellFormed === 'function' ? Boolean(nativeIsWellFormed.call(text)) : !loneSurrogate.test(text)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Offset of the first byte that is not part of well-formed UTF-8, or -1.
 *
 * @example
 * firstInvalidUtf8(new Uint8Array([0x61, 0xff])) // 1
 * firstInvalidUtf8(new TextEncoder().encode('é')) // -1
 * @category utils
 */
export const firstInvalidUtf8 = (bytes: Uint8Array): number => {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0
    if (lead < 0x80) {
      i += 1
      continue
    }
    // Ranges of the second byte come from the Unicode table of well-formed sequences: they rule
    // out overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF.
    let length: number
    let low = 0x80
    let high = 0xbf
    if (lead >= 0xc2 && lead <= 0xdf) length = 2
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3
      if (lead === 0xe0) low = 0xa0
      if (lead === 0xed) high = 0x9f
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4
      if (lead === 0xf0) low = 0x90
      if (lead === 0xf4) high = 0x8f
    } else return i
    if (i + length > bytes.length) return i
    const second = bytes[i + 1] ?? 0
    if (second < low || second > high) return i
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k] ?? 0
      if (next < 0x80 || next > 0xbf) return i
    }
    i += length
  }
  return -1
}

/**
 * Decodes UTF-8 strictly; `flags` is only carried into the error.
 *
 * @example
 * decodeUtf8(16)(new Uint8Array([0x68, 0x69])) // right('hi')
 * decodeUtf8(16)(new Uint8Array([0xc3])) // left(SerdeError: invalid UTF-8 at byte 0 (0xc3))
 * @category utils
 */
export const decodeUtf8 =
  (flags: number) =>
  (bytes: Uint8Array): E.Either<SerdeError, string> => {
    if (!(bytes instanceof Uint8Array)) return E.left(serdeError(flags, `only bytes (a Uint8Array) can be read as UTF-8 text, got ${describeValue(bytes)}`))
    try {
      return E.right(decoder.decode(bytes))
    } catch {
      const at = firstInvalidUtf8(bytes)
      const byte = bytes[at] ?? 0
      return E.left(
        serdeError(flags, `value is not valid UTF-8 text: invalid byte 0x${byte.toString(16).padStart(2, '0')} at offset ${at} of ${bytes.length}`),
      )
    }
  }

/**
 * Encodes a string as UTF-8, refusing lone surrogates (which would otherwise become U+FFFD and
 * read back as a different string) and anything that is not a string (plain JavaScript may pass one).
 *
 * @example
 * encodeUtf8(0)('hé') // right(Uint8Array [0x68, 0xc3, 0xa9])
 * encodeUtf8(0)('\uD800') // left(SerdeError: lone surrogate U+D800 at index 0)
 * encodeUtf8(0)(null as unknown as string) // left(SerdeError: only a string can be written as UTF-8 text, got null)
 * @category utils
 */
export const encodeUtf8 =
  (flags: number) =>
  (text: string): E.Either<SerdeError, Uint8Array> => {
    if (typeof text !== 'string') return E.left(serdeError(flags, `only a string can be written as UTF-8 text, got ${describeValue(text)}`))
    const found = isWellFormed(text) ? null : loneSurrogate.exec(text)
    if (found !== null) {
      const unit = text.charCodeAt(found.index).toString(16).toUpperCase()
      return E.left(
        serdeError(flags, `string cannot be written as UTF-8: lone surrogate U+${unit} at index ${found.index}`),
      )
    }
    return E.right(encoder.encode(text))
  }
