/**
 * Retry policies as values that combine, after retry-ts: a policy looks at how many attempts have
 * failed and how long was waited, and says how long to wait before the next one (`some(ms)`) or
 * to give up (`none`).
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * // up to 3 retries, exponential from 10 ms with full jitter, never more than 200 ms apart
 * const policy = pipe(exponentialBackoff(10), fullJitter(), capDelay(200), concat(limitRetries(3)))
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import type * as M from 'fp-ts/lib/Monoid.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface RetryStatus {
  /** Retries made so far (0 before the first retry). */
  readonly iteration: number
  /** Milliseconds waited so far, over all retries. */
  readonly cumulativeDelay: number
  readonly previousDelay: O.Option<number>
}

/** @category model */
export type RetryPolicy = (status: RetryStatus) => O.Option<number>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Retry at once, as many times as asked.
 *
 * @example
 * limitRetries(2)(initialStatus) // some(0)
 * @category constructors
 */
export const limitRetries =
  (retries: number): RetryPolicy =>
  (status) =>
    status.iteration < retries ? O.some(0) : O.none

/**
 * Always the same delay (combine with `limitRetries` to stop).
 *
 * @example
 * constantDelay(50)(initialStatus) // some(50)
 * @category constructors
 */
export const constantDelay =
  (delay: number): RetryPolicy =>
  () =>
    O.some(delay)

/**
 * `base * 2^iteration` milliseconds.
 *
 * @example
 * exponentialBackoff(10)({ ...initialStatus, iteration: 3 }) // some(80)
 * @category constructors
 */
export const exponentialBackoff =
  (base: number): RetryPolicy =>
  (status) =>
    O.some(base * Math.pow(2, status.iteration))

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Both policies must agree to retry; the longer delay wins.
 *
 * @example
 * pipe(constantDelay(20), concat(limitRetries(3)))
 * @category combinators
 */
export const concat =
  (second: RetryPolicy) =>
  (first: RetryPolicy): RetryPolicy =>
  (status) => {
    const a = first(status)
    if (O.isNone(a)) return O.none
    const b = second(status)
    return O.isNone(b) ? O.none : O.some(Math.max(a.value, b.value))
  }

/**
 * Never wait longer than `max` between attempts.
 *
 * @example
 * pipe(exponentialBackoff(10), capDelay(100))
 * @category combinators
 */
export const capDelay =
  (max: number) =>
  (policy: RetryPolicy): RetryPolicy =>
  (status) =>
    O.map((delay: number) => Math.min(delay, max))(policy(status))

/**
 * "Full jitter": a uniformly random delay between 0 and what the policy says, so that many
 * clients failing at once do not retry in lockstep. `random` is injectable for tests.
 *
 * @example
 * pipe(exponentialBackoff(10), fullJitter())
 * @category combinators
 */
export const fullJitter =
  (random: () => number = Math.random) =>
  (policy: RetryPolicy): RetryPolicy =>
  (status) =>
    O.map((delay: number) => Math.floor(random() * (delay + 1)))(policy(status))

/**
 * Give up once the total wait would pass `budget` milliseconds.
 *
 * @example
 * pipe(constantDelay(100), limitCumulativeDelay(1000))
 * @category combinators
 */
export const limitCumulativeDelay =
  (budget: number) =>
  (policy: RetryPolicy): RetryPolicy =>
  (status) =>
    O.filter((delay: number) => status.cumulativeDelay + delay <= budget)(policy(status))

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * Policies form a monoid under `concat`; the empty policy retries at once, forever.
 *
 * @example
 * import { concatAll } from 'fp-ts/lib/Monoid.js'
 * concatAll(Monoid)([constantDelay(10), limitRetries(3)])
 * @category instances
 */
export const Monoid: M.Monoid<RetryPolicy> = {
  concat: (first, second) => concat(second)(first),
  empty: () => O.some(0),
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The status before any retry.
 *
 * @example
 * limitRetries(1)(initialStatus) // some(0)
 * @category utils
 */
export const initialStatus: RetryStatus = { iteration: 0, cumulativeDelay: 0, previousDelay: O.none }

/**
 * The status after waiting `delay` for one more retry.
 *
 * @example
 * next(initialStatus, 10) // { iteration: 1, cumulativeDelay: 10, previousDelay: some(10) }
 * @category utils
 */
export const next = (status: RetryStatus, delay: number): RetryStatus => ({
  iteration: status.iteration + 1,
  cumulativeDelay: status.cumulativeDelay + delay,
  previousDelay: O.some(delay),
})
