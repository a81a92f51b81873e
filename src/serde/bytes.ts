/**
 * Raw bytes, stored as they are with flags 0.
 *
 * Only a `Uint8Array` (a `Buffer` is one) is written; anything else, from TypeScript or plain
 * JavaScript, is a `Left` saying how to get bytes from it.
 *
 * @since 0.1.0
 */
import { types } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
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
// utils
// -------------------------------------------------------------------------------------

const howToGetBytes = (value: unknown): string => {
  if (typeof value === 'string') return 'use the text serde for strings, or Buffer.from(value) for bytes written as text'
  // `types` checks internal slots: no Proxy trap runs, so a hostile value cannot throw here.
  if (types.isAnyArrayBuffer(value)) return 'wrap it: new Uint8Array(value)'
  if (ArrayBuffer.isView(value)) return 'view its bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength)'
  return 'use the json or v8 serde for other values'
}

const notBytes = (value: unknown): SerdeError =>
  serdeError(BYTES_FLAGS, `bytes writes a Uint8Array (or Buffer) only, got ${describeValue(value)}: ${howToGetBytes(value)}`)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Bytes in, the same bytes out; fails only on a value that is not a `Uint8Array`. Reading accepts
 * any flags (the bytes are returned as stored, without a copy: they are a view on what the
 * connection received).
 *
 * @example
 * bytes.serialize(new Uint8Array([0, 255])) // right({ bytes: Uint8Array [0, 255], flags: 0 })
 * bytes.deserialize({ bytes: new Uint8Array([1]), flags: 7 }) // right(Uint8Array [1])
 * bytes.serialize('hi' as unknown as Uint8Array) // left(SerdeError: 'bytes writes a Uint8Array (or Buffer) only, got the string "hi": ...')
 * @category constructors
 */
export const bytes: Serde<Uint8Array> = {
  serialize: (value) => (types.isUint8Array(value) ? E.right({ bytes: value, flags: BYTES_FLAGS }) : E.left(notBytes(value))),
  deserialize: (encoded) => E.right(encoded.bytes),
}
