/**
 * `serve`: the emulator's engine behind a real listener (TCP or a unix socket) speaking
 * memcached's text protocol, so any text-protocol client (ours, the `memcached` npm package,
 * pymemcache, `nc`) can use it. Handy for examples, demos and CI jobs without memcached.
 *
 * Each client gets its own session (pipelining, data blocks, `noreply`, `quit`) over one shared
 * engine. Writes respect back-pressure: a client that does not read its replies stops being read.
 * `close` destroys every client socket and closes the listener, so the process can exit.
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
import { makeEngine, type Engine, type EngineOptions } from './engine.js'
import { makeSession } from './session.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface ServeOptions extends EngineOptions {
  /** TCP port; default 0 (a free port, see `port` in the result). Ignored with `path`. */
  readonly port?: number
  /** Address to listen on; default `127.0.0.1`. Ignored with `path`. */
  readonly host?: string
  /** Listen on this unix socket instead of TCP. */
  readonly path?: string
  /** The store to serve; default a new engine made from the other options. */
  readonly engine?: Engine
}

/** A running server. @category model */
export interface Served {
  /** What our clients take: `127.0.0.1:PORT`, `[::1]:PORT` or `unix:/path`. */
  readonly server: string
  /** The TCP port (absent for a unix socket). */
  readonly port?: number
  readonly engine: Engine
  /** Destroys every client connection and closes the listener. */
  readonly close: T.Task<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'EUNKNOWN'

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const attach = (engine: Engine, socket: net.Socket, address: string): void => {
  const connection = engine.openConnection(address)
  const session = makeSession(engine, connection)
  if (socket.remoteFamily !== undefined) socket.setNoDelay(true)
  socket.on('data', (bytes: Buffer) => {
    const output = session.receive(bytes)
    if (output.chunks.length > 0) {
      socket.cork()
      let flowing = true
      for (const chunk of output.chunks) flowing = socket.write(chunk)
      socket.uncork()
      if (!flowing && !output.close) {
        socket.pause()
        socket.once('drain', () => socket.resume())
      }
    }
    if (output.close) socket.end()
  })
  // A client that resets is no concern of the server's: drop it.
  socket.on('error', () => socket.destroy())
  socket.once('close', () => connection.close())
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
      const sockets = new Set<net.Socket>()
      const listener = net.createServer((socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
        const peer = options.path === undefined ? `tcp:${socket.remoteAddress ?? host}:${socket.remotePort ?? 0}` : `unix:${options.path}`
        attach(engine, socket, peer)
      })

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
          resolve(E.right({ server: requested, engine, close }))
          return
        }
        resolve(E.right({ server: addressName(tcp(bound.address, bound.port)), port: bound.port, engine, close }))
      }
      if (options.path === undefined) listener.listen(options.port ?? 0, host, onListening)
      else listener.listen(options.path, onListening)
    })
