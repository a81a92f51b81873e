/**
 * memcached's `do_add_delta`, shared by `incr`/`decr` and `ma`: the number in an item's value
 * moved by a delta, wrapping at 2⁶⁴ going up and stopping at 0 going down. A result as long as the
 * old value or shorter is written in place, padded with spaces (memcached keeps the length); a
 * longer one takes a new item, with a new cas.
 *
 * @since 0.2.0
 */
import { clientError, serverError } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import { asciiBytes } from './bytes.js'
import { byteString, strtoull } from './numbers.js'
import type { Counters } from './stats.js'
import { makeItem, type Item, type Store } from './store.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a delta did: the item changed (its new digits), no item, a cas that did not match, or a
 * refusal to answer as it is.
 * @category model
 */
export type Delta =
  | { readonly _tag: 'Changed'; readonly item: Item; readonly digits: string; readonly value: bigint }
  | { readonly _tag: 'NotFound' }
  | { readonly _tag: 'Mismatch' }
  | { readonly _tag: 'Failed'; readonly reply: Reply.Reply }

const U64 = 1n << 64n
const SPACE = 0x20
const NOT_A_NUMBER = Reply.failure(clientError('cannot increment or decrement non-numeric value'))
const NO_MEMORY = Reply.failure(serverError('out of memory'))

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Moves the number stored under `key` by `delta` (`compareCas` 0: whatever the cas). Counts the hits; a
 * miss is the caller's to count (`ma` with `N` creates the item instead).
 *
 * @example
 * const moved = addDelta(store, counters, 'hits', true, 1n, 0n, now) // { _tag: 'Changed', digits: '43', value: 43n, ... }
 * @category utils
 */
export const addDelta = (store: Store, counters: Counters, key: string, increment: boolean, delta: bigint, compareCas: bigint, now: number): Delta => {
  const item = store.find(key, now)
  if (item === undefined) return { _tag: 'NotFound' }
  if (item.value.length === 0) return { _tag: 'Failed', reply: NOT_A_NUMBER }
  if (compareCas !== 0n && item.cas !== compareCas) return { _tag: 'Mismatch' }
  const current = strtoull(byteString(item.value))
  if (current === undefined) return { _tag: 'Failed', reply: NOT_A_NUMBER }
  const value = increment ? (current + delta) % U64 : delta > current ? 0n : current - delta
  if (increment) counters.incr_hits++
  else counters.decr_hits++
  const digits = value.toString()
  if (digits.length <= item.value.length) {
    const padded = new Uint8Array(item.value.length).fill(SPACE)
    padded.set(asciiBytes(digits), 0)
    store.rewrite(item, padded)
    return { _tag: 'Changed', item, digits, value }
  }
  const replacement = makeItem(key, item.flags, asciiBytes(digits), item.expiresAt, now)
  if (!store.makeRoom(replacement.size, now)) return { _tag: 'Failed', reply: NO_MEMORY }
  store.link(replacement)
  // memcached answers from the old item, given the new cas: a TTL set now does not reach the new one.
  return { _tag: 'Changed', item: { ...item, cas: replacement.cas }, digits, value }
}
