/**
 * Node health: a `HealthPolicy` (how a node's state moves with outcomes and time: pure functions),
 * two of them — `circuitBreakerHealth`, the default, and `pymemcacheHealth`, pymemcache's
 * `HashClient` dead-server algorithm — and `makeNodeHealth`, the per-node state machine the router
 * composes (one per node, with an injectable clock).
 *
 * The default, `circuitBreakerHealth`: a slow reply or a reset now and then must not take a node out
 * of service, a dead node must be found out fast. A node is `Up`. A connection-level failure makes
 * it `Suspected`: its requests are still sent, and its first answer makes it `Up` again. Failures
 * in a row are weighed — 1 for a refused connect, a reset or a closed connection (strong evidence
 * of death), `timeoutWeight` (0.5) for a timeout (a slow reply is weak evidence) — and when their
 * weight reaches `threshold` (3) the node is `Failing`: out of service, one trial request at a time
 * goes to it (the first at once, then one every `probeInterval` ms while they fail), the others fail
 * fast with `NoServers` (or go to the next node with the router's `failover`), and the first trial
 * that succeeds puts it back `Up`. A failure more than `window` ms after the previous one starts the
 * count again. It never uses `Dead`: a node out of service keeps its keys (no placement churn).
 *
 * pymemcache's algorithm (`pymemcacheHealth`), for those who want it exactly:
 * A node is `Up`. Its first failure makes it `Failing`: for `retryTimeout` ms requests for it fail
 * fast without touching it; after that one request at a time is let through as a probe. A probe
 * that succeeds brings the node back `Up`; one that fails counts another failure. A failure beyond
 * `retryAttempts` makes the node `Dead`: it leaves the rotation, so its keys go to the node next
 * in their preference order, until `deadTimeout` ms have passed and it is re-admitted `Up`.
 * Under transient faults (one slow reply in twenty) this takes nodes out all the time: one timeout
 * refuses a node's keys for `retryTimeout`, three kill it for `deadTimeout`.
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
 *   already in flight when the state changed count once (see `makeNodeHealth`).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { isTransient, type MemcacheError } from '../error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * pymemcache's dead-server knobs, in milliseconds, for `pymemcacheHealth`. A router given any of
 * them among its options (and no `health`) runs `pymemcacheHealth` with them instead of its default.
 *
 * @example
 * pymemcacheHealth({ retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 }) // pymemcache's defaults
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
 * The knobs of `circuitBreakerHealth`, the router's default policy.
 *
 * @example
 * circuitBreakerHealth({ threshold: 3, timeoutWeight: 0.5, window: 10_000, probeInterval: 1000 }) // the defaults
 * @category model
 */
export interface CircuitBreakerOptions {
  /**
   * The weight of failures in a row that takes a node out of service: a refused connect, a reset or
   * a closed connection weighs 1, a timeout `timeoutWeight`. Default 3 (three refusals, or six
   * timeouts, with no answer between them).
   */
  readonly threshold?: number
  /**
   * What one timeout (of a request, or of a connect) or one undecodable reply weighs against a
   * refusal's 1: a slow reply is weak evidence that a node is dead. Default 0.5; 0 never holds a
   * timeout against a node, 1 weighs it as a refusal.
   */
  readonly timeoutWeight?: number
  /** Ms: a failure more than this after the previous one starts the count again. Default 10 000. */
  readonly window?: number
  /**
   * Ms between trial requests to a node out of service: the first goes as soon as a request for the
   * node comes, the next this long after a trial failed. Default 1000.
   */
  readonly probeInterval?: number
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
 * Failed lately but still taking requests (`circuitBreakerHealth`): its first answer makes it `Up`
 * again; more failures in a row take it out of service (`Failing`).
 *
 * @example
 * const suspected: Suspected = { _tag: 'Suspected', failures: 1, weight: 0.5, since: Date.now() }
 * @category model
 */
export interface Suspected {
  readonly _tag: 'Suspected'
  /** Consecutive failures so far (1 after the first). */
  readonly failures: number
  /** Their weight (see `CircuitBreakerOptions.threshold`). */
  readonly weight: number
  /** When the last failure was seen. */
  readonly since: number
}

/**
 * Failed lately: out of service, retried one request at a time.
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
  /** When the next trial request may go, for policies that schedule them (`circuitBreakerHealth`); pymemcache's waits `retryTimeout` after `since`. */
  readonly probeAt?: number
}

