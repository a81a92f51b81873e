/**
 * Flag-word arithmetic for serdes. memcached 1.6 stores flags as an unsigned 32-bit number, but
 * JavaScript's bitwise operators work on signed 32-bit integers: bit 31 would come back negative.
 * These helpers keep every result in `0..2^32-1`.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The largest flags value memcached accepts.
 *
 * @example
 * MAX_FLAGS // 4294967295
 * @category utils
 */
export const MAX_FLAGS = 0xffff_ffff

/**
 * Whether any bit of `bits` is set in `flags`.
 *
 * @example
 * hasBits(24, 8) // true
 * hasBits(16, 8) // false
 * @category utils
 */
export const hasBits = (flags: number, bits: number): boolean => (flags & bits) !== 0

/**
 * `flags` with `bits` set, as an unsigned 32-bit number.
 *
 * @example
 * setBits(16, 8) // 24
 * setBits(0, 2 ** 31) // 2147483648
 * @category utils
 */
export const setBits = (flags: number, bits: number): number => (flags | bits) >>> 0

/**
 * `flags` with `bits` cleared, as an unsigned 32-bit number.
 *
 * @example
 * clearBits(24, 8) // 16
 * @category utils
 */
export const clearBits = (flags: number, bits: number): number => (flags & ~bits) >>> 0

/**
 * Whether `bit` is exactly one bit of a 32-bit flags word (1, 2, 4, ... 2^31).
 *
 * @example
 * isSingleBit(8) // true
 * isSingleBit(12) // false
 * @category utils
 */
export const isSingleBit = (bit: number): boolean =>
  Number.isInteger(bit) && bit >= 1 && bit <= 2 ** 31 && (bit & (bit - 1)) === 0

/**
 * Whether `flags` is a flags word memcached stores unchanged (an integer in `0..2^32-1`).
 *
 * @example
 * isValidFlags(16) // true
 * isValidFlags(-1) // false
 * @category utils
 */
export const isValidFlags = (flags: number): boolean => Number.isInteger(flags) && flags >= 0 && flags <= MAX_FLAGS
