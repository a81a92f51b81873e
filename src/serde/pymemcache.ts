/**
 * pymemcache's value convention (`pymemcache.serde`, 3.5), so Python and TypeScript services can
 * share a cache.
 *
 * | flags | pymemcache name    | Python value       | here                                  |
 * | ----- | ------------------ | ------------------ | ------------------------------------- |
 * | 0     | `FLAG_BYTES`       | `bytes`            | `Uint8Array`                          |
 * | 1     | `FLAG_PICKLE`      | anything else      | refused: a `SerdeError`, never guessed |
 * | 2     | `FLAG_INTEGER`     | `int`              | `number` (safe integers) or `bigint`  |
 * | 4     | `FLAG_LONG`        | Python 2 `long`    | read like 2, never written            |
 * | 8     | `FLAG_COMPRESSED`  | zlib, OR'ed in     | with `minCompressLength`; always read |
 * | 16    | `FLAG_TEXT`        | `str` (UTF-8)      | `string`                              |
 *
 * Writing mirrors `python_memcache_serializer`: bytes 0, strings 16, integers 2 (on Python 3
 * pymemcache writes every `int`, however large, with flag 2). Reading mirrors
 * `python_memcache_deserializer`, in its order: flags 0 are bytes, then the text bit wins, then
 * integer, then long, then pickle; any other flags are returned as bytes. Integers are parsed as
 * Python's `int()` parses them (ASCII whitespace around, an optional sign, `_` between digits).
 *
 * Compression mirrors pymemcache 4's `CompressedSerde` (3.5 reserves the flag but ships no
 * compressing serde; python-memcached uses the same bit and format): a value longer than
 * `minCompressLength` bytes is compressed with zlib (Python's `zlib.compress`), flag 8 is OR'ed
 * in, and the compressed form is kept unless it is larger. Reading inflates any value with bit 8,
 * whatever `minCompressLength` says.
 *
 * Values are a plain TypeScript union (`string | Uint8Array | number | bigint`): the runtime type
 * already says which Python type it was, so no tag is needed. A `number` must be an integer —
 * pymemcache pickles `float`s, and pickle is not written here.
 *
 * @since 0.1.0
 */
import { types } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
import { compressBytes, decompressBytes } from './compressed.js'
import { clearBits, hasBits, setBits } from './flags.js'
import type { Encoded, Serde } from './serde.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What pymemcache stores without pickle: `bytes`, `str` and `int`.
 *
 * @example
 * const values: ReadonlyArray<PymemcacheValue> = ['str', new Uint8Array([0]), 42, 2n ** 64n]
 * @category model
 */
export type PymemcacheValue = string | Uint8Array | number | bigint

/**
 * pymemcache's flag bits (`pymemcache/serde.py`).
 *
 * @example
 * PYMEMCACHE_FLAGS.text // 16
 * @category model
 */
export const PYMEMCACHE_FLAGS = {
  bytes: 0,
  pickle: 1 << 0,
  integer: 1 << 1,
  long: 1 << 2,
  compressed: 1 << 3,
  text: 1 << 4,
} as const

/**
 * Options of `makePymemcache`.
 *
 * @example
 * // As CompressedSerde(min_compress_len=400) with zlib level 9:
 * const options: PymemcacheOptions = { minCompressLength: 400, compressLevel: 9 }
 * @category model
 */
export interface PymemcacheOptions {
  /**
   * Compress values longer than this many bytes, as `CompressedSerde(min_compress_len=...)`
   * (whose default is 400). Absent or 0: never compress when writing.
   */
  readonly minCompressLength?: number
  /** zlib level -1..9, as `zlib.compress(data, level)`. Default -1 (zlib's default, 6). */
  readonly compressLevel?: number
  /**
   * How integers are read. `'auto'` (default): a `number` when it is a safe integer
   * (|n| ≤ 2^53 − 1), a `bigint` otherwise. `'bigint'`: always a `bigint`.
   */
  readonly integers?: 'auto' | 'bigint'
  /** Refuse to inflate compressed values past this many bytes. Default 64 MiB. */
  readonly maxDecompressedLength?: number
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

// Python's int() on bytes: ASCII whitespace around, one optional sign, digits with single
// underscores between them.
const pythonInt = /^[ \t\n\v\f\r]*([+-]?)(\d(?:_?\d)*)[ \t\n\v\f\r]*$/
const latin1 = new TextDecoder('latin1')

const asciiOf = (value: string): Uint8Array => {
  const out = new Uint8Array(value.length)
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i)
  return out
}

const preview = (bytes: Uint8Array): string => {
  const source = latin1.decode(bytes.subarray(0, 41))
  return JSON.stringify(bytes.length > 40 ? source.slice(0, 40) + '…' : source)
}

/**
 * Parses an integer the way Python's `int(bytes)` does.
 *
 * @example
 * parsePythonInt(new TextEncoder().encode(' +1_000 ')) // right(1000n)
 * parsePythonInt(new TextEncoder().encode('1e3')) // left('...')
 * @category utils
 */
export const parsePythonInt = (bytes: Uint8Array): E.Either<string, bigint> => {
  const match = pythonInt.exec(latin1.decode(bytes))
  if (match === null) return E.left(`invalid literal for int() with base 10: ${preview(bytes)}`)
  const digits = (match[2] ?? '').replaceAll('_', '')
  return E.right(BigInt((match[1] === '-' ? '-' : '') + digits))
}

