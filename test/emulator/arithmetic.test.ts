/**
 * memcached's `do_add_delta` on a store alone: wrapping, stopping at zero, rewriting in place with
 * spaces, a longer number taking a new item and cas, refusals, and the hits it counts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addDelta } from '../../src/emulator/arithmetic.js'
import { makeCounters } from '../../src/emulator/stats.js'
import { makeItem, makeStore } from '../../src/emulator/store.js'

const NOW = 1_700_000_000
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')

const storeWith = (value: string, memoryLimit = 64 * 1024 * 1024) => {
  const counters = makeCounters()
  const store = makeStore({ memoryLimit, evict: false, counters })
  const item = makeItem('n', 0, Buffer.from(value, 'latin1'), 0, NOW)
  store.link(item)
  return { store, counters, cas: item.cas }
}

describe('addDelta', () => {
  it('rewrites a shorter or equal result in place, padded with spaces, with a new cas (as memcached)', () => {
    const { store, counters, cas } = storeWith('100')
    const moved = addDelta(store, counters, 'n', false, 95n, 0n, NOW)
    expect(moved).toMatchObject({ _tag: 'Changed', digits: '5', value: 5n })
    expect(text(store.peek('n', NOW)?.value ?? new Uint8Array())).toBe('5  ')
    expect(store.peek('n', NOW)?.cas).not.toBe(cas)
    expect(counters.decr_hits).toBe(1)
  })

  it('a longer result is a new item with a new cas; the answer keeps the old item with that cas', () => {
    const { store, counters, cas } = storeWith('9')
    const moved = addDelta(store, counters, 'n', true, 1n, 0n, NOW)
    if (moved._tag !== 'Changed') throw new Error(moved._tag)
    const stored = store.peek('n', NOW)
    expect(text(stored?.value ?? new Uint8Array())).toBe('10')
    expect(stored?.cas).not.toBe(cas)
    expect(moved.item.cas).toBe(stored?.cas)
    expect(counters.incr_hits).toBe(1)
  })

  it('wraps at 2^64 going up and stops at 0 going down', () => {
    const up = storeWith('18446744073709551615')
    expect(addDelta(up.store, up.counters, 'n', true, 2n, 0n, NOW)).toMatchObject({ value: 1n })
    const down = storeWith('3')
    expect(addDelta(down.store, down.counters, 'n', false, 10n, 0n, NOW)).toMatchObject({ value: 0n })
  })

  it('refuses non-numbers and empty values, finds nothing for a missing key, and compares a cas', () => {
    const word = storeWith('abc')
    expect(addDelta(word.store, word.counters, 'n', true, 1n, 0n, NOW)).toMatchObject({ _tag: 'Failed' })
    const empty = storeWith('')
    expect(addDelta(empty.store, empty.counters, 'n', true, 1n, 0n, NOW)).toMatchObject({ _tag: 'Failed' })
    expect(addDelta(word.store, word.counters, 'missing', true, 1n, 0n, NOW)).toEqual({ _tag: 'NotFound' })
    const number = storeWith('1')
    expect(addDelta(number.store, number.counters, 'n', true, 1n, number.cas + 1n, NOW)).toEqual({ _tag: 'Mismatch' })
    expect(addDelta(number.store, number.counters, 'n', true, 1n, number.cas, NOW)).toMatchObject({ _tag: 'Changed', value: 2n })
    expect(number.counters.incr_hits).toBe(1)
  })

  it('computes what bigint arithmetic modulo 2^64 does, for any value and delta', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), (start, delta, increment) => {
        const { store, counters } = storeWith(start.toString())
        const moved = addDelta(store, counters, 'n', increment, delta, 0n, NOW)
        const expected = increment ? (start + delta) % (1n << 64n) : delta > start ? 0n : start - delta
        expect(moved).toMatchObject({ _tag: 'Changed', value: expected })
        expect(text(store.peek('n', NOW)?.value ?? new Uint8Array()).trimEnd()).toBe(expected.toString())
      }),
    )
  })
})
