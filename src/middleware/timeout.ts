/**
 * `withTimeout`: a deadline for a whole request as the caller sees it.
 *
 * The deadline goes into the request's context (`withinMs`), so every layer below — the retry
 * loop, the pool's wait for a connection, the connection's wait for its reply — spends from the
 * same budget and stops when it runs out. An earlier deadline already in the context wins: a
 * deadline is tightened, never loosened.
 *
 * It also answers `Timeout` itself when the deadline passes (and `Aborted` when the caller's
 * signal fires), because a layer below may not be able to stop (a custom transport that ignores
 * the context): the caller is answered on time whatever the layers below do, and their late
 * outcome is dropped here, never handed to another request.
 *
 * `close` answers the requests still waiting `ConnectionClosed` and releases their timers at once,
 * whatever the layers below do.
 *
 * Where it sits: outside `withRetry` to bound every attempt together (a deadline spanning
 * retries: the retry loop then starts no attempt after it), or inside it to give each attempt
 * its own.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import { emptyContext, watch, withinMs, type RequestContext } from '../transport/context.js'
import { connectionClosed, timeout } from '../transport/error.js'
import { timerDelay } from '../transport/timer.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Gives every request at most `ms` milliseconds from the moment it is sent: its context's
 * deadline becomes `now + ms` unless it already had an earlier one, and the caller gets `Timeout`
 * (naming `node`) at that deadline if no outcome came before. An `ms` that is not a positive
 * number within Node's timer range (`Infinity`, 0) sets no deadline and no timer: the middleware
 * is then the identity.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bounded = pipe(transport, withRetry(options), withTimeout(250)) // 250 ms for all attempts
 * @category constructors
 */
export const withTimeout =
  (ms: number, node = 'pipeline'): Middleware =>
  (next) => {
    if (timerDelay(ms) === undefined) return next
    /** The requests waiting for an outcome, each answering its caller (once) and releasing its timer. */
    const pending = new Set<(result: E.Either<MemcacheError, Reply>) => void>()
    let closed = false
    return {
      send:
        (request: Request, context: RequestContext = emptyContext): TE.TaskEither<MemcacheError, Reply> =>
        () =>
          new Promise((resolve) => {
            if (closed) return next.send(request, context)().then(resolve)
            const started = Date.now()
            const bounded = withinMs(ms)(context, started)
            const name = commandName(request)
            let answered = false
            // Replaced by the watch's stop below; the watch may fire while being set (nothing to stop then).
            let stop = (): void => undefined
            const answer = (result: E.Either<MemcacheError, Reply>): void => {
              if (answered) return
              answered = true
              stop()
              pending.delete(answer)
              resolve(result)
            }
            stop = watch(bounded, name, node, (error) => {
              // `after` says how long the caller waited: the budget this layer ran out of.
              answer(E.left(error._tag === 'Timeout' ? timeout(Math.max(0, (bounded.deadline ?? started) - started), name, node) : error))
            })
            if (answered) return
            pending.add(answer)
            void next.send(request, bounded)().then(answer)
          }),
      close: () => {
        closed = true
        const closing = next.close()
        // Whatever the layers below do with their requests, no caller waits and no timer stays.
        const error = connectionClosed(node, 'was closed by the client')
        for (const answer of [...pending]) answer(E.left(error))
        return closing
      },
    }
  }
