/**
 * Replies of memcached's text protocol as plain data: one `_tag` per reply shape.
 *
 * A server-side failure that leaves the stream in step (`SERVER_ERROR out of memory`,
 * `CLIENT_ERROR cannot increment...`) is a `Failure` reply, not a decoding error: the connection
 * stays usable. Decoding errors (`Left`) mean the stream can no longer be trusted.
 *
 * @since 0.1.0
 */
import type { ClusterConfig } from './cluster-config.js'
import type { ClientError, ServerError, UnknownCommand, ValueTooLarge } from './error.js'
import type { MetaReplies } from './meta.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One `VALUE` block. `value` is a view on the bytes received, never a copy.
 * @category model
 */
export interface Item {
  readonly key: string
  readonly flags: number
  readonly value: Uint8Array
  /** Present for `gets` and `gats`. */
  readonly cas?: bigint
}

/** `VALUE`... `END`: the hits, in the server's order; misses are absent. @category model */
export interface Values {
  readonly _tag: 'Values'
  readonly items: ReadonlyArray<Item>
}

/** @category model */
export interface Stored {
  readonly _tag: 'Stored'
}
/** @category model */
export interface NotStored {
  readonly _tag: 'NotStored'
}
/** @category model */
export interface Exists {
  readonly _tag: 'Exists'
}
/** @category model */
export interface NotFound {
  readonly _tag: 'NotFound'
}
/** @category model */
export interface Deleted {
  readonly _tag: 'Deleted'
}
/** @category model */
export interface Touched {
  readonly _tag: 'Touched'
}
/** @category model */
export interface Ok {
  readonly _tag: 'Ok'
}
/** Reply of `stats reset`. @category model */
export interface Reset {
  readonly _tag: 'Reset'
}

/** The new value after `incr`/`decr`. @category model */
export interface Numeric {
  readonly _tag: 'Numeric'
  readonly value: bigint
}

/** `STAT name value` lines, in the server's order. @category model */
export interface StatsReply {
  readonly _tag: 'Stats'
  readonly entries: ReadonlyArray<readonly [string, string]>
}

/** @category model */
export interface VersionReply {
  readonly _tag: 'Version'
  readonly version: string
}

/** One line, as-is, for a raw command. @category model */
export interface Line {
  readonly _tag: 'Line'
  readonly line: string
}

/** Nothing came back, and nothing was expected (`noreply`, `quit`). @category model */
export interface NoReply {
  readonly _tag: 'NoReply'
}

/** `CONFIG cluster ...` `END`: the configuration's version and node list. @category model */
export interface ClusterConfigReply extends ClusterConfig {
  readonly _tag: 'ClusterConfig'
}

/** The server refused this request; the connection is still in step. @category model */
export interface Failure {
  readonly _tag: 'Failure'
  readonly error: ClientError | ServerError | UnknownCommand | ValueTooLarge
}

/** @category model */
export type Reply =
  | MetaReplies
  | Values
  | Stored
  | NotStored
  | Exists
  | NotFound
  | Deleted
  | Touched
  | Ok
  | Reset
  | Numeric
  | StatsReply
  | VersionReply
  | Line
  | NoReply
  | Failure
  | ClusterConfigReply

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const stored: Stored = { _tag: 'Stored' }
/** @category constructors */
export const notStored: NotStored = { _tag: 'NotStored' }
/** @category constructors */
export const exists: Exists = { _tag: 'Exists' }
/** @category constructors */
export const notFound: NotFound = { _tag: 'NotFound' }
/** @category constructors */
export const deleted: Deleted = { _tag: 'Deleted' }
/** @category constructors */
export const touched: Touched = { _tag: 'Touched' }
/** @category constructors */
export const ok: Ok = { _tag: 'Ok' }
/** @category constructors */
export const reset: Reset = { _tag: 'Reset' }
/** @category constructors */
export const noReply: NoReply = { _tag: 'NoReply' }

/**
 * @example
 * values([{ key: 'a', flags: 0, value: new Uint8Array([1]) }])
 * @category constructors
 */
export const values = (items: ReadonlyArray<Item>): Values => ({ _tag: 'Values', items })

/**
 * @example
 * numeric(7n)
 * @category constructors
 */
export const numeric = (value: bigint): Numeric => ({ _tag: 'Numeric', value })

/**
 * @example
 * statsReply([['pid', '1']])
 * @category constructors
 */
export const statsReply = (entries: ReadonlyArray<readonly [string, string]>): StatsReply => ({ _tag: 'Stats', entries })

/**
 * @example
 * versionReply('1.6.18')
 * @category constructors
 */
export const versionReply = (version: string): VersionReply => ({ _tag: 'Version', version })

/**
 * @example
 * line('OK')
 * @category constructors
 */
export const line = (text: string): Line => ({ _tag: 'Line', line: text })

/**
 * @example
 * clusterConfigReply({ version: 1, nodes: [{ host: 'localhost', ip: '127.0.0.1', port: 11211 }] })
 * @category constructors
 */
export const clusterConfigReply = (config: ClusterConfig): ClusterConfigReply => ({ _tag: 'ClusterConfig', version: config.version, nodes: config.nodes })

/**
 * @example
 * failure(serverError('out of memory storing object'))
 * @category constructors
 */
export const failure = (error: Failure['error']): Failure => ({ _tag: 'Failure', error })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Adds to `into` each item whose key it does not hold yet (the first item seen for a key wins),
 * and returns it: how replies that come in the server's order, or from several nodes or clusters,
 * are gathered before they are handed back in a caller's key order (`valuesFor`).
 *
 * @example
 * const found = collectByKey(reply.items)
 * collectByKey(otherNodeReply.items, found)
 * @category utils
 */
export const collectByKey = (items: ReadonlyArray<Item>, into: Map<string, Item> = new Map()): Map<string, Item> => {
  for (const item of items) if (!into.has(item.key)) into.set(item.key, item)
  return into
}

/**
 * The `Values` reply for `keys`, in their order, from the items found for them: a key without an
 * item is a miss (absent), a key named twice is answered twice (as memcached answers `get a a`).
 *
 * @example
 * valuesFor(['b', 'a', 'z'], collectByKey(reply.items)) // items of b, then a
 * @category utils
 */
export const valuesFor = (keys: ReadonlyArray<string>, found: ReadonlyMap<string, Item>): Values => {
  const items: Array<Item> = []
  for (const key of keys) {
    const item = found.get(key)
    if (item !== undefined) items.push(item)
  }
  return values(items)
}
