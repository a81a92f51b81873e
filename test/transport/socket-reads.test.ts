/**
 * Socket reads: plain sockets read into one buffer for the process (transient bytes), bytes that
 * come before `listen` are kept in order, and a socket that reads on its own passes its chunks on.
 */
import * as net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connectReading, ownReading, type ReadSocket } from '../../src/transport/socket-reads.js'

interface Received {
  readonly text: string
  readonly transient: boolean
  readonly buffer: ArrayBufferLike
}

const servers: Array<net.Server> = []
const sockets: Array<net.Socket> = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** A loopback server that writes `greeting` to every client: as soon as it connects, or once asked. */
const serving = async (greeting: string, when: 'first' | 'asked'): Promise<number> => {
  const server = net.createServer((socket) => {
    sockets.push(socket)
    if (when === 'first') socket.write(greeting)
    else socket.once('data', () => socket.write(greeting))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

/**
 * Listens on `reading` once connected plus `delayMs` (then asks the server to speak), and collects
 * what arrives until `expected` bytes have.
 */
const collect = (reading: ReadSocket, expected: number, delayMs: number): Promise<ReadonlyArray<Received>> =>
  new Promise((resolve) => {
    sockets.push(reading.socket)
    const received: Array<Received> = []
    let total = 0
    const listen = (): void => {
      reading.listen((bytes, transient) => {
        // Read now: transient bytes are gone once this returns.
        received.push({ text: Buffer.from(bytes).toString('latin1'), transient, buffer: bytes.buffer })
        total += bytes.length
        if (total >= expected) resolve(received)
      })
      reading.socket.write('?')
    }
    reading.socket.once('connect', () => setTimeout(listen, delayMs))
  })

describe('socket reads', () => {
  it('a plain socket reads into the one shared buffer: every read is transient, on the same memory for every socket', async () => {
    const port = await serving('hello', 'asked')
    const [first, second] = await Promise.all([
      collect(connectReading({ host: '127.0.0.1', port }), 5, 0),
      collect(connectReading({ host: '127.0.0.1', port }), 5, 0),
    ])
    expect(first?.map((read) => read.text).join('')).toBe('hello')
    expect(first?.every((read) => read.transient)).toBe(true)
    expect(second?.[0]?.buffer).toBe(first?.[0]?.buffer)
  })

  it('keeps the bytes that come before listen, copied, and hands them over in order', async () => {
    const greeting = 'a server that speaks first'
    const port = await serving(greeting, 'first')
    const other = await serving('x'.repeat(1000), 'asked')
    const late = collect(connectReading({ host: '127.0.0.1', port }), greeting.length, 100)
    // Another socket's reads overwrite the shared buffer while the first one waits to listen.
    const meanwhile = collect(connectReading({ host: '127.0.0.1', port: other }), 1000, 0)
    const [received] = await Promise.all([late, meanwhile])
    expect(received?.map((read) => read.text).join('')).toBe(greeting)
    expect(received?.[0]?.transient).toBe(false)
  })

  it('a socket that reads on its own passes its chunks on as they are, not transient', async () => {
    const port = await serving('hello', 'first')
    const received = await collect(ownReading(net.connect({ host: '127.0.0.1', port })), 5, 50)
    expect(received.map((read) => read.text).join('')).toBe('hello')
    expect(received.every((read) => !read.transient)).toBe(true)
  })
})
