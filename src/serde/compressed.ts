/**
 * Compression around another serde, with Node's synchronous `node:zlib` (deflate, gzip, brotli).
 *
 * A value is compressed only when the inner serde's bytes are at least `threshold` long, and the
 * compressed bytes are kept only when they are shorter; either way the reader knows from one flag
 * bit (default 8) whether to decompress. Values written without compression — by an older version
 * of the application or because they were small — read back unchanged.
 *
 * With `algorithm: 'deflate'` (zlib format, as Python's `zlib.compress`) and the default flag 8,
 * the result is python-memcached's and pymemcache's compressed format (`FLAG_COMPRESSED`).
 *
 * @since 0.1.0
 */
import * as zlib from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { serdeError } from './error.js'
import { clearBits, hasBits, isSingleBit, setBits } from './flags.js'
import type { Serde } from './serde.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * - `deflate`: zlib format (RFC 1950), what Python's `zlib.compress` writes
 * - `gzip`: gzip format (RFC 1952)
 * - `brotli`: brotli (RFC 7932), usually smallest, slowest to write at high quality
 *
 * @example
 * const algorithm: CompressionAlgorithm = 'brotli'
 * @category model
 */
export type CompressionAlgorithm = 'deflate' | 'gzip' | 'brotli'

/**
 * Options of `compressed`; every field has a default.
 *
 * @example
 * const options: CompressionOptions = { threshold: 2048, algorithm: 'gzip', level: 9 }
 * @category model
 */
export interface CompressionOptions {
  /** Compress values whose inner bytes are at least this long. Default 1024. */
  readonly threshold?: number
  /** Default `'deflate'`. */
  readonly algorithm?: CompressionAlgorithm
  /** The one flag bit that marks a compressed value. Default 8 (python-memcached's). */
  readonly flag?: number
  /** zlib level 0..9 (default 6, zlib's own) or brotli quality 0..11 (default 4: fast enough for a cache). */
  readonly level?: number
  /** Refuse to inflate past this many bytes (a guard against decompression bombs). Default 64 MiB. */
  readonly maxDecompressedLength?: number
}

/**
 * The defaults of `CompressionOptions`.
 *
 * @example
 * COMPRESSION_DEFAULTS.threshold // 1024
 * @category model
 */
export const COMPRESSION_DEFAULTS = {
  threshold: 1024,
  algorithm: 'deflate',
  flag: 8,
  zlibLevel: zlib.constants.Z_DEFAULT_COMPRESSION,
  brotliQuality: 4,
  maxDecompressedLength: 64 * 1024 * 1024,
} as const

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Compresses bytes; a `Left` carries the reason (e.g. an out-of-range level).
 *
 * @example
 * compressBytes('gzip')(new TextEncoder().encode('a'.repeat(100))) // right(<1f 8b ...>)
 * @category utils
 */
export const compressBytes =
  (algorithm: CompressionAlgorithm, level?: number) =>
  (bytes: Uint8Array): E.Either<string, Uint8Array> => {
    try {
      switch (algorithm) {
        case 'deflate':
          return E.right(zlib.deflateSync(bytes, { level: level ?? COMPRESSION_DEFAULTS.zlibLevel }))
        case 'gzip':
          return E.right(zlib.gzipSync(bytes, { level: level ?? COMPRESSION_DEFAULTS.zlibLevel }))
        case 'brotli': {
          const quality = level ?? COMPRESSION_DEFAULTS.brotliQuality
          // The library clamps a bad quality silently; zlib refuses a bad level. Refuse both.
          if (!Number.isInteger(quality) || quality < 0 || quality > 11) {
            return E.left(`cannot brotli-compress the value: quality must be an integer in 0..11, got ${quality}`)
          }
          return E.right(
            zlib.brotliCompressSync(bytes, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
              },
            }),
          )
        }
      }
    } catch (error) {
      return E.left(`cannot ${algorithm}-compress the value: ${reason(error)}`)
    }
  }

/**
 * Decompresses bytes, refusing output longer than `maxLength`; a `Left` carries the reason.
 *
 * @example
 * decompressBytes('deflate')(new Uint8Array([1, 2, 3])) // left('cannot inflate the value (deflate): incorrect header check')
 * @category utils
 */
