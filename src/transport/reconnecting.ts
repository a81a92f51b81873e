/**
 * A transport over one connection that is opened when first needed and opened again after it dies.
 *
 * Nothing is retried: requests in flight when the connection dies fail as the connection says
 * (`ConnectionClosed`, `Timeout`...), and a failed connect fails the sends that waited for it with
 * `ConnectError`. The next send opens a new connection; concurrent sends share one attempt. Put
 * `withRetry` above it for retries with backoff.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { connectionClosed } from './error.js'
import { type MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import type { Request } from '../protocol/request.js'
import { addressName, parseAddress } from './address.js'
import { connect, type Connection, type ConnectOptions } from './connection.js'
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
  const parsed = parseAddress(options.server)
  const node = E.isRight(parsed) ? addressName(parsed.right) : options.server
  const closedForGood = connectionClosed(node, 'was closed by the client')

  let current: Connection | undefined
  let opening: Promise<E.Either<MemcacheError, Connection>> | undefined
  let closed = false

  const open = (): Promise<E.Either<MemcacheError, Connection>> => {
    if (opening !== undefined) return opening
    const dead = current
    current = undefined
    // Its socket is already gone; closing settles its bookkeeping.
    if (dead !== undefined) void dead.close()
    opening = connect(options)().then((result): E.Either<MemcacheError, Connection> => {
      opening = undefined
      if (E.isLeft(result)) return result
      // Kept even after `close` began, so that `close` is the one to close it (and wait for it).
      current = result.right
      return closed ? E.left(closedForGood) : result
    })
    return opening
  }

  const send =
    (request: Request): TE.TaskEither<MemcacheError, Reply> =>
    () => {
      if (closed) return Promise.resolve(E.left(closedForGood))
      if (current !== undefined && current.isOpen()) return current.send(request)()
      return open().then((result) => (E.isLeft(result) ? result : result.right.send(request)()))
    }

  const close: T.Task<void> = async () => {
    closed = true
    if (opening !== undefined) await opening
    const last = current
    current = undefined
    if (last !== undefined) await last.close()
  }

  return { send, close }
}
