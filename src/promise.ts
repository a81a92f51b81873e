/**
 * The Promise client: the client for code that does not use fp-ts, shaped like what users of
 * memjs, the `memcached` package and pymemcache expect.
 *
 * - A miss is `undefined`, a hit the plain value: `if (await cache.get(key))` is false on a miss.
 * - Results are plain data: booleans, numbers, strings, plain objects. No `Option`, no `_tag`.
 * - Failures reject with a `MemcacheException`, an `Error` with the error's `_tag` and fields.
 * - Nothing throws synchronously, whatever plain JavaScript passes (`get(123)`, `set('k')`, an
 *   options object with a misspelled name): every method returns a Promise, and bad arguments
 *   reject it with an `InvalidKey`, `InvalidArgument` or `SerdeError` before any I/O.
 * - `close()` never rejects.
 *
 * Integers that may pass 2^53 (`incr`/`decr` results, `stats` counters) follow one rule: a
 * `number` while it is a safe integer (up to `Number.MAX_SAFE_INTEGER`, 2^53 − 1), the exact
 * `bigint` past it. A counter that has really been incremented is never reported as an error, and
 * never rounded; below 2^53 — any counter of hits, views or stock — it is always a `number`.
 *
 * The fp API is unchanged: `toPromises` wraps a `Client` from `createClient`, whose `TaskEither`
 * methods stay usable beside it.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { bindCommands, createClient, type Client, type ClientOptions } from './client.js'
import type { FlushAllOptions, ShutdownOptions } from './commands/admin.js'
import { toDelta, type Delta } from './commands/arithmetic.js'
import { PROTOCOLS, type NoreplyOption } from './commands/command.js'
import { commands, type ReadOptions, type UpdateOptions, type WriteOptions } from './commands/commands.js'
import type { CounterOptions } from './commands/meta.js'
import type { GetOrComputeError, GetOrComputeOptions, InvalidateOptions } from './commands/stampede.js'
import { metaStampede } from './commands/stampede-meta.js'
import type { MetaArithmeticMode, MetaKey } from './protocol/meta.js'
import type { Versioned } from './commands/retrieval.js'
import type { GeneralStats, SettingsStats, StatRecord } from './commands/stats.js'
import type { CasResult } from './commands/storage.js'
import { describeValue } from './describe.js'
import type { MemcacheError } from './error.js'
import { isMemcacheException, toException, type MemcacheException } from './exception.js'
import { invalidArgument, invalidKey } from './protocol/error.js'
import type { Serde } from './serde/serde.js'
import { serdeError } from './serde/error.js'
import { timeout } from './transport/error.js'
import { text } from './serde/text.js'
import type { CallOptions } from './transport/context.js'
import type { Transport } from './transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * An integer the server keeps as 64 bits: a `number` while `Number.isSafeInteger` holds, the
 * exact `bigint` past 2^53 − 1.
 *
 * @example
 * const views = await cache.incr('views', 1) // 42, or 9007199254740993n past 2^53 − 1
 * const shown = typeof views === 'bigint' ? views.toString() : String(views ?? 0)
 * @category model
 */
export type Counter = number | bigint

/**
 * The cas unique for `cas`: the `bigint` `gets` returned; its decimal string (what
 * `JSON.stringify` writes for it); or a safe integer `number`.
 *
 * @example
 * const { cas } = JSON.parse(JSON.stringify(await cache.gets('k'))) // cas: '12'
 * await cache.cas('k', 'next', cas) // true
 * @category model
 */
export type CasUnique = bigint | string | number

/**
 * Entries for `setMany`: a `Map`, `[key, value]` pairs, or a plain object.
 *
 * @example
 * await cache.setMany({ a: '1', b: '2' }) // []
 * @category model
 */
export type PlainEntries<A> = ReadonlyMap<string, A> | ReadonlyArray<readonly [string, A]> | Readonly<Record<string, A>>

/**
 * Found keys and their values: an object with no prototype (a key named `constructor` or
 * `__proto__` is data, and nothing inherited reads as a hit), misses absent. An object rather than
 * a `Map` so that `JSON.stringify` and destructuring work, as with `memcached`'s `getMulti`;
 * integer-like keys enumerate first, in numeric order, as in any object.
 *
 * @example
 * const { a, b } = await cache.getMany(['a', 'b']) // b undefined when missing
 * @category model
 */
export type Found<B> = Readonly<Record<string, B>>

/**
 * A stats value as the Promise client gives it: integers as `Counter`s.
 *
 * @example
 * type Items = PlainStatValue<bigint> // number | bigint
 * @category model
 */
export type PlainStatValue<V> = V extends bigint ? Counter : V

/**
 * A stats record with its integers as `Counter`s, the well-known fields typed.
 *
 * @example
 * const { curr_items, version } = await cache.stats() // 3, '1.6.18'
 * @category model
 */
export type PlainStats<T = StatRecord> = { readonly [K in keyof T]: PlainStatValue<T[K]> }

/**
 * `stats slabs`: per slab class id, and the totals.
 *
 * @example
 * const { classes, totals } = await cache.statsSlabs() // classes['1'].chunk_size: 96
 * @category model
 */
export interface PlainSlabsStats {
  readonly classes: Found<PlainStats>
  readonly totals: PlainStats
}

/**
 * `stats sizes`: item counts by size bucket (bytes); `enabled` needs `memcached -o track_sizes`.
 *
 * @example
 * const { enabled, sizes } = await cache.statsSizes() // false, {}
 * @category model
 */
