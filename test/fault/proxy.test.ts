import * as net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultProxy, type FaultMix, type FaultProxy } from './proxy.js'

/** An echo server: every chunk it reads it writes back, so one short message comes back as one chunk. */
let echo: net.Server
let echoPort = 0
const echoSockets = new Set<net.Socket>()

beforeAll(async () => {
  echo = net.createServer((socket) => {
    echoSockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => echoSockets.delete(socket))
    socket.on('data', (chunk) => socket.write(chunk))
    socket.on('end', () => socket.end())
  })
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  const address = echo.address()
  echoPort = typeof address === 'object' && address !== null ? address.port : 0
})

afterAll(async () => {
  for (const socket of echoSockets) socket.destroy()
  await new Promise<void>((resolve) => echo.close(() => resolve()))
})

const withProxy = async (seed: number, faults: FaultMix, body: (proxy: FaultProxy) => Promise<void>): Promise<void> => {
  const proxy = await startFaultProxy({ target: `127.0.0.1:${echoPort}`, seed, faults })
  try {
    await body(proxy)
  } finally {
    await proxy.close()
  }
}

/** A client socket that records what it receives and how it ended. */
const client = (port: number) => {
  const socket = net.connect(port, '127.0.0.1')
  let received = Buffer.alloc(0)
  let ended: 'end' | 'error' | undefined
  let errorCode: string | undefined
  const waiters: Array<() => void> = []
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter()
  }
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    wake()
  })
  socket.on('end', () => {
    ended ??= 'end'
    wake()
  })
  socket.on('error', (error: NodeJS.ErrnoException) => {
    ended = 'error'
    errorCode = error.code
    wake()
  })
  socket.on('close', wake)
  return {
    socket,
    received: () => received,
    ended: () => ended,
    errorCode: () => errorCode,
    /** Resolves when `done()` holds, checked after every event of the socket. */
    until: async (done: () => boolean): Promise<void> => {
      while (!done()) {
        if (socket.destroyed && !done()) throw new Error(`socket closed first (${String(ended)} ${String(errorCode)}), got ${received.length} bytes`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
  }
}

/** Turns of the event loop until `done()` holds (for counters the proxy moves), at most `turns`. */
const settle = async (done: () => boolean, turns = 2000): Promise<boolean> => {
  for (let turn = 0; turn < turns && !done(); turn++) await new Promise((resolve) => setTimeout(resolve, 1))
  return done()
}

const message = (n: number) => Buffer.from(`message ${n}: ${'x'.repeat(40 + n)}\n`)

/** Sends `count` messages one after the other, each after the previous came back whole. */
const roundTrips = async (port: number, count: number) => {
  const each = client(port)
  let expected = 0
  for (let n = 0; n < count; n++) {
    const sent = message(n)
    expected += sent.length
    each.socket.write(sent)
    await each.until(() => each.received().length >= expected)
  }
  return each
}

const isSubsequence = (inner: Buffer, outer: Buffer): boolean => {
  let at = 0
  for (const byte of outer) if (at < inner.length && inner[at] === byte) at++
  return at === inner.length
}

const allMessages = (count: number) => Buffer.concat(Array.from({ length: count }, (_, n) => message(n)))

describe('fault proxy', () => {
  it('forwards both ways unchanged with no faults', async () => {
    await withProxy(1, {}, async (proxy) => {
      const each = await roundTrips(proxy.port, 50)
      expect(each.received()).toEqual(allMessages(50))
      each.socket.destroy()
      expect(proxy.stats()).toMatchObject({ connections: 1, delayed: 0, split: 0, garbage: 0, resets: 0 })
      expect(proxy.stats().chunks).toBeGreaterThanOrEqual(50)
    })
  })

  it('delays and splits reply chunks and keeps every byte in order', async () => {
    await withProxy(2, { delay: { probability: 0.5, minMs: 1, maxMs: 5 }, split: 0.5 }, async (proxy) => {
      const each = await roundTrips(proxy.port, 40)
      expect(each.received()).toEqual(allMessages(40))
      each.socket.destroy()
      expect(proxy.stats().delayed).toBeGreaterThan(5)
      expect(proxy.stats().split).toBeGreaterThan(5)
    })
  })

  it('inserts garbage without replacing bytes', async () => {
    await withProxy(3, { garbage: 1 }, async (proxy) => {
      const each = client(proxy.port)
      const sent = message(7)
      each.socket.write(sent)
      await each.until(() => each.received().length > sent.length)
      expect(each.received().length - sent.length).toBeLessThanOrEqual(8)
      expect(isSubsequence(sent, each.received())).toBe(true)
      each.socket.destroy()
    })
  })

  it('truncates a reply and ends the connection', async () => {
    await withProxy(4, { truncate: 1 }, async (proxy) => {
      const each = client(proxy.port)
      const sent = message(3)
      each.socket.write(sent)
      await each.until(() => each.ended() !== undefined)
      expect(each.ended()).toBe('end')
      expect(each.received().length).toBeLessThan(sent.length)
      expect(sent.subarray(0, each.received().length)).toEqual(each.received())
      expect(proxy.stats().truncated).toBe(1)
    })
  })

  it('resets a connection', async () => {
    await withProxy(5, { reset: 1, faultWithin: 1 }, async (proxy) => {
      const each = client(proxy.port)
      each.socket.write(message(1))
      await each.until(() => each.ended() !== undefined)
      expect(each.ended()).toBe('error')
      expect(each.errorCode()).toBe('ECONNRESET')
      expect(each.received().length).toBe(0)
      expect(proxy.stats().resets).toBe(1)
    })
  })

  it('stalls a connection: it stays open and nothing more comes', async () => {
    await withProxy(6, { stall: 1, faultWithin: 2 }, async (proxy) => {
      const each = client(proxy.port)
      const before = message(0)
      each.socket.write(before)
      await each.until(() => each.received().length >= before.length)
      each.socket.write(message(1))
      expect(await settle(() => proxy.stats().stalled === 1)).toBe(true)
      expect(proxy.stats().chunks).toBe(2)
      // A third message is not even forwarded to the target.
      each.socket.write(message(2))
      expect(await settle(() => proxy.stats().chunks > 2, 50)).toBe(false)
      expect(each.received()).toEqual(before)
      expect(each.socket.destroyed).toBe(false)
      each.socket.destroy()
    })
  })

  it('refuses connections while down, resets the open ones, and accepts again on the same port', async () => {
    await withProxy(7, {}, async (proxy) => {
      const open = await roundTrips(proxy.port, 1)
      await proxy.refuse()
      await open.until(() => open.ended() !== undefined)
      expect(open.errorCode()).toBe('ECONNRESET')
      const refused = client(proxy.port)
      await refused.until(() => refused.ended() !== undefined)
      expect(refused.errorCode()).toBe('ECONNREFUSED')
      await proxy.accept()
      const again = await roundTrips(proxy.port, 3)
      expect(again.received()).toEqual(allMessages(3))
      again.socket.destroy()
    })
  })

  it('makes the same decisions for the same seed and chunks', async () => {
    const run = async (seed: number) => {
      let out = Buffer.alloc(0)
      await withProxy(seed, { garbage: 0.3, split: 0.3 }, async (proxy) => {
        // One connection per message: each decision stream starts from the seed and the connection number.
        for (let n = 0; n < 20; n++) {
          const each = client(proxy.port)
          const sent = message(n)
          // The echo server ends after the echo, and the proxy after forwarding it all: the end is the whole reply.
          each.socket.end(sent)
          await each.until(() => each.ended() !== undefined)
          out = Buffer.concat([out, each.received()])
          each.socket.destroy()
        }
      })
      return out
    }
    const first = await run(11)
    expect(await run(11)).toEqual(first)
    expect(await run(12)).not.toEqual(first)
  })

  it('leaves no socket, server or timer behind when closed with a delayed chunk pending', async () => {
    const count = (kind: string) => process.getActiveResourcesInfo().filter((each) => each === kind).length
    // Only the echo server is left once the sockets of earlier tests are gone.
    const quiet = () => count('TCPSocketWrap') === 0 && count('TCPServerWrap') === 1
    expect(await settle(quiet)).toBe(true)
    // The runner's own timers come and go: there may only be fewer than before.
    const timers = count('Timeout')
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: echoPort }, seed: 8, faults: { delay: { probability: 1, minMs: 60_000, maxMs: 60_000 } } })
    const each = client(proxy.port)
    each.socket.write(message(1))
    expect(await settle(() => proxy.stats().delayed === 1)).toBe(true)
    await proxy.close()
    await each.until(() => each.socket.destroyed)
    expect(await settle(() => quiet() && count('Timeout') <= timers)).toBe(true)
  })
})
