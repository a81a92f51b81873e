/**
 * The emulator's item store: items by key in least-recently-used order, what they cost against
 * the memory limit, eviction, and the lazy reclaim of expired and flushed items, as memcached 1.6's
 * `items.c` does it. What each command does with items is the engine's (`engine.ts`).
 *
 * - Sizes are memcached's `ITEM_ntotal`: 48 bytes of header, key + 1, value + 2, 8 for the cas
 *   unique and 4 more for non-zero flags.
 * - An expired or flushed item stays linked (and counted in `curr_items` and `bytes`) until a
 *   lookup finds it (`get_expired`, `get_flushed`) or the allocator needs its room (`reclaimed`).
 * - Making room takes from the least recently used end: dead items are reclaimed, live ones evicted
 *   (`evictions`), unless evicting is off (memcached's `-M`).
 * - Room can be reserved for an item whose value is still arriving (memcached allocates the item
 *   before it reads the data block): reserved bytes count against the limit like items do, but are
 *   not items (`bytes` and `curr_items` leave them out, as memcached's do) and cannot be evicted.
 * - cas uniques come from one counter, taken on every link and every in-place rewrite; an
 *   immediate flush also takes one (it marks the flush point).
 *
 * Times are unix seconds, passed in by the caller (the engine reads its clock once per command).
 *
 * @since 0.2.0
 */
import type { Counters } from './stats.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

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
  /** When it was last accessed, in unix seconds (memcached's `it->time`, the meta `l` flag). */
  readonly lastAccessAt: number
  /** memcached's `ITEM_ACTIVE`: fetched twice; later fetches leave `lastAccessAt` alone. */
  readonly active: boolean
  /** Marked stale by a meta invalidation (`md k I`, memcached's `ITEM_STALE`): readers see `X`. */
  readonly stale: boolean
  /** A meta win token (`W`) was handed out for it (memcached's `ITEM_TOKEN_SENT`): readers see `Z`. */
  readonly tokenSent: boolean
  /** Stored by `ms` with a base64 key (memcached's `ITEM_KEY_BINARY`): meta replies write its key as base64. */
  readonly binaryKey: boolean
}

/**
 * An item inside the store. The engine moves its expiry and marks it fetched in place; its key,
 * value and size change only through the store (`link`, `rewrite`), which keeps the accounting.
 * @category model
 */
export interface Item {
  readonly key: string
  readonly flags: number
  readonly value: Uint8Array
  readonly cas: bigint
  expiresAt: number
  readonly writtenAt: number
  fetched: boolean
  readonly size: number
  lastAccessAt: number
  active: boolean
  stale: boolean
  tokenSent: boolean
  binaryKey: boolean
}

/** What the store holds, for `stats`. @category model */
export interface StoreUsage {
  readonly memoryLimit: number
  /** Bytes held, linked items' sizes summed. */
  readonly bytes: number
  /** Bytes reserved for items whose values are still being read. */
  readonly reserved: number
  readonly itemCount: number
  /** When the least recently used item was written; `undefined` when the store is empty. */
  readonly oldestWrittenAt: number | undefined
  /** How long the last evicted item had been held, in seconds. */
  readonly lastEvictedAge: number
}

/** @category model */
export interface StoreOptions {
  /** Bytes of items kept before making room (memcached's `-m`). */
  readonly memoryLimit: number
  /** `false`: never evict a live item to make room (memcached's `-M`). */
  readonly evict: boolean
  /** Where the store counts reclaims, evictions, expired and flushed lookups and links. */
  readonly counters: Counters
}

/**
 * Items by key, least recently used first. Not a class: a record of functions over one `Map`.
 * @category model
 */
export interface Store {
  /** memcached's `do_item_get`: the live item under `key`, reclaiming (and counting) an expired or flushed one. */
  readonly find: (key: string, now: number) => Item | undefined
  /** The live item under `key` as a copy, without reclaiming or counting anything. */
  readonly peek: (key: string, now: number) => StoredItem | undefined
  /**
   * Frees room for `size` more bytes from the least recently used end, as memcached's allocator
   * does before it reads a value. `false` when the item cannot fit (or evicting is off).
   */
  readonly makeRoom: (size: number, now: number) => boolean
  /** `makeRoom`, then holds the room until `unreserve`: for a value still arriving. `false` when it cannot fit. */
  readonly reserve: (size: number, now: number) => boolean
  /** Gives back room reserved before. */
  readonly unreserve: (size: number) => void
  /** Links `item` under its key with a new cas unique, in place of the item there (memcached's `item_replace`). */
  readonly link: (item: Item) => void
  readonly unlink: (item: Item) => void
  /** Makes `item` the most recently used. */
  readonly bump: (item: Item) => void
  /** Gives a linked `item` a new value of the same length and a new cas unique, and bumps it (an `incr` in place). */
  readonly rewrite: (item: Item, value: Uint8Array) => void
  /** Gives `item` a new cas unique and nothing else (a meta invalidation). */
  readonly renewCas: (item: Item) => void
  /**
   * memcached's flush point: once `now` reaches `oldestLive`, items written at or before it are
   * gone; when it is already reached, items linked from now on survive it.
   */
  readonly flush: (oldestLive: number, now: number) => void
  readonly setMemoryLimit: (bytes: number) => void
  readonly usage: () => StoreUsage
}

/** `sizeof(item)` on a 64-bit build. */
const ITEM_HEADER = 48
const CAS_SIZE = 8
const FLAGS_SIZE = 4

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A new item, not yet linked; `value` is kept, not copied.
 *
 * @example
 * makeItem('k', 0, new Uint8Array([120]), 0, nowSeconds) // size 61
 * @category constructors
 */