const integerOf =
  (integers: 'auto' | 'bigint') =>
  (value: bigint): number | bigint => {
    if (integers === 'bigint') return value
    const asNumber = Number(value)
    return Number.isSafeInteger(asNumber) ? asNumber : value
  }

const withoutCompression = (
  value: PymemcacheValue,
): E.Either<SerdeError, Encoded> => {
  if (typeof value === 'string') {
    return pipe(
      encodeUtf8(PYMEMCACHE_FLAGS.text)(value),
      E.map((bytes) => ({ bytes, flags: PYMEMCACHE_FLAGS.text })),
    )
  }
  if (typeof value === 'bigint') return E.right({ bytes: asciiOf(value.toString()), flags: PYMEMCACHE_FLAGS.integer })
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? E.right({ bytes: asciiOf(BigInt(value).toString()), flags: PYMEMCACHE_FLAGS.integer })
      : E.left(
          serdeError(
            PYMEMCACHE_FLAGS.pickle,
            `pymemcache would pickle ${describeValue(value)} (a float in Python), and pickle is not written here: store an integer, a string or bytes`,
          ),
        )
  }
  if (types.isUint8Array(value)) return E.right({ bytes: value, flags: PYMEMCACHE_FLAGS.bytes })
  // Plain JavaScript can pass anything; pymemcache would pickle whatever is not bytes, str or int.
  return E.left(
    serdeError(
      PYMEMCACHE_FLAGS.pickle,
      `pymemcache would pickle ${describeValue(value)}, and pickle is not written here: store a string, a Uint8Array or an integer (number or bigint), or write structured values with the json serde`,
    ),
  )
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A pymemcache-compatible serde with options (compression, how integers are read).
 *
 * Every `Left`: a non-integer `number` or a value of any other type (pymemcache would pickle it:
 * plain JavaScript can pass a boolean, an object, `undefined`...); a string with a lone
 * surrogate (Python could not encode it either); flags with the pickle bit (and not the text,
 * integer or long bit); text that is not UTF-8; an integer Python's `int()` would refuse; bit 8
 * on bytes that do not inflate.
 *
 * @example
 * const shared = makePymemcache({ minCompressLength: 400 })
 * shared.serialize('x'.repeat(1000)) // right({ bytes: <zlib>, flags: 24 })
 * shared.serialize(2n ** 70n) // right({ bytes: <'1180591620717411303424'>, flags: 2 })
 * @category constructors
 */
export const makePymemcache = (options: PymemcacheOptions = {}): Serde<PymemcacheValue> => {
  const minCompressLength = options.minCompressLength ?? 0
  const compress = compressBytes('deflate', options.compressLevel)
  const inflate = decompressBytes('deflate', options.maxDecompressedLength)
  const readInteger = integerOf(options.integers ?? 'auto')

  // `flags` without the compression bit decide the type; errors report the flags as stored.
  const read = (bytes: Uint8Array, flags: number, stored: number): E.Either<SerdeError, PymemcacheValue> => {
    if (flags === 0) return E.right(bytes)
    if (hasBits(flags, PYMEMCACHE_FLAGS.text)) return decodeUtf8(stored)(bytes)
    if (hasBits(flags, PYMEMCACHE_FLAGS.integer | PYMEMCACHE_FLAGS.long)) {
      return pipe(
        parsePythonInt(bytes),
        E.bimap((reason) => serdeError(stored, reason), readInteger),
      )
    }
    if (hasBits(flags, PYMEMCACHE_FLAGS.pickle)) {
      return E.left(
        serdeError(
          stored,
          `value was pickled by Python (flags ${stored}): pickle is not read here (it is Python-only and unpickling runs code); have the Python side store str, bytes or int`,
        ),
      )
    }
    return E.right(bytes)
  }

  return {
    serialize: (value) =>
      pipe(
        withoutCompression(value),
        E.chain((encoded) => {
          if (!(minCompressLength > 0 && encoded.bytes.length > minCompressLength)) return E.right(encoded)
          return pipe(
            compress(encoded.bytes),
            E.mapLeft((reason) => serdeError(encoded.flags, reason)),
            // CompressedSerde keeps the compressed form unless it is strictly larger.
            E.map((smaller) =>
              smaller.length > encoded.bytes.length
                ? encoded
                : { bytes: smaller, flags: setBits(encoded.flags, PYMEMCACHE_FLAGS.compressed) },
            ),
          )
        }),
      ),
    deserialize: ({ bytes, flags }) =>
      hasBits(flags, PYMEMCACHE_FLAGS.compressed)
        ? pipe(
            inflate(bytes),
            E.mapLeft((reason) => serdeError(flags, reason)),
            E.chain((inflated) => read(inflated, clearBits(flags, PYMEMCACHE_FLAGS.compressed), flags)),
          )
        : read(bytes, flags, flags),
  }
}

/**
 * pymemcache's convention without compression on write (compressed values are still read).
 *
 * @example
 * pymemcache.serialize('héllo') // right({ bytes: <68 c3 a9 6c 6c 6f>, flags: 16 })
 * pymemcache.serialize(42) // right({ bytes: <34 32>, flags: 2 })
 * pymemcache.deserialize({ bytes: new Uint8Array([0x80, 0x04]), flags: 1 }) // left(SerdeError: value was pickled by Python...)
 * @category constructors
 */
export const pymemcache: Serde<PymemcacheValue> = makePymemcache()
