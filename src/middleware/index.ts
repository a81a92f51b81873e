/**
 * Middleware: functions from a transport to a transport, each adding one behaviour — retry,
 * timeout, fallback, batching, observing, a key prefix. Every one is named `with*` and is an
 * option factory: `withRetry(options)` is a `(next: Transport) => Transport`; nothing else in
 * the library is named `with*`.
 *
 * Every one passes the request's context (`send(request, context)`) on to the transport below,
 * tightened (a `withTimeout` sets an earlier deadline) and never loosened, and stops waiting when
 * its signal fires or its deadline passes.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { withRetry, withTimeout, RetryPolicy } from 'fp-memcache/middleware'
 * const resilient = pipe(router, withRetry({ policy: RetryPolicy.limitRetries(2) }), withTimeout(250))
 *
 * @since 0.2.0
 */
export * as RetryPolicy from './retry-policy.js'
export * from './retry.js'
export * from './timeout.js'
export * from './fallback.js'
export * from './batching.js'
export * from './observe.js'
export * from './key-prefix.js'
