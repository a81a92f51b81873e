/**
 * The item store alone: sizes, least-recently-used order, making room (reclaim before evict, or
 * refuse), the lazy reclaim of expired and flushed items and what it counts, cas uniques.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makeCounters, type Counters } from '../../src/emulator/stats.js'
import { itemSize, makeItem, makeStore, type Store, type StoreOptions } from '../../src/emulator/store.js'

const NOW = 1_700_000_000
const SIZE = itemSize(2, 0, 100)

const storeOf = (options: Partial<StoreOptions> = {}): { readonly store: Store; readonly counters: Counters } => {
  const counters = options.counters ?? makeCounters()
  return { store: makeStore({ memoryLimit: 64 * 1024 * 1024, evict: true, ...options, counters }), counters }
}

/** Makes room as the engine does, then links a 100-byte item under `key`. */
const put = (store: Store, key: string, now = NOW, expiresAt = 0): boolean => {
  const item = makeItem(key, 0, new Uint8Array(100), expiresAt, now)
  if (!store.makeRoom(item.size, now)) return false
  store.link(item)
  return true
}

const held = (store: Store, keys: ReadonlyArray<string>, now = NOW): ReadonlyArray<string> => keys.filter((key) => store.peek(key, now) !== undefined)

describe('store: sizes', () => {
  it('counts items as memcached does: 48 bytes of header, key + 1, value + 2, cas, flags when set', () => {
    expect(itemSize(1, 0, 5)).toBe(48 + 2 + 7 + 8)
    expect(itemSize(1, 7, 5)).toBe(48 + 2 + 4 + 7 + 8)
    expect(makeItem('bb', 1, new Uint8Array(1), 0, NOW).size).toBe(itemSize(2, 1, 1))
  })

  it('accounts for what is linked: a replaced item gives its bytes back', () => {
    const { store, counters } = storeOf()
    put(store, 'k0')
    store.link(makeItem('k0', 0, new Uint8Array(5), 0, NOW))
    put(store, 'k1')
    expect(store.usage()).toMatchObject({ bytes: itemSize(2, 0, 5) + SIZE, itemCount: 2 })
    expect(counters.total_items).toBe(3)
  })
})

describe('store: making room', () => {
  it('evicts from the least recently used end, and counts what it evicts', () => {
    const { store, counters } = storeOf({ memoryLimit: SIZE * 2 })
    put(store, 'k0')
    put(store, 'k1')
    store.bump(store.find('k0', NOW) ?? fail())
    put(store, 'k2', NOW + 30)
    expect(held(store, ['k0', 'k1', 'k2'], NOW + 30)).toEqual(['k0', 'k2'])
    expect([counters.evictions, counters.evicted_unfetched, counters.evicted_nonzero]).toEqual([1, 1, 0])
    expect(store.usage().lastEvictedAge).toBe(30)
  })

  it('reclaims dead items before evicting live ones', () => {
    const { store, counters } = storeOf({ memoryLimit: SIZE * 2 })
    put(store, 'k0', NOW, NOW + 5)
    put(store, 'k1')
    put(store, 'k2', NOW + 5)
    expect(held(store, ['k0', 'k1', 'k2'], NOW + 5)).toEqual(['k1', 'k2'])
    expect([counters.reclaimed, counters.evictions]).toEqual([1, 0])
  })

  it('with eviction off, refuses and keeps what it has; an item over the limit is always refused', () => {
    const { store, counters } = storeOf({ memoryLimit: SIZE * 2, evict: false })
    expect([put(store, 'k0'), put(store, 'k1'), put(store, 'k2')]).toEqual([true, true, false])
    expect(held(store, ['k0', 'k1', 'k2'])).toEqual(['k0', 'k1'])
    expect(store.makeRoom(SIZE * 3, NOW)).toBe(false)
    expect(counters.outofmemory).toBe(2)
  })

  it('a lower memory limit evicts nothing until the next write makes room', () => {
    const { store } = storeOf({ memoryLimit: SIZE * 3 })
    put(store, 'k0')
    put(store, 'k1')
    store.setMemoryLimit(SIZE)
    expect(store.usage()).toMatchObject({ memoryLimit: SIZE, itemCount: 2 })
    put(store, 'k2')
    expect(held(store, ['k0', 'k1', 'k2'])).toEqual(['k2'])
  })

  it('keeps bytes and the item count equal to what it holds, within the limit (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e')
    const operation = fc.oneof(
      fc.record({ op: fc.constant('put' as const), key, size: fc.nat(300), ttl: fc.nat(3) }),
      fc.record({ op: fc.constantFrom('find' as const, 'unlink' as const, 'bump' as const), key, size: fc.constant(0), ttl: fc.constant(0) }),
      fc.record({ op: fc.constant('flush' as const), key, size: fc.constant(0), ttl: fc.nat(3) }),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(operation, fc.nat(2)), { maxLength: 60 }), (operations) => {
        const { store } = storeOf({ memoryLimit: 1500 })
        let now = NOW
        for (const [{ op, key: name, size, ttl }, elapsed] of operations) {
          now += elapsed
          const found = op === 'put' ? undefined : store.find(name, now)
          if (op === 'put') {
            const item = makeItem(name, 0, new Uint8Array(size), ttl === 0 ? 0 : now + ttl, now)
            if (store.makeRoom(item.size, now)) store.link(item)
          } else if (op === 'unlink' && found !== undefined) store.unlink(found)
          else if (op === 'bump' && found !== undefined) store.bump(found)
          else if (op === 'flush') store.flush(now + ttl - 1, now)
        }
        // Dead items stay linked (and counted) until found: find them all, then compare.
        const live = ['a', 'b', 'c', 'd', 'e'].map((name) => store.find(name, now)).filter((item) => item !== undefined)
        expect(store.usage().itemCount).toBe(live.length)
        expect(store.usage().bytes).toBe(live.reduce((total, item) => total + item.size, 0))
        expect(store.usage().bytes).toBeLessThanOrEqual(1500)
      }),
    )
  })
})

