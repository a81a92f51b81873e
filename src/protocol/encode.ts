/**
 * Pure encoders: a `Request` becomes the chunks to write, or a `Left` naming what is wrong.
 *
 * A value is never copied: a storage command is `[header, value, "\r\n"]`, and the length in the
 * header is the value's byte count. Keys and numbers are checked before anything is produced.
 * One encoder per request tag, in one table.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { invalidArgument, invalidKey, valueTooLarge } from './error.js'
import { type MemcacheError } from '../error.js'
import { keyProblem, type KeyOptions } from './key.js'
import type * as R from './request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What goes on the wire for one request, in order. @category model */
export type Chunks = ReadonlyArray<Uint8Array>

/** @category model */
export interface EncodeOptions extends KeyOptions {
  /** Refuse values larger than this many bytes before sending them (memcached's `-I`, 1 MiB by default). */
  readonly maxValueSize?: number
}

/** @category model */
export type Encoder = (request: R.Request) => E.Either<MemcacheError, Chunks>

/**
 * memcached closes a connection whose command line passes 2048 bytes unless it is a `get`/`gets`;
 * `gat`/`gats` lines longer than this are refused here so the caller can split them.
 * @category model
 */
export const MAX_GAT_LINE = 2048

// -------------------------------------------------------------------------------------
// utils (range checks)
// -------------------------------------------------------------------------------------

const CRLF = new Uint8Array([13, 10])
const MAX_U32 = 0xffff_ffff
const MAX_U64 = 0xffff_ffff_ffff_ffffn
const MIN_I32 = -0x8000_0000
const MAX_I32 = 0x7fff_ffff

const fromString = (text: string): Uint8Array => Buffer.from(text, 'utf8')

const checkInteger = (name: string, value: number, min: number, max: number): MemcacheError | undefined =>
  Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : invalidArgument(name, `must be an integer in ${min}..${max}, got ${String(value)}`)

const checkU64 = (name: string, value: bigint): MemcacheError | undefined =>
  typeof value === 'bigint' && value >= 0n && value <= MAX_U64
    ? undefined
    : invalidArgument(name, `must be an unsigned 64-bit integer, got ${String(value)}`)

const checkExptime = (value: number) => checkInteger('exptime', value, MIN_I32, MAX_I32)
const checkFlags = (value: number) => checkInteger('flags', value, 0, MAX_U32)

const checkKey = (key: string, options: KeyOptions): MemcacheError | undefined => {
  const problem = keyProblem(key, options)
  return problem === undefined ? undefined : invalidKey(key, problem)
}

const checkKeys = (keys: ReadonlyArray<string>, options: KeyOptions): MemcacheError | undefined => {
  if (keys.length === 0) return invalidArgument('keys', 'at least one key is needed')
  for (const key of keys) {
    const error = checkKey(key, options)
    if (error !== undefined) return error
  }
  return undefined
}

const firstError = (...errors: ReadonlyArray<MemcacheError | undefined>): MemcacheError | undefined =>
  errors.find((error) => error !== undefined)

const noreplySuffix = (noreply: boolean): string => (noreply ? ' noreply' : '')

const line = (text: string): E.Either<MemcacheError, Chunks> => E.right([fromString(text + '\r\n')])

const orLine = (error: MemcacheError | undefined, text: () => string): E.Either<MemcacheError, Chunks> =>
  error === undefined ? line(text()) : E.left(error)

const withData = (header: string, data: Uint8Array): Chunks =>
  data.length === 0 ? [fromString(header + '\r\n'), CRLF] : [fromString(header + '\r\n'), data, CRLF]

const checkValue = (key: string, value: Uint8Array, options: EncodeOptions): MemcacheError | undefined =>
  options.maxValueSize !== undefined && value.length > options.maxValueSize ? valueTooLarge(key, value.length) : undefined

// -------------------------------------------------------------------------------------
// encoders, one per tag
// -------------------------------------------------------------------------------------

type Encoders = { readonly [K in R.Request['_tag']]: (request: Extract<R.Request, { _tag: K }>, options: EncodeOptions) => E.Either<MemcacheError, Chunks> }

const retrieval = (command: string, keys: ReadonlyArray<string>, options: EncodeOptions) =>
  orLine(checkKeys(keys, options), () => `${command} ${keys.join(' ')}`)

