/**
 * UTF-8 text, stored with flags 0.
 *
 * Strict both ways: bytes that are not well-formed UTF-8 read as a `Left` (never as U+FFFD), and
 * a string with a lone surrogate is refused on write (it could not be read back unchanged). A
 * leading byte-order mark is data and survives the round trip.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Serde } from './serde.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The flags `text` writes: 0, so memjs, the `memcached` npm package and a pymemcache client
 * without a serde all read the value as a plain string.
 *
 * @example
 * TEXT_FLAGS // 0
 * @category model
 */
export const TEXT_FLAGS = 0

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Strings as UTF-8. Reading accepts any flags.
 *
 * @example
 * text.serialize('héllo') // right({ bytes: <68 c3 a9 6c 6c 6f>, flags: 0 })
 * text.deserialize({ bytes: new Uint8Array([0xff]), flags: 0 })
 * // left({ _tag: 'SerdeError', flags: 0, message: 'value is not valid UTF-8 text: invalid byte 0xff at offset 0 of 1' })
 * @category constructors
 */
export const text: Serde<string> = {
  serialize: (value) =>
    pipe(
      encodeUtf8(TEXT_FLAGS)(value),
      E.map((bytes) => ({ bytes, flags: TEXT_FLAGS })),
    ),
  deserialize: (encoded) => decodeUtf8(encoded.flags)(encoded.bytes),
}
