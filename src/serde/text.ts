/**
 * UTF-8 text, stored with flags 0.
 *
 * Strict both ways: bytes that are not well-formed UTF-8 read as a `Left` (never as U+FFFD), and
 * a string with a lone surrogate is refused on write (it could not be read back unchanged). A
 * leading byte-order mark is data and survives the round trip.
 *
 * Only strings are written: every other value, from TypeScript or plain JavaScript, is a `Left`
 * naming what it got (never `'42'` or `'[object Object]'` stored as if that were the value).
 * `json` writes other values faithfully; `stringified(text)` opts in to storing `String(value)`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
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
// utils
// -------------------------------------------------------------------------------------

// The refusal of a value that is not a string: what it is, and what to use instead.
const notAString = (value: unknown): SerdeError =>
  serdeError(
    TEXT_FLAGS,
    `text writes strings only, got ${describeValue(value)}: ` +
      // A missing value is usually a bug upstream or a delete written as a set.
      (value === undefined || value === null ? 'to remove a key use delete; ' : '') +
      'use the json serde for other values, or stringified(text) to store String(value)',
  )

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Strings as UTF-8. Reading accepts any flags. A value that is not a string (plain JavaScript
 * can pass one) is a `Left`.
 *
 * @example
 * text.serialize('héllo') // right({ bytes: <68 c3 a9 6c 6c 6f>, flags: 0 })
 * text.serialize(42 as unknown as string) // left(SerdeError: 'text writes strings only, got the number 42: ...')
 * text.deserialize({ bytes: new Uint8Array([0xff]), flags: 0 })
 * // left({ _tag: 'SerdeError', flags: 0, message: 'value is not valid UTF-8 text: invalid byte 0xff at offset 0 of 1' })
 * @category constructors
 */
export const text: Serde<string> = {
  serialize: (value) =>
    typeof value !== 'string'
      ? E.left(notAString(value))
      : pipe(
          encodeUtf8(TEXT_FLAGS)(value),
          E.map((bytes) => ({ bytes, flags: TEXT_FLAGS })),
        ),
  deserialize: (encoded) => decodeUtf8(encoded.flags)(encoded.bytes),
}
