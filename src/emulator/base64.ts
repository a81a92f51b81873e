/**
 * Base64 as memcached 1.6.18's `base64.c` reads and writes it, for the meta commands' `b` flag
 * (binary keys sent as base64). Writing is plain base64 with `=` padding. Reading is memcached's
 * own lenient decoder, which the emulator must match byte for byte: bytes outside the alphabet are
 * skipped, the alphabet bytes left (padding included) must be a non-zero multiple of four, and
 * decoding stops after the first group of four holding padding.
 *
 * Keys are byte strings (one char per byte), as everywhere in the emulator.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const PADDING = 0x3d
/** memcached's `dtable`: the value of each byte, `-1` for bytes it skips (`=` is worth 0). */
const VALUES: ReadonlyArray<number> = Array.from({ length: 256 }, (_, code) => (code === PADDING ? 0 : ALPHABET.indexOf(String.fromCharCode(code))))

/**
 * The bytes `text` (a byte string) decodes to, as memcached's `base64_decode` reads it, or
 * `undefined` where memcached's decoder returns 0 (which it reports as an error decoding the key).
 *
 * @example
 * decodeBase64('a2V5') // 'key'
 * decodeBase64('a2V') // undefined: three alphabet bytes
 * decodeBase64('a2V5!') // 'key': bytes outside the alphabet are skipped
 * @category utils
 */
export const decodeBase64 = (text: string): string | undefined => {
  let count = 0
  for (let index = 0; index < text.length; index++) if ((VALUES[text.charCodeAt(index)] ?? -1) >= 0) count++
  if (count === 0 || count % 4 !== 0) return undefined
  const out: Array<number> = []
  const block = [0, 0, 0, 0]
  let filled = 0
  let padding = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    const value = VALUES[code] ?? -1
    if (value < 0) continue
    if (code === PADDING) padding++
    block[filled++] = value
    if (filled < 4) continue
    const [a = 0, b = 0, c = 0, d = 0] = block
    out.push(((a << 2) | (b >> 4)) & 0xff, ((b << 4) | (c >> 2)) & 0xff, ((c << 6) | d) & 0xff)
    filled = 0
    if (padding > 0) {
      // One `=` drops one byte, two drop two; more is invalid padding.
      if (padding > 2) return undefined
      out.length -= padding
      break
    }
  }
  return out.length === 0 ? undefined : String.fromCharCode(...out)
}

/**
 * `key` (a byte string) as base64 with padding, as memcached writes a binary key back.
 *
 * @example
 * encodeBase64('key') // 'a2V5'
 * encodeBase64('\u0000\u00ff') // 'AP8='
 * @category utils
 */
export const encodeBase64 = (key: string): string => Buffer.from(key, 'latin1').toString('base64')
