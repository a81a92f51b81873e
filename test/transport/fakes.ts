/**
 * Scripted loopback servers for the connection's fault tests: each connection's received bytes
 * are recorded, and the test decides exactly which bytes go back and when.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as net from 'node:net'
import { afterEach } from 'vitest'
import { connect, type Connection, type ConnectOptions } from '../../src/transport/connection.js'

export interface FakeConnection {
  readonly socket: net.Socket
  /** Everything received so far, as latin1 text. */
  readonly received: () => string
  /** Resolves once the received text contains `text` (at or after its `count`-th occurrence). */
  readonly waitFor: (text: string, count?: number) => Promise<void>
  /** Resolves when the client ends or drops the connection. */
  readonly closed: Promise<void>
}

export interface FakeServer {
  readonly server: string
  readonly port: number
  readonly connections: ReadonlyArray<FakeConnection>
  /** Resolves with the `index`-th connection (0-based) once it is accepted. */
  readonly connection: (index: number) => Promise<FakeConnection>
  readonly close: () => Promise<void>
}

const occurrences = (text: string, part: string): number => {
  let count = 0
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) count++
  return count
}

/**
 * A server on 127.0.0.1 (a free port, or `port`) that calls `onConnection` for each client.
 * With no handler it accepts and stays silent.
 */
export const fakeServer = (onConnection: (connection: FakeConnection) => void = () => undefined, port = 0): Promise<FakeServer> =>
  new Promise((resolve, reject) => {
    const connections: Array<FakeConnection> = []
    const awaited: Array<{ readonly index: number; readonly resolve: (connection: FakeConnection) => void }> = []
    const server = net.createServer((socket) => {
      let text = ''
      const waiters: Array<{ readonly part: string; readonly count: number; readonly resolve: () => void }> = []
      const check = () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          const waiter = waiters[i]
          if (waiter !== undefined && occurrences(text, waiter.part) >= waiter.count) {
            waiters.splice(i, 1)
            waiter.resolve()
          }
        }
      }
      socket.on('error', () => undefined)
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1')
        check()
      })
      const connection: FakeConnection = {
        socket,
        received: () => text,
        waitFor: (part, count = 1) =>
          new Promise((done) => {
            waiters.push({ part, count, resolve: done })
            check()
          }),
        closed: new Promise((done) => socket.once('close', () => done())),
      }
      connections.push(connection)
      onConnection(connection)
      for (const waiter of awaited) if (waiter.index === connections.length - 1) waiter.resolve(connection)
    })
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : 0
      resolve({
        server: `127.0.0.1:${bound}`,
        port: bound,
        connections,
        connection: (index) =>
          new Promise((done) => {
            const existing = connections[index]
            if (existing !== undefined) done(existing)
            else awaited.push({ index, resolve: done })
          }),
        close: () =>
          new Promise((done) => {
            for (const connection of connections) connection.socket.destroy()
            server.close(() => done())
          }),
      })
    })
  })

/** Answers each complete command line with `answer(line)` (nothing when it returns undefined). */
export const answering =
  (answer: (line: string, connection: FakeConnection) => string | undefined) =>
  (connection: FakeConnection): void => {
    let pending = ''
    connection.socket.on('data', (chunk) => {
      pending += chunk.toString('latin1')
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end)
        pending = pending.slice(end + 2)
        const reply = answer(line, connection)
        if (reply !== undefined && !connection.socket.destroyed) connection.socket.write(reply, 'latin1')
      }
    })
  }

/** Writes `parts` one by one, each after the previous one was flushed and a macrotask passed. */
export const writeInParts = async (socket: net.Socket, parts: ReadonlyArray<Uint8Array | string>): Promise<void> => {
  socket.setNoDelay(true)
  for (const part of parts) {
    await new Promise<void>((done) => socket.write(part, () => done()))
    await new Promise<void>((done) => setTimeout(done, 1))
  }
}

/** A port nothing listens on (it was free a moment ago). */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

/**
 * `serve` and `open` for a test file: every fake server and connection they make is closed after
 * each test, with whatever was given to `defer` (call it once at the top level of the file).
 */
export const closedAfterEachTest = (): {
  readonly serve: (...args: Parameters<typeof fakeServer>) => Promise<FakeServer>
  readonly open: (options: ConnectOptions) => Promise<Connection>
  /** Runs `cleanup` after the test too (a server of the test's own). */
  readonly defer: (cleanup: () => Promise<unknown>) => void
} => {
  const cleanups: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
  })
  return {
    serve: async (...args) => {
      const server = await fakeServer(...args)
      cleanups.push(server.close)
      return server
    },
    open: async (options) => {
      const opened = await connect(options)()
      if (E.isLeft(opened)) throw new Error(`connect failed: ${opened.left.message}`)
      cleanups.push(opened.right.close)
      return opened.right
    },
    defer: (cleanup) => {
      cleanups.push(cleanup)
    },
  }
}
