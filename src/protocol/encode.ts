/**
 * Pure encoders: a `Request` becomes the chunks to write, or a `Left` naming what is wrong.
 *
 * A value is never copied: a storage command is `[header, value, "\r\n"]`, and the length in the
 * header is the value's byte count. Keys and numbers are checked before anything is produced.
 * A request's key `prefix` is written before each key and checked with it: the key rules hold for
 * the whole, and the 250-byte limit counts the prefix, but a refusal names the caller's key.
 * One encoder per request tag, in one table.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { invalidArgument, valueTooLarge } from './error.js'
import { type MemcacheError } from '../error.js'
import { describeValue } from '../describe.js'
import { keyError, prefixProblem, type KeyOptions } from './key.js'
import type * as R from './request.js'
import { isMetaRequest, type MetaRequest } from './meta.js'
import { encodeMeta } from './meta-encode.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What goes on the wire for one request, in order. @category model */
export type Chunks = ReadonlyArray<Uint8Array>

/**
 * Options of `makeEncoder`: the key rules and the largest value sent.
 * @category model
 */
export interface EncodeOptions extends KeyOptions {
  /** Refuse values larger than this many bytes before sending them (memcached's `-I`, 1 MiB by default). */
  readonly maxValueSize?: number
}

/**
 * Writes one request as the chunks that go on the wire, or refuses it (bad key, value too large).
 * @category model
 */
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

const checkInteger = (name: string, value: number, min: number, max: number, meaning = ''): MemcacheError | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : invalidArgument(name, `must be an integer in ${min}..${max}${meaning}, got ${describeValue(value)}`)

const checkCasUnique = (value: bigint): MemcacheError | undefined => {
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return undefined
  const reason =
    typeof value === 'bigint'
      ? `must be in 0..${MAX_U64} (a cas unique is an unsigned 64-bit number), got ${value}n: pass the cas that gets or gats returned, unchanged`
      : typeof value === 'number'
        ? `must be a bigint (as gets returned it), got the number ${value}: pass the cas that gets or gats returned, unchanged ` +
          '(a number cannot hold every cas unique: they pass 2^53, where numbers lose precision)'
        : `must be a bigint (as gets returned it), got ${describeValue(value)}: pass the cas that gets or gats returned, unchanged`
  return invalidArgument('cas unique', reason)
}

const checkDelta = (command: 'incr' | 'decr', value: bigint): MemcacheError | undefined => {
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return undefined
  const reason =
    typeof value !== 'bigint'
      ? `${command} takes a bigint delta in 0..${MAX_U64}, got ${describeValue(value)}` +
        (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? `: pass ${value}n` : '')
      : value < 0n
        ? `must not be negative, got ${value}n: incr adds and decr subtracts, both with a delta of 0 or more`
        : `must be at most ${MAX_U64} (memcached counters are unsigned 64-bit), got ${value}n`
  return invalidArgument('delta', reason)
}

const checkExptime = (value: number) =>
  checkInteger('exptime', value, MIN_I32, MAX_I32, ' (seconds from now up to 30 days, a Unix time in seconds after that, 0 for never, negative to expire at once)')
const checkFlags = (value: number) => checkInteger('flags', value, 0, MAX_U32)

/** The last prefix found valid, and under which unicode rule: a client sends one prefix on every request. */
let validPrefix: { readonly prefix: string; readonly allowUnicodeKeys: boolean } | undefined

const checkPrefix = (prefix: string, options: KeyOptions): MemcacheError | undefined => {
  const allowUnicodeKeys = options.allowUnicodeKeys === true
  if (validPrefix !== undefined && validPrefix.prefix === prefix && validPrefix.allowUnicodeKeys === allowUnicodeKeys) return undefined
  const problem = prefixProblem(prefix, options)
  if (problem !== undefined) return invalidArgument('keyPrefix', `${JSON.stringify(prefix)}: ${problem}`)
  validPrefix = { prefix, allowUnicodeKeys }
  return undefined
}

/** `key` as the caller wrote it, checked as `prefix + key` (the prefix itself already checked). */
const checkOneKey = (key: string, prefix: string, options: KeyOptions): MemcacheError | undefined =>
  (prefix === '' ? undefined : checkPrefix(prefix, options)) ?? keyError(key, prefix, options)

const checkKeys = (keys: ReadonlyArray<string>, prefix: string, options: KeyOptions): MemcacheError | undefined => {
  if (keys.length === 0) return invalidArgument('keys', 'at least one key is needed')
  if (prefix !== '') {
    const error = checkPrefix(prefix, options)
    if (error !== undefined) return error
  }
  for (const key of keys) {
    const error = keyError(key, prefix, options)
    if (error !== undefined) return error
  }
  return undefined
}

/** The keys of a retrieval line, each after the prefix. */
const keyList = (keys: ReadonlyArray<string>, prefix: string): string => (prefix === '' ? keys.join(' ') : prefix + keys.join(' ' + prefix))