export interface PlainSizesStats {
  readonly enabled: boolean
  readonly sizes: Found<Counter>
}

/**
 * Options of the Promise client's `getOrSet`.
 *
 * @example
 * const options: PromiseGetOrSetOptions = { exptime: 300, timeout: 50, onCacheError: (e, during) => log.warn(during, e) }
 * @category model
 */
export interface PromiseGetOrSetOptions extends CallOptions {
  /** Seconds the computed value lives in the cache; 0 (default) means no expiry. */
  readonly exptime?: number
  /** Called with every cache failure that was worked around; what it throws is ignored. */
  readonly onCacheError?: (error: MemcacheException, during: 'get' | 'set') => void
}

/**
 * Options of the Promise client's `counter`.
 *
 * @example
 * await cache.counter('visits', 1, { initial: 0, ttl: 86_400 }) // 0 when created, then 1, 2...
 * @category model
 */
export interface PromiseCounterOptions extends CallOptions {
  /** Create a missing counter with this value (a non-negative safe integer or a `bigint`). */
  readonly initial?: Delta
  /** Seconds a created counter lives; also set on every count. */
  readonly ttl?: number
  /** `'incr'` (default) or `'decr'`. */
  readonly mode?: MetaArithmeticMode
}

/**
 * The client with Promise methods and plain results. Every method takes its `CallOptions`
 * (`signal`, `timeout`, `retry`) last, inside its options object.
 *
 * @example
 * const cache = createPromiseClient({ servers: '127.0.0.1:11211' })
 * await cache.set('greeting', 'hello', { exptime: 60 }) // true
 * await cache.get('greeting') // 'hello'
 * await cache.get('nothing') // undefined
 * await cache.close()
 * @category model
 */
