/**
 * `serve`: the emulator's engine behind a real listener (TCP or a unix socket) speaking
 * memcached's text protocol, so any text-protocol client (ours, the `memcached` npm package,
 * pymemcache, `nc`) can use it. Handy for examples, demos and CI jobs without memcached.
 *
 * Each client gets its own session (pipelining, data blocks, `noreply`, `quit`) over one shared
 * engine. `close` destroys every client socket and closes the listener, so the process can exit.
 *
 * Hostile or careless clients cannot take the server down or starve the others:
 * - At most `maxConnections` clients (memcached's `-c`, default 1024); the next one is answered
 *   `ERROR Too many open connections` and closed, as memcached does. (memcached counts file
 *   descriptors, so it refuses a few connections earlier than its `-c`.)
 * - Command lines are handled in time linear in their length, however they are cut into packets.
 * - Unfinished data blocks hold room in the engine's memory limit (or are refused when it cannot
 *   be made); lines waiting for their newline (long multi-gets) share `lineMemoryLimit`.
 * - A long multi-get, or a long pipeline of commands, is answered in slices; between slices the
 *   server lets other clients run (`setImmediate`), or waits until the client has read what was
 *   written (`drain`): a client that does not read its replies stops being read and answered.
 *   Replies a client has not read take at most about one slice (`BYTES_PER_SLICE`) plus the
 *   socket's buffers.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import * as net from 'node:net'
import { connectError } from '../transport/error.js'
import { type MemcacheError } from '../error.js'
import { addressName, tcp, unix } from '../transport/address.js'
import { makeBudget, type Budget } from './budget.js'
import { makeEngine, type Engine, type EngineOptions } from './engine.js'
import { makeSession, type SessionOutput } from './session.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `serve`: where to listen, the connection and memory limits, and the engine's options.
 * @category model
 */
export interface ServeOptions extends EngineOptions {
  /** TCP port; default 0 (a free port, see `port` in the result). Ignored with `path`. */
  readonly port?: number
  /** Address to listen on; default `127.0.0.1`. Ignored with `path`. */
  readonly host?: string
  /** Listen on this unix socket instead of TCP. */
  readonly path?: string
  /** The store to serve; default a new engine made from the other options. */
  readonly engine?: Engine
  /** Clients served at once (memcached's `-c`); beyond it a client is refused. Default `DEFAULT_MAX_CONNECTIONS`. */
  readonly maxConnections?: number
  /**
   * Bytes all clients together may hold in lines whose newline has not come (a multi-get line
   * has no length limit in memcached). A client that would go over it is answered
   * `SERVER_ERROR out of memory reading request` and closed. Default `DEFAULT_LINE_MEMORY_LIMIT`.
   */
  readonly lineMemoryLimit?: number
  /** Keys answered before other clients get a turn; default the session's `KEYS_PER_SLICE`. */
  readonly keysPerSlice?: number
  /** Bytes of replies made before other clients get a turn; default the session's `BYTES_PER_SLICE`. */
  readonly bytesPerSlice?: number
}

/** A running server. @category model */
export interface Served {
  /** What our clients take: `127.0.0.1:PORT`, `[::1]:PORT` or `unix:/path`. */
  readonly server: string
  /** The TCP port (absent for a unix socket). */
  readonly port?: number
  readonly engine: Engine
  /** Bytes held now in lines waiting for their newline, all clients together (at most `lineMemoryLimit`). */
  readonly heldLineBytes: () => number
  /** Clients refused so far because `maxConnections` were being served (memcached's `rejected_connections`). */
  readonly rejectedConnections: () => number
  /** Destroys every client connection and closes the listener. */
  readonly close: T.Task<void>
}

/** memcached's default `-c`. @category model */
export const DEFAULT_MAX_CONNECTIONS = 1024

/** What clients may hold in unfinished lines by default: 64 MiB, memcached's default `-m`. @category model */
export const DEFAULT_LINE_MEMORY_LIMIT = 64 * 1024 * 1024

/** memcached's answer to a client beyond `-c`, written before it closes the socket. @category model */
export const TOO_MANY_CONNECTIONS = 'ERROR Too many open connections\r\n'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'EUNKNOWN'

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

interface Attachment {
  readonly engine: Engine
  readonly lineMemory: Budget
  readonly keysPerSlice: number | undefined
  readonly bytesPerSlice: number | undefined
}

/** Chunks up to this size are copied together before writing; larger ones (values) are written as they are. */
const SMALL_CHUNK = 4096

/**
 * `chunks` with each run of small ones joined: a multi-get slice is thousands of `VALUE` lines,
 * small values and `\r\n`s, and one write of their copy costs far less than a write each.
 */