export const decompressBytes =
  (algorithm: CompressionAlgorithm, maxLength: number = COMPRESSION_DEFAULTS.maxDecompressedLength) =>
  (bytes: Uint8Array): E.Either<string, Uint8Array> => {
    const options = { maxOutputLength: maxLength }
    try {
      switch (algorithm) {
        case 'deflate':
          return E.right(zlib.inflateSync(bytes, options))
        case 'gzip':
          return E.right(zlib.gunzipSync(bytes, options))
        case 'brotli':
          return E.right(zlib.brotliDecompressSync(bytes, options))
      }
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
      return E.left(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `cannot inflate the value (${algorithm}): it would exceed ${maxLength} bytes`
          : `cannot inflate the value (${algorithm}): ${reason(error)}`,
      )
    }
  }

const make = <A>(inner: Serde<A>, options: CompressionOptions): Serde<A> => {
  const threshold = options.threshold ?? COMPRESSION_DEFAULTS.threshold
  const algorithm = options.algorithm ?? COMPRESSION_DEFAULTS.algorithm
  const flag = options.flag ?? COMPRESSION_DEFAULTS.flag
  const compress = compressBytes(algorithm, options.level)
  const decompress = decompressBytes(algorithm, options.maxDecompressedLength)
  const badFlag = isSingleBit(flag)
    ? undefined
    : serdeError(0, `compressed: flag must be a single bit (1, 2, 4, ... 2^31), got ${String(flag)}`)
  return {
    serialize: (value) => {
      if (badFlag !== undefined) return E.left(badFlag)
      return pipe(
        inner.serialize(value),
        E.chain((encoded) => {
          if (hasBits(encoded.flags, flag)) {
            // The reader could not tell "compressed" from the inner serde's own use of the bit.
            return E.left(
              serdeError(encoded.flags, `compressed: the inner serde wrote flags ${encoded.flags}, which use the compression bit ${flag}; pass another \`flag\``),
            )
          }
          if (!(encoded.bytes.length >= threshold)) return E.right(encoded)
          return pipe(
            compress(encoded.bytes),
            E.mapLeft((message) => serdeError(encoded.flags, message)),
            E.map((smaller) =>
              smaller.length < encoded.bytes.length ? { bytes: smaller, flags: setBits(encoded.flags, flag) } : encoded,
            ),
          )
        }),
      )
    },
    deserialize: (encoded) => {
      if (badFlag !== undefined) return E.left(badFlag)
      if (!hasBits(encoded.flags, flag)) return inner.deserialize(encoded)
      return pipe(
        decompress(encoded.bytes),
        E.mapLeft((message) => serdeError(encoded.flags, message)),
        E.chain((bytes) =>
          pipe(
            inner.deserialize({ bytes, flags: clearBits(encoded.flags, flag) }),
            // Report the flags as stored, not as the inner serde saw them.
            E.mapLeft((error) => ({ ...error, flags: encoded.flags })),
          ),
        ),
      )
    },
  }
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Compresses what `inner` writes (see the module notes). Data-first or data-last.
 *
 * Every `Left`: the inner serde's; compression failing (an invalid `level`); the inner serde
 * already using the compression bit; a flag that is not a single bit; bytes marked compressed
 * that do not inflate or inflate past `maxDecompressedLength`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { json } from './json.js'
 * const big = compressed(json, { threshold: 512, algorithm: 'brotli' })
 * const same = pipe(json, compressed({ threshold: 512, algorithm: 'brotli' }))
 * @category combinators
 */
export function compressed<A>(inner: Serde<A>, options?: CompressionOptions): Serde<A>
export function compressed(options?: CompressionOptions): <A>(inner: Serde<A>) => Serde<A>
export function compressed<A>(
  innerOrOptions?: Serde<A> | CompressionOptions,
  options?: CompressionOptions,
): Serde<A> | (<B>(inner: Serde<B>) => Serde<B>) {
  if (innerOrOptions !== undefined && 'serialize' in innerOrOptions) return make(innerOrOptions, options ?? {})
  const given = innerOrOptions ?? {}
  return <B>(inner: Serde<B>) => make(inner, given)
}