/**
 * Out of the rotation (its keys go to their next node) until its policy re-admits it.
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
 * A node's state: `Up`, `Suspected` (failed lately, requests still sent), `Failing` (still in the
 * rotation, requests refused or probed) or `Dead` (out of the rotation).
 *
 * @example
 * router.status().map((status) => status.health._tag) // ['Up', 'Suspected', 'Failing']
 * @category model
 */
export type Health = Up | Suspected | Failing | Dead

/**
 * A change of a node's state, reported to `onHealth`. Suspicion is not told (under transient
 * faults it comes and goes with every slow reply): see `status()` for it.
 * - `Failed`: a failure was counted and the node is `Failing` (out of service, probed)
 * - `Dead`: the node left the rotation
 * - `Up`: a probe of a failing node succeeded (the node is back in service)
 * - `Readmitted`: a dead node came back
 * - `Added` / `Removed`: the node was added or removed at run time (told by the router)
 *
 * @example
 * makeRouter(rendezvous, nodes, { onHealth: (event) => log.warn(`${event.node}: ${event._tag}`) })
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
 * What to do with a request for a node, right now: send it, send it as the one trial request
 * (`probe`), or refuse it.
 *
 * @example
 * pymemcacheHealth().admission(healthy, 0) // 'send'
 * @category model
 */
export type Admission = 'send' | 'probe' | 'refuse'

/**
 * A dead-server algorithm: how a node's `Health` moves with the outcomes of its requests and with
 * time. Pure functions of a state and a time; every function returns the very `health` it was
 * given when nothing changes (that is how a change is noticed). `circuitBreakerHealth` is the
 * default; `pymemcacheHealth` is the other one here.
 *
 * @example
 * const neverDies: HealthPolicy = {
 *   name: 'never-dies',
 *   admission: () => 'send',
 *   afterFailure: (health) => health,
 *   afterSuccess: (health) => health,
 *   afterTime: (health) => health,
 *   refusal: (node) => `${node} is refusing`,
 * }
 * makeRouter(rendezvous, nodes, { health: neverDies })
 * @category model
 */
export interface HealthPolicy {
  /** A name for logs. */
  readonly name: string
  /** Whether a request may go to a node in `health` at `now`. */
  readonly admission: (health: Health, now: number) => Admission
  /**
   * The state after a request failed with `error` at `now`; `health` itself when the error is not
   * held against the node (`InvalidKey`...): the outcome then counts as an answer (`afterSuccess`).
   */
  readonly afterFailure: (health: Health, error: MemcacheError, now: number) => Health
  /** The state after a request succeeded at `now`; `probe`: it was the trial request. */
  readonly afterSuccess: (health: Health, probe: boolean, now: number) => Health
  /** The state at `now` with no request: how a dead node comes back. */
  readonly afterTime: (health: Health, now: number) => Health
  /** Why a node in `health` refuses requests, for the `NoServers` message. */
  readonly refusal: (node: string, health: Health) => string
}

/**
 * Leave to send one request to a node, from `NodeHealth.admit`; its outcome is recorded with it.
 *
 * @example
 * const admitted = nodeHealth.admit()
 * if (O.isSome(admitted)) nodeHealth.record(admitted.value, await transport.send(request)())
 * @category model
 */
export interface Ticket {
  /** The request is the node's one trial request: no other is let through until it is recorded. */
  readonly probe: boolean
  /** The node's state change count when admitted: an outcome from an older state is not counted again. */
  readonly epoch: number
}

/**
 * One node's health as a small state machine: admission, outcomes, re-admission, change hook.
 *
 * @example
 * const health = makeNodeHealth('10.0.0.1:11211', { now: () => clock })
 * health.admit() // some({ probe: false, epoch: 0 })
 * @category model
 */