const coalesce = (chunks: ReadonlyArray<Uint8Array>): ReadonlyArray<Uint8Array> => {
  if (chunks.length < 2) return chunks
  const out: Array<Uint8Array> = []
  let run: Array<Uint8Array> = []
  for (const chunk of chunks) {
    if (chunk.length <= SMALL_CHUNK) {
      run.push(chunk)
      continue
    }
    if (run.length > 0) out.push(Buffer.concat(run))
    run = []
    out.push(chunk)
  }
  if (run.length > 0) out.push(Buffer.concat(run))
  return out
}

/** Writes `chunks` in one go; `false` when the socket's buffer is full (wait for `drain`). */
const writeAll = (socket: net.Socket, chunks: ReadonlyArray<Uint8Array>): boolean => {
  if (chunks.length === 0) return socket.writableLength < socket.writableHighWaterMark
  const writes = coalesce(chunks)
  if (writes.length > 1) socket.cork()
  let flowing = true
  for (const chunk of writes) flowing = socket.write(chunk)
  if (writes.length > 1) socket.uncork()
  return flowing
}

const attach = (attachment: Attachment, socket: net.Socket, address: string): void => {
  const { engine } = attachment
  const connection = engine.openConnection(address)
  const sliceOptions = {
    ...(attachment.keysPerSlice === undefined ? {} : { keysPerSlice: attachment.keysPerSlice }),
    ...(attachment.bytesPerSlice === undefined ? {} : { bytesPerSlice: attachment.bytesPerSlice }),
  }
  const session = makeSession(engine, connection, { lineMemory: attachment.lineMemory, ...sliceOptions })
  if (socket.remoteFamily !== undefined) socket.setNoDelay(true)

  const next = (): void => {
    if (!socket.destroyed) handle(session.resume())
  }
  const handle = (output: SessionOutput): void => {
    const flowing = writeAll(socket, output.chunks)
    if (output.close) {
      socket.end()
      return
    }
    if (output.more) {
      // Not read until the work is done: the session holds at most what it was given.
      socket.pause()
      // Other clients run before the next slice; a client that does not read waits for its turn.
      if (flowing) setImmediate(next)
      else socket.once('drain', next)
      return
    }
    if (flowing) socket.resume()
    else {
      socket.pause()
      socket.once('drain', () => socket.resume())
    }
  }
  socket.on('data', (bytes: Buffer) => handle(session.receive(bytes)))
  socket.once('close', () => {
    session.close()
    connection.close()
  })
}

/**
 * Starts an emulated memcached.
 *
 * @example
 * const started = await serve({ port: 0 })()
 * if (E.isRight(started)) {
 *   const { server, close } = started.right // server: '127.0.0.1:41234'
 *   // connect({ server }), new Memcached(server), pymemcache.Client(...)...
 *   await close()
 * }
 * @category constructors
 */
export const serve =
  (options: ServeOptions = {}): TE.TaskEither<MemcacheError, Served> =>
  () =>
    new Promise((resolve) => {
      const engine = options.engine ?? makeEngine(options)
      const host = options.host ?? '127.0.0.1'
      const requested = options.path === undefined ? addressName(tcp(host, options.port ?? 0)) : addressName(unix(options.path))
      const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
      const attachment: Attachment = {
        engine,
        lineMemory: makeBudget(options.lineMemoryLimit ?? DEFAULT_LINE_MEMORY_LIMIT),
        keysPerSlice: options.keysPerSlice,
        bytesPerSlice: options.bytesPerSlice,
      }
      const sockets = new Set<net.Socket>()
      let clients = 0
      let rejected = 0
      const listener = net.createServer((socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
        // A client that resets is no concern of the server's: drop it.
        socket.on('error', () => socket.destroy())
        if (clients >= maxConnections) {
          rejected++
          socket.end(TOO_MANY_CONNECTIONS, () => socket.destroy())
          return
        }
        clients++
        socket.once('close', () => clients--)
        const peer = options.path === undefined ? `tcp:${socket.remoteAddress ?? host}:${socket.remotePort ?? 0}` : `unix:${options.path}`
        attach(attachment, socket, peer)
      })
      const observers = { heldLineBytes: () => attachment.lineMemory.used(), rejectedConnections: () => rejected }

      const close: T.Task<void> = () =>
        new Promise((done) => {
          for (const socket of sockets) socket.destroy()
          if (!listener.listening) return done()
          listener.close(() => done())
        })

      listener.once('error', (error) => {
        resolve(E.left(connectError(requested, codeOf(error), `cannot listen: ${messageOf(error)}`)))
      })
      const onListening = () => {
        listener.removeAllListeners('error')
        // Errors after listening (none expected from a listening socket) must not crash the process.
        listener.on('error', () => undefined)
        const bound = listener.address()
        if (options.path !== undefined || bound === null || typeof bound === 'string') {
          resolve(E.right({ server: requested, engine, ...observers, close }))
          return
        }
        resolve(E.right({ server: addressName(tcp(bound.address, bound.port)), port: bound.port, engine, ...observers, close }))
      }
      if (options.path === undefined) listener.listen(options.port ?? 0, host, onListening)
      else listener.listen(options.path, onListening)
    })
