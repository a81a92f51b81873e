/**
 * The emulator's command semantics: what each memcached 1.6 command does to the store, with no
 * bytes and no sockets.
 *
 * The engine answers protocol `Request`s with protocol `Reply`s. It composes three pieces, one
 * concept each: the item store with its LRU and memory accounting (`store.ts`), the counters and
 * `stats` replies (`stats.ts`), and the registry of client connections (`connections.ts`). Text
 * parsing, `noreply` and connection handling live in the front ends (`session.ts`, `serve.ts`,
 * the memory transport). The meta commands' semantics are `meta-engine.ts`, over the same store
 * (`executeMeta`, `storeMeta`).
 *
 * What it follows from memcached 1.6.18 (verified against the real server by the conformance suite):
 * - exptime: `0` never, `1..2592000` seconds from now, larger is a unix time, negative is already
 *   expired. Every lookup (get, set, touch, incr, delete...) counts `get_expired` or `get_flushed`
 *   when it finds an item past its time (see the store).
 * - `flush_all N` takes effect `N - 1` ticks later (`flush_all 1` is immediate), as memcached's
 *   `oldest_live = realtime(N) - 1` does; items written after the flush point survive it.
 * - `maxItemSize` is `-I`, `memoryLimit` is `-m`; a storage command is admitted (room made, or
 *   refused) before its value is read, as memcached's `item_alloc` is, and the room stays reserved
 *   against the limit while the value arrives: unfinished data blocks cannot hold memory outside it.
 * - `incr`/`decr` parse the value like `strtoull` and rewrite it in place, padded with spaces, when
 *   the new number is not longer; `incr` wraps at 2^64, `decr` stops at 0.
 *
 * Time comes from `clock` (milliseconds), so tests move it instead of sleeping. Like memcached's
 * clock, the engine's ticks in whole seconds (`floor(clock() / 1000)`): an item set with exptime
 * `1` expires at the next tick, anywhere from 0 to 1 s later, and items written during the second
 * a delayed `flush_all` takes effect are flushed too, as in memcached.
 *
 * @since 0.1.0
 */
import { clientError, serverError, unknownCommand } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import type * as R from '../protocol/request.js'
import { WORDS } from '../protocol/words.js'
import { addDelta } from './arithmetic.js'
import { joinBytes } from './bytes.js'
import { answerConfigGet, type ClusterConfigSource } from './cluster.js'
import { makeConnections, type ConnectionHandle } from './connections.js'
import { makeMetaEngine, type MetaResult } from './meta-engine.js'
import type { MetaRequest, MetaSetHeader } from './meta-parse.js'
import { generalStats, makeCounters, resetCounters, statsFor, type StatsSource } from './stats.js'
import { itemSize, makeItem, makeStore, noteFetch, type Item, type StoredItem } from './store.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `makeEngine`: clock, memory limit, item size limit, version string.
 * @category model
 */
export interface EngineOptions {
  /** Milliseconds since the unix epoch. Default `Date.now`. */
  readonly clock?: () => number
  /** Largest item, header included, in bytes (memcached's `-I`). Default 1 MiB. */
  readonly maxItemSize?: number
  /** Bytes of items kept before the least recently used are evicted (memcached's `-m`). Default 64 MiB. */
  readonly memoryLimit?: number
  /** `false` answers `SERVER_ERROR out of memory storing object` instead of evicting (memcached's `-M`). Default `true`. */
  readonly evict?: boolean
  /** What `version` answers. Default `1.6.18-fp-memcache-emulator`. */
  readonly version?: string
  /** What `stats` reports as `pid`. Default `process.pid`. */
  readonly pid?: number
  /** What `config get cluster` answers (see `makeClusterConfig`). Default none: `ERROR`, as plain memcached. */
  readonly cluster?: ClusterConfigSource
}

/** Whether a data block ended in `\r\n`. @category model */
export type DataChunk = 'valid' | 'bad'

/**
 * Room reserved for a storage command whose data block is still arriving (memcached's allocated
 * item before `complete_nread`). `store` releases it; a front end whose client goes before the
 * block is whole calls `release` (calling it again does nothing).
 * @category model
 */
export interface Admission {
  readonly _tag: 'Admitted'
  /** What the item will cost, in bytes (`itemSize`). */
  readonly size: number
  readonly release: () => void
}

