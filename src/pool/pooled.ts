/**
 * `makePooled`: one `Transport` over up to `maxSize` pipelining connections to one server.
 *
 * Connections are not lent one request at a time: each can carry many requests in flight, so a
 * request goes to the open connection with the fewest requests in flight, at once. The policy:
 *
 * 1. No open connection: open one (through the pool) and wait for it; requests arriving meanwhile
 *    wait for the same one. If it cannot be opened they all fail with its error — no retry here.
 * 2. The least busy connection has `busyAt` or more requests in flight and the pool has room:
 *    open one more in the background, and send on the least busy connection now (a fresh socket
 *    costs a round trip; a pipelined request does not wait for the ones ahead of it to be
 *    processed by us, only by the server). The next requests use the new one once it is open.
 * 3. A connection that closed (a timeout, a desync, the server went away) is dropped and
 *    destroyed the moment it is seen; the next request opens another.
 * 4. A connection that has nothing in flight and is not the only one goes back to the pool's
 *    idle list, where it is reaped after `idleTimeout` unless load brings it back.
 *
 * The request context goes on with the request: to the connection's `send`, and to the wait for
 * a connection being opened — a request whose signal fires or whose deadline passes while it waits
 * stops waiting (`Aborted` / `Timeout`); one already interrupted opens nothing. The opening is
 * shared by every request waiting for it, so its pool acquire gives up only when all of them did.
 *
 * `close` ends everything at once: later requests get `ConnectionClosed`, requests in flight and
 * requests waiting for a connection are answered `ConnectionClosed`, a connection being opened is
 * abandoned (when `connect` takes the signal the pool gives it, as `connect(options)` does), and
 * every connection is closed. It resolves when their sockets are gone.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { connectionClosed } from '../transport/error.js'
import { type MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import type { Connection } from '../transport/connection.js'
import { interruption, watch, type RequestContext } from '../transport/context.js'
import type { Transport } from '../transport/transport.js'
import { makePool, type PoolStats } from './pool.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Bounds and growth policy of a `makePooled` transport.
 *
 * @example
 * makePooled(connect({ server: '127.0.0.1:11211' }), { maxSize: 8, busyAt: 32, idleTimeout: 60_000 })
 * @category model
 */
export interface PooledOptions {
  /** Most connections to the server. Default 4. */
  readonly maxSize?: number
  /** Requests in flight at which a connection counts as busy, so another is opened. Default 16. */
  readonly busyAt?: number
  /** Idle connections never closed for being idle. Default 0. */
  readonly minIdle?: number
  /** Ms a connection may sit unused in the pool before it is closed. Default 30 000. */
  readonly idleTimeout?: number
  /** Named in errors before the first connection tells its own name. Default `'pool'`. */
  readonly node?: string
  /**
   * Checks a request while no connection takes requests, before one is opened for it (as
   * `reconnecting` does): a bad key or argument is then refused without connecting. Give the
   * encoder the connections use (`textFraming.makeEncoder(connectOptions)`). Default: no check.
   */
  readonly check?: (request: Request) => E.Either<MemcacheError, unknown>
}

/**
 * A pooled transport, with its counts.
 *
 * @example
 * node.stats() // { size: 2, idle: 0, borrowed: 2, waiting: 0, active: 2, inFlight: 17 }
 * @category model
 */
export interface Pooled extends Transport {
  /** The pool's counts, plus `active`: connections taking requests now. */
  readonly stats: () => PoolStats & { readonly active: number; readonly inFlight: number }
}

