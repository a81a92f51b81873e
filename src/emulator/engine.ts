/**
 * The emulator's store: memcached 1.6 semantics over a `Map`, with no bytes and no sockets.
 *
 * The engine answers protocol `Request`s with protocol `Reply`s and counts what really happened
 * (`stats`). Text parsing, `noreply` and connection handling live in the front ends (`text.ts`,
 * `serve.ts`, the memory transport); meta commands will be one more case in `execute`.
 *
 * What it follows from memcached 1.6.18 (verified against the real server by the conformance suite):
 * - exptime: `0` never, `1..2592000` seconds from now, larger is a unix time, negative is already
 *   expired. An expired item stays counted in `curr_items` until a command looks it up, like
 *   memcached's lazy reclaim; every lookup (get, set, touch, incr, delete...) counts `get_expired`
 *   or `get_flushed` when it finds one.
 * - cas uniques come from one counter, taken on every link and every in-place `incr`/`decr`; an
 *   immediate `flush_all` also takes one (it marks the flush point).
 * - `flush_all N` takes effect `N - 1` ticks later (`flush_all 1` is immediate), as memcached's
 *   `oldest_live = realtime(N) - 1` does; items written after the flush point survive it.
 * - sizes are memcached's `ITEM_ntotal`: 48 bytes of header, key + 1, value + 2, 8 for the cas
 *   unique and 4 more for non-zero flags. `maxItemSize` is `-I`, `memoryLimit` is `-m`.
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
import { byteString, strtoull } from './numbers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
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
}

/** One stored item, as the engine keeps it. @category model */
export interface StoredItem {
  /** The key as a byte string (one char per byte, as the text front end reads it). */
  readonly key: string
  readonly flags: number
  /** The stored bytes themselves, not a copy: do not change them. */
  readonly value: Uint8Array
  readonly cas: bigint
  /** When it expires, in unix seconds; `0` never. */
  readonly expiresAt: number
  /** When it was written, in unix seconds (memcached's `it->time`, used by `flush_all`). */
  readonly writtenAt: number
  /** Whether a read has returned it since it was written. */
  readonly fetched: boolean
  /** memcached's `ITEM_ntotal`: what the item costs against `memoryLimit`. */
  readonly size: number
}

/** Whether a data block ended in `\r\n`. @category model */
export type DataChunk = 'valid' | 'bad'

/** A client connection as `stats conns` shows it. @category model */
export interface ConnectionHandle {
  readonly id: number
  /** Call when a command arrives (for `secs_since_last_cmd`). */
  readonly commandReceived: () => void
  /** Counts the bytes for `bytes_read` / `bytes_written`. */
  readonly traffic: (read: number, written: number) => void
  readonly close: () => void
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
   * old item), else `undefined` after making room. Front ends that read the block call this first.
   */
  readonly admit: (command: R.StoreCommand | 'cas', key: string, flags: number, length: number) => Reply.Failure | undefined
  /**
   * Second half, once the block is read: `bad` when it did not end in `\r\n` (counted in
   * `cmd_set`, answered `CLIENT_ERROR bad data chunk`).
   */
  readonly store: (request: R.Store | R.Cas, chunk: DataChunk) => Reply.Reply
  /** The live item under `key` without counting a read, or `undefined` (for tests and meta commands). */
  readonly peek: (key: string) => StoredItem | undefined
  /** Registers a client connection (`curr_connections`, `total_connections`, `stats conns`). */
  readonly openConnection: (address: string) => ConnectionHandle
  /** The named general stat as a number, e.g. `stat('evictions')`; `undefined` when unknown. */
  readonly stat: (name: string) => number | undefined
  /** The engine's clock, in milliseconds. */
  readonly now: () => number
}

/** memcached's `REALTIME_MAXDELTA`: larger exptimes are unix times. @category model */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30

/** `sizeof(item)` on a 64-bit build. */
const ITEM_HEADER = 48
const CAS_SIZE = 8
const FLAGS_SIZE = 4
const MEBIBYTE = 1024 * 1024
const U64 = 1n << 64n
const ALREADY_EXPIRED = 1

const DEFAULT_VERSION = '1.6.18-fp-memcache-emulator'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

interface MutableItem {
  key: string
  flags: number
  value: Uint8Array
  cas: bigint
  expiresAt: number
  writtenAt: number
  fetched: boolean
  size: number
}

