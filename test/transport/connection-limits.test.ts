/**
 * What a connection holds is bounded by bytes, whatever the server sends or the caller sends:
 * replies over `maxValueSize` / `maxStatsSize` fail the connection on their header (the receive
 * buffer is watched through a wrapper, and never grows past one read), requests in flight are held
 * within `maxPendingBytes`, and a connect can be abandoned. Counters, never RSS or timings.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as net from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { connect, DEFAULT_MAX_PENDING_BYTES } from '../../src/transport/connection.js'
import { answering, type FakeConnection, closedAfterEachTest } from './fakes.js'

/** The largest run of bytes any receive buffer was asked to hold (pending bytes plus the chunk read). */
const buffered = vi.hoisted(() => ({ peak: 0 }))

vi.mock('../../src/transport/receive-buffer.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/transport/receive-buffer.js')>()
  return {
    ...real,
    makeReceiveBuffer: () => {
      const buffer = real.makeReceiveBuffer()
      return {
        ...buffer,
        append: (chunk: Uint8Array) => {
          const bytes = buffer.append(chunk)
          buffered.peak = Math.max(buffered.peak, bytes.length)
          return bytes
        },
      }
    },
  }
})

const { serve, open, defer } = closedAfterEachTest()

const leftTag = (result: E.Either<MemcacheError, Reply>): string => (E.isLeft(result) ? result.left._tag : result.right._tag)

const MiB = 1024 * 1024

/**
 * A hostile server: on the first command line it writes `head`, then `body` again and again for
 * as long as the client keeps the socket open. Counts what it managed to write.
 */
const flooding = (head: string, body: string) => {
  let written = 0
  const onConnection = (connection: FakeConnection): void => {
    const socket = connection.socket
    const chunk = Buffer.from(body, 'latin1')
    const pump = (): void => {
      while (!socket.destroyed && socket.writable) {
        written += chunk.length
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    let started = false
    socket.on('data', () => {
      if (started) return
      started = true
      socket.write(head, 'latin1')
      written += head.length
      pump()
    })
  }
  return { onConnection, written: () => written }
}

describe('reply caps', () => {
  it('a hostile 1 GiB VALUE header fails the connection at once, the buffer never holding more than one read', async () => {
    const flood = flooding('VALUE a 0 1073741824\r\n', 'x'.repeat(MiB))
    const fake = await serve(flood.onConnection)
    // No maxValueSize: the default cap (64 MiB) applies to replies.
    const connection = await open({ server: fake.server, timeout: 0 })
    buffered.peak = 0
    const result = await connection.send(Request.get(['a']))()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('announces 1073741824 bytes, over maxValueSize (67108864') })))
    expect(connection.isOpen()).toBe(false)
    expect(connection.pendingBytes?.()).toBe(0)
    await (await fake.connection(0)).closed
    // One socket read at most (Node reads 64 KiB at a time), far below the cap.
    expect(buffered.peak).toBeGreaterThan(0)
    expect(buffered.peak).toBeLessThanOrEqual(64 * 1024 + 64)
    expect(flood.written()).toBeGreaterThan(0)
  })

  it('honours maxValueSize for replies: a value at it arrives, one byte over it drops the connection', async () => {
    const size = 64 * 1024
    const fake = await serve(
      answering((line) => {
        const [, key] = line.split(' ')
        const length = key === 'over' ? size + 1 : size
        return `VALUE ${key ?? ''} 0 ${length}\r\n${'v'.repeat(length)}\r\nEND\r\n`
      }),
    )
    const connection = await open({ server: fake.server, maxValueSize: size })
    const within = await connection.send(Request.get(['at']))()
    expect(E.isRight(within) && within.right._tag === 'Values' ? within.right.items[0]?.value.length : -1).toBe(size)
    const over = await connection.send(Request.get(['over']))()
    expect(over).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining(`announces ${size + 1} bytes, over maxValueSize (${size}`) })))
    expect(leftTag(await connection.send(Request.get(['at']))())).toBe('ConnectionClosed')
  })

  it('a stats reply that never ends fails the connection past maxStatsSize, bounded by it', async () => {
    const flood = flooding('', 'STAT name value\r\n'.repeat(1024))
    const fake = await serve(flood.onConnection)
    const maxStatsSize = 256 * 1024
    const connection = await open({ server: fake.server, timeout: 0, maxStatsSize })
    buffered.peak = 0
    const result = await connection.send(Request.stats())()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('maxStatsSize') })))
    expect(connection.isOpen()).toBe(false)
    // The unfinished reply plus one read.
    expect(buffered.peak).toBeGreaterThan(maxStatsSize / 2)
    expect(buffered.peak).toBeLessThanOrEqual(maxStatsSize + 64 * 1024 + 64)
  })
})