/** A connection being opened, and how many requests still wait for it. */
interface Opening {
  readonly result: Promise<E.Either<MemcacheError, Connection>>
  /** Requests still waiting (a background opening counts one that never leaves). */
  waiting: number
  /** Ends the pool acquire when the last waiting request gave up. */
  readonly abandon: AbortController
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Something in it can end a wait (a signal, a deadline); without, no watch is set. */
const canInterrupt = (context: RequestContext | undefined): context is RequestContext =>
  context !== undefined && (context.signal !== undefined || context.deadline !== undefined)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A transport over a pool of connections made by `connect`.
 *
 * @example
 * import { connect } from '../transport/connection.js'
 * const node = makePooled(connect({ server: '127.0.0.1:11211' }), { maxSize: 4 })
 * await node.send(Request.version)()
 * await node.close()
 * @category constructors
 */
export const makePooled = (connect: (signal: AbortSignal) => Promise<E.Either<MemcacheError, Connection>>, options: PooledOptions = {}): Pooled => {
  const maxSize = Math.max(1, options.maxSize ?? 4)
  const busyAt = Math.max(1, options.busyAt ?? 16)
  let node = options.node ?? 'pool'
  const pool = makePool<MemcacheError, Connection>({
    create: connect,
    destroy: (connection) => connection.close,
    validate: (connection) => connection.isOpen(),
    maxSize,
    minIdle: options.minIdle ?? 0,
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    // Only acquired when there is room, so an acquire never queues behind a borrowed connection.
    acquireTimeout: Infinity,
    name: node,
  })

  // Connections borrowed from the pool and taking requests.
  const active: Array<Connection> = []
  let opening: Opening | undefined
  let closed: Promise<void> | undefined
  let inFlight = 0

  /** Takes `connection` out of `active`; `false` when it was not there. */
  const deactivate = (connection: Connection): boolean => {
    const index = active.indexOf(connection)
    if (index < 0) return false
    active.splice(index, 1)
    return true
  }

  const drop = (connection: Connection): void => {
    if (deactivate(connection)) void pool.discard(connection)()
  }

  const requestDone = (): void => {
    inFlight--
  }

  /** Starts opening a connection; `background`: no request waits for it, so it is never abandoned. */
  const startOpening = (background: boolean): Opening => {
    const abandon = new AbortController()
    const started: Opening = {
      waiting: background ? 1 : 0,
      abandon,
      result: pool
        .acquire({ signal: abandon.signal })()
        .then((result) => {
          if (opening === started) opening = undefined
          if (E.isLeft(result)) return result
          const connection = result.right
          node = connection.node
          if (closed !== undefined) {
            void pool.release(connection)()
            return E.left(connectionClosed(node, 'pool was closed'))
          }
          active.push(connection)
          return E.right(connection)
        }),
    }
    opening = started
    return started
  }

  /** Waits for the connection being opened, or until `context` interrupts this request. */
  const waitFor = (shared: Opening, request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Connection>> => {
    shared.waiting++
    if (!canInterrupt(context)) return shared.result
    return new Promise((resolve) => {
      let waiting = true
      const stop = watch(context, commandName(request), node, (error) => {
        waiting = false
        resolve(E.left(error))
        if (--shared.waiting > 0) return
        // Nobody wants this connection any more: the next request starts afresh.
        if (opening === shared) opening = undefined
        shared.abandon.abort()
      })
      void shared.result.then((result) => {
        if (!waiting) return
        stop()
        resolve(result)
      })
    })
  }

  const open = (request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Connection>> => {
    if (canInterrupt(context)) {
      const interrupted = interruption(context, commandName(request), node)
      if (interrupted !== undefined) return Promise.resolve(E.left(interrupted))
    }
    return waitFor(opening ?? startOpening(false), request, context)
  }

  const leastBusy = (): Connection | undefined => {
    let best: Connection | undefined
    for (const connection of [...active]) {
      if (!connection.isOpen()) drop(connection)
      else if (best === undefined || connection.inFlight() < best.inFlight()) best = connection
    }
    return best
  }

  const choose = async (request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Connection>> => {
    const best = leastBusy()
    if (best === undefined) return open(request, context)
    if (best.inFlight() >= busyAt && opening === undefined && pool.stats().size < maxSize) startOpening(true)
    return E.right(best)
  }

  const settled = (connection: Connection): void => {
    if (!connection.isOpen()) drop(connection)
    else if (connection.inFlight() === 0 && active.length > 1 && closed === undefined && deactivate(connection)) void pool.release(connection)()
    requestDone()
  }

  const send =
    (request: Request, context?: RequestContext): TE.TaskEither<MemcacheError, Reply> =>
    async () => {
      if (closed !== undefined) return E.left(connectionClosed(node, 'pool was closed'))
      if (active.length === 0 && options.check !== undefined) {
        const checked = options.check(request)
        if (E.isLeft(checked)) return checked
      }
      inFlight++
      const chosen = await choose(request, context)
      if (E.isLeft(chosen)) {
        requestDone()
        return chosen
      }
      const connection = chosen.right
      const result = await connection.send(request, context)()
      settled(connection)
      return result
    }

  const close = (): Promise<void> => {
    // Draining first: the waiting requests are answered, a connect in progress is abandoned, and
    // the connections given back below are destroyed (their requests answered) instead of kept idle.
    closed ??= (async () => {
      const drained = pool.drain()
      await Promise.all(active.splice(0).map((connection) => pool.release(connection)()))
      await drained
    })()
    return closed
  }

  return {
    send,
    close,
    stats: () => ({ ...pool.stats(), active: active.length, inFlight }),
  }
}
