/**
 * `memoryTransport`: an in-memory memcached behind the `Transport` interface, for tests, examples
 * and running without a server.
 *
 * Every request takes the real protocol path, in memory: it is encoded by the protocol encoder
 * (a bad key is the same `Left` as on a socket, and nothing reaches the engine), the bytes are
 * read by the emulator's server-side text front end, the engine answers, the answer is written
 * as memcached writes it and decoded by `decodeReply`. Code under test therefore sees the same
 * replies, errors and edge cases as against memcached 1.6.18 (see the emulator's known
 * differences), and no socket is opened.
 *
 * Replies come on a microtask, in the order the requests were run, never synchronously. The
 * transport behaves as one connection: `quit`, or bytes that do not decode, end it, and every
 * later request fails with `ConnectionClosed`. Give several transports one `engine` to have
 * several connections to one server (a pool, a router over "nodes" that share data...).
 *
 * It honours the `RequestContext`: a request whose signal has fired or whose deadline has passed
 * by the time its turn comes is answered `Aborted` or `Timeout` and never reaches the engine. Once
 * its turn comes it is answered at once, so there is no wait to cut short.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { joinBytes } from './bytes.js'
import { makeEngine, type Engine, type EngineOptions } from './engine.js'
import { makeSession } from './session.js'
import { decodeReply, decodeUnsolicited } from '../protocol/decode.js'
import { makeEncoder } from '../protocol/encode.js'
import { emptyContext, interruption, type RequestContext } from '../transport/context.js'
import { connectionClosed } from '../transport/error.js'
import { protocolError } from '../protocol/error.js'
import { type MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import type { Connection } from '../transport/connection.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `memoryTransport`: the engine to talk to, and the client-side options `connect` also takes.
 * @category model
 */
export interface MemoryTransportOptions extends EngineOptions {
  /** The store to talk to; default a new engine made from the other options. */
  readonly engine?: Engine
  /** The node name in errors and `stats conns`. Default `memory`. */
  readonly node?: string
  /** Accept non-ASCII keys, sent as UTF-8 (as `connect`'s option). Default `false`. */
  readonly allowUnicodeKeys?: boolean
  /** Refuse values larger than this many bytes before "sending" them (as `connect`'s option). */
  readonly maxValueSize?: number
  /**
   * Called with error lines that answer no request (as `connect`'s option): what the server
   * still says after a `noreply` request, or the `ERROR` for the rest of a bad data block.
   * Exceptions it throws are ignored.
   */
  readonly onUnsolicited?: (error: MemcacheError) => void
}

/** A `Connection` to an in-memory engine, and that engine for inspection. @category model */
export interface MemoryTransport extends Connection {
  readonly engine: Engine
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * An in-memory memcached connection.
 *
 * @example
 * import * as Request from '../protocol/request.js'
 * let now = Date.now()
 * const transport = memoryTransport({ clock: () => now })
 * await transport.send(Request.set('k', new TextEncoder().encode('v'), { exptime: 60 }))() // right(stored)
 * now += 61_000
 * await transport.send(Request.get(['k']))() // right(values([])): expired
 * await transport.close()
 * @category constructors
 */
export const memoryTransport = (options: MemoryTransportOptions = {}): MemoryTransport => {
  const engine = options.engine ?? makeEngine(options)
  const node = options.node ?? 'memory'
  // The options carry the encoder's own (`allowUnicodeKeys`, `maxValueSize`).
  const encoder = makeEncoder(options)
  const connection = engine.openConnection(node)
  const session = makeSession(engine, connection)
  let open = true
  let inFlight = 0

  const end = (): void => {
    if (!open) return
    open = false
    session.close()
    connection.close()
  }

  /** The whole answer to `bytes`: a transport in memory has no other client to yield to. */
  const exchange = (bytes: Uint8Array): { readonly bytes: Uint8Array; readonly close: boolean } => {
    let output = session.receive(bytes)
    const chunks = [...output.chunks]
    while (output.more) {
      output = session.resume()
      chunks.push(...output.chunks)
    }
    return { bytes: joinBytes(chunks), close: output.close }
  }

  const answer = (request: Request, chunks: ReadonlyArray<Uint8Array>, context: RequestContext): E.Either<MemcacheError, Reply> => {
    if (!open) return E.left(connectionClosed(node, 'is closed'))
    // An empty context (the common case) costs two property reads: no clock read, no name lookup.
    if (context.signal !== undefined || context.deadline !== undefined) {
      const interrupted = interruption(context, commandName(request), node)
      if (interrupted !== undefined) return E.left(interrupted)
    }
    const output = exchange(joinBytes(chunks))
    const bytes = output.bytes
    if (output.close) end()
    const decoded = decodeReply(request, bytes, 0)
    if (E.isLeft(decoded)) {
      end()
      return decoded
    }
    if (O.isNone(decoded.right)) {
      end()
      return E.left(output.close ? connectionClosed(node, 'was closed by the server') : protocolError('the emulator answered an incomplete reply'))
    }
    const [reply, next] = decoded.right.value
    if (unsolicited(bytes, next)) return E.right(reply)
    // On a socket these bytes would be read as the next request's reply: out of step.
    end()
    return E.left(protocolError(`unexpected bytes after the reply to ${commandName(request)}`))
  }

  /** Reports error lines after the reply, as a connection does when nothing waits; `false` for anything else (a desync). */
  const unsolicited = (bytes: Uint8Array, from: number): boolean => {
    let offset = from
    while (offset < bytes.length) {
      const line = decodeUnsolicited(bytes, offset)
      if (E.isLeft(line) || O.isNone(line.right)) return false
      const [failure, next] = line.right.value
      if (failure._tag === 'Failure') {
        try {
          options.onUnsolicited?.(failure.error)
        } catch {
          // A callback's exception is the caller's concern, not the transport's.
        }
      }
      offset = next
    }
    return true
  }

  const send =
    (request: Request, context: RequestContext = emptyContext): TE.TaskEither<MemcacheError, Reply> =>
    () => {
      if (!open) return Promise.resolve(E.left(connectionClosed(node, 'is closed')))
      const encoded = encoder(request)
      if (E.isLeft(encoded)) return Promise.resolve(encoded)
      inFlight++
      return Promise.resolve().then(() => {
        inFlight--
        return answer(request, encoded.right, context)
      })
    }

  return {
    send,
    close: () => {
      end()
      return Promise.resolve()
    },
    node,
    isOpen: () => open,
    inFlight: () => inFlight,
    engine,
  }
}