export interface PromiseClient<A> {
  /** The value, or `undefined` on a miss. (With a serde that can store `undefined`, such as v8, use `gets` to tell.) */
  readonly get: (key: MetaKey, options?: ReadOptions) => Promise<A | undefined>
  /** The keys found, each once, as a prototype-less object; misses are absent. No I/O for `[]`. */
  readonly getMany: (keys: ReadonlyArray<string>, options?: ReadOptions) => Promise<Found<A>>
  /** `{ value, cas }`, or `undefined` on a miss; `cas` is a `bigint` to pass to `cas`. `JSON.stringify` writes `cas` as a string. */
  readonly gets: (key: MetaKey, options?: ReadOptions) => Promise<Versioned<A> | undefined>
  /** `{ value, cas }` by key for the keys found. */
  readonly getsMany: (keys: ReadonlyArray<string>, options?: ReadOptions) => Promise<Found<Versioned<A>>>
  /** `get`, and the expiry set to `exptime`. */
  readonly gat: (key: MetaKey, exptime: number, options?: ReadOptions) => Promise<A | undefined>
  /** `getMany`, and the expiry of each key found set to `exptime`. */
  readonly gatMany: (keys: ReadonlyArray<string>, exptime: number, options?: ReadOptions) => Promise<Found<A>>
  /** `gets`, and the expiry set to `exptime`. */
  readonly gats: (key: MetaKey, exptime: number, options?: ReadOptions) => Promise<Versioned<A> | undefined>
  /** `getsMany`, and the expiry of each key found set to `exptime`. */
  readonly gatsMany: (keys: ReadonlyArray<string>, exptime: number, options?: ReadOptions) => Promise<Found<Versioned<A>>>
  /** Stores the value: `true`. */
  readonly set: (key: MetaKey, value: A, options?: WriteOptions) => Promise<boolean>
  /** Stores only if the key is absent: `false` when it exists. */
  readonly add: (key: MetaKey, value: A, options?: WriteOptions) => Promise<boolean>
  /** Stores only if the key exists: `false` when it is absent. */
  readonly replace: (key: MetaKey, value: A, options?: WriteOptions) => Promise<boolean>
  /** Adds bytes after the stored value (flags and expiry kept): `false` when the key is absent. */
  readonly append: (key: MetaKey, value: A, options?: WriteOptions) => Promise<boolean>
  /** Adds bytes before the stored value: `false` when the key is absent. */
  readonly prepend: (key: MetaKey, value: A, options?: WriteOptions) => Promise<boolean>
  /** Several `set`s pipelined: the keys that were not stored (`[]` when all were). */
  readonly setMany: (entries: PlainEntries<A>, options?: WriteOptions) => Promise<ReadonlyArray<string>>
  /**
   * Stores only if the item is unchanged since the `gets` that gave `cas`: `true` stored; `false`
   * someone changed it since (read again and retry); `undefined` the key is gone. With
   * `noreply`: `true`. Like pymemcache's `cas` (True / False / None).
   */
  readonly cas: (key: MetaKey, value: A, cas: CasUnique, options?: WriteOptions) => Promise<boolean | undefined>
  /** `true` when the key existed. */
  readonly delete: (key: MetaKey, options?: UpdateOptions) => Promise<boolean>
  /** The keys that were not there. */
  readonly deleteMany: (keys: ReadonlyArray<string>, options?: UpdateOptions) => Promise<ReadonlyArray<string>>
  /** Sets a new expiry: `true` when the key exists. */
  readonly touch: (key: MetaKey, exptime: number, options?: UpdateOptions) => Promise<boolean>
  /**
   * Adds `delta` (a non-negative safe integer or a `bigint`) to the counter: its new value, or
   * `undefined` when the key is missing (memcached does not create it: `add` a start value
   * first). The value is a `number` up to 2^53 − 1 and the exact `bigint` past it (memcached
   * counts to 2^64 − 1, then wraps to 0). With `noreply`: `undefined`.
   */
  readonly incr: (key: MetaKey, delta: Delta, options?: UpdateOptions) => Promise<Counter | undefined>
  /** Subtracts `delta`, stopping at 0: the new value, as `incr` gives it, or `undefined` when missing. */
  readonly decr: (key: MetaKey, delta: Delta, options?: UpdateOptions) => Promise<Counter | undefined>
  /**
   * A counter in one request, over the meta protocol (memcached 1.6.10+): adds `delta` (default
   * 1; subtracts with `mode: 'decr'`), creating the counter at `initial` to live `ttl` seconds
   * when it is missing and `initial` is given. The new value as `incr` gives it, or `undefined`
   * on a miss without `initial`.
   */
  readonly counter: (key: MetaKey, delta?: Delta, options?: PromiseCounterOptions) => Promise<Counter | undefined>
  /**
   * Cache-aside: the cached value, or `compute()`'s, stored for `exptime` seconds. Only on a miss
   * is `compute` called. A cache that fails (down, slow, a value it cannot read or write) is
   * worked around — the value is computed, or returned unstored — and reported to
   * `onCacheError`; the caller's own mistakes (`InvalidKey`, `InvalidArgument`) and its `signal`
   * (`Aborted`) reject. What `compute` throws or rejects with rejects, unchanged.
   */
  readonly getOrSet: (key: string, compute: () => A | PromiseLike<A>, options?: PromiseGetOrSetOptions) => Promise<A>
  /**
   * Stampede protection (memcached 1.6.10+; see `makeStampede`): the cached value, or `compute()`'s
   * (a value or a Promise of it), computed by one caller however many ask at once, in however many
   * processes; the others wait for it, or are served the value being recached or invalidated.
   * Options: `ttl` (required, seconds), `lockTtl`, `recacheBefore`, `maxWait`, `backoff`,
   * `afterWait`, `onOutcome`, and `signal`/`timeout`/`retry`. Cache failures reject with a
   * `MemcacheException` (no cache, no lock: nothing is computed); what `compute` throws or
   * rejects with rejects unchanged; a wait for another caller's fill beyond `maxWait` rejects with
   * a `Timeout` exception (`request: 'getOrCompute'`) whose message says so.
   */
  readonly getOrCompute: (key: string, compute: () => A | PromiseLike<A>, options: GetOrComputeOptions) => Promise<A>
  /** Marks the value stale (`md <key> I T<staleFor>`): one reader recomputes it, the others are served it meanwhile. `false`: no such key. */
  readonly invalidate: (key: string, options?: InvalidateOptions) => Promise<boolean>
  /** General statistics; integers as `Counter`s. */
  readonly stats: (options?: CallOptions) => Promise<PlainStats<GeneralStats>>
  /** `stats settings`. */
  readonly statsSettings: (options?: CallOptions) => Promise<PlainStats<SettingsStats>>
  /** `stats items`, by slab class id. */
  readonly statsItems: (options?: CallOptions) => Promise<Found<PlainStats>>
  /** `stats slabs`. */
  readonly statsSlabs: (options?: CallOptions) => Promise<PlainSlabsStats>
  /** `stats sizes`. */
  readonly statsSizes: (options?: CallOptions) => Promise<PlainSizesStats>
  /** `stats conns`, by file descriptor. */
  readonly statsConns: (options?: CallOptions) => Promise<Found<PlainStats>>
  /** `stats reset`. */
  readonly statsReset: (options?: CallOptions) => Promise<void>
  /** Invalidates every item, now or after `delay` seconds. */
  readonly flushAll: (options?: FlushAllOptions) => Promise<void>
  /** The server's version string. */
  readonly version: (options?: CallOptions) => Promise<string>
  readonly verbosity: (level: number, options?: NoreplyOption) => Promise<void>
  readonly cacheMemlimit: (megabytes: number, options?: NoreplyOption) => Promise<void>
  /** The server closes the connection; the next command opens a new one. */
  readonly quit: (options?: CallOptions) => Promise<void>
  /** Stops the server (needs `memcached -A`). */
  readonly shutdown: (options?: ShutdownOptions) => Promise<void>
  /** The composed transport, for the fp commands (`raw`, meta commands, `ReaderTaskEither` pipelines). */
  readonly transport: Transport
  /** Closes every socket and timer at once; never rejects. Later calls reject with `ConnectionClosed`. */
  readonly close: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** What was thrown, as text: an `Error`'s name and message, else its description. */
const thrownText = (thrown: unknown): string => {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`
  return typeof thrown === 'string' ? thrown : describeValue(thrown)
}

const reject = (error: MemcacheError): Promise<never> => Promise.reject(toException(error))

const unserializable = (cause: unknown): MemcacheError => serdeError(0, `the value could not be serialized: ${thrownText(cause)}`)
const unreadable = (cause: unknown): MemcacheError => serdeError(0, `a value could not be read: ${thrownText(cause)}`)
const unusable =
  (method: string) =>
  (cause: unknown): MemcacheError =>
    invalidArgument('arguments', `${method} could not run with them: ${thrownText(cause)}`)

/** How the type of each known option is checked. */
type OptionKind = 'number' | 'boolean' | 'string' | 'object' | 'signal' | 'function' | 'protocol' | 'mode' | 'integer'
type OptionSpec = Readonly<Record<string, OptionKind>>

const CALL: OptionSpec = { signal: 'signal', timeout: 'number', retry: 'boolean' }
const NOREPLY: OptionSpec = { ...CALL, noreply: 'boolean' }
const READ: OptionSpec = { ...CALL, protocol: 'protocol' }
const UPDATE: OptionSpec = { ...NOREPLY, protocol: 'protocol' }
const STORE: OptionSpec = { ...UPDATE, exptime: 'number' }
const COUNTER: OptionSpec = { ...CALL, initial: 'integer', ttl: 'number', mode: 'mode' }
const FLUSH: OptionSpec = { ...NOREPLY, delay: 'number' }
const SHUTDOWN: OptionSpec = { ...CALL, graceful: 'boolean' }
const GET_OR_SET: OptionSpec = { ...CALL, exptime: 'number', onCacheError: 'function' }
const GET_OR_COMPUTE: OptionSpec = {
  ...CALL,
  ttl: 'number',
  lockTtl: 'number',
  recacheBefore: 'number',
  maxWait: 'number',
  backoff: 'object',
  afterWait: 'string',
  onOutcome: 'function',
}
const INVALIDATE: OptionSpec = { ...CALL, staleFor: 'number' }

/** Names other clients use for what is `exptime` here (memjs `expires`, memcached `lifetime`...). */
const EXPTIME_ALIASES: ReadonlySet<string> = new Set(['expires', 'expire', 'expiry', 'expiration', 'lifetime', 'ttl'])

const WANTED: Readonly<Record<OptionKind, string>> = {
  number: 'a number',
  boolean: 'a boolean',
  string: 'a string',
  object: 'an object',
  signal: 'an AbortSignal',
  function: 'a function',
  protocol: PROTOCOLS.map((name) => JSON.stringify(name)).join(' or '),
  mode: '"incr" or "decr"',
  integer: 'a safe integer or a bigint',
}

const hasKind = (value: unknown, kind: OptionKind): boolean => {
  switch (kind) {
    case 'signal':
      return value instanceof AbortSignal
    case 'object':
      return typeof value === 'object' && value !== null
    case 'protocol':
      return (PROTOCOLS as ReadonlyArray<unknown>).includes(value)
    case 'mode':
      return value === 'incr' || value === 'decr'
    case 'integer':
      return typeof value === 'bigint' || Number.isSafeInteger(value)
    default:
      return typeof value === kind
  }
}

/**
 * A `getOrCompute` error as the Promise client rejects: what `compute` threw, unchanged; a cache
 * error as its exception; a lock wait past `maxWait` as a `Timeout` of `getOrCompute`.
 */
const computeRejection = <A>(error: GetOrComputeError<unknown, A>): unknown => {
  switch (error._tag) {
    case 'ComputeThrew':
      return error.thrown
    case 'ComputeFailed':
      return error.error
    case 'LockWaitExceeded':
      return toException({ ...timeout(error.waitedMs, 'getOrCompute', 'stampede'), message: error.message })
    default:
      return toException(error)
  }
}

/**
 * Why `options` cannot be `method`'s options, or `undefined`. `undefined` and `null` are no
 * options; a name the method does not know is refused (a misspelled `exptime` must not store
 * forever), with the right name when it is another client's.
 */
const optionsProblem = (method: string, spec: OptionSpec, options: unknown): MemcacheError | undefined => {
  if (options === undefined || options === null) return undefined
  const known = Object.keys(spec)
  if (typeof options !== 'object' || Array.isArray(options)) {
    const example = 'exptime' in spec ? '{ exptime: 60 }' : `{ ${known[0] ?? 'timeout'}: ... }`
    return invalidArgument('options', `${method} takes its options as an object such as ${example}, got ${describeValue(options)}`)
  }
  for (const [name, value] of Object.entries(options)) {
    const kind = spec[name]
    if (kind === undefined) {
      const hint = EXPTIME_ALIASES.has(name) && 'exptime' in spec ? ` (the expiry is called exptime here, in seconds)` : ''
      return invalidArgument('options', `${method} has no option ${JSON.stringify(name)}${hint}; it takes ${known.join(', ')}`)
    }
    if (value !== undefined && !hasKind(value, kind)) {
      const wanted = WANTED[kind]
      return invalidArgument(name, `must be ${wanted}, got ${describeValue(value)}`)
    }
  }
  return undefined
}

/** `null` options are no options, for the layers below. */
const optionsOf = <O>(options: unknown): O | undefined => (options === null || options === undefined ? undefined : (options as O))

const keyProblem = (key: unknown): MemcacheError | undefined =>
  typeof key === 'string' ? undefined : invalidKey(typeof key === 'number' || typeof key === 'bigint' ? String(key) : describeValue(key), `a key must be a string, got ${describeValue(key)}`)

/** A single-key command's key: a string, or bytes (judged by the command: meta takes them, text says how). */
const singleKeyProblem = (key: unknown): MemcacheError | undefined => (key instanceof Uint8Array ? undefined : keyProblem(key))

const keysProblem = (keys: unknown): MemcacheError | undefined => {
  if (!Array.isArray(keys)) return invalidArgument('keys', `must be an array of key strings, got ${describeValue(keys)}`)
  for (const key of keys as ReadonlyArray<unknown>) {
    const problem = keyProblem(key)
    if (problem !== undefined) return problem
  }
  return undefined
}

const exptimeProblem = (exptime: unknown): MemcacheError | undefined =>
  typeof exptime === 'number' ? undefined : invalidArgument('exptime', `must be a number of seconds (or a unix time), got ${describeValue(exptime)}`)

const numberProblem = (name: string, value: unknown): MemcacheError | undefined =>
  typeof value === 'number' ? undefined : invalidArgument(name, `must be a number, got ${describeValue(value)}`)

const firstProblem = (...problems: ReadonlyArray<MemcacheError | undefined>): MemcacheError | undefined => problems.find((problem) => problem !== undefined)

/**
 * The first problem `checks` finds with `method`'s arguments. Checking reads what plain
 * JavaScript passed (an options object's getters, a `Map`'s iterator), which may itself throw:
 * that is a problem with the arguments too.
 */
const problemIn = (method: string, checks: () => ReadonlyArray<MemcacheError | undefined>): MemcacheError | undefined => {
  try {
    return firstProblem(...checks())
  } catch (cause) {
    return unusable(method)(cause)
  }
}

/** What `read` makes of `method`'s arguments; what it throws is a problem with them. */
const readIn = <T>(method: string, read: () => E.Either<MemcacheError, T>): E.Either<MemcacheError, T> => {
  try {
    return read()
  } catch (cause) {
    return E.left(unusable(method)(cause))
  }
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn
const DECIMAL = /^\d+$/

/** The cas unique as a `bigint`, or why not: a bigint, its decimal string, or a safe integer. */
const toCasUnique = (cas: unknown): E.Either<MemcacheError, bigint> => {
  const unique =
    typeof cas === 'bigint' ? cas : typeof cas === 'string' && DECIMAL.test(cas) ? BigInt(cas) : typeof cas === 'number' && Number.isSafeInteger(cas) ? BigInt(cas) : undefined
  return unique !== undefined && unique >= 0n && unique <= MAX_U64
    ? E.right(unique)
    : E.left(invalidArgument('cas', `pass the cas that gets returned (a bigint, or its decimal string), got ${describeValue(cas)}`))
}

/** `setMany`'s entries as pairs, or why not. */
const toPairs = <A>(entries: unknown): E.Either<MemcacheError, ReadonlyArray<readonly [string, A]>> => {
  const pairs: Array<readonly [string, A]> = []
  if (entries instanceof Map) {
    for (const [key, value] of entries as ReadonlyMap<unknown, A>) {
      const problem = keyProblem(key)
      if (problem !== undefined) return E.left(problem)
      pairs.push([key as string, value])
    }
  } else if (Array.isArray(entries)) {
    for (const entry of entries as ReadonlyArray<unknown>) {
      if (!Array.isArray(entry) || entry.length !== 2) return E.left(invalidArgument('entries', `each entry must be a [key, value] pair, got ${describeValue(entry)}`))
      const [key, value] = entry as unknown as readonly [unknown, A]
      const problem = keyProblem(key)
      if (problem !== undefined) return E.left(problem)
      pairs.push([key as string, value])
    }
  } else if (typeof entries === 'object' && entries !== null) {
    for (const [key, value] of Object.entries(entries as Readonly<Record<string, A>>)) pairs.push([key, value])
  } else {
    return E.left(invalidArgument('entries', `must be a Map, an array of [key, value] pairs or an object, got ${describeValue(entries)}`))
  }
  return E.right(pairs)
}

/**
 * Runs `start`'s task: its `Right`, or a rejection with its `Left` as a `MemcacheException`.
 * Something thrown on the way (a serde or a transport that throws, a plain-JavaScript argument
 * the command chokes on) becomes the error `thrown` names, so a rejection is always a
 * `MemcacheException`.
 */
const settle = async <R>(start: () => TE.TaskEither<MemcacheError, R>, thrown: (cause: unknown) => MemcacheError): Promise<R> => {
  let result: E.Either<MemcacheError, R>
  try {
    result = await start()()
  } catch (cause) {
    return reject(thrown(cause))
  }
  return E.isRight(result) ? result.right : reject(result.left)
}

/** A prototype-less object of `entries`: a key such as `constructor` or `__proto__` is data, not inherited. */
const toFound = <B, C>(entries: Iterable<readonly [string | number, B]>, f: (value: B) => C): Found<C> => {
  const found: Record<string, C> = Object.create(null) as Record<string, C>
  for (const [key, value] of entries) found[String(key)] = f(value)
  return found
}

const identity = <B>(value: B): B => value

/** The rule for every 64-bit integer: a `number` while safe, the `bigint` past 2^53 − 1. */
const toCounter = (value: bigint): Counter => (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value)

function versionedJson(this: Versioned<unknown>): { readonly value: unknown; readonly cas: string } {
  return { value: this.value, cas: String(this.cas) }
}

/**
 * `{ value, cas }` whose `JSON.stringify` writes `cas` as its decimal string (a `bigint` has no
 * JSON form), through a non-enumerable `toJSON`: the object still compares and spreads as
 * `{ value, cas }`. The string is accepted by `cas` as it is.
 */
const toVersioned = <A>(item: Versioned<A>): Versioned<A> => Object.defineProperty({ value: item.value, cas: item.cas }, 'toJSON', { value: versionedJson, enumerable: false })

const toPlainStats = <T>(record: T): PlainStats<T> => {
  const plain: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(record as Readonly<Record<string, unknown>>)) plain[name] = typeof value === 'bigint' ? toCounter(value) : value
  return plain as PlainStats<T>
}

const fromCasResult = (result: CasResult): boolean | undefined => {
  switch (result._tag) {
    case 'Stored':
    case 'NoReply':
      return true
    case 'Exists':
      return false
    case 'NotFound':
      return undefined
  }
}

/** Errors of the caller's making: `getOrSet` rejects with them instead of working around them. */
const isCallersMistake = (error: unknown): boolean =>
  isMemcacheException(error) && (error._tag === 'InvalidKey' || error._tag === 'InvalidArgument' || error._tag === 'Aborted')

/** A transport that answers every request with `error`. */
const refusing = (error: MemcacheError): Transport => ({
  send: () => () => Promise.resolve(E.left(error)),
  close: () => Promise.resolve(),
})

/** A client whose every command fails with `error`: what a client that cannot be built is. */
const refusingClient = <A>(error: MemcacheError): Client<A> => {
  const transport = refusing(error)
  const { getOrCompute, invalidate } = metaStampede(text as unknown as Serde<A>)(transport)
  return { ...bindCommands(commands(text as unknown as Serde<A>), transport), getOrCompute, invalidate, transport, close: transport.close } as Client<A>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The Promise client over a `Client` (from `createClient`): the same commands, over the same
 * transport, with plain results and `MemcacheException` rejections. The fp client stays usable.
 *
 * @example
 * const client = createClient({ servers: '127.0.0.1:11211', serde: json })
 * const cache = toPromises(client)
 * await cache.set('user:1', { name: 'Ada' }) // true
 * const found = await cache.gets('user:1') // { value: { name: 'Ada' }, cas: 5n }
 * if (found) await cache.cas('user:1', { name: 'Ada L.' }, found.cas) // true, false if changed, undefined if gone
 * await cache.incr('hits', 1) // undefined: no such counter yet
 * await cache.close()
 * @category constructors
 */
export const toPromises = <A>(client: Client<A>): PromiseClient<A> => {
  if (typeof client !== 'object' || client === null) {
    return toPromises(refusingClient<A>(invalidArgument('client', `toPromises takes the client createClient returns, got ${describeValue(client)}`)))
  }

  const readOne = <B>(method: 'get' | 'gets', convert: (value: B) => B) => async (key: unknown, options?: unknown): Promise<B | undefined> => {
    const problem = problemIn(method, () => [singleKeyProblem(key), optionsProblem(method, READ, options)])
    if (problem !== undefined) return reject(problem)
    const found = await settle(() => (client[method] as (key: MetaKey, options?: ReadOptions) => TE.TaskEither<MemcacheError, O.Option<B>>)(key as MetaKey, optionsOf(options)), unreadable)
    return O.isSome(found) ? convert(found.value) : undefined
  }

  const readMany = <B>(method: 'getMany' | 'getsMany', convert: (value: B) => B) => async (keys: unknown, options?: unknown): Promise<Found<B>> => {
    const problem = problemIn(method, () => [keysProblem(keys), optionsProblem(method, READ, options)])
    if (problem !== undefined) return reject(problem)
    const run = client[method] as (keys: ReadonlyArray<string>, options?: CallOptions) => TE.TaskEither<MemcacheError, ReadonlyMap<string, B>>
    return toFound(await settle(() => run(keys as ReadonlyArray<string>, optionsOf(options)), unreadable), convert)
  }

  const touchOne = <B>(method: 'gat' | 'gats', convert: (value: B) => B) => async (key: unknown, exptime: unknown, options?: unknown): Promise<B | undefined> => {
    const problem = problemIn(method, () => [singleKeyProblem(key), exptimeProblem(exptime), optionsProblem(method, READ, options)])
    if (problem !== undefined) return reject(problem)
    const run = client[method] as (key: MetaKey, exptime: number, options?: ReadOptions) => TE.TaskEither<MemcacheError, O.Option<B>>
    const found = await settle(() => run(key as MetaKey, exptime as number, optionsOf(options)), unreadable)
    return O.isSome(found) ? convert(found.value) : undefined
  }

  const touchMany = <B>(method: 'gatMany' | 'gatsMany', convert: (value: B) => B) => async (keys: unknown, exptime: unknown, options?: unknown): Promise<Found<B>> => {
    const problem = problemIn(method, () => [keysProblem(keys), exptimeProblem(exptime), optionsProblem(method, READ, options)])
    if (problem !== undefined) return reject(problem)
    const run = client[method] as (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => TE.TaskEither<MemcacheError, ReadonlyMap<string, B>>
    return toFound(await settle(() => run(keys as ReadonlyArray<string>, exptime as number, optionsOf(options)), unreadable), convert)
  }

  const store =
    (method: 'set' | 'add' | 'replace' | 'append' | 'prepend') =>
    async (...args: ReadonlyArray<unknown>): Promise<boolean> => {
      const [key, value, options] = args
      const problem = problemIn(method, () => [
        singleKeyProblem(key),
        args.length < 2 ? invalidArgument('value', `${method} needs a key and a value: ${method}(key, value, options?)`) : undefined,
        optionsProblem(method, STORE, options),
      ])
      if (problem !== undefined) return reject(problem)
      return settle(() => client[method](key as MetaKey, value as A, optionsOf(options)), unserializable)
    }

  const count =
    (method: 'incr' | 'decr') =>
    async (key: unknown, delta: unknown, options?: unknown): Promise<Counter | undefined> => {
      const problem = problemIn(method, () => [singleKeyProblem(key), optionsProblem(method, UPDATE, options)])
      if (problem !== undefined) return reject(problem)
      // An invalid delta is the command's own InvalidArgument, without I/O.
      const value = await settle(() => client[method](key as MetaKey, delta as Delta, optionsOf(options)), unusable(method))
      return O.isSome(value) ? toCounter(value.value) : undefined
    }

  const simple =
    <O, R, B>(method: string, spec: OptionSpec, run: (options: O | undefined) => TE.TaskEither<MemcacheError, R>, convert: (result: R) => B) =>
    async (options?: unknown): Promise<B> => {
      const problem = problemIn(method, () => [optionsProblem(method, spec, options)])
      if (problem !== undefined) return reject(problem)
      return convert(await settle(() => run(optionsOf<O>(options)), unusable(method)))
    }

  const ignore = (): void => undefined

  const get = readOne<A>('get', identity)
  const set = store('set')

  const promised: PromiseClient<A> = {
    get,
    getMany: readMany<A>('getMany', identity),
    gets: readOne<Versioned<A>>('gets', toVersioned),
    getsMany: readMany<Versioned<A>>('getsMany', toVersioned),
    gat: touchOne<A>('gat', identity),
    gatMany: touchMany<A>('gatMany', identity),
    gats: touchOne<Versioned<A>>('gats', toVersioned),
    gatsMany: touchMany<Versioned<A>>('gatsMany', toVersioned),
    set,
    add: store('add'),
    replace: store('replace'),
    append: store('append'),
    prepend: store('prepend'),
    setMany: async (entries: unknown, options?: unknown) => {
      const pairs = readIn('setMany', () => toPairs<A>(entries))
      if (E.isLeft(pairs)) return reject(pairs.left)
      const problem = problemIn('setMany', () => [optionsProblem('setMany', STORE, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.setMany(pairs.right, optionsOf(options)), unserializable)
    },
    cas: async (...args: ReadonlyArray<unknown>) => {
      const [key, value, cas, options] = args
      const problem = problemIn('cas', () => [
        singleKeyProblem(key),
        args.length < 3 ? invalidArgument('cas', 'cas needs a key, a value and the cas from gets: cas(key, value, cas, options?)') : undefined,
        optionsProblem('cas', STORE, options),
      ])
      if (problem !== undefined) return reject(problem)
      const unique = toCasUnique(cas)
      if (E.isLeft(unique)) return reject(unique.left)
      return fromCasResult(await settle(() => client.cas(key as MetaKey, value as A, unique.right, optionsOf(options)), unserializable))
    },
    delete: async (key: unknown, options?: unknown) => {
      const problem = problemIn('delete', () => [singleKeyProblem(key), optionsProblem('delete', UPDATE, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.delete(key as MetaKey, optionsOf(options)), unusable('delete'))
    },
    deleteMany: async (keys: unknown, options?: unknown) => {
      const problem = problemIn('deleteMany', () => [keysProblem(keys), optionsProblem('deleteMany', UPDATE, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.deleteMany(keys as ReadonlyArray<string>, optionsOf(options)), unusable('deleteMany'))
    },
    touch: async (key: unknown, exptime: unknown, options?: unknown) => {
      const problem = problemIn('touch', () => [singleKeyProblem(key), exptimeProblem(exptime), optionsProblem('touch', UPDATE, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.touch(key as MetaKey, exptime as number, optionsOf(options)), unusable('touch'))
    },
    incr: count('incr'),
    decr: count('decr'),
    counter: async (key: unknown, delta?: unknown, options?: unknown) => {
      const problem = problemIn('counter', () => [singleKeyProblem(key), optionsProblem('counter', COUNTER, options)])
      if (problem !== undefined) return reject(problem)
      const given = optionsOf<PromiseCounterOptions>(options) ?? {}
      const initial = given.initial === undefined ? E.right(undefined) : toDelta(given.initial)
      if (E.isLeft(initial)) return reject(invalidArgument('initial', initial.left.message.replace(/^invalid delta: /, '')))
      const { initial: _given, ...rest } = given
      const counterOptions: CounterOptions = { ...rest, ...(initial.right === undefined ? {} : { initial: initial.right }) }
      const value = await settle(() => client.counter(key as MetaKey, (delta ?? 1n) as Delta, counterOptions), unusable('counter'))
      return O.isSome(value) ? toCounter(value.value) : undefined
    },
    getOrSet: async (key: unknown, compute: unknown, options?: unknown) => {
      const problem = problemIn('getOrSet', () => [
        keyProblem(key),
        typeof compute === 'function' ? undefined : invalidArgument('compute', `must be a function giving the value (or a Promise of it), got ${describeValue(compute)}`),
        optionsProblem('getOrSet', GET_OR_SET, options),
      ])
      if (problem !== undefined) return reject(problem)
      const given = optionsOf<PromiseGetOrSetOptions>(options) ?? {}
      const callOptions: CallOptions = {
        ...(given.signal === undefined ? {} : { signal: given.signal }),
        ...(given.timeout === undefined ? {} : { timeout: given.timeout }),
        ...(given.retry === undefined ? {} : { retry: given.retry }),
      }
      const report = (during: 'get' | 'set') => (error: unknown) => {
        if (isCallersMistake(error)) return Promise.reject(error)
        try {
          given.onCacheError?.(error as MemcacheException, during)
        } catch {
          // A failing report must not fail the value it reports on.
        }
        return undefined
      }
      const cached = await get(key as string, callOptions).catch(report('get'))
      if (cached !== undefined) return cached
      const value = await (compute as () => A | PromiseLike<A>)()
      await set(key as string, value, { ...callOptions, ...(given.exptime === undefined ? {} : { exptime: given.exptime }) }).catch(report('set'))
      return value
    },
    getOrCompute: async (key: unknown, compute: unknown, options?: unknown) => {
      const problem = problemIn('getOrCompute', () => [
        keyProblem(key),
        typeof compute === 'function' ? undefined : invalidArgument('compute', `must be a function giving the value (or a Promise of it), got ${describeValue(compute)}`),
        options === undefined || options === null
          ? invalidArgument('options', 'getOrCompute needs its options, the ttl at least: getOrCompute(key, compute, { ttl: 300 })')
          : optionsProblem('getOrCompute', GET_OR_COMPUTE, options),
      ])
      if (problem !== undefined) return reject(problem)
      // A throw or a rejection of compute becomes ComputeThrew, given back unchanged below.
      const computed: TE.TaskEither<never, A> = async () => E.right(await (compute as () => A | PromiseLike<A>)())
      let result: E.Either<GetOrComputeError<never, A>, A>
      try {
        result = await client.getOrCompute(key as string, computed, options as GetOrComputeOptions)()
      } catch (cause) {
        return reject(unusable('getOrCompute')(cause))
      }
      return E.isRight(result) ? result.right : Promise.reject(computeRejection(result.left))
    },
    invalidate: async (key: unknown, options?: unknown) => {
      const problem = problemIn('invalidate', () => [keyProblem(key), optionsProblem('invalidate', INVALIDATE, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.invalidate(key as string, optionsOf(options)), unusable('invalidate'))
    },
    stats: simple('stats', CALL, (options: CallOptions | undefined) => client.stats(options), (stats) => toPlainStats(stats)),
    statsSettings: simple('statsSettings', CALL, (options: CallOptions | undefined) => client.statsSettings(options), (stats) => toPlainStats(stats)),
    statsItems: simple('statsItems', CALL, (options: CallOptions | undefined) => client.statsItems(options), (groups) => toFound(groups, toPlainStats)),
    statsSlabs: simple('statsSlabs', CALL, (options: CallOptions | undefined) => client.statsSlabs(options), (slabs) => ({
      classes: toFound(slabs.classes, toPlainStats),
      totals: toPlainStats(slabs.totals),
    })),
    statsSizes: simple('statsSizes', CALL, (options: CallOptions | undefined) => client.statsSizes(options), (sizes) => ({
      enabled: sizes.enabled,
      sizes: toFound(sizes.sizes, toCounter),
    })),
    statsConns: simple('statsConns', CALL, (options: CallOptions | undefined) => client.statsConns(options), (groups) => toFound(groups, toPlainStats)),
    statsReset: simple('statsReset', CALL, (options: CallOptions | undefined) => client.statsReset(options), ignore),
    flushAll: simple('flushAll', FLUSH, (options: FlushAllOptions | undefined) => client.flushAll(options), ignore),
    version: simple('version', CALL, (options: CallOptions | undefined) => client.version(options), identity),
    verbosity: async (level: unknown, options?: unknown) => {
      const problem = problemIn('verbosity', () => [numberProblem('level', level), optionsProblem('verbosity', NOREPLY, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.verbosity(level as number, optionsOf(options)), unusable('verbosity'))
    },
    cacheMemlimit: async (megabytes: unknown, options?: unknown) => {
      const problem = problemIn('cacheMemlimit', () => [numberProblem('megabytes', megabytes), optionsProblem('cacheMemlimit', NOREPLY, options)])
      if (problem !== undefined) return reject(problem)
      return settle(() => client.cacheMemlimit(megabytes as number, optionsOf(options)), unusable('cacheMemlimit'))
    },
    quit: simple('quit', CALL, (options: CallOptions | undefined) => client.quit(options), ignore),
    shutdown: simple('shutdown', SHUTDOWN, (options: ShutdownOptions | undefined) => client.shutdown(options), ignore),
    transport: client.transport,
    close: async () => {
      try {
        await client.close()
      } catch {
        // close never rejects: there is nothing a caller could do about a socket that fails to close.
      }
    },
  }
  return promised
}

/**
 * `createClient(options)` as a Promise client: the same options (`servers`, `serde`,
 * `keyPrefix`, `timeout`...). Options that cannot work — none at all, a bad server string — do
 * not throw: every method rejects with the `MemcacheException` saying why.
 *
 * @example
 * // CommonJS or ESM, plain JavaScript:
 * const cache = createPromiseClient({ servers: process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211' })
 * try {
 *   if (!(await cache.get('greeting'))) await cache.set('greeting', 'hello', { exptime: 60 })
 *   console.log(await cache.get('greeting')) // 'hello'
 * } catch (e) {
 *   if (e instanceof MemcacheException) console.error(e._tag, e.message)
 * } finally {
 *   await cache.close()
 * }
 * @category constructors
 */
export function createPromiseClient(options: ClientOptions<string> & { readonly serde?: undefined }): PromiseClient<string>
export function createPromiseClient<A>(options: ClientOptions<A> & { readonly serde: Serde<A> }): PromiseClient<A>
export function createPromiseClient<A>(options: ClientOptions<A>): PromiseClient<A> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return toPromises(
      refusingClient<A>(invalidArgument('options', `createPromiseClient takes an options object such as { servers: '127.0.0.1:11211' }, got ${describeValue(options)}`)),
    )
  }
  try {
    return toPromises(createClient(options as ClientOptions<A> & { readonly serde: Serde<A> }))
  } catch (cause) {
    // createClient does not throw for options it can read; this is for what plain JavaScript may pass.
    return toPromises(refusingClient<A>(invalidArgument('options', `the client could not be made from them: ${thrownText(cause)}`)))
  }
}