const touchRetrieval = (command: string, exptime: number, keys: ReadonlyArray<string>, options: EncodeOptions) => {
  const error = firstError(checkExptime(exptime), checkKeys(keys, options))
  if (error !== undefined) return E.left(error)
  const text = `${command} ${exptime} ${keys.join(' ')}`
  // Unicode keys go out as UTF-8: the server counts bytes, not UTF-16 code units.
  return Buffer.byteLength(text, 'utf8') + 2 > MAX_GAT_LINE
    ? E.left(invalidArgument('keys', `a ${command} line must stay under ${MAX_GAT_LINE} bytes: split the keys over several requests`))
    : line(text)
}

const encoders: Encoders = {
  Get: (request, options) => retrieval('get', request.keys, options),
  Gets: (request, options) => retrieval('gets', request.keys, options),
  Gat: (request, options) => touchRetrieval('gat', request.exptime, request.keys, options),
  Gats: (request, options) => touchRetrieval('gats', request.exptime, request.keys, options),
  Store: (request, options) => {
    const error = firstError(
      checkKey(request.key, options),
      checkFlags(request.flags),
      checkExptime(request.exptime),
      checkValue(request.key, request.value, options),
    )
    return error !== undefined
      ? E.left(error)
      : E.right(
          withData(
            `${request.command} ${request.key} ${request.flags} ${request.exptime} ${request.value.length}${noreplySuffix(request.noreply)}`,
            request.value,
          ),
        )
  },
  Cas: (request, options) => {
    const error = firstError(
      checkKey(request.key, options),
      checkFlags(request.flags),
      checkExptime(request.exptime),
      checkU64('cas unique', request.cas),
      checkValue(request.key, request.value, options),
    )
    return error !== undefined
      ? E.left(error)
      : E.right(
          withData(
            `cas ${request.key} ${request.flags} ${request.exptime} ${request.value.length} ${request.cas}${noreplySuffix(request.noreply)}`,
            request.value,
          ),
        )
  },
  Delete: (request, options) => orLine(checkKey(request.key, options), () => `delete ${request.key}${noreplySuffix(request.noreply)}`),
  Incr: (request, options) =>
    orLine(
      firstError(checkKey(request.key, options), checkU64('delta', request.delta)),
      () => `incr ${request.key} ${request.delta}${noreplySuffix(request.noreply)}`,
    ),
  Decr: (request, options) =>
    orLine(
      firstError(checkKey(request.key, options), checkU64('delta', request.delta)),
      () => `decr ${request.key} ${request.delta}${noreplySuffix(request.noreply)}`,
    ),
  Touch: (request, options) =>
    orLine(
      firstError(checkKey(request.key, options), checkExptime(request.exptime)),
      () => `touch ${request.key} ${request.exptime}${noreplySuffix(request.noreply)}`,
    ),
  Stats: (request) => line(request.argument === undefined ? 'stats' : `stats ${request.argument}`),
  FlushAll: (request) =>
    orLine(
      request.delay === undefined ? undefined : checkInteger('delay', request.delay, 0, MAX_I32),
      () => `flush_all${request.delay === undefined ? '' : ` ${request.delay}`}${noreplySuffix(request.noreply)}`,
    ),
  Version: () => line('version'),
  Verbosity: (request) =>
    orLine(checkInteger('verbosity level', request.level, 0, MAX_I32), () => `verbosity ${request.level}${noreplySuffix(request.noreply)}`),
  CacheMemlimit: (request) =>
    orLine(
      checkInteger('cache_memlimit megabytes', request.megabytes, 1, MAX_I32),
      () => `cache_memlimit ${request.megabytes}${noreplySuffix(request.noreply)}`,
    ),
  Quit: () => line('quit'),
  Shutdown: (request) => line(request.graceful ? 'shutdown graceful' : 'shutdown'),
  Raw: (request) => {
    if (request.line.length === 0 || /[\r\n]/.test(request.line)) {
      return E.left(invalidArgument('raw line', 'must be non-empty and hold no CR or LF'))
    }
    return request.data === undefined ? line(request.line) : E.right(withData(request.line, request.data))
  },
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * An encoder with options (unicode keys, a client-side value size limit).
 *
 * @example
 * const encodeUnicode = makeEncoder({ allowUnicodeKeys: true })
 * encodeUnicode(get(['clé']))
 * @category constructors
 */
export const makeEncoder =
  (options: EncodeOptions = {}): Encoder =>
  (request) =>
    (encoders[request._tag] as (request: R.Request, options: EncodeOptions) => E.Either<MemcacheError, Chunks>)(request, options)

/**
 * Encodes with the default rules (ASCII keys, no client-side size limit).
 *
 * @example
 * import { set } from './request.js'
 * encode(set('k', new TextEncoder().encode('hi')))
 * // right([bytes('set k 0 0 2\r\n'), bytes('hi'), bytes('\r\n')])
 * @category utils
 */
export const encode: Encoder = makeEncoder()