export interface NodeHealth {
  readonly node: string
  /** The state now, as last moved (`refresh` moves it with time). */
  readonly current: () => Health
  /** Moves the state with time (a dead node whose time is up comes back); `true` when it changed. */
  readonly refresh: () => boolean
  /** Leave to send one request now, or `none` when the node refuses (see `refusal`). Only one probe is out at a time. */
  readonly admit: () => O.Option<Ticket>
  /**
   * Counts the outcome of a request admitted with `ticket`. An outcome from before the last change
   * of state is not counted: one outage of a busy node is one failure, not fifty. Every ticket
   * is recorded or given back once, so that a probe is never left out for good.
   */
  readonly record: (ticket: Ticket, outcome: E.Either<MemcacheError, unknown>) => void
  /** The request admitted with `ticket` was not sent, or its outcome is unknown: nothing is counted, its probe is given back. */
  readonly giveBack: (ticket: Ticket) => void
  /** Why the node refuses requests now, for `NoServers`. */
  readonly refusal: () => string
}

/**
 * How `makeNodeHealth` decides and whom it tells.
 *
 * @example
 * makeNodeHealth('10.0.0.1:11211', { policy: pymemcacheHealth({ deadTimeout: 5000 }), onChange: (event) => console.log(event) })
 * @category model
 */
export interface NodeHealthOptions {
  /** Default `circuitBreakerHealth()`. */
  readonly policy?: HealthPolicy
  /** The clock, in ms. Default `Date.now`. */
  readonly now?: () => number
  /** Told every change of state, after it is made. Must not throw (an exception is dropped). */
  readonly onChange?: (event: HealthEvent, from: Health, to: Health) => void
}

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
 * pymemcache's `HashClient` dead-server algorithm (see the module's notes), its defaults for
 * anything not given. Only transient errors (`isTransient`) count as failures.
 *
 * @example
 * const policy = pymemcacheHealth({ deadTimeout: 5000 })
 * policy.afterFailure(healthy, timeout(100, 'get', 'a:1'), 0) // { _tag: 'Failing', failures: 1, since: 0 }
 * policy.admission({ _tag: 'Failing', failures: 1, since: 0 }, 500) // 'refuse'
 * policy.admission({ _tag: 'Failing', failures: 1, since: 0 }, 1001) // 'probe'
 * policy.afterTime({ _tag: 'Dead', since: 0 }, 5001) // healthy
 * @category constructors
 */
export const pymemcacheHealth = (options: HealthOptions = {}): HealthPolicy => {
  const retryAttempts = Math.max(0, options.retryAttempts ?? 2)
  const retryTimeout = options.retryTimeout ?? 1000
  const deadTimeout = options.deadTimeout ?? 60_000
  return {
    name: 'pymemcache',
    admission: (health, now) => {
      switch (health._tag) {
        case 'Up':
        case 'Suspected':
          return 'send'
        case 'Failing':
          return now - health.since > retryTimeout ? 'probe' : 'refuse'
        case 'Dead':
          // Out of the rotation: it is never asked.
          return 'refuse'
      }
    },
    afterFailure: (health, error, now) => {
      if (!isTransient(error)) return health
      const failures = health._tag === 'Failing' ? health.failures + 1 : 1
      return failures > retryAttempts ? { _tag: 'Dead', since: now } : { _tag: 'Failing', failures, since: now }
    },
    afterSuccess: (health, probe) => (probe && health._tag === 'Failing' ? healthy : health),
    // pymemcache compares with `>`, so do we.
    afterTime: (health, now) => (health._tag === 'Dead' && now - health.since > deadTimeout ? healthy : health),
    refusal: (node, health) => {
      switch (health._tag) {
        case 'Dead':
          return `${node} is marked dead; it is re-admitted ${deadTimeout} ms after it died`
        case 'Failing':
          return `${node} is failing (${health.failures} failures); it is retried ${retryTimeout} ms after the last one`
        case 'Suspected':
        case 'Up':
          return `${node} is up`
      }
    },
  }
}

