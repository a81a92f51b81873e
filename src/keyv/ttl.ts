/**
 * Keyv's time to live (milliseconds) as memcached's exptime (seconds).
 *
 * memcached counts whole seconds, and its clock ticks once a second: an item stored late in a tick
 * with exptime 1 may expire a moment later. So a TTL is rounded up to whole seconds and given one
 * more: memcached keeps the item at least as long as asked, never less. The exact expiry is
 * Keyv's: it writes `expires` into every value and treats a value read after it as missing (the
 * store's `has` checks it too), so through Keyv a value never outlives its TTL. A sub-second TTL
 * therefore costs memcached 2 seconds of memory, and never becomes 0 (which memcached reads as
 * "never expire").
 *
 * memcached reads an exptime over 30 days as a unix time: such TTLs are sent as the unix time they
 * end at, by this machine's clock (a server whose clock differs moves the end by the difference).
 * A TTL ending past what memcached's 32-bit exptime can say (2038) is stored without expiry;
 * Keyv's `expires` still ends it. No TTL, 0, `NaN` or `Infinity` is "never"; a negative TTL is
 * already over (exptime -1: memcached drops the item at once).
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The longest exptime memcached reads as seconds from now (30 days); larger is a unix time.
 *
 * @example
 * MAX_RELATIVE_EXPTIME // 2_592_000
 * @category model
 */
export const MAX_RELATIVE_EXPTIME = 2_592_000

/** The largest exptime the protocol carries: a signed 32-bit number of seconds. */
const MAX_EXPTIME = 2_147_483_647

/** The second memcached adds on top of a rounded-up TTL, for its clock's whole-second ticks. */
const TICK_SLACK = 1

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The exptime to store a value with Keyv's TTL `ttl` (milliseconds), `nowMs` being this machine's
 * clock (read only for TTLs over 30 days).
 *
 * @example
 * toExptime(undefined, Date.now()) // 0: never
 * toExptime(200, Date.now()) // 2: rounded up to 1 s, plus memcached's tick
 * toExptime(60_000, Date.now()) // 61
 * toExptime(40 * 86_400_000, Date.parse('2026-01-01T00:00:00Z')) // 1770681601: the unix time, plus the tick
 * toExptime(-5, Date.now()) // -1: already over
 * @category utils
 */
export const toExptime = (ttl: number | undefined, nowMs: number): number => {
  if (ttl === undefined || Number.isNaN(ttl) || ttl === Infinity || ttl === 0) return 0
  if (ttl < 0) return -1
  const seconds = Math.ceil(ttl / 1000) + TICK_SLACK
  if (seconds <= MAX_RELATIVE_EXPTIME) return seconds
  const until = Math.ceil((nowMs + ttl) / 1000) + TICK_SLACK
  return until > MAX_EXPTIME ? 0 : until
}