export const makeItem = (key: string, flags: number, value: Uint8Array, expiresAt: number, now: number): Item => ({
  key,
  flags,
  value,
  cas: 0n,
  expiresAt,
  writtenAt: now,
  fetched: false,
  size: itemSize(key.length, flags, value.length),
  lastAccessAt: now,
  active: false,
  stale: false,
  tokenSent: false,
  binaryKey: false,
})

interface LinkedItem {
  key: string
  flags: number
  value: Uint8Array
  cas: bigint
  expiresAt: number
  writtenAt: number
  fetched: boolean
  size: number
  lastAccessAt: number
  active: boolean
  stale: boolean
  tokenSent: boolean
  binaryKey: boolean
}

/**
 * An empty store.
 *
 * @example
 * const store = makeStore({ memoryLimit: 64 * 1024 * 1024, evict: true, counters: makeCounters() })
 * store.link(makeItem('k', 0, new Uint8Array([120]), 0, now))
 * store.find('k', now) // the item
 * @category constructors
 */
export const makeStore = (options: StoreOptions): Store => {
  const { counters, evict } = options
  let memoryLimit = options.memoryLimit
  /** Insertion order is recency: the first entry is the least recently used. */
  const items = new Map<string, LinkedItem>()
  let bytesUsed = 0
  let bytesReserved = 0
  let lastEvictedAge = 0
  let casCounter = 0n
  /** memcached's `settings.oldest_live` in unix seconds; 0 when no flush is pending or done. */
  let oldestLive = 0
  /** memcached's `settings.oldest_cas`: items with a smaller cas were flushed. */
  let oldestCas = 0n

  const isFlushed = (item: Item, now: number): boolean =>
    oldestLive !== 0 && oldestLive <= now && (item.writtenAt <= oldestLive || (oldestCas !== 0n && item.cas < oldestCas))

  const isExpired = (item: Item, now: number): boolean => item.expiresAt !== 0 && item.expiresAt <= now

  const unlink = (item: Item): void => {
    if (items.get(item.key) === item) {
      items.delete(item.key)
      bytesUsed -= item.size
    }
  }

  const bump = (item: Item): void => {
    items.delete(item.key)
    items.set(item.key, item)
  }

  const find = (key: string, now: number): Item | undefined => {
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

  const makeRoom = (size: number, now: number): boolean => {
    if (size > memoryLimit) {
      counters.outofmemory++
      return false
    }
    for (const item of items.values()) {
      if (bytesUsed + bytesReserved + size <= memoryLimit) break
      const dead = isExpired(item, now) || isFlushed(item, now)
      if (!dead && !evict) break
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
    if (bytesUsed + bytesReserved + size <= memoryLimit) return true
    counters.outofmemory++
    return false
  }

  const reserve = (size: number, now: number): boolean => {
    if (!makeRoom(size, now)) return false
    bytesReserved += size
    return true
  }

  const unreserve = (size: number): void => {
    bytesReserved = Math.max(0, bytesReserved - size)
  }

  const link = (item: Item): void => {
    const linked: LinkedItem = item
    linked.cas = ++casCounter
    const previous = items.get(item.key)
    if (previous !== undefined) unlink(previous)
    items.set(item.key, linked)
    bytesUsed += item.size
    counters.total_items++
  }

  const rewrite = (item: Item, value: Uint8Array): void => {
    const linked: LinkedItem = item
    linked.value = value
    linked.cas = ++casCounter
    bump(item)
  }

  const renewCas = (item: Item): void => {
    const linked: LinkedItem = item
    linked.cas = ++casCounter
  }

  const flush = (until: number, now: number): void => {
    oldestLive = until
    if (oldestLive <= now) oldestCas = ++casCounter
  }

  const peek = (key: string, now: number): StoredItem | undefined => {
    const item = items.get(key)
    return item === undefined || isExpired(item, now) || isFlushed(item, now) ? undefined : { ...item }
  }

  const usage = (): StoreUsage => ({
    memoryLimit,
    bytes: bytesUsed,
    reserved: bytesReserved,
    itemCount: items.size,
    oldestWrittenAt: items.values().next().value?.writtenAt,
    lastEvictedAge,
  })

  return {
    find,
    peek,
    makeRoom,
    reserve,
    unreserve,
    link,
    unlink,
    bump,
    rewrite,
    renewCas,
    flush,
    setMemoryLimit: (bytes) => {
      memoryLimit = bytes
    },
    usage,
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * A read of `item` at `now`, as memcached 1.6's segmented LRU records it (`do_item_bump`): the
 * first marks it fetched, the second marks it active and moves its last access time; later ones
 * change nothing. The LRU position is the store's (`bump`).
 *
 * @example
 * noteFetch(item, now) // item.fetched === true
 * @category utils
 */
export const noteFetch = (item: Item, now: number): void => {
  if (!item.fetched) {
    item.fetched = true
  } else if (!item.active) {
    item.active = true
    item.lastAccessAt = now
  }
}

/**
 * What an item costs in memcached (`ITEM_ntotal` with cas enabled).
 *
 * @example
 * itemSize(1, 0, 5) // 65
 * @category utils
 */
export const itemSize = (keyLength: number, flags: number, valueLength: number): number =>
  ITEM_HEADER + keyLength + 1 + (flags === 0 ? 0 : FLAGS_SIZE) + valueLength + 2 + CAS_SIZE