/**
 * The router's default dead-server algorithm (see the module's notes): a node is taken out of
 * service only after failures in a row weighing `threshold` (refusals and resets weigh 1, timeouts
 * `timeoutWeight`), tried one request at a time while out, and put back by the first trial that
 * succeeds. Errors that say nothing against the node (a bad key, a server error line, `Overloaded`)
 * count as answers.
 *
 * @example
 * const policy = circuitBreakerHealth({ threshold: 2, probeInterval: 500 })
 * policy.afterFailure(healthy, timeout(60, 'get', 'a:1'), 0) // { _tag: 'Suspected', failures: 1, weight: 0.5, since: 0 }
 * policy.admission({ _tag: 'Suspected', failures: 1, weight: 0.5, since: 0 }, 1) // 'send'
 * policy.afterFailure(healthy, connectError('a:1', 'ECONNREFUSED', 'refused'), 0) // { _tag: 'Suspected', failures: 1, weight: 1, since: 0 }
 * policy.afterFailure({ _tag: 'Suspected', failures: 1, weight: 1, since: 0 }, connectError('a:1', 'ECONNREFUSED', 'refused'), 5)
 * // { _tag: 'Failing', failures: 2, since: 5, probeAt: 5 }: out of service, probed at once
 * @category constructors
 */
export const circuitBreakerHealth = (options: CircuitBreakerOptions = {}): HealthPolicy => {
  const threshold = options.threshold ?? 3
  const timeoutWeight = Math.max(0, options.timeoutWeight ?? 0.5)
  const window = options.window ?? 10_000
  const probeInterval = options.probeInterval ?? 1000

  const weightOf = (error: MemcacheError): number => {
    switch (error._tag) {
      case 'ConnectError':
        return error.code === 'ETIMEDOUT' ? timeoutWeight : 1
      case 'ConnectionClosed':
        return 1
      // A node whose replies cannot be read is as useless as a silent one, and as likely to recover.
      case 'Timeout':
      case 'ProtocolError':
        return timeoutWeight
      default:
        return 0
    }
  }

  const outOfService = (failures: number, now: number): Failing => ({ _tag: 'Failing', failures, since: now, probeAt: now })

  /** The state after the `failures`-th failure in a row, all of them weighing `sum`. */
  const counted = (failures: number, sum: number, now: number): Health =>
    sum >= threshold ? outOfService(failures, now) : { _tag: 'Suspected', failures, weight: sum, since: now }

  return {
    name: 'circuit-breaker',
    admission: (health, now) => {
      switch (health._tag) {
        case 'Up':
        case 'Suspected':
          return 'send'
        case 'Failing':
          return now >= (health.probeAt ?? health.since + probeInterval) ? 'probe' : 'refuse'
        case 'Dead':
          return 'refuse'
      }
    },
    afterFailure: (health, error, now) => {
      const weight = weightOf(error)
      if (weight === 0) return health
      switch (health._tag) {
        case 'Up':
          return counted(1, weight, now)
        case 'Suspected':
          return now - health.since > window ? counted(1, weight, now) : counted(health.failures + 1, health.weight + weight, now)
        case 'Failing':
          return { _tag: 'Failing', failures: health.failures + 1, since: now, probeAt: now + probeInterval }
        case 'Dead':
          return health
      }
    },
    // Any answer clears a suspicion; only the trial request can end an outage (others were refused).
    afterSuccess: (health, probe) => (health._tag === 'Suspected' || (probe && health._tag === 'Failing') ? healthy : health),
    afterTime: (health) => health,
    refusal: (node, health) => {
      switch (health._tag) {
        case 'Failing':
          return `${node} is out of service after ${health.failures} failures in a row; one trial request at a time goes to it, every ${probeInterval} ms, until one succeeds`
        case 'Dead':
          return `${node} is marked dead`
        case 'Suspected':
          return `${node} is taking requests (${health.failures} failures in a row lately)`
        case 'Up':
          return `${node} is up`
      }
    },
  }
}

