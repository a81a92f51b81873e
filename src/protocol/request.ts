/**
 * Requests of memcached's text protocol as plain data: one `_tag` per command.
 *
 * A request holds what the user asked for, not bytes: `encode` checks it (keys, ranges) and turns
 * it into chunks. Constructors fill in the defaults (`noreply: false`, flags 0, exptime 0).
 *
 * A keyed request may carry a key `prefix` (set with `prefixed`): the encoder sends
 * `prefix + key` and the decoder matches replies against it, while the request, its items and its
 * errors keep naming the caller's keys. A key prefix is therefore a field, not a rewrite: nothing
 * is copied per key and no reply is rebuilt.
 *
 * @since 0.1.0
 */

import { describeMetaKey, isMetaIdempotent, isMetaKeyed, metaCommandName, type MetaDebug, type MetaKeyed, type MetaRequest } from './meta.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface Get {
  readonly _tag: 'Get'
  readonly keys: ReadonlyArray<string>
  /** Sent before every key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
}

/** @category model */
export interface Gets {
  readonly _tag: 'Gets'
  readonly keys: ReadonlyArray<string>
  /** Sent before every key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
}

/** Get and touch: fetch and set a new expiry. @category model */
export interface Gat {
  readonly _tag: 'Gat'
  readonly exptime: number
  readonly keys: ReadonlyArray<string>
  /** Sent before every key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
}

/** @category model */
export interface Gats {
  readonly _tag: 'Gats'
  readonly exptime: number
  readonly keys: ReadonlyArray<string>
  /** Sent before every key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
}

/** @category model */
export type StoreCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend'

/** @category model */
export interface Store {
  readonly _tag: 'Store'
  readonly command: StoreCommand
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly flags: number
  readonly exptime: number
  readonly value: Uint8Array
  readonly noreply: boolean
}

/** @category model */
export interface Cas {
  readonly _tag: 'Cas'
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly flags: number
  readonly exptime: number
  readonly value: Uint8Array
  readonly cas: bigint
  readonly noreply: boolean
}

/** @category model */
export interface Delete {
  readonly _tag: 'Delete'
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly noreply: boolean
}

/** @category model */
export interface Incr {
  readonly _tag: 'Incr'
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly delta: bigint
  readonly noreply: boolean
}

/** @category model */
export interface Decr {
  readonly _tag: 'Decr'
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly delta: bigint
  readonly noreply: boolean
}

/** @category model */
export interface Touch {
  readonly _tag: 'Touch'
  readonly key: string
  /** Sent before the key of the request (`prefixed`); replies still name the keys without it. */
  readonly prefix?: string
  readonly exptime: number
  readonly noreply: boolean
}

/** @category model */
export type StatsArgument = 'items' | 'slabs' | 'settings' | 'sizes' | 'conns' | 'reset'

/** @category model */
export interface Stats {
  readonly _tag: 'Stats'
  readonly argument?: StatsArgument
}

/** @category model */
export interface FlushAll {
  readonly _tag: 'FlushAll'
  /** Seconds to wait before invalidating; absent means now. */
  readonly delay?: number
  readonly noreply: boolean
}

/** @category model */
export interface Version {
  readonly _tag: 'Version'
}

/** @category model */
export interface Verbosity {
  readonly _tag: 'Verbosity'
  readonly level: number
  readonly noreply: boolean
}

/** @category model */
export interface CacheMemlimit {
  readonly _tag: 'CacheMemlimit'
  readonly megabytes: number
  readonly noreply: boolean
}

/** Asks the server to close this connection; there is no reply. @category model */
export interface Quit {
  readonly _tag: 'Quit'
}

/** Stops the server (needs `memcached -A`); there is no reply when it works. @category model */
export interface Shutdown {
  readonly _tag: 'Shutdown'
  readonly graceful: boolean
}

/**
 * How to read the reply of a raw command.
 * - `line`: one line (`OK`, `STORED`, `ERROR`...)
 * - `values`: `VALUE` blocks up to `END`
 * - `stats`: `STAT` lines up to `END`
 * - `none`: no reply is expected
 * @category model
 */
export type RawExpect = 'line' | 'values' | 'stats' | 'none'

/** Escape hatch: a command line of the caller's own (without its `\r\n`) and an optional data block. @category model */
export interface Raw {
  readonly _tag: 'Raw'
  readonly line: string
  readonly data?: Uint8Array
  readonly expect: RawExpect
}

/**
 * `config get <key>`: ElastiCache's configuration command; `configGet()` asks for the cluster's
 * node list (see `cluster-config.ts`). Plain memcached answers `ERROR`.
 * @category model
 */
export interface ConfigGet {
  readonly _tag: 'ConfigGet'
  readonly key: string
}

/** @category model */
export type Request =
  | MetaRequest
  | Get
  | Gets
  | Gat
  | Gats
  | Store
  | Cas
  | Delete
  | Incr
  | Decr
  | Touch
  | Stats
  | FlushAll
  | Version
  | Verbosity
  | CacheMemlimit
  | Quit
  | Shutdown
  | Raw
  | ConfigGet

/** Options shared by the writing commands. @category model */
export interface WriteOptions {
  readonly flags?: number
  readonly exptime?: number
  readonly noreply?: boolean
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * get(['a', 'b']) // { _tag: 'Get', keys: ['a', 'b'] }
 * @category constructors
 */
export const get = (keys: ReadonlyArray<string>): Get => ({ _tag: 'Get', keys })

/**
 * @example
 * gets(['a'])
 * @category constructors
 */
export const gets = (keys: ReadonlyArray<string>): Gets => ({ _tag: 'Gets', keys })

/**
 * @example
 * gat(60, ['a'])
 * @category constructors
 */
export const gat = (exptime: number, keys: ReadonlyArray<string>): Gat => ({ _tag: 'Gat', exptime, keys })

/**
 * @example
 * gats(60, ['a'])
 * @category constructors
 */
export const gats = (exptime: number, keys: ReadonlyArray<string>): Gats => ({ _tag: 'Gats', exptime, keys })

/**
 * @example
 * store('add', 'k', new TextEncoder().encode('v'), { exptime: 60 })
 * @category constructors
 */
export const store = (command: StoreCommand, key: string, value: Uint8Array, options: WriteOptions = {}): Store => ({
  _tag: 'Store',
  command,
  key,
  flags: options.flags ?? 0,
  exptime: options.exptime ?? 0,
  value,
  noreply: options.noreply ?? false,
})

/**
 * @example
 * set('k', new TextEncoder().encode('v'))
 * @category constructors
 */
export const set = (key: string, value: Uint8Array, options?: WriteOptions): Store => store('set', key, value, options)

/**
 * @example
 * cas('k', new TextEncoder().encode('v'), 42n)
 * @category constructors
 */
export const cas = (key: string, value: Uint8Array, unique: bigint, options: WriteOptions = {}): Cas => ({
  _tag: 'Cas',
  key,
  flags: options.flags ?? 0,
  exptime: options.exptime ?? 0,
  value,
  cas: unique,
  noreply: options.noreply ?? false,
})

/**
 * @example
 * del('k')
 * @category constructors
 */
export const del = (key: string, noreply = false): Delete => ({ _tag: 'Delete', key, noreply })

/**
 * @example
 * incr('hits', 1n)
 * @category constructors
 */
export const incr = (key: string, delta: bigint, noreply = false): Incr => ({ _tag: 'Incr', key, delta, noreply })

/**
 * @example
 * decr('stock', 1n)
 * @category constructors
 */
export const decr = (key: string, delta: bigint, noreply = false): Decr => ({ _tag: 'Decr', key, delta, noreply })

/**
 * @example
 * touch('k', 300)
 * @category constructors
 */
export const touch = (key: string, exptime: number, noreply = false): Touch => ({ _tag: 'Touch', key, exptime, noreply })

/**
 * @example
 * stats() // general stats
 * stats('slabs')
 * @category constructors
 */
export const stats = (argument?: StatsArgument): Stats =>
  argument === undefined ? { _tag: 'Stats' } : { _tag: 'Stats', argument }

/**
 * @example
 * flushAll() // now
 * flushAll(10) // in ten seconds
 * @category constructors
 */
export const flushAll = (delay?: number, noreply = false): FlushAll =>
  delay === undefined ? { _tag: 'FlushAll', noreply } : { _tag: 'FlushAll', delay, noreply }

/**
 * @example
 * version
 * @category constructors
 */
export const version: Version = { _tag: 'Version' }

/**
 * @example
 * verbosity(1)
 * @category constructors
 */
export const verbosity = (level: number, noreply = false): Verbosity => ({ _tag: 'Verbosity', level, noreply })

/**
 * @example
 * cacheMemlimit(128)
 * @category constructors
 */
export const cacheMemlimit = (megabytes: number, noreply = false): CacheMemlimit => ({
  _tag: 'CacheMemlimit',
  megabytes,
  noreply,
})

/**
 * @example
 * quit
 * @category constructors
 */
export const quit: Quit = { _tag: 'Quit' }

/**
 * @example
 * shutdown(true)
 * @category constructors
 */
export const shutdown = (graceful = false): Shutdown => ({ _tag: 'Shutdown', graceful })

/**
 * @example
 * raw('stats detail dump', 'line')
 * @category constructors
 */
export const raw = (line: string, expect: RawExpect, data?: Uint8Array): Raw =>
  data === undefined ? { _tag: 'Raw', line, expect } : { _tag: 'Raw', line, expect, data }

/**
 * @example
 * configGet() // config get cluster: the version and node list of an ElastiCache cluster
 * @category constructors
 */
export const configGet = (key = 'cluster'): ConfigGet => ({ _tag: 'ConfigGet', key })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether the server will send nothing back for this request.
 *
 * @example
 * expectsNoReply(del('k', true)) // true
 * expectsNoReply(quit) // true
 * @category utils
 */
export const expectsNoReply = (request: Request): boolean => {
  switch (request._tag) {
    case 'Quit':
    case 'Shutdown':
      return true
    case 'Raw':
      return request.expect === 'none'
    case 'Get':
    case 'Gets':
    case 'Gat':
    case 'Gats':
    case 'Stats':
    case 'Version':
    case 'ConfigGet':
    case 'MetaGet':
    case 'MetaSet':
    case 'MetaDelete':
    case 'MetaArithmetic':
    case 'MetaNoop':
    case 'MetaDebug':
    case 'MetaBatch':
      // A quiet meta request is followed by `mn`: it is always answered.
      return false
    default:
      return request.noreply
  }
}

/** Requests that read many keys: `get`, `gets`, `gat`, `gats`. @category model */
export type Retrieval = Get | Gets | Gat | Gats

/** Requests about exactly one key. @category model */
export type SingleKey = Store | Cas | Delete | Incr | Decr | Touch

/**
 * @example
 * isRetrieval(get(['a'])) // true
 * @category utils
 */
export const isRetrieval = (request: Request): request is Retrieval =>
  request._tag === 'Get' || request._tag === 'Gets' || request._tag === 'Gat' || request._tag === 'Gats'

/**
 * @example
 * isSingleKey(del('a')) // true
 * isSingleKey(get(['a'])) // false: a retrieval names a list of keys
 * @category utils
 */
export const isSingleKey = (request: Request): request is SingleKey =>
  request._tag === 'Store' ||
  request._tag === 'Cas' ||
  request._tag === 'Delete' ||
  request._tag === 'Incr' ||
  request._tag === 'Decr' ||
  request._tag === 'Touch'

/**
 * The keys a request names, in order (empty for commands without keys).
 *
 * @example
 * keysOf(get(['a', 'b'])) // ['a', 'b']
 * @category utils
 */
export const keysOf = (request: Request): ReadonlyArray<string> =>
  isRetrieval(request)
    ? request.keys
    : isSingleKey(request)
      ? [request.key]
      : request._tag === 'MetaBatch'
        ? request.requests.map((member) => describeMetaKey(member.key))
        : isMetaKeyed(request) || request._tag === 'MetaDebug'
          ? [describeMetaKey(request.key)]
          : []

/**
 * The memcached command name, for errors, logs and metrics.
 *
 * @example
 * commandName(set('k', new Uint8Array())) // 'set'
 * @category utils
 */
export const commandName = (request: Request): string => {
  switch (request._tag) {
    case 'Store':
      return request.command
    case 'Raw':
      return request.line.split(' ', 1)[0] ?? 'raw'
    case 'FlushAll':
      return 'flush_all'
    case 'CacheMemlimit':
      return 'cache_memlimit'
    case 'MetaGet':
    case 'MetaSet':
    case 'MetaDelete':
    case 'MetaArithmetic':
    case 'MetaNoop':
    case 'MetaDebug':
    case 'MetaBatch':
      return metaCommandName(request)
    case 'ConfigGet':
      return 'config'
    default:
      return request._tag.toLowerCase()
  }
}

/**
 * Whether a request may be sent again after a failure that does not tell whether the server
 * applied it (a lost reply, a timeout), with the same outcome for the caller as sending it once.
 * `withRetry` retries only these unless the caller consents (`RequestContext.retry`).
 *
 * Not idempotent: `incr`/`decr` (applied twice), `append`/`prepend` (the data twice), `cas` (the
 * second attempt sees the new unique and reports `Exists`), `add` (a retried `add` whose first
 * attempt landed reports `NotStored`, which a caller using `add` as a lock reads as "someone else
 * holds it"), `raw`, `quit`, `shutdown`, and anything sent `noreply` (no reply, so no failure to
 * retry on). `delete` counts as idempotent: a retried delete that landed reports `NotFound`, and
 * the key is gone either way.
 *
 * @example
 * isIdempotent(get(['a'])) // true
 * isIdempotent(set('a', new Uint8Array())) // true
 * isIdempotent(store('add', 'a', new Uint8Array())) // false
 * isIdempotent(incr('a', 1n)) // false
 * @category utils
 */
export const isIdempotent = (request: Request): boolean => {
  switch (request._tag) {
    case 'Incr':
    case 'Decr':
    case 'Cas':
    case 'Raw':
    case 'Shutdown':
    case 'Quit':
      return false
    case 'MetaGet':
    case 'MetaSet':
    case 'MetaDelete':
    case 'MetaArithmetic':
    case 'MetaNoop':
    case 'MetaDebug':
    case 'MetaBatch':
      return isMetaIdempotent(request)
    case 'Store':
      return (request.command === 'set' || request.command === 'replace') && !request.noreply
    default:
      return !expectsNoReply(request)
  }
}

/** Requests that name keys and may carry a key prefix. @category model */
export type Keyed = Retrieval | SingleKey | MetaKeyed | MetaDebug

/**
 * Whether the request names keys (and so may carry a prefix).
 *
 * @example
 * isKeyed(get(['a'])) // true
 * isKeyed(version) // false
 * @category utils
 */
export const isKeyed = (request: Request): request is Keyed =>
  isRetrieval(request) || isSingleKey(request) || isMetaKeyed(request) || request._tag === 'MetaDebug'

/**
 * The request with its keys sent as `prefix + key`: a shallow copy carrying the prefix. A prefix
 * already there stays after the new one (`prefixed('a:')` of a request prefixed `b:` sends
 * `a:b:key`), so stacked prefixes compose as rewriting the keys would. Requests without keys
 * (`stats`, `raw`...) and the empty prefix leave the request as it is. The key rules (and the
 * 250-byte limit, which counts the prefix) are checked by the encoder.
 *
 * @example
 * prefixed('app:')(get(['a', 'b'])) // { _tag: 'Get', keys: ['a', 'b'], prefix: 'app:' } — sends "get app:a app:b"
 * prefixed('app:')(version) // version, unchanged
 * @category utils
 */
export const prefixed =
  (prefix: string) =>
  <A extends Request>(request: A): A => {
    if (prefix !== '' && request._tag === 'MetaBatch') return { ...request, requests: request.requests.map(prefixed(prefix)) }
    if (prefix === '' || !isKeyed(request)) return request
    // A copy of the same shape with one more field: `A` is a keyed request, which has `prefix`.
    return { ...request, prefix: prefix + (request.prefix ?? '') } as A
  }

