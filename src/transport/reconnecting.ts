/**
 * A transport over one connection that is opened when first needed and opened again after it dies.
 *
 * Nothing is retried: requests in flight when the connection dies fail as the connection says
 * (`ConnectionClosed`, `Timeout`...), and a failed connect fails the sends that waited for it with
 * `ConnectError`. The next send opens a new connection; concurrent sends share one attempt. Put
 * `withRetry` above it for retries with backoff.
 *
 * The server address is parsed once, here. A send that has to wait for a connection is checked
 * first (its keys and arguments, by the same encoder the connection uses), so a bad key is
 * `InvalidKey` even while the server is down; a send on an open connection is encoded once, by the
 * connection. The wait for a connection ends when the request's signal fires or its deadline
 * passes (`Aborted` / `Timeout`); the connect attempt goes on for the sends after it.
 *
 * `close` ends everything at once: a connect in progress is abandoned (its socket and timer
 * released, the sends waiting for it answered `ConnectionClosed`), and the connection's requests
 * in flight are answered `ConnectionClosed`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { connectionClosed } from './error.js'
import { type MemcacheError } from '../error.js'
import { textFraming } from '../protocol/framing.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import { addressName, parseAddress } from './address.js'
import { connect, type Connection, type ConnectOptions } from './connection.js'
import { emptyContext, interruption, watch, type RequestContext } from './context.js'
import type { Transport } from './transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A transport that connects lazily and reconnects on the next send after its connection dies.
 * `close` closes the connection for good: later sends fail with `ConnectionClosed`.
 *
 * @example
 * import * as Request from '../protocol/request.js'
 * const transport = reconnecting({ server: '127.0.0.1:11211' })
 * await transport.send(Request.version)() // connects, then right(versionReply('1.6.18'))
 * await transport.close()
 * @category constructors
 */
export const reconnecting = (options: ConnectOptions): Transport => {
  const server = options.server
  const parsed = typeof server === 'string' ? parseAddress(server) : E.right(server)
  const node = E.isRight(parsed) ? addressName(parsed.right) : typeof server === 'string' ? server : ''
  const closedForGood = connectionClosed(node, 'was closed by the client')
  const connectOptions: ConnectOptions = E.isRight(parsed) ? { ...options, server: parsed.right } : options
  // Only for sends that must wait for a connection: the connection encodes the ones it writes.
  const check = (options.framing ?? textFraming).makeEncoder(options)

  let current: Connection | undefined
  let opening: Promise<E.Either<MemcacheError, Connection>> | undefined
  let closed = false
  /** Fires on `close`: a connect in progress is abandoned at once (its socket and timer with it). */
  const closing = new AbortController()

  const open = (): Promise<E.Either<MemcacheError, Connection>> => {
    if (opening !== undefined) return opening
    const dead = current
    current = undefined
    // Its socket is already gone; closing settles its bookkeeping.
    if (dead !== undefined) void dead.close()
    opening = connect(connectOptions)(closing.signal).then((result): E.Either<MemcacheError, Connection> => {
      opening = undefined
      if (E.isLeft(result)) return closed ? E.left(closedForGood) : result
      // Kept even after `close` began, so that `close` is the one to close it (and wait for it).
      current = result.right
      return closed ? E.left(closedForGood) : result
    })
    return opening
  }

  /** Waits for a connection (ending early when the context says so), then sends on it. */
  const sendWhenConnected = (request: Request, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> => {
    if (context.signal === undefined && context.deadline === undefined) {
      return open().then((result) => (E.isLeft(result) ? result : result.right.send(request, context)()))
    }
    const interrupted = interruption(context, commandName(request), node)
    if (interrupted !== undefined) return Promise.resolve(E.left(interrupted))
    return new Promise((resolve) => {
      let waiting = true
      const stop = watch(context, commandName(request), node, (error) => {
        waiting = false
        resolve(E.left(error))
      })
      void open().then((result) => {
        if (!waiting) return
        waiting = false
        stop()
        if (E.isLeft(result)) resolve(result)
        else void result.right.send(request, context)().then(resolve)
      })
    })
  }

  const send =
    (request: Request, context: RequestContext = emptyContext): TE.TaskEither<MemcacheError, Reply> =>
    () => {
      if (closed) return Promise.resolve(E.left(closedForGood))
      if (current !== undefined && current.isOpen()) return current.send(request, context)()
      if (E.isLeft(parsed)) return Promise.resolve(parsed)
      const checked = check(request)
      if (E.isLeft(checked)) return Promise.resolve(checked)
      return sendWhenConnected(request, context)
    }

  const close: T.Task<void> = async () => {
    closed = true
    closing.abort(closedForGood.message)
    if (opening !== undefined) await opening
    const last = current
    current = undefined
    if (last !== undefined) await last.close()
  }

  return { send, close }
}