/** Where the engine's memory goes, in bytes. @category model */
export interface MemoryUse {
  /** memcached's `-m` (`limit_maxbytes`). */
  readonly limit: number
  /** Held by items (the `bytes` stat). */
  readonly items: number
  /** Reserved for data blocks still arriving. `items + reserved` never exceeds `limit`. */
  readonly reserved: number
}

/**
 * An in-memory memcached. Not a class: a record of functions closing over one store.
 * @category model
 */
export interface Engine {
  /** Answers one request. `Quit`, `Shutdown` and `Raw` need a text front end: alone it answers `ERROR`. */
  readonly execute: (request: R.Request) => Reply.Reply
  /**
   * First half of a storage command, before its data block is read (memcached's `item_alloc`):
   * a `Failure` when the item is too large or cannot get memory (a failed `set` also drops the
   * old item), else an `Admission` holding the room it made. Front ends that read the block call
   * this first.
   */
  readonly admit: (command: R.StoreCommand | 'cas', key: string, flags: number, length: number) => Reply.Failure | Admission
  /**
   * Second half, once the block is read: `bad` when it did not end in `\r\n` (counted in
   * `cmd_set`, answered `CLIENT_ERROR bad data chunk`). Releases `admission` first.
   */
  readonly store: (request: R.Store | R.Cas, chunk: DataChunk, admission?: Admission) => Reply.Reply
  /** Answers a meta command (`mg`, `md`, `ma`, `me`) as memcached 1.6.18 does (see `meta-engine.ts`). */
  readonly executeMeta: (request: MetaRequest) => MetaResult
  /**
   * Second half of an `ms`, once its data block is read; the first half is `admit('set', ...)`
   * with the header's key, client flags and length. Releases `admission` first.
   */
  readonly storeMeta: (header: MetaSetHeader, value: Uint8Array, chunk: DataChunk, admission?: Admission) => MetaResult
  /** The live item under `key` without counting a read, or `undefined` (for tests and meta commands). */
  readonly peek: (key: string) => StoredItem | undefined
  /** Registers a client connection (`curr_connections`, `total_connections`, `stats conns`). */
  readonly openConnection: (address: string) => ConnectionHandle
  /** The named general stat as a number, e.g. `stat('evictions')`; `undefined` when unknown. */
  readonly stat: (name: string) => number | undefined
  /** Where memory goes now: items, and room reserved for data blocks still arriving. */
  readonly memory: () => MemoryUse
  /** The engine's clock, in milliseconds. */
  readonly now: () => number
}

/** memcached's `REALTIME_MAXDELTA`: larger exptimes are unix times. @category model */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30

const MEBIBYTE = 1024 * 1024
const ALREADY_EXPIRED = 1

const DEFAULT_VERSION = '1.6.18-fp-memcache-emulator'

const TOO_LARGE = Reply.failure(serverError('object too large for cache'))
const NO_MEMORY = Reply.failure(serverError('out of memory storing object'))
const BAD_DATA_CHUNK = Reply.failure(clientError('bad data chunk'))
const NEEDS_A_FRONT_END = Reply.failure(unknownCommand(''))
const MEMLIMIT_TOO_SMALL = Reply.line(`${WORDS.memlimit}TOO_SMALL cannot set maxbytes to less than 8m`)
const MEMLIMIT_ADJUST_FAILED = Reply.line(`${WORDS.memlimit}ADJUST_FAILED input value is megabytes not bytes`)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A fresh, empty engine.
 *
 * @example
 * import * as Request from '../protocol/request.js'
 * let now = 0
 * const engine = makeEngine({ clock: () => now })
 * engine.execute(Request.set('k', new TextEncoder().encode('v'), { exptime: 10 })) // stored
 * now += 10_000
 * engine.execute(Request.get(['k'])) // values([]): expired
 * @category constructors
 */
