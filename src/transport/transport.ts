/**
 * The one abstraction every layer codes against: something that answers requests.
 *
 * A connection, a pool, a router, the in-memory emulator and every middleware are `Transport`s;
 * behaviour is added by functions from transports to a transport, never by inheritance.
 *
 * @since 0.1.0
 */
import type * as T from 'fp-ts/lib/Task.js'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import type { Request } from '../protocol/request.js'
import type { RequestContext } from './context.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Sends a request and yields its reply. `Failure` replies (the server refused, the stream is
 * still in step) are `Right` here: commands decide what they mean.
 *
 * `context` travels with the request through every layer (see `RequestContext`): a layer that
 * wraps another passes it on (tightened, never loosened), and a layer that waits stops waiting
 * when its signal fires or its deadline passes.
 *
 * @example
 * import * as Request from '../protocol/request.js'
 * const reply = await transport.send(Request.version, { deadline: Date.now() + 100 })()
 * @category model
 */
export interface Transport {
  readonly send: (request: Request, context?: RequestContext) => TE.TaskEither<MemcacheError, Reply>
  /** Releases every socket and timer; sends after close fail with `ConnectionClosed`. */
  readonly close: T.Task<void>
}

/**
 * Adds behaviour around a transport (timeout, retry, observing...).
 *
 * @example
 * const withNothing: Middleware = (next) => next
 * @category model
 */
export type Middleware = (next: Transport) => Transport

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * `TE.chainEitherK(f)(task)` in one `.then`: fp-ts's version goes through `dual` (an
 * `arguments` copy per call) and `Task.flatMap`'s extra `Promise.resolve().then` hop, which
 * together cost more than the whole socket round trip's JavaScript on the hot path.
 *
 * @example
 * thenEither(transport.send(Request.version), (reply) => E.right(reply._tag))
 * @category utils
 */
export const thenEither =
  <A, B>(task: TE.TaskEither<MemcacheError, A>, f: (a: A) => E.Either<MemcacheError, B>): TE.TaskEither<MemcacheError, B> =>
  () =>
    task().then((result) => (E.isLeft(result) ? result : f(result.right)))
