/**
 * Raw bytes, stored as they are with flags 0.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Serde } from './serde.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The flags `bytes` writes: 0, what almost every client means by "raw".
 *
 * @example
 * BYTES_FLAGS // 0
 * @category model
 */
export const BYTES_FLAGS = 0

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Bytes in, the same bytes out; never fails. Reading accepts any flags (the bytes are returned as
 * stored, without a copy: they are a view on what the connection received).
 *
 * @example
 * bytes.serialize(new Uint8Array([0, 255])) // right({ bytes: Uint8Array [0, 255], flags: 0 })
 * bytes.deserialize({ bytes: new Uint8Array([1]), flags: 7 }) // right(Uint8Array [1])
 * @category constructors
 */
export const bytes: Serde<Uint8Array> = {
  serialize: (value) => E.right({ bytes: value, flags: BYTES_FLAGS }),
  deserialize: (encoded) => E.right(encoded.bytes),
}