describe('maxPendingBytes', () => {
  /** A server that accepts and never reads: the client's writes stay queued in its own memory. */
  const deaf = async (): Promise<string> => {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.pause()
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resolve())
        }),
    )
    const address = server.address()
    return `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  }

  it('10 000 pending sets of 100 KiB to a server that never answers stay within the budget; the rest are Overloaded at once', async () => {
    const connection = await open({ server: await deaf(), timeout: 0 })
    const value = new Uint8Array(100 * 1024).fill(0x76)
    const settled: Array<E.Either<MemcacheError, Reply>> = []
    const accepted: Array<Promise<E.Either<MemcacheError, Reply>>> = []
    let expectedHeld = 0
    let peak = 0
    for (let i = 0; i < 10_000; i++) {
      const request = Request.set(`k${i}`, value)
      const size = `set k${i} 0 0 ${value.length}\r\n`.length + value.length + 2
      const admitted = expectedHeld === 0 || expectedHeld + size <= DEFAULT_MAX_PENDING_BYTES
      if (admitted) expectedHeld += size
      const outcome = connection.send(request)()
      if (admitted) accepted.push(outcome)
      else settled.push(await outcome)
      peak = Math.max(peak, connection.pendingBytes?.() ?? Infinity)
    }
    expect(connection.pendingBytes?.()).toBe(expectedHeld)
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_PENDING_BYTES)
    // About 64 MiB / 100 KiB of them.
    expect(accepted.length).toBeGreaterThan(600)
    expect(accepted.length).toBeLessThan(700)
    expect(settled).toHaveLength(10_000 - accepted.length)
    const first = settled[0]
    expect(first).toEqual(
      E.left(expect.objectContaining({ _tag: 'Overloaded', budget: 'bytes', pending: accepted.length, pendingBytes: expectedHeld, message: expect.stringContaining('maxPendingBytes') })),
    )
    expect(settled.every((result) => leftTag(result) === 'Overloaded')).toBe(true)
    expect(connection.inFlight()).toBe(accepted.length)
    await connection.close()
    expect(new Set((await Promise.all(accepted)).map(leftTag))).toEqual(new Set(['ConnectionClosed']))
    expect(connection.pendingBytes?.()).toBe(0)
  })

  it('releases bytes as replies arrive and as noreply writes finish; one request over the budget goes alone', async () => {
    const fake = await serve(answering((line) => (line.startsWith('set') && !line.endsWith('noreply') ? 'STORED\r\n' : undefined)))
    const connection = await open({ server: fake.server, maxPendingBytes: 1000 })
    const big = new Uint8Array(5000)
    const alone = connection.send(Request.set('big', big))()
    expect(connection.pendingBytes?.()).toBe('set big 0 0 5000\r\n'.length + 5002)
    const refused = await connection.send(Request.set('small', new Uint8Array(1)))()
    expect(refused).toEqual(E.left(expect.objectContaining({ _tag: 'Overloaded', budget: 'bytes', requestBytes: 'set small 0 0 1\r\n'.length + 3 })))
    expect(leftTag(await alone)).toBe('Stored')
    expect(connection.pendingBytes?.()).toBe(0)
    const silent = connection.send(Request.set('quiet', new Uint8Array(10), { noreply: true }))()
    expect(connection.pendingBytes?.()).toBeGreaterThan(0)
    expect(leftTag(await silent)).toBe('NoReply')
    expect(connection.pendingBytes?.()).toBe(0)
    expect(leftTag(await connection.send(Request.set('small', new Uint8Array(1)))())).toBe('Stored')
  })

  it('takes Infinity for no byte budget, and a value that is not a positive number for the default', async () => {
    const connection = await open({ server: await deaf(), timeout: 0, maxPendingBytes: Infinity, maxPending: 100_000 })
    const value = new Uint8Array(MiB)
    const pending = Array.from({ length: 80 }, (_, i) => connection.send(Request.set(`k${i}`, value))())
    expect(connection.pendingBytes?.()).toBeGreaterThan(DEFAULT_MAX_PENDING_BYTES)
    await connection.close()
    await Promise.all(pending)
    const defaulted = await open({ server: await deaf(), timeout: 0, maxPendingBytes: Number.NaN })
    const outcomes = Array.from({ length: 80 }, (_, i) => defaulted.send(Request.set(`k${i}`, value))())
    expect(defaulted.pendingBytes?.()).toBeLessThanOrEqual(DEFAULT_MAX_PENDING_BYTES)
    await defaulted.close()
    await Promise.all(outcomes)
  })
})

describe('abandoning and closing', () => {
  it('a connect given a signal is abandoned when it fires: Aborted, its socket destroyed', async () => {
    // TLS to a server that never answers the handshake: the connect would wait for connectTimeout.
    const fake = await serve()
    const controller = new AbortController()
    const opening = connect({ server: fake.server, tls: true, connectTimeout: 60_000 })(controller.signal)
    const accepted = await fake.connection(0)
    controller.abort('closing')
    expect(await opening).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', request: 'connect', reason: 'closing' })))
    await accepted.closed
  })

  it('a connect given a signal that already fired opens nothing', async () => {
    const fake = await serve()
    expect(await connect({ server: fake.server })(AbortSignal.abort('no'))).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(fake.connections).toHaveLength(0)
  })

  it('close does not wait for a server that never closes its side', async () => {
    const sockets = new Set<net.Socket>()
    const halfOpen = net.createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => halfOpen.listen(0, '127.0.0.1', resolve))
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          halfOpen.close(() => resolve())
        }),
    )
    const address = halfOpen.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    // With a minute to close politely, a close that waited for the server would outlive the test.
    const connection = await open({ server: `127.0.0.1:${port}`, connectTimeout: 60_000, timeout: 0 })
    const waiting = connection.send(Request.get(['a']))()
    await connection.close()
    expect(leftTag(await waiting)).toBe('ConnectionClosed')
  })
})