describe('store: room reserved for values still arriving', () => {
  it('counts reserved room against the limit, evicting items for it, but never evicts a reservation', () => {
    const { store, counters } = storeOf({ memoryLimit: SIZE * 3 })
    put(store, 'k0')
    put(store, 'k1')
    expect(store.reserve(SIZE * 2, NOW)).toBe(true)
    // k0 went to make the room; k1 stays beside the reservation.
    expect([held(store, ['k0', 'k1']), counters.evictions]).toEqual([['k1'], 1])
    expect(store.usage()).toMatchObject({ bytes: SIZE, reserved: SIZE * 2 })
    // Nothing evictable is left: neither an item nor another reservation fits.
    expect(store.reserve(SIZE * 2, NOW)).toBe(false)
    expect(put(store, 'k2')).toBe(true)
    expect(held(store, ['k1', 'k2'])).toEqual(['k2'])
    store.unreserve(SIZE * 2)
    expect(store.usage()).toMatchObject({ bytes: SIZE, reserved: 0 })
    expect(store.reserve(SIZE * 2, NOW)).toBe(true)
  })
})

describe('store: lookups', () => {
  it('find reclaims an expired item and counts it; peek shows nothing and counts nothing', () => {
    const { store, counters } = storeOf()
    put(store, 'k', NOW, NOW + 1)
    expect(store.peek('k', NOW + 1)).toBeUndefined()
    expect(store.usage().itemCount).toBe(1)
    expect(store.find('k', NOW + 1)).toBeUndefined()
    expect([store.usage().itemCount, counters.get_expired, counters.expired_unfetched]).toEqual([0, 1, 1])
  })

  it('a flush point takes items written at or before it once reached; an immediate one spares later links', () => {
    const { store, counters } = storeOf()
    put(store, 'before')
    store.flush(NOW + 9, NOW)
    put(store, 'during', NOW + 9)
    expect(held(store, ['before', 'during'], NOW + 8)).toEqual(['before', 'during'])
    expect(store.find('before', NOW + 9)).toBeUndefined()
    expect(store.find('during', NOW + 9)).toBeUndefined()
    expect(counters.get_flushed).toBe(2)
    put(store, 'old', NOW + 20)
    store.flush(NOW + 19, NOW + 20)
    put(store, 'new', NOW + 20)
    expect(held(store, ['old', 'new'], NOW + 20)).toEqual(['new'])
  })

  it('gives every link and every rewrite a new cas unique; a rewrite keeps the size', () => {
    const { store } = storeOf()
    put(store, 'k0')
    put(store, 'k1')
    const item = store.find('k0', NOW) ?? fail()
    expect(item.cas).toBe(1n)
    store.rewrite(item, new Uint8Array(100).fill(49))
    expect(store.peek('k0', NOW)).toMatchObject({ cas: 3n, size: SIZE })
    expect(store.usage().bytes).toBe(SIZE * 2)
    // Rewritten is most recently used: k1 goes first.
    expect(store.usage().oldestWrittenAt).toBe(NOW)
    store.setMemoryLimit(SIZE * 2)
    put(store, 'k2')
    expect(held(store, ['k0', 'k1', 'k2'])).toEqual(['k0', 'k2'])
  })

  it('peek returns a copy: changing it changes nothing stored', () => {
    const { store } = storeOf()
    put(store, 'k')
    const copy = store.peek('k', NOW) as { fetched: boolean }
    copy.fetched = true
    expect(store.peek('k', NOW)?.fetched).toBe(false)
  })
})

const fail = (): never => {
  throw new Error('expected an item')
}
