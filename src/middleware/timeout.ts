/**
 * `withTimeout`: a deadline for a whole request as the caller sees it.
 *
 * Where it sits: outside `withRetry` to bound every attempt together (a deadline spanning
 * retries), or inside it to give each attempt its own. The connection has a per-request timeout of
 * its own that destroys a stuck connection; this one only stops waiting: a reply that comes later
 * is dropped where it lands, never handed to another request.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { timeout } from '../transport/error.js'
import { type MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import { timerDelay } from '../transport/timer.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Fails with `Timeout` when no outcome arrives within `ms` milliseconds. An `ms` that is not a
 * positive number within Node's timer range (`Infinity`, 0) sets no deadline at all.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bounded = pipe(transport, withRetry(options), withTimeout(250)) // 250 ms for all attempts
 * @category constructors
 */
export const withTimeout =
  (ms: number, node = 'pipeline'): Middleware =>
  (inner) => {
    const delay = timerDelay(ms)
    if (delay === undefined) return inner
    return {
      send:
        (request: Request): TE.TaskEither<MemcacheError, Reply> =>
        () =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve(E.left(timeout(ms, commandName(request), node))), delay)
            void inner.send(request)().then((result) => {
              clearTimeout(timer)
              resolve(result)
            })
          }),
      close: inner.close,
    }
  }