interface Counters {
  cmd_get: number
  cmd_set: number
  cmd_flush: number
  cmd_touch: number
  get_hits: number
  get_misses: number
  get_expired: number
  get_flushed: number
  delete_misses: number
  delete_hits: number
  incr_misses: number
  incr_hits: number
  decr_misses: number
  decr_hits: number
  cas_misses: number
  cas_hits: number
  cas_badval: number
  touch_hits: number
  touch_misses: number
  store_too_large: number
  store_no_memory: number
  total_connections: number
  bytes_read: number
  bytes_written: number
  total_items: number
  expired_unfetched: number
  evicted_unfetched: number
  evictions: number
  evicted_nonzero: number
  reclaimed: number
  outofmemory: number
}

const zeroCounters = (): Counters => ({
  cmd_get: 0,
  cmd_set: 0,
  cmd_flush: 0,
  cmd_touch: 0,
  get_hits: 0,
  get_misses: 0,
  get_expired: 0,
  get_flushed: 0,
  delete_misses: 0,
  delete_hits: 0,
  incr_misses: 0,
  incr_hits: 0,
  decr_misses: 0,
  decr_hits: 0,
  cas_misses: 0,
  cas_hits: 0,
  cas_badval: 0,
  touch_hits: 0,
  touch_misses: 0,
  store_too_large: 0,
  store_no_memory: 0,
  total_connections: 0,
  bytes_read: 0,
  bytes_written: 0,
  total_items: 0,
  expired_unfetched: 0,
  evicted_unfetched: 0,
  evictions: 0,
  evicted_nonzero: 0,
  reclaimed: 0,
  outofmemory: 0,
})