export const makeEngine = (options: EngineOptions = {}): Engine => {
  const clock = options.clock ?? Date.now
  const maxItemSize = options.maxItemSize ?? MEBIBYTE
  const evictionsAllowed = options.evict ?? true
  const versionText = options.version ?? DEFAULT_VERSION
  const pid = options.pid ?? process.pid
  /** memcached's clock ticks in whole seconds; so does the engine's. */
  const tick = (): number => Math.floor(clock() / 1000)
  const startedAt = tick()

  const counters = makeCounters()
  const items = makeStore({ memoryLimit: options.memoryLimit ?? 64 * MEBIBYTE, evict: evictionsAllowed, counters })
  const connections = makeConnections(tick, counters)
  let verbosity = 0

  /** memcached's `realtime()`, in unix seconds: when an item given `exptime` expires (0 = never). */
  const expiryOf = (exptime: number, now: number): number => {
    if (exptime === 0) return 0
    if (exptime < 0) return ALREADY_EXPIRED
    if (exptime > MAX_RELATIVE_EXPTIME) return exptime <= startedAt ? ALREADY_EXPIRED : exptime
    return now + exptime
  }

  /** memcached's `item_alloc` failing in `process_update_command`: a failed `set` also drops the old item. */
  const admit = (command: R.StoreCommand | 'cas', key: string, flags: number, length: number): Reply.Failure | Admission => {
    const now = tick()
    const size = itemSize(key.length, flags, length)
    if (size <= maxItemSize && items.reserve(size, now)) {
      let held = true
      const release = (): void => {
        if (!held) return
        held = false
        items.unreserve(size)
      }
      return { _tag: 'Admitted', size, release }
    }
    const failure = size > maxItemSize ? (counters.store_too_large++, TOO_LARGE) : (counters.store_no_memory++, NO_MEMORY)
    if (command === 'set') {
      const existing = items.find(key, now)
      if (existing !== undefined) items.unlink(existing)
    }
    return failure
  }

  /** memcached's `do_store_item`, once the value is read and valid. */
  const storeValid = (request: R.Store | R.Cas, now: number): Reply.Reply => {
    counters.cmd_set++
    const old = items.find(request.key, now)
    // The request's bytes may be a view on a buffer the caller reuses: the store keeps its own.
    const fresh = (): Item => makeItem(request.key, request.flags, Uint8Array.from(request.value), expiryOf(request.exptime, now), now)
    if (request._tag === 'Cas') {
      if (old === undefined) {
        counters.cas_misses++
        return Reply.notFound
      }
      if (request.cas !== 0n && request.cas === old.cas) {
        counters.cas_hits++
        items.link(fresh())
        return Reply.stored
      }
      counters.cas_badval++
      return Reply.exists
    }
    switch (request.command) {
      case 'set':
        items.link(fresh())
        return Reply.stored
      case 'add':
        if (old !== undefined) {
          items.bump(old)
          return Reply.notStored
        }
        items.link(fresh())
        return Reply.stored
      case 'replace':
        if (old === undefined) return Reply.notStored
        items.link(fresh())
        return Reply.stored
      case 'append':
      case 'prepend': {
        if (old === undefined) return Reply.notStored
        const value = request.command === 'append' ? joinBytes([old.value, request.value]) : joinBytes([request.value, old.value])
        const combined = makeItem(request.key, old.flags, value, old.expiresAt, now)
        if (combined.size > maxItemSize || !items.makeRoom(combined.size, now)) return Reply.notStored
        items.link(combined)
        return Reply.stored
      }
    }
  }

  const store = (request: R.Store | R.Cas, chunk: DataChunk, admission?: Admission): Reply.Reply => {
    // The reserved room becomes the item's: released and linked in one synchronous step.
    admission?.release()
    if (chunk === 'valid') return storeValid(request, tick())
    counters.cmd_set++
    return BAD_DATA_CHUNK
  }

  const retrieve = (keys: ReadonlyArray<string>, withCas: boolean, exptime: number | undefined): Reply.Reply => {
    const now = tick()
    const found: Array<Reply.Item> = []
    for (const key of keys) {
      const item = items.find(key, now)
      if (exptime === undefined) {
        counters.cmd_get++
        if (item === undefined) counters.get_misses++
        else counters.get_hits++
      } else {
        counters.cmd_touch++
        if (item === undefined) counters.touch_misses++
        else counters.touch_hits++
      }
      if (item === undefined) continue
      if (exptime !== undefined) item.expiresAt = expiryOf(exptime, now)
      noteFetch(item, now)
      items.bump(item)
      found.push(withCas ? { key: item.key, flags: item.flags, value: item.value, cas: item.cas } : { key: item.key, flags: item.flags, value: item.value })
    }
    return Reply.values(found)
  }

  /** `incr` / `decr`: memcached's `process_arithmetic_command`. */
  const arithmetic = (key: string, delta: bigint, increment: boolean): Reply.Reply => {
    const moved = addDelta(items, counters, key, increment, delta, 0n, tick())
    switch (moved._tag) {
      case 'Changed':
        return Reply.numeric(moved.value)
      case 'Failed':
        return moved.reply
      case 'NotFound':
      case 'Mismatch':
        if (increment) counters.incr_misses++
        else counters.decr_misses++
        return Reply.notFound
    }
  }

  const touch = (key: string, exptime: number): Reply.Reply => {
    const now = tick()
    const item = items.find(key, now)
    counters.cmd_touch++
    if (item === undefined) {
      counters.touch_misses++
      return Reply.notFound
    }
    counters.touch_hits++
    item.expiresAt = expiryOf(exptime, now)
    items.bump(item)
    return Reply.touched
  }

  const remove = (key: string): Reply.Reply => {
    const item = items.find(key, tick())
    if (item === undefined) {
      counters.delete_misses++
      return Reply.notFound
    }
    counters.delete_hits++
    items.unlink(item)
    return Reply.deleted
  }

  const flushAll = (delay: number | undefined): Reply.Reply => {
    const now = tick()
    counters.cmd_flush++
    const newOldest = delay !== undefined && delay > 0 ? expiryOf(delay, now) : now
    items.flush(newOldest - 1, now)
    return Reply.ok
  }

  const cacheMemlimit = (megabytes: number): Reply.Reply => {
    if (megabytes < 8) return MEMLIMIT_TOO_SMALL
    if (megabytes > 1_000_000_000) return MEMLIMIT_ADJUST_FAILED
    // Like memcached, a lower limit evicts nothing now: the next writes make room.
    items.setMemoryLimit(megabytes * MEBIBYTE)
    return Reply.ok
  }

  /** The server as `stats` sees it now. */
  const statsSource = (): StatsSource => ({
    ...items.usage(),
    counters,
    now: tick(),
    startedAt,
    pid,
    version: versionText,
    verbosity,
    evictionsAllowed,
    maxItemSize,
    connections: connections.list(),
    cpu: process.cpuUsage(),
  })

  const stats = (argument: R.StatsArgument | undefined): Reply.Reply => {
    if (argument === 'reset') {
      resetCounters(counters)
      return Reply.reset
    }
    return Reply.statsReply(statsFor(argument, statsSource()).map(([name, value]) => [name, String(value)] as const))
  }

  const configGet = answerConfigGet(options.cluster)

  const execute = (request: R.Request): Reply.Reply => {
    switch (request._tag) {
      case 'Get':
        return retrieve(request.keys, false, undefined)
      case 'Gets':
        return retrieve(request.keys, true, undefined)
      case 'Gat':
        return retrieve(request.keys, false, request.exptime)
      case 'Gats':
        return retrieve(request.keys, true, request.exptime)
      case 'Store':
      case 'Cas': {
        const admitted = admit(request._tag === 'Cas' ? 'cas' : request.command, request.key, request.flags, request.value.length)
        return admitted._tag === 'Admitted' ? store(request, 'valid', admitted) : admitted
      }
      case 'Delete':
        return remove(request.key)
      case 'Incr':
        return arithmetic(request.key, request.delta, true)
      case 'Decr':
        return arithmetic(request.key, request.delta, false)
      case 'Touch':
        return touch(request.key, request.exptime)
      case 'Stats':
        return stats(request.argument)
      case 'FlushAll':
        return flushAll(request.delay)
      case 'Version':
        return Reply.versionReply(versionText)
      case 'Verbosity':
        verbosity = Math.min(request.level, 2)
        return Reply.ok
      case 'CacheMemlimit':
        return cacheMemlimit(request.megabytes)
      case 'ConfigGet':
        return configGet(request)
      case 'Quit':
      case 'Shutdown':
      case 'Raw':
        return NEEDS_A_FRONT_END
      default:
        // Meta requests are answered from their bytes, by `executeMeta` / `storeMeta`, as a session does.
        return NEEDS_A_FRONT_END
    }
  }

  const meta = makeMetaEngine({ store: items, counters, tick, expiryOf, alreadyExpired: ALREADY_EXPIRED, startedAt, maxItemSize })

  const stat = (name: string): number | undefined => {
    const entry = generalStats(statsSource()).find(([statName]) => statName === name)
    return entry === undefined ? undefined : Number(entry[1])
  }

  return {
    execute,
    admit,
    store,
    executeMeta: meta.execute,
    storeMeta: (header, value, chunk, admission) => {
      // The reserved room becomes the item's: released and linked in one synchronous step.
      admission?.release()
      return meta.store(header, value, chunk)
    },
    peek: (key) => items.peek(key, tick()),
    openConnection: connections.open,
    stat,
    memory: () => {
      const usage = items.usage()
      return { limit: usage.memoryLimit, items: usage.bytes, reserved: usage.reserved }
    },
    now: clock,
  }
}