/**
 * One node's health state machine over `policy`. It holds the state, counts consecutive failures,
 * lets one probe out at a time, ignores late outcomes from before its last change of state, and
 * tells `onChange` each change. No timers: time moves when `refresh` or `admit` reads the clock.
 *
 * @example
 * let clock = 0
 * const health = makeNodeHealth('10.0.0.1:11211', { now: () => clock })
 * const admitted = health.admit()
 * if (O.isSome(admitted)) health.record(admitted.value, E.left(connectError('10.0.0.1:11211', 'ECONNREFUSED', 'refused')))
 * health.current() // { _tag: 'Failing', failures: 1, since: 0 }
 * @category constructors
 */
export const makeNodeHealth = (node: string, options: NodeHealthOptions = {}): NodeHealth => {
  const policy = options.policy ?? circuitBreakerHealth()
  const now = options.now ?? Date.now
  const onChange = options.onChange
  let health: Health = healthy
  let epoch = 0
  let failures = 0
  let probing = false
  // The leave of a plain request is the same value until the state changes: none is made per request.
  let sending: O.Option<Ticket> = O.some({ probe: false, epoch })

  const moveTo = (next: Health, event: HealthEvent | undefined): void => {
    const from = health
    health = next
    epoch++
    sending = O.some({ probe: false, epoch })
    if (next._tag === 'Up') failures = 0
    if (event === undefined || onChange === undefined) return
    try {
      onChange(event, from, next)
    } catch {
      // A failing hook must not leave the state half-updated: its exception is dropped.
    }
  }

  // Back in service: `Readmitted` from the dead, `Up` from failing; no event for other moves
  // (a suspicion that clears was never told).
  const cameBack = (next: Health): HealthEvent | undefined => {
    if (next._tag !== 'Up' || health._tag === 'Suspected' || health._tag === 'Up') return undefined
    return { _tag: health._tag === 'Dead' ? 'Readmitted' : 'Up', node }
  }

  const failed = (next: Health, error: MemcacheError): HealthEvent | undefined => {
    switch (next._tag) {
      case 'Dead':
        return { _tag: 'Dead', node, failures, error }
      case 'Failing':
        return { _tag: 'Failed', node, failures, error }
      default:
        return undefined
    }
  }

  /** `false` when the policy does not count `error` against the node. */
  const afterFailure = (error: MemcacheError, at: number): boolean => {
    const next = policy.afterFailure(health, error, at)
    if (next === health) return false
    if (next._tag === 'Up') moveTo(next, cameBack(next))
    else {
      failures++
      moveTo(next, failed(next, error))
    }
    return true
  }

  const afterSuccess = (probe: boolean, at: number): void => {
    const next = policy.afterSuccess(health, probe, at)
    if (next !== health) moveTo(next, cameBack(next))
  }

  return {
    node,
    current: () => health,
    refresh: () => {
      const next = policy.afterTime(health, now())
      if (next === health) return false
      moveTo(next, cameBack(next))
      return true
    },
    admit: () => {
      const decision = policy.admission(health, now())
      if (decision === 'send') return sending
      if (decision === 'refuse' || probing) return O.none
      probing = true
      return O.some({ probe: true, epoch })
    },
    record: (ticket, outcome) => {
      if (ticket.probe) probing = false
      if (ticket.epoch !== epoch) return
      // The caller gave up: the node said nothing either way (and a probe must not end that way).
      if (E.isLeft(outcome) && outcome.left._tag === 'Aborted') return
      const at = now()
      // An error not held against the node (a bad key...) still means the node answered.
      if (E.isRight(outcome) || !afterFailure(outcome.left, at)) afterSuccess(ticket.probe, at)
    },
    giveBack: (ticket) => {
      if (ticket.probe) probing = false
    },
    refusal: () =>
      probing && policy.admission(health, now()) === 'probe'
        ? `${node} is being probed: one request at a time goes to it until it answers`
        : policy.refusal(node, health),
  }
}
