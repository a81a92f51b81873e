/**
 * `withRetry`: sends a request again after failures that say nothing about the request itself.
 *
 * Where it sits: outside the router (a retry may then go to a re-admitted or fail-over node) and
 * inside `withTimeout` when the deadline must span every attempt (outside it when each attempt
 * should have its own).
 *
 * What retries: by default the connection-level failures (`ConnectError`, `Timeout`,
 * `ConnectionClosed`, `ProtocolError`, `PoolExhausted`, `Overloaded`, `NoServers`). `retryFor`
 * replaces that list (it may add `ServerError`, which then also covers `Failure` replies carrying
 * one); `doNotRetryFor` removes tags from it. `ClientError`, `InvalidKey`, `InvalidArgument`,
 * `ValueTooLarge`, `SerdeError`, `AuthError` and `Aborted` never retry: the same request would
 * fail the same way, or the caller gave up.
 *
 * Which requests: the idempotent ones (`isIdempotent`). Non-idempotent requests (incr, decr,
 * append, prepend, add, cas, raw, and anything sent noreply) are not retried: a lost reply does not
 * tell whether the server applied them. The request's context decides first: `retry: true` allows
 * retrying this request whatever it is, `retry: false` forbids retrying it; without either, a
 * whole transport opts in with `retryNonIdempotent`.
 *
 * The request's context bounds the loop: no attempt starts once its signal fired or its deadline
 * passed, a sleep between attempts ends the moment the signal fires, and a sleep that would end at
 * or after the deadline is not started. What the caller then gets:
 * - the signal fired (before an attempt or during a sleep): `Aborted`, at once, as every layer
 *   that waits answers it;
 * - no attempt fits before the deadline: the last attempt's outcome, which says why the request
 *   failed (`ConnectionClosed`...), rather than a `Timeout` that would hide it — and it comes as
 *   soon as the loop knows, not at the deadline; a deadline already past before the first attempt
 *   is a `Timeout` (there is no outcome to give);
 * - `close()`: pending sleeps end at once (their timers released) with the last outcome, and no
 *   attempt starts after it.
 *
 * pymemcache's `RetryingClient(client, attempts, retry_delay, retry_for, do_not_retry_for)` maps onto
 * `fromPymemcacheOptions({ attempts, retryDelay, retryFor, doNotRetryFor })`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, isIdempotent, type Request } from '../protocol/request.js'
import { emptyContext, interruption, remainingMs, type RequestContext } from '../transport/context.js'
import { MAX_TIMER_DELAY } from '../transport/timer.js'
import type { Middleware } from '../transport/transport.js'
import { concat, constantDelay, initialStatus, limitRetries, next, type RetryPolicy, type RetryStatus } from './retry-policy.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The `_tag` of any `MemcacheError`: how retry rules name errors.
 * @category model
 */
export type ErrorTag = MemcacheError['_tag']

/**
 * How `withRetry` waits between attempts: resolves after `ms` milliseconds, or as soon as
 * `signal` fires (the loop was closed or the caller gave up), releasing its timer then.
 *
 * @example
 * const sleep: Sleep = (ms, signal) => () => new Promise((resolve) => {
 *   const timer = setTimeout(resolve, ms)
 *   signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
 * })
 * @category model
 */
export type Sleep = (ms: number, signal: AbortSignal) => T.Task<void>

/**
 * Options of `withRetry`: the policy (attempts, delays) and which errors retry.
 * @category model
 */
export interface RetryOptions {
  readonly policy: RetryPolicy
  /** Which errors retry; default `DEFAULT_RETRY_FOR`. */
  readonly retryFor?: ReadonlyArray<ErrorTag>
  /** Errors that never retry, whatever `retryFor` says. */
  readonly doNotRetryFor?: ReadonlyArray<ErrorTag>
  /**
   * Retry incr, decr, append, prepend, add, cas, raw and noreply requests too. Default `false`. A
   * request's `context.retry` overrides it either way.
   */
  readonly retryNonIdempotent?: boolean
  /** Called before each retry; for logs and metrics. */
  readonly onRetry?: (error: MemcacheError, status: RetryStatus, delay: number) => void
  /**
   * How to wait; injectable for tests. The loop stops waiting when the signal fires whether or
   * not the sleep honours it; honouring it releases the sleep's timer at once.
   */
  readonly sleep?: Sleep
}

/**
 * The errors retried by default: those where the request may not have reached the server or may succeed the next time.
 * @category model
 */
export const DEFAULT_RETRY_FOR: ReadonlyArray<ErrorTag> = [
  'ConnectError',
  'Timeout',
  'ConnectionClosed',
  'ProtocolError',
  'PoolExhausted',
  'Overloaded',
  'NoServers',
]

/**
 * Errors that never retry, whatever the options say: retrying cannot change their answer.
 * @category model
 */
export const NEVER_RETRY: ReadonlyArray<ErrorTag> = ['ClientError', 'InvalidKey', 'InvalidArgument', 'ValueTooLarge', 'SerdeError', 'AuthError', 'Aborted']