interface OpenConnection {
  readonly id: number
  readonly address: string
  lastCommandAt: number
}

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

  let memoryLimit = options.memoryLimit ?? 64 * MEBIBYTE
  let verbosity = 0
  /** memcached's `settings.oldest_live` in unix seconds; 0 when no flush is pending or done. */
  let oldestLive = 0
  /** memcached's `settings.oldest_cas`: items with a smaller cas were flushed. */
  let oldestCas = 0n
  let casCounter = 0n
  let bytesUsed = 0
  let lastEvictedAge = 0
  let counters = zeroCounters()
  let nextConnectionId = 1
  const connections = new Map<number, OpenConnection>()
  /** Insertion order is recency: the first entry is the least recently used. */
  const items = new Map<string, MutableItem>()

  const nextCas = (): bigint => ++casCounter

  /** memcached's `realtime()`, in unix seconds: when an item given `exptime` expires (0 = never). */
  const expiryOf = (exptime: number, now: number): number => {
    if (exptime === 0) return 0
    if (exptime < 0) return ALREADY_EXPIRED
    if (exptime > MAX_RELATIVE_EXPTIME) return exptime <= startedAt ? ALREADY_EXPIRED : exptime
    return now + exptime
  }

  const isFlushed = (item: MutableItem, now: number): boolean =>
    oldestLive !== 0 && oldestLive <= now && (item.writtenAt <= oldestLive || (oldestCas !== 0n && item.cas < oldestCas))

  const isExpired = (item: MutableItem, now: number): boolean => item.expiresAt !== 0 && item.expiresAt <= now

  const unlink = (item: MutableItem): void => {
    if (items.get(item.key) === item) {
      items.delete(item.key)
      bytesUsed -= item.size
    }
  }

  const link = (item: MutableItem): void => {
    const previous = items.get(item.key)
    if (previous !== undefined) unlink(previous)
    items.set(item.key, item)
    bytesUsed += item.size
    counters.total_items++
  }

  const bump = (item: MutableItem): void => {
    items.delete(item.key)
    items.set(item.key, item)
  }

  /** memcached's `do_item_get`: the live item, reclaiming (and counting) an expired or flushed one. */
  const lookup = (key: string, now: number): MutableItem | undefined => {
    const item = items.get(key)
    if (item === undefined) return undefined
    if (isFlushed(item, now)) {
      unlink(item)
      counters.get_flushed++
      return undefined
    }
    if (isExpired(item, now)) {
      unlink(item)
      counters.get_expired++
      if (!item.fetched) counters.expired_unfetched++
      return undefined
    }
    return item
  }

  /**
   * Frees room for `size` more bytes from the least recently used end, as memcached's allocator
   * does before it reads a value. `false` when the item cannot fit (or evicting is off).
   */
  const makeRoom = (size: number, now: number): boolean => {
    if (size > memoryLimit) {
      counters.outofmemory++
      return false
    }
    for (const item of items.values()) {
      if (bytesUsed + size <= memoryLimit) break
      const dead = isExpired(item, now) || isFlushed(item, now)
      if (!dead && !evictionsAllowed) break
      unlink(item)
      if (dead) {
        counters.reclaimed++
      } else {
        counters.evictions++
        if (item.expiresAt !== 0) counters.evicted_nonzero++
        if (!item.fetched) counters.evicted_unfetched++
        lastEvictedAge = now - item.writtenAt
      }
    }
    if (bytesUsed + size <= memoryLimit) return true
    counters.outofmemory++
    return false
  }

  const newItem = (key: string, flags: number, value: Uint8Array, expiresAt: number, now: number): MutableItem => ({
    key,
    flags,
    value,
    cas: 0n,
    expiresAt,
    writtenAt: now,
    fetched: false,
    size: itemSize(key.length, flags, value.length),
  })

  const linkNew = (item: MutableItem): void => {
    item.cas = nextCas()
    link(item)
  }

  /** memcached's `item_alloc` failing in `process_update_command`: a failed `set` also drops the old item. */
  const admit = (command: R.StoreCommand | 'cas', key: string, flags: number, length: number): Reply.Failure | undefined => {
    const now = tick()
    const size = itemSize(key.length, flags, length)
    const failure =
      size > maxItemSize
        ? (counters.store_too_large++, Reply.failure(serverError('object too large for cache')))
        : makeRoom(size, now)
          ? undefined
          : (counters.store_no_memory++, Reply.failure(serverError('out of memory storing object')))
    if (failure !== undefined && command === 'set') {
      const existing = lookup(key, now)
      if (existing !== undefined) unlink(existing)
    }
    return failure
  }

  const concatenate = (first: Uint8Array, second: Uint8Array): Uint8Array => {
    const joined = new Uint8Array(first.length + second.length)
    joined.set(first, 0)
    joined.set(second, first.length)
    return joined
  }

  /** memcached's `do_store_item`, once the value is read and valid. */
  const storeValid = (request: R.Store | R.Cas, now: number): Reply.Reply => {
    counters.cmd_set++
    const old = lookup(request.key, now)
    const fresh = (): MutableItem =>
      newItem(request.key, request.flags, Uint8Array.from(request.value), expiryOf(request.exptime, now), now)
    if (request._tag === 'Cas') {
      if (old === undefined) {
        counters.cas_misses++
        return Reply.notFound
      }
      if (request.cas !== 0n && request.cas === old.cas) {
        counters.cas_hits++
        linkNew(fresh())
        return Reply.stored
      }
      counters.cas_badval++
      return Reply.exists
    }
    switch (request.command) {
      case 'set':
        linkNew(fresh())
        return Reply.stored
      case 'add':
        if (old !== undefined) {
          bump(old)
          return Reply.notStored
        }
        linkNew(fresh())
        return Reply.stored
      case 'replace':
        if (old === undefined) return Reply.notStored
        linkNew(fresh())
        return Reply.stored
      case 'append':
      case 'prepend': {
        if (old === undefined) return Reply.notStored
        const value = request.command === 'append' ? concatenate(old.value, request.value) : concatenate(request.value, old.value)
        const combined = newItem(request.key, old.flags, value, old.expiresAt, now)
        if (combined.size > maxItemSize || !makeRoom(combined.size, now)) return Reply.notStored
        linkNew(combined)
        return Reply.stored
      }
    }
  }

  const store = (request: R.Store | R.Cas, chunk: DataChunk): Reply.Reply => {
    if (chunk === 'valid') return storeValid(request, tick())
    counters.cmd_set++
    return Reply.failure(clientError('bad data chunk'))
  }

  const retrieve = (keys: ReadonlyArray<string>, withCas: boolean, exptime: number | undefined): Reply.Reply => {
    const now = tick()
    const found: Array<Reply.Item> = []
    for (const key of keys) {
      const item = lookup(key, now)
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
      item.fetched = true
      bump(item)
      found.push(withCas ? { key: item.key, flags: item.flags, value: item.value, cas: item.cas } : { key: item.key, flags: item.flags, value: item.value })
    }
    return Reply.values(found)
  }

  /** memcached's `do_add_delta`. */
  const arithmetic = (key: string, delta: bigint, increment: boolean): Reply.Reply => {
    const now = tick()
    const item = lookup(key, now)
    if (item === undefined) {
      if (increment) counters.incr_misses++
      else counters.decr_misses++
      return Reply.notFound
    }
    const current = item.value.length === 0 ? undefined : strtoull(byteString(item.value))
    if (current === undefined) return Reply.failure(clientError('cannot increment or decrement non-numeric value'))
    const next = increment ? (current + delta) % U64 : delta > current ? 0n : current - delta
    if (increment) counters.incr_hits++
    else counters.decr_hits++
    const digits = next.toString()
    if (digits.length <= item.value.length) {
      // Rewritten in place: memcached keeps the length and pads with spaces.
      const value = new Uint8Array(item.value.length).fill(0x20)
      value.set(asciiBytes(digits), 0)
      item.value = value
      item.cas = nextCas()
      bump(item)
      return Reply.numeric(next)
    }
    const replacement = newItem(key, item.flags, asciiBytes(digits), item.expiresAt, now)
    if (!makeRoom(replacement.size, now)) return Reply.failure(serverError('out of memory'))
    linkNew(replacement)
    return Reply.numeric(next)
  }

  const touch = (key: string, exptime: number): Reply.Reply => {
    const now = tick()
    const item = lookup(key, now)
    counters.cmd_touch++
    if (item === undefined) {
      counters.touch_misses++
      return Reply.notFound
    }
    counters.touch_hits++
    item.expiresAt = expiryOf(exptime, now)
    bump(item)
    return Reply.touched
  }

  const remove = (key: string): Reply.Reply => {
    const item = lookup(key, tick())
    if (item === undefined) {
      counters.delete_misses++
      return Reply.notFound
    }
    counters.delete_hits++
    unlink(item)
    return Reply.deleted
  }

  const flushAll = (delay: number | undefined): Reply.Reply => {
    const now = tick()
    counters.cmd_flush++
    const newOldest = delay !== undefined && delay > 0 ? expiryOf(delay, now) : now
    oldestLive = newOldest - 1
    if (oldestLive <= now) oldestCas = nextCas()
    return Reply.ok
  }

  const cacheMemlimit = (megabytes: number): Reply.Reply => {
    if (megabytes < 8) return Reply.line('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m')
    if (megabytes > 1_000_000_000) return Reply.line('MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes')
    // Like memcached, a lower limit evicts nothing now: the next writes make room.
    memoryLimit = megabytes * MEBIBYTE
    return Reply.ok
  }

  const general = (): ReadonlyArray<readonly [string, string | number]> => {
    const now = tick()
    const usage = process.cpuUsage()
    return [
      ['pid', pid],
      ['uptime', now - startedAt],
      ['time', now],
      ['version', versionText],
      ['pointer_size', 64],
      ['rusage_user', (usage.user / 1e6).toFixed(6)],
      ['rusage_system', (usage.system / 1e6).toFixed(6)],
      ['curr_connections', connections.size],
      ['total_connections', counters.total_connections],
      ['cmd_get', counters.cmd_get],
      ['cmd_set', counters.cmd_set],
      ['cmd_flush', counters.cmd_flush],
      ['cmd_touch', counters.cmd_touch],
      ['cmd_meta', 0],
      ['get_hits', counters.get_hits],
      ['get_misses', counters.get_misses],
      ['get_expired', counters.get_expired],
      ['get_flushed', counters.get_flushed],
      ['delete_misses', counters.delete_misses],
      ['delete_hits', counters.delete_hits],
      ['incr_misses', counters.incr_misses],
      ['incr_hits', counters.incr_hits],
      ['decr_misses', counters.decr_misses],
      ['decr_hits', counters.decr_hits],
      ['cas_misses', counters.cas_misses],
      ['cas_hits', counters.cas_hits],
      ['cas_badval', counters.cas_badval],
      ['touch_hits', counters.touch_hits],
      ['touch_misses', counters.touch_misses],
      ['store_too_large', counters.store_too_large],
      ['store_no_memory', counters.store_no_memory],
      ['bytes_read', counters.bytes_read],
      ['bytes_written', counters.bytes_written],
      ['limit_maxbytes', memoryLimit],
      ['threads', 1],
      ['bytes', bytesUsed],
      ['curr_items', items.size],
      ['total_items', counters.total_items],
      ['expired_unfetched', counters.expired_unfetched],
      ['evicted_unfetched', counters.evicted_unfetched],
      ['evictions', counters.evictions],
      ['reclaimed', counters.reclaimed],
    ]
  }

  const settings = (): ReadonlyArray<readonly [string, string | number]> => [
    ['maxbytes', memoryLimit],
    ['verbosity', verbosity],
    ['evictions', evictionsAllowed ? 'on' : 'off'],
    ['cas_enabled', 'yes'],
    ['binding_protocol', 'ascii'],
    ['item_size_max', maxItemSize],
    ['flush_enabled', 'yes'],
  ]

  const oldestItem = (): MutableItem | undefined => items.values().next().value

  const itemStats = (): ReadonlyArray<readonly [string, string | number]> => {
    if (items.size === 0 && counters.evictions === 0 && counters.reclaimed === 0 && counters.outofmemory === 0) return []
    const oldest = oldestItem()
    return [
      ['items:1:number', items.size],
      ['items:1:age', oldest === undefined ? 0 : tick() - oldest.writtenAt],
      ['items:1:mem_requested', bytesUsed],
      ['items:1:evicted', counters.evictions],
      ['items:1:evicted_nonzero', counters.evicted_nonzero],
      ['items:1:evicted_time', lastEvictedAge],
      ['items:1:outofmemory', counters.outofmemory],
      ['items:1:reclaimed', counters.reclaimed],
      ['items:1:expired_unfetched', counters.expired_unfetched],
      ['items:1:evicted_unfetched', counters.evicted_unfetched],
    ]
  }

  const slabStats = (): ReadonlyArray<readonly [string, string | number]> => [
    ...(items.size === 0
      ? []
      : ([
          ['1:used_chunks', items.size],
          ['1:get_hits', counters.get_hits],
          ['1:cmd_set', counters.cmd_set],
          ['1:delete_hits', counters.delete_hits],
          ['1:incr_hits', counters.incr_hits],
          ['1:decr_hits', counters.decr_hits],
          ['1:cas_hits', counters.cas_hits],
          ['1:cas_badval', counters.cas_badval],
          ['1:touch_hits', counters.touch_hits],
        ] as const)),
    ['active_slabs', items.size === 0 ? 0 : 1],
    ['total_malloced', bytesUsed],
  ]

  const connectionStats = (): ReadonlyArray<readonly [string, string | number]> => {
    const now = tick()
    return [...connections.values()].flatMap((connection) => [
      [`${connection.id}:addr`, connection.address],
      [`${connection.id}:state`, 'conn_parse_cmd'],
      [`${connection.id}:secs_since_last_cmd`, now - connection.lastCommandAt],
    ])
  }

  const statsReply = (entries: ReadonlyArray<readonly [string, string | number]>): Reply.Reply =>
    Reply.statsReply(entries.map(([name, value]) => [name, String(value)] as const))

  const stats = (argument: R.StatsArgument | undefined): Reply.Reply => {
    switch (argument) {
      case undefined:
        return statsReply(general())
      case 'reset':
        counters = zeroCounters()
        return Reply.reset
      case 'settings':
        return statsReply(settings())
      case 'items':
        return statsReply(itemStats())
      case 'slabs':
        return statsReply(slabStats())
      case 'sizes':
        return statsReply([['sizes_status', 'disabled']])
      case 'conns':
        return statsReply(connectionStats())
    }
  }

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
        return admit(request.command, request.key, request.flags, request.value.length) ?? store(request, 'valid')
      case 'Cas':
        return admit('cas', request.key, request.flags, request.value.length) ?? store(request, 'valid')
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
      case 'Quit':
      case 'Shutdown':
      case 'Raw':
        return Reply.failure(unknownCommand(''))
    }
  }

  const openConnection = (address: string): ConnectionHandle => {
    const connection: OpenConnection = { id: nextConnectionId++, address, lastCommandAt: tick() }
    connections.set(connection.id, connection)
    counters.total_connections++
    return {
      id: connection.id,
      commandReceived: () => {
        connection.lastCommandAt = tick()
      },
      traffic: (read, written) => {
        counters.bytes_read += read
        counters.bytes_written += written
      },
      close: () => {
        connections.delete(connection.id)
      },
    }
  }

  const peek = (key: string): StoredItem | undefined => {
    const item = items.get(key)
    const now = tick()
    return item === undefined || isExpired(item, now) || isFlushed(item, now) ? undefined : { ...item }
  }

  const stat = (name: string): number | undefined => {
    const entry = general().find(([statName]) => statName === name)
    return entry === undefined ? undefined : Number(entry[1])
  }

  return {
    execute,
    admit,
    store,
    peek,
    openConnection,
    stat,
    now: clock,
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * What an item costs in memcached (`ITEM_ntotal` with cas enabled).
 *
 * @example
 * itemSize(1, 0, 5) // 65
 * @category utils
 */
export const itemSize = (keyLength: number, flags: number, valueLength: number): number =>
  ITEM_HEADER + keyLength + 1 + (flags === 0 ? 0 : FLAGS_SIZE) + valueLength + 2 + CAS_SIZE

const asciiBytes = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}