const firstError = (...errors: ReadonlyArray<MemcacheError | undefined>): MemcacheError | undefined =>
  errors.find((error) => error !== undefined)

const noreplySuffix = (noreply: boolean): string => (noreply ? ' noreply' : '')

const line = (text: string): E.Either<MemcacheError, Chunks> => E.right([fromString(text + '\r\n')])

const orLine = (error: MemcacheError | undefined, text: () => string): E.Either<MemcacheError, Chunks> =>
  error === undefined ? line(text()) : E.left(error)

const withData = (header: string, data: Uint8Array): Chunks =>
  data.length === 0 ? [fromString(header + '\r\n'), CRLF] : [fromString(header + '\r\n'), data, CRLF]

const wireKey = (request: R.SingleKey): string => (request.prefix === undefined ? request.key : request.prefix + request.key)

const checkValue = (key: string, value: Uint8Array, options: EncodeOptions): MemcacheError | undefined =>
  options.maxValueSize !== undefined && value.length > options.maxValueSize ? valueTooLarge(key, value.length, options.maxValueSize) : undefined

// -------------------------------------------------------------------------------------
// encoders, one per tag
// -------------------------------------------------------------------------------------

type Encoders = { readonly [K in Exclude<R.Request, MetaRequest>['_tag']]: (request: Extract<R.Request, { _tag: K }>, options: EncodeOptions) => E.Either<MemcacheError, Chunks> }

const retrieval = (command: string, request: R.Get | R.Gets, options: EncodeOptions) => {
  const prefix = request.prefix ?? ''
  return orLine(checkKeys(request.keys, prefix, options), () => `${command} ${keyList(request.keys, prefix)}`)
}

const touchRetrieval = (command: string, request: R.Gat | R.Gats, options: EncodeOptions) => {
  const prefix = request.prefix ?? ''
  const error = firstError(checkExptime(request.exptime), checkKeys(request.keys, prefix, options))
  if (error !== undefined) return E.left(error)
  const text = `${command} ${request.exptime} ${keyList(request.keys, prefix)}`
  // Unicode keys go out as UTF-8: the server counts bytes, not UTF-16 code units.
  return Buffer.byteLength(text, 'utf8') + 2 > MAX_GAT_LINE
    ? E.left(invalidArgument('keys', `a ${command} line must stay under ${MAX_GAT_LINE} bytes: split the keys over several requests`))
    : line(text)
}

const encoders: Encoders = {
  Get: (request, options) => retrieval('get', request, options),
  Gets: (request, options) => retrieval('gets', request, options),
  Gat: (request, options) => touchRetrieval('gat', request, options),
  Gats: (request, options) => touchRetrieval('gats', request, options),
  Store: (request, options) => {
    const error = firstError(
      checkOneKey(request.key, request.prefix ?? '', options),
      checkFlags(request.flags),
      checkExptime(request.exptime),
      checkValue(request.key, request.value, options),
    )
    return error !== undefined
      ? E.left(error)
      : E.right(
          withData(
            `${request.command} ${wireKey(request)} ${request.flags} ${request.exptime} ${request.value.length}${noreplySuffix(request.noreply)}`,
            request.value,
          ),
        )
  },
  Cas: (request, options) => {
    const error = firstError(
      checkOneKey(request.key, request.prefix ?? '', options),
      checkFlags(request.flags),
      checkExptime(request.exptime),
      checkCasUnique(request.cas),
      checkValue(request.key, request.value, options),
    )
    return error !== undefined
      ? E.left(error)
      : E.right(
          withData(
            `cas ${wireKey(request)} ${request.flags} ${request.exptime} ${request.value.length} ${request.cas}${noreplySuffix(request.noreply)}`,
            request.value,
          ),
        )
  },
  Delete: (request, options) => orLine(checkOneKey(request.key, request.prefix ?? '', options), () => `delete ${wireKey(request)}${noreplySuffix(request.noreply)}`),
  Incr: (request, options) =>
    orLine(
      firstError(checkOneKey(request.key, request.prefix ?? '', options), checkDelta('incr', request.delta)),
      () => `incr ${wireKey(request)} ${request.delta}${noreplySuffix(request.noreply)}`,
    ),
  Decr: (request, options) =>
    orLine(
      firstError(checkOneKey(request.key, request.prefix ?? '', options), checkDelta('decr', request.delta)),
      () => `decr ${wireKey(request)} ${request.delta}${noreplySuffix(request.noreply)}`,
    ),
  Touch: (request, options) =>
    orLine(
      firstError(checkOneKey(request.key, request.prefix ?? '', options), checkExptime(request.exptime)),
      () => `touch ${wireKey(request)} ${request.exptime}${noreplySuffix(request.noreply)}`,
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
  ConfigGet: (request, options) => orLine(keyError(request.key, '', options), () => `config get ${request.key}`),
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
    isMetaRequest(request)
      ? encodeMeta(request, options)
      : (encoders[request._tag] as (request: R.Request, options: EncodeOptions) => E.Either<MemcacheError, Chunks>)(request, options)

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