/** pymemcache's `RetryingClient` options, with the delay in milliseconds. @category model */
export interface PymemcacheRetryOptions {
  /** Total attempts, the first included (pymemcache's `attempts`, default 2). */
  readonly attempts?: number
  /** Milliseconds between attempts (pymemcache's `retry_delay` is in seconds). */
  readonly retryDelay?: number
  readonly retryFor?: ReadonlyArray<ErrorTag>
  readonly doNotRetryFor?: ReadonlyArray<ErrorTag>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Retry options equivalent to pymemcache's `RetryingClient`.
 *
 * @example
 * withRetry(fromPymemcacheOptions({ attempts: 3, retryDelay: 10 }))
 * @category constructors
 */
export const fromPymemcacheOptions = (options: PymemcacheRetryOptions): RetryOptions => {
  const attempts = options.attempts ?? 2
  return {
    policy: concat(limitRetries(Math.max(0, attempts - 1)))(constantDelay(options.retryDelay ?? 0)),
    ...(options.retryFor === undefined ? {} : { retryFor: options.retryFor }),
    ...(options.doNotRetryFor === undefined ? {} : { doNotRetryFor: options.doNotRetryFor }),
  }
}

/**
 * Retries a request according to `options`, within its context (see the module's notes).
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const resilient = pipe(router, withRetry({ policy: pipe(exponentialBackoff(5), fullJitter(), concat(limitRetries(3))) }))
 * await resilient.send(Request.incr('visits', 1n), { retry: true })() // this incr may be applied twice
 * @category constructors
 */
export const withRetry =
  (options: RetryOptions): Middleware =>
  (inner) => {
    const sleep = options.sleep ?? defaultSleep
    const retryFor = new Set(options.retryFor ?? DEFAULT_RETRY_FOR)
    for (const tag of [...NEVER_RETRY, ...(options.doNotRetryFor ?? [])]) retryFor.delete(tag)
    const mayRetry = (request: Request, context: RequestContext): boolean =>
      context.retry ?? (options.retryNonIdempotent === true || isIdempotent(request))

    // Once closed, no retry starts and no sleep goes on: a caller that stopped waiting (a
    // `withTimeout` outside) must not keep a loop of sleeps and sends, or a timer, alive behind it.
    let closed = false
    const sleepers = new Set<() => void>()

    /** Sleeps `ms`, ending early when the caller's signal fires or the transport closes. */
    const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
      new Promise((resolve) => {
        const release = new AbortController()
        let awake = false
        const wake = (early: boolean): void => {
          if (awake) return
          awake = true
          sleepers.delete(wakeEarly)
          signal?.removeEventListener('abort', wakeEarly)
          if (early) release.abort()
          resolve()
        }
        const wakeEarly = (): void => wake(true)
        sleepers.add(wakeEarly)
        signal?.addEventListener('abort', wakeEarly, { once: true })
        void sleep(ms, release.signal)().then(() => wake(false))
      })

    const send =
      (request: Request, context: RequestContext = emptyContext): TE.TaskEither<MemcacheError, Reply> =>
      async () => {
        const before = interruptionOf(request, context)
        if (before !== undefined) return E.left(before)
        let status = initialStatus
        for (;;) {
          const result = await inner.send(request, context)()
          const error = errorOf(result)
          if (closed || error === undefined || !retryFor.has(error._tag) || !mayRetry(request, context)) return result
          const delay = options.policy(status)
          if (O.isNone(delay)) return result
          const stopped = interruptionOf(request, context)
          if (stopped !== undefined) return stoppedBy(stopped, result)
          // A sleep that would end at or after the deadline is not started: no attempt could follow it.
          if (remainingMs(context) <= delay.value) return result
          options.onRetry?.(error, status, delay.value)
          if (delay.value > 0) {
            await pause(delay.value, context.signal)
            const woken = interruptionOf(request, context)
            if (closed || woken !== undefined) return stoppedBy(woken, result)
          }
          status = next(status, delay.value)
        }
      }
    return {
      send,
      close: () => {
        closed = true
        for (const wake of [...sleepers]) wake()
        return inner.close()
      },
    }
  }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const defaultSleep: Sleep = (ms, signal) => () =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_DELAY))
    signal.addEventListener('abort', done, { once: true })
  })

/** The error an outcome carries, whether a `Left` or a `Failure` reply. */
const errorOf = (result: E.Either<MemcacheError, Reply>): MemcacheError | undefined =>
  E.isLeft(result) ? result.left : result.right._tag === 'Failure' ? result.right.error : undefined

/** `Aborted`/`Timeout` once the context says stop; free for the empty context (the hot path). */
const interruptionOf = (request: Request, context: RequestContext): MemcacheError | undefined =>
  context.signal === undefined && context.deadline === undefined ? undefined : interruption(context, commandName(request), 'retry')

/** What a loop stopped between attempts answers: `Aborted` if the caller gave up, else the last outcome. */
const stoppedBy = (stopped: MemcacheError | undefined, last: E.Either<MemcacheError, Reply>): E.Either<MemcacheError, Reply> =>
  stopped?._tag === 'Aborted' ? E.left(stopped) : last
