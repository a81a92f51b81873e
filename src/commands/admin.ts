/**
 * Server-wide commands: `flushAll`, `version`, `verbosity`, `cacheMemlimit`, `quit`, `shutdown`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as Request from '../protocol/request.js'
import type { CallOptions } from '../transport/context.js'
import { command, type Command, type NoreplyOption } from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `flushAll`: a delay, `noreply`, and the call's options.
 * @category model
 */
export interface FlushAllOptions extends NoreplyOption {
  /** Seconds to wait before invalidating every item; absent means now. */
  readonly delay?: number
}

/**
 * Options of `shutdown`, with the call's options.
 * @category model
 */
export interface ShutdownOptions extends CallOptions {
  /** `shutdown graceful`: let the server finish what it is doing before it exits. */
  readonly graceful?: boolean
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const okOrNothing = (req: Request.FlushAll | Request.Verbosity | Request.CacheMemlimit, options: CallOptions | undefined): Command<void> =>
  command(
    req,
    {
      Ok: () => E.right(undefined),
      ...(req.noreply ? { NoReply: () => E.right(undefined) } : {}),
    },
    options,
  )

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `flush_all [delay]`: invalidate every item, now or in `delay` seconds.
 *
 * @example
 * flushAll()(transport) // right(undefined)
 * flushAll({ delay: 10 })(transport)
 * @category constructors
 */
export const flushAll = (options?: FlushAllOptions): Command<void> => okOrNothing(Request.flushAll(options?.delay, options?.noreply ?? false), options)

/**
 * `version`: the server's version string.
 *
 * @example
 * version()(transport) // right('1.6.18')
 * @category constructors
 */
export const version = (options?: CallOptions): Command<string> => command(Request.version, { Version: (reply) => E.right(reply.version) }, options)

/**
 * `verbosity <level>`: the server's logging level.
 *
 * @example
 * verbosity(1)(transport) // right(undefined)
 * @category constructors
 */
export const verbosity = (level: number, options?: NoreplyOption): Command<void> =>
  okOrNothing(Request.verbosity(level, options?.noreply ?? false), options)

/**
 * `cache_memlimit <megabytes>`: change the memory limit of a running server.
 *
 * @example
 * cacheMemlimit(128)(transport) // right(undefined)
 * @category constructors
 */
export const cacheMemlimit = (megabytes: number, options?: NoreplyOption): Command<void> =>
  okOrNothing(Request.cacheMemlimit(megabytes, options?.noreply ?? false), options)

/**
 * `quit`: the server closes this connection. Nothing comes back; a reconnecting transport opens
 * a new connection for the next request.
 *
 * @example
 * quit()(transport) // right(undefined)
 * @category constructors
 */
export const quit = (options?: CallOptions): Command<void> => command(Request.quit, { NoReply: () => E.right(undefined) }, options)

/**
 * `shutdown [graceful]`: stop the server. memcached accepts it only when started with `-A`; it
 * then closes the connection without a word, which is this command's success. Without `-A` the
 * server's refusal (`ERROR: shutdown not enabled`) is the `Left` (a `ServerError`).
 *
 * Sent as a raw line expecting a reply, so that the refusal is read as this request's answer.
 *
 * @example
 * shutdown()(transport) // right(undefined): the server is exiting
 * @category constructors
 */
export const shutdown =
  (options?: ShutdownOptions): Command<void> =>
  (transport) => {
    const req = Request.raw(options?.graceful === true ? 'shutdown graceful' : 'shutdown', 'line')
    return pipe(
      // Any line at all is a refusal (or a server that does not know the command).
      command<void>(req, {}, options)(transport),
      TE.orElse((error) => (error._tag === 'ConnectionClosed' ? TE.right(undefined) : TE.left(error))),
    )
  }
