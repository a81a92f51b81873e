/**
 * `withRetry`: sends a request again after failures that say nothing about the request itself.
 *
 * Where it sits: outside the router (a retry may then go to a re-admitted or fail-over node) and
 * outside `withTimeout` when each attempt should have its own deadline (inside it when the deadline
 * must span every attempt).
 *
 * What retries: by default the connection-level failures (`ConnectError`, `Timeout`,
 * `ConnectionClosed`, `ProtocolError`, `PoolExhausted`, `Overloaded`, `NoServers`). `retryFor`
 * replaces that list (it may add `ServerError`, which then also covers `Failure` replies carrying
 * one); `doNotRetryFor` removes tags from it. `ClientError`, `InvalidKey`, `InvalidArgument`,
 * `ValueTooLarge`, `SerdeError` and `AuthError` never retry: the same request would fail the same way.
 *
 * Non-idempotent requests (incr, decr, append, prepend, cas, raw, and anything sent noreply) are
 * not retried: a lost reply does not tell whether the server applied them. Opt in for a whole
 * transport with `retryNonIdempotent`, or for one request with `allowRetry(request)`.
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
import { isIdempotent, type Request } from '../protocol/request.js'
import { concat, constantDelay, initialStatus, limitRetries, next, type RetryPolicy, type RetryStatus } from './retry-policy.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export type ErrorTag = MemcacheError['_tag']

/** @category model */
export interface RetryOptions {
  readonly policy: RetryPolicy
  /** Which errors retry; default `DEFAULT_RETRY_FOR`. */
  readonly retryFor?: ReadonlyArray<ErrorTag>
  /** Errors that never retry, whatever `retryFor` says. */
  readonly doNotRetryFor?: ReadonlyArray<ErrorTag>
  /** Retry incr, decr, append, prepend, cas, raw and noreply requests too. Default `false`. */
  readonly retryNonIdempotent?: boolean
  /** Called before each retry; for logs and metrics. */
  readonly onRetry?: (error: MemcacheError, status: RetryStatus, delay: number) => void
  /** How to wait; injectable for tests. */
  readonly sleep?: (ms: number) => T.Task<void>
}

/** @category model */
export const DEFAULT_RETRY_FOR: ReadonlyArray<ErrorTag> = [
  'ConnectError',
  'Timeout',
  'ConnectionClosed',
  'ProtocolError',
  'PoolExhausted',
  'Overloaded',
  'NoServers',
]

/** @category model */
export const NEVER_RETRY: ReadonlyArray<ErrorTag> = ['ClientError', 'InvalidKey', 'InvalidArgument', 'ValueTooLarge', 'SerdeError', 'AuthError']

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

const optedIn = new WeakSet<Request>()

/**
 * Marks one request as safe to retry even if it is not idempotent.
 *
 * @example
 * transport.send(allowRetry(Request.incr('visits', 1n)))
 * @category constructors
 */
export const allowRetry = <R extends Request>(request: R): R => {
  optedIn.add(request)
  return request
}

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

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const defaultSleep =
  (ms: number): T.Task<void> =>
  () =>
    new Promise((resolve) => setTimeout(resolve, ms))

/** The error an outcome carries, whether a `Left` or a `Failure` reply. */
const errorOf = (result: E.Either<MemcacheError, Reply>): MemcacheError | undefined =>
  E.isLeft(result) ? result.left : result.right._tag === 'Failure' ? result.right.error : undefined

/**
 * Retries a request according to `options`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const resilient = pipe(router, withRetry({ policy: pipe(exponentialBackoff(5), fullJitter(), concat(limitRetries(3))) }))
 * @category constructors
 */
export const withRetry =
  (options: RetryOptions): Middleware =>
  (inner) => {
    const sleep = options.sleep ?? defaultSleep
    const retryFor = new Set(options.retryFor ?? DEFAULT_RETRY_FOR)
    for (const tag of [...NEVER_RETRY, ...(options.doNotRetryFor ?? [])]) retryFor.delete(tag)
    const mayRetry = (request: Request): boolean =>
      options.retryNonIdempotent === true || isIdempotent(request) || optedIn.has(request)

    // Once closed, no retry starts: a caller that stopped waiting (a `withTimeout` outside) must not
    // keep a loop of sleeps and sends alive behind it.
    let closed = false

    const send =
      (request: Request): TE.TaskEither<MemcacheError, Reply> =>
      async () => {
        let status = initialStatus
        for (;;) {
          const result = await inner.send(request)()
          const error = errorOf(result)
          if (closed || error === undefined || !retryFor.has(error._tag) || !mayRetry(request)) return result
          const delay = options.policy(status)
          if (O.isNone(delay)) return result
          options.onRetry?.(error, status, delay.value)
          if (delay.value > 0) await sleep(delay.value)()
          if (closed) return result
          status = next(status, delay.value)
        }
      }
    return {
      send,
      close: () => {
        closed = true
        return inner.close()
      },
    }
  }
