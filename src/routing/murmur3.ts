/**
 * MurmurHash3, x86 32-bit variant: the hash pymemcache's rendezvous router scores nodes with.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

const rotl32 = (x: number, r: number): number => (x << r) | (x >>> (32 - r))

const mixK1 = (k: number): number => Math.imul(rotl32(Math.imul(k, C1), 15), C2)

const hashBytes = (bytes: Uint8Array, seed: number): number => {
  const length = bytes.length
  const roundedEnd = length & ~3
  let h1 = seed | 0
  for (let i = 0; i < roundedEnd; i += 4) {
    const k1 = (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)
    h1 ^= mixK1(k1)
    h1 = rotl32(h1, 13)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail > 0) {
    let k1 = bytes[roundedEnd] ?? 0
    if (tail > 1) k1 |= (bytes[roundedEnd + 1] ?? 0) << 8
    if (tail > 2) k1 |= (bytes[roundedEnd + 2] ?? 0) << 16
    h1 ^= mixK1(k1)
  }
  h1 ^= length
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  return h1 >>> 0
}

/**
 * MurmurHash3 (x86, 32 bits) of bytes, or of a string's UTF-8 bytes; an unsigned 32-bit integer.
 *
 * @example
 * murmur3_32('6666') // 1361238019 (pymemcache's own test vector)
 * murmur3_32('6666', 10) // 2981722772
 * @category utils
 */
export const murmur3_32 = (input: string | Uint8Array, seed = 0): number =>
  hashBytes(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, seed)

/**
 * The bytes pymemcache's pure-Python `murmur3_32` actually reads from a `str`: one byte per code
 * point, its low 8 bits (`ord(c) & 0xff`). For ASCII this is the UTF-8 encoding; for anything
 * else it is not, and rendezvous placement must follow Python to put keys where it does.
 *
 * @example
 * pythonStrBytes('é') // Uint8Array [0xe9]
 * @category utils
 */
export const pythonStrBytes = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length)
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A surrogate pair is one Python code point: its low byte is that of the supplementary code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes[length++] = (((code - 0xd800) << 10) + (next - 0xdc00) + 0x10000) & 0xff
        i++
        continue
      }
    }
    bytes[length++] = code & 0xff
  }
  return length === text.length ? bytes : bytes.subarray(0, length)
}

/**
 * `murmur3_32` of a string exactly as pymemcache computes it in Python (see `pythonStrBytes`).
 *
 * @example
 * murmur3_32Python('127.0.0.1:11211-user:1') === murmur3_32('127.0.0.1:11211-user:1') // true: ASCII
 * @category utils
 */
export const murmur3_32Python = (text: string, seed = 0): number => hashBytes(pythonStrBytes(text), seed)
