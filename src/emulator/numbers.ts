/**
 * Numbers read the way memcached reads them: C's `strtoull`/`strtol` behind memcached's
 * `safe_strto*` checks, over byte strings (one char per byte).
 *
 * The rules, from memcached 1.6's `util.c`: leading white space is skipped, a sign is allowed,
 * at least one digit is needed, and the number must end at white space or at the end of the text.
 * An unsigned number that reads as negative when signed is refused if a `-` came before it.
 * Results are then narrowed like C assignments: `flags` keep the low 32 bits, `exptime` becomes
 * a signed 32-bit value (so `4294967297` is `1`, `2147483648` is negative).
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const U64 = 1n << 64n
const I64_MAX = (1n << 63n) - 1n

const isSpaceCode = (code: number): boolean => code === 0x20 || (code >= 0x09 && code <= 0x0d)

interface Scanned {
  readonly negative: boolean
  readonly magnitude: bigint
}

/** Sign and digits of `text`, or `undefined` when it is not a whole number for memcached. */
const scan = (text: string, limit: bigint): Scanned | undefined => {
  let index = 0
  while (index < text.length && isSpaceCode(text.charCodeAt(index))) index++
  let negative = false
  const sign = text.charCodeAt(index)
  if (sign === 0x2b || sign === 0x2d) {
    negative = sign === 0x2d
    index++
  }
  const digitsStart = index
  let magnitude = 0n
  while (index < text.length) {
    const code = text.charCodeAt(index)
    if (code < 0x30 || code > 0x39) break
    magnitude = magnitude * 10n + BigInt(code - 0x30)
    // strtoull/strtol set ERANGE: memcached refuses the number.
    if (magnitude > limit) return undefined
    index++
  }
  if (index === digitsStart) return undefined
  if (index < text.length && !isSpaceCode(text.charCodeAt(index))) return undefined
  return { negative, magnitude }
}

/**
 * memcached's `safe_strtoull`: an unsigned 64-bit number, or `undefined`.
 *
 * @example
 * strtoull('18446744073709551615') // 18446744073709551615n
 * strtoull('-1') // undefined
 * strtoull('-0') // 0n
 * strtoull('12 abc') // 12n: the number ends at white space
 * @category utils
 */
export const strtoull = (text: string): bigint | undefined => {
  const scanned = scan(text, U64 - 1n)
  if (scanned === undefined) return undefined
  const value = scanned.negative ? (U64 - scanned.magnitude) % U64 : scanned.magnitude
  return scanned.negative && value > I64_MAX ? undefined : value
}

/**
 * memcached's `safe_strtoul` into a `uint32_t`: the low 32 bits of an unsigned 64-bit number.
 *
 * @example
 * strtoul32('4294967296') // 0
 * strtoul32('-1') // undefined
 * @category utils
 */
export const strtoul32 = (text: string): number | undefined => {
  const value = strtoull(text)
  return value === undefined ? undefined : Number(value & 0xffff_ffffn)
}

/**
 * memcached's `safe_strtol` into an `int32_t`: a signed 64-bit number narrowed to 32 bits.
 *
 * @example
 * strtol32('-5') // -5
 * strtol32('4294967297') // 1
 * strtol32('2147483648') // -2147483648
 * @category utils
 */
export const strtol32 = (text: string): number | undefined => {
  const scanned = scan(text, I64_MAX + 1n)
  if (scanned === undefined) return undefined
  if (!scanned.negative && scanned.magnitude > I64_MAX) return undefined
  const value = scanned.negative ? -scanned.magnitude : scanned.magnitude
  return Number(BigInt.asIntN(32, value))
}

/**
 * A byte string (one char per byte) of `bytes`: a command line for the text front end, a stored
 * value for `strtoull`.
 *
 * @example
 * byteString(new Uint8Array([49, 50])) // '12'
 * @category utils
 */
export const byteString = (bytes: Uint8Array): string => {
  // Keys are short and a multi-get reads one per key: a loop beats making a Buffer view for them.
  if (bytes.length > SHORT_STRING) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')
  let text = ''
  for (let index = 0; index < bytes.length; index++) text += String.fromCharCode(bytes[index] as number)
  return text
}

/** Up to this many bytes, `byteString` builds the string itself. */
const SHORT_STRING = 24
