/**
 * Node health as pure data and transitions: pymemcache's `HashClient` dead-server algorithm.
 *
 * A node is `Up`. Its first failure makes it `Failing`: for `retryTimeout` ms requests for it fail
 * fast without touching it; after that one request at a time is let through as a probe. A probe
 * that succeeds brings the node back `Up`; one that fails counts another failure. A failure beyond
 * `retryAttempts` makes the node `Dead`: it leaves the rotation, so its keys go to the node next
 * in their preference order, until `deadTimeout` ms have passed and it is re-admitted `Up`.
 *
 * pymemcache's names and defaults, in milliseconds here instead of seconds:
 * `retry_attempts=2` → `retryAttempts: 2`, `retry_timeout=1` → `retryTimeout: 1000`,
 * `dead_timeout=60` → `deadTimeout: 60_000`.
 *
 * Where we differ from pymemcache 3.5.2, on purpose:
 * - pymemcache answers requests for a failing node with the command's default value (a miss,
 *   `False`) even without `ignore_exc`; we answer `NoServers`, fast, unless `ignoreErrors` is on.
 * - pymemcache notices that the retries are used up on the *next* request and still sends that
 *   one to the node; we mark the node dead on the failure that uses them up. Same count of
 *   failures (1 + `retryAttempts`), one fewer request to a server known to be down.
 * - pymemcache re-admits dead nodes only when `dead_timeout` has also passed since its last
 *   global check, which can add up to another `dead_timeout`; we re-admit each node
 *   `deadTimeout` after it died.
 * - Requests run concurrently here: one retry at a time is let through, and failures of requests
 *   already in flight when the state changed count once (see `makeRouter`).
 *
 * @since 0.1.0
 */
import type { MemcacheError } from '../error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * pymemcache's dead-server knobs, in milliseconds.
 *
 * @example
 * rendezvous(nodes, { retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 }) // pymemcache's defaults
 * @category model
 */
export interface HealthOptions {
  /** Failed retries before a failing node is marked dead (pymemcache `retry_attempts`, default 2; 0 = dead at the first failure). */
  readonly retryAttempts?: number
  /** Ms a failing node is left alone before a retry (pymemcache `retry_timeout`, default 1000). */
  readonly retryTimeout?: number
  /** Ms a dead node stays out of the rotation (pymemcache `dead_timeout`, default 60 000). */
  readonly deadTimeout?: number
}

/**
 * Taking requests.
 *
 * @example
 * healthy // { _tag: 'Up' }
 * @category model
 */
export interface Up {
  readonly _tag: 'Up'
}

/**
 * Failed lately: left alone for `retryTimeout`, then retried one request at a time.
 *
 * @example
 * const failing: Failing = { _tag: 'Failing', failures: 1, since: Date.now() }
 * @category model
 */
export interface Failing {
  readonly _tag: 'Failing'
  /** Consecutive failures so far (1 after the first). */
  readonly failures: number
  /** When the last failure was seen. */
  readonly since: number
}

/**
 * Out of the rotation until `deadTimeout` has passed.
 *
 * @example
 * const dead: Dead = { _tag: 'Dead', since: Date.now() }
 * @category model
 */
export interface Dead {
  readonly _tag: 'Dead'
  readonly since: number
}

/**
 * A node's state in the dead-server algorithm.
 *
 * @example
 * router.status().map((status) => status.health._tag) // ['Up', 'Dead', 'Up']
 * @category model
 */
export type Health = Up | Failing | Dead

/**
 * A change of a node's state, reported to `onHealth`.
 * - `Failed`: a failure was counted (the node is `Failing`)
 * - `Dead`: the node left the rotation
 * - `Up`: a probe of a failing node succeeded
 * - `Readmitted`: a dead node came back after `deadTimeout`
 * - `Added` / `Removed`: the node was added or removed at run time
 *
 * @example
 * rendezvous(nodes, { onHealth: (event) => log.warn(`${event.node}: ${event._tag}`) })
 * @category model
 */
export type HealthEvent =
  | { readonly _tag: 'Failed'; readonly node: string; readonly failures: number; readonly error: MemcacheError }
  | { readonly _tag: 'Dead'; readonly node: string; readonly failures: number; readonly error: MemcacheError }
  | { readonly _tag: 'Up'; readonly node: string }
  | { readonly _tag: 'Readmitted'; readonly node: string }
  | { readonly _tag: 'Added'; readonly node: string }
  | { readonly _tag: 'Removed'; readonly node: string }

/**
 * Health options with the defaults filled in.
 *
 * @example
 * healthPolicy() // { retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60000 }
 * @category model
 */
export interface HealthPolicy {
  readonly retryAttempts: number
  readonly retryTimeout: number
  readonly deadTimeout: number
}

/**
 * What to do with a request for a node, right now.
 *
 * @example
 * admission(healthPolicy())(healthy, 0) // 'send'
 * @category model
 */
export type Admission = 'send' | 'probe' | 'refuse'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The state every node starts in.
 *
 * @example
 * healthy // { _tag: 'Up' }
 * @category constructors
 */
export const healthy: Up = { _tag: 'Up' }

/**
 * pymemcache's defaults for anything not given.
 *
 * @example
 * healthPolicy({ deadTimeout: 5000 }) // { retryAttempts: 2, retryTimeout: 1000, deadTimeout: 5000 }
 * @category constructors
 */
export const healthPolicy = (options: HealthOptions = {}): HealthPolicy => ({
  retryAttempts: options.retryAttempts ?? 2,
  retryTimeout: options.retryTimeout ?? 1000,
  deadTimeout: options.deadTimeout ?? 60_000,
})

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The state after a counted failure at time `now`.
 *
 * @example
 * afterFailure(healthPolicy())(healthy, 0) // { _tag: 'Failing', failures: 1, since: 0 }
 * afterFailure(healthPolicy({ retryAttempts: 0 }))(healthy, 0) // { _tag: 'Dead', since: 0 }
 * @category utils
 */
export const afterFailure =
  (policy: HealthPolicy) =>
  (health: Health, now: number): Failing | Dead => {
    const failures = health._tag === 'Failing' ? health.failures + 1 : 1
    return failures > Math.max(0, policy.retryAttempts) ? { _tag: 'Dead', since: now } : { _tag: 'Failing', failures, since: now }
  }

/**
 * Whether a request may go to a node in this state at `now` (`probe`: it may, as the one retry).
 * A dead node is out of the rotation, so it is never asked.
 *
 * @example
 * admission(healthPolicy())({ _tag: 'Failing', failures: 1, since: 0 }, 500) // 'refuse'
 * admission(healthPolicy())({ _tag: 'Failing', failures: 1, since: 0 }, 1001) // 'probe'
 * @category utils
 */
export const admission =
  (policy: HealthPolicy) =>
  (health: Health, now: number): Admission => {
    switch (health._tag) {
      case 'Up':
        return 'send'
      case 'Failing':
        return now - health.since > policy.retryTimeout ? 'probe' : 'refuse'
      case 'Dead':
        return 'refuse'
    }
  }

/**
 * Whether a dead node's time is up at `now` (pymemcache compares with `>`, so do we).
 *
 * @example
 * isDueForReadmission(healthPolicy())({ _tag: 'Dead', since: 0 }, 60_001) // true
 * @category utils
 */
export const isDueForReadmission =
  (policy: HealthPolicy) =>
  (health: Health, now: number): boolean =>
    health._tag === 'Dead' && now - health.since > policy.deadTimeout
