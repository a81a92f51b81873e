/**
 * A loopback TCP fault proxy for tests: clients connect to it, it connects to `target` and forwards
 * bytes both ways, spoiling the **reply** direction (target → client) as a seeded `FaultMix` says:
 * delay, split byte by byte, inject garbage, truncate, stall, reset; and it can refuse connections
 * (stop listening) and accept them again, like a server that died and came back.
 *
 * Requests (client → target) are forwarded as they come (only a stalled or reset connection stops
 * them). Every decision is drawn from a PRNG seeded from `seed` and the connection's number, in a
 * fixed order per reply chunk, so one seed makes the same decisions for the same chunks; chunk
 * boundaries themselves depend on the kernel's timing.
 *
 * ```ts
 * const proxy = await startFaultProxy({ target: memcached.server, seed: 7, faults: { delay: { probability: 0.05, minMs: 80, maxMs: 230 }, split: 0.03, reset: 0.01 } })
 * const client = createClient({ servers: proxy.server, timeout: 60 })
 * // ... load ...
 * await proxy.refuse() // the node is down: connects are refused, open connections reset
 * await proxy.accept() // and back
 * afterAll(() => proxy.close())
 * ```
 *
 * `close()` stops everything it started: the listener, every socket, every timer.
 */
import * as net from 'node:net'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What the proxy does to replies; each probability is in [0, 1], absent means 0. */
export interface FaultMix {
  /** Per reply chunk: hold it (and everything after it on its connection) back `minMs`–`maxMs` ms. */
  readonly delay?: { readonly probability: number; readonly minMs: number; readonly maxMs: number }
  /** Per reply chunk: send it one byte at a time, a macrotask between bytes. */
  readonly split?: number
  /**
   * Per reply chunk: insert 1–8 random bytes at a random place. Bytes are inserted, never replaced:
   * replaced value bytes with intact framing cannot be noticed by any client.
   */
  readonly garbage?: number
  /** Per reply chunk: forward a random part of it, then end the connection both ways (FIN). */
  readonly truncate?: number
  /** Per connection: at one of its first `faultWithin` reply chunks, reset it both ways (RST). */
  readonly reset?: number
  /** Per connection: at one of its first `faultWithin` reply chunks, go silent both ways (sockets stay open). */
  readonly stall?: number
  /** The reply chunk index range, from 0, where a connection's reset or stall falls. Default 32. */
  readonly faultWithin?: number
}

/** Counters since the proxy started. */
export interface FaultStats {
  readonly connections: number
  readonly chunks: number
  readonly delayed: number
  readonly split: number
  readonly garbage: number
  readonly truncated: number
  readonly resets: number
  readonly stalled: number
}

export interface FaultProxyOptions {
  /** `host:port` (as `MemcachedServer.server` gives it) or `{ host, port }`. */
  readonly target: string | { readonly host: string; readonly port: number }
  readonly seed: number
  /** Default: none (a plain forwarder until `setFaults`). */
  readonly faults?: FaultMix
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, for `servers`. */
  readonly server: string
  readonly port: number
  /** The mix for reply chunks from now on (connections keep the reset/stall point they drew). */
  readonly setFaults: (faults: FaultMix) => void
  /** Down: stop listening (new connects get ECONNREFUSED) and reset every open connection. */
  readonly refuse: () => Promise<void>
  /** Up again: listen on the same port. */
  readonly accept: () => Promise<void>
  readonly stats: () => FaultStats
  /** Stops the listener, every socket and every timer. */
  readonly close: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const parseTarget = (target: FaultProxyOptions['target']): { readonly host: string; readonly port: number } => {
  if (typeof target !== 'string') return target
  const colon = target.lastIndexOf(':')
  return { host: target.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(target.slice(colon + 1)) }
}

const listen = (server: net.Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : port)
    })
  })

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Starts a proxy on a free loopback port in front of `target`. */
export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const target = parseTarget(options.target)
  let faults: FaultMix = options.faults ?? {}
  let closed = false
  let connectionCount = 0
  const counts = { connections: 0, chunks: 0, delayed: 0, split: 0, garbage: 0, truncated: 0, resets: 0, stalled: 0 }
  const sockets = new Set<net.Socket>()
  const timers = new Set<NodeJS.Timeout>()
  /** Wakes every pending sleep at close, so that no connection loop waits on a cleared timer. */
  const wakers = new Set<() => void>()

  const sleep = (ms: number, run: (callback: () => void) => NodeJS.Timeout | undefined): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        wakers.delete(wake)
        if (timer !== undefined) {
          timers.delete(timer)
          clearTimeout(timer)
        }
        resolve()
      }
      wakers.add(wake)
      const timer = ms > 0 ? run(wake) : undefined
      if (timer !== undefined) timers.add(timer)
      else setImmediate(wake)
    })

  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // Errors end the pair (below); an unhandled 'error' must not crash the test process.
    socket.on('error', () => undefined)
    return socket
  }

  const handle = (client: net.Socket): void => {
    track(client)
    counts.connections++
    const random = seededRandom((options.seed ^ Math.imul(++connectionCount, 0x9e3779b1)) >>> 0)
    const within = Math.max(1, faults.faultWithin ?? 32)
    // Drawn at accept, in a fixed order: whether and where this connection is reset or stalls.
    const resetAt = random() < (faults.reset ?? 0) ? Math.floor(random() * within) : -1
    const stallAt = random() < (faults.stall ?? 0) ? Math.floor(random() * within) : -1
    const upstream = track(net.connect({ port: target.port, host: target.host, allowHalfOpen: true }))
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    const queue: Array<Buffer> = []
    let index = 0
    let draining = false
    let stalled = false
    let over = false
    let upstreamEnded = false

    const finish = (how: 'reset' | 'end' | 'destroy'): void => {
      if (over) return
      over = true
      queue.length = 0
      for (const socket of [client, upstream]) {
        if (how === 'reset' && !socket.destroyed) socket.resetAndDestroy()
        else if (how === 'end') socket.end()
        else socket.destroy()
      }
    }

    const write = async (bytes: Uint8Array): Promise<void> => {
      if (over || client.destroyed) return
      if (client.write(bytes)) return
      await new Promise<void>((resolve) => {
        const done = (): void => {
          client.off('drain', done).off('close', done)
          resolve()
        }
        client.on('drain', done).on('close', done)
      })
    }

    /** Forwards one reply chunk with its faults; `false` when the connection is over. */
    const forward = async (chunk: Buffer): Promise<boolean> => {
      const at = index++
      counts.chunks++
      // Every draw is made for every chunk, in this order, whatever the outcome: same seed, same decisions.
      const mix = faults
      const truncate = random() < (mix.truncate ?? 0)
      const cut = Math.floor(random() * chunk.length)
      const garbage = random() < (mix.garbage ?? 0)
      const garbageAt = Math.floor(random() * (chunk.length + 1))
      const garbageLength = 1 + Math.floor(random() * 8)
      const delayed = mix.delay !== undefined && random() < mix.delay.probability
      const delayMs = mix.delay === undefined ? 0 : mix.delay.minMs + random() * (mix.delay.maxMs - mix.delay.minMs)
      const split = random() < (mix.split ?? 0)
      if (at === resetAt) {
        counts.resets++
        finish('reset')
        return false
      }
      if (at === stallAt) {
        counts.stalled++
        stalled = true
      }
      if (stalled) return true
      if (truncate) {
        counts.truncated++
        await write(chunk.subarray(0, cut))
        finish('end')
        return false
      }
      let bytes: Buffer = chunk
      if (garbage) {
        counts.garbage++
        const noise = Buffer.from(Array.from({ length: garbageLength }, () => Math.floor(random() * 256)))
        bytes = Buffer.concat([chunk.subarray(0, garbageAt), noise, chunk.subarray(garbageAt)])
      }
      if (delayed) {
        counts.delayed++
        await sleep(delayMs, (wake) => setTimeout(wake, delayMs))
      }
      if (split) {
        counts.split++
        for (let i = 0; i < bytes.length && !over; i++) {
          await write(bytes.subarray(i, i + 1))
          await sleep(0, () => undefined)
        }
      } else await write(bytes)
      return !over
    }

    const drain = async (): Promise<void> => {
      if (draining) return
      draining = true
      while (queue.length > 0 && !over && !closed) {
        const chunk = queue.shift() as Buffer
        if (!(await forward(chunk))) break
        if (queue.length < 16 && upstream.isPaused()) upstream.resume()
      }
      draining = false
      if (upstreamEnded && queue.length === 0 && !over && !stalled) finish('end')
    }

    upstream.on('data', (chunk: Buffer) => {
      if (over) return
      queue.push(chunk)
      // Bounded memory behind a delayed chunk: the target waits instead.
      if (queue.length >= 64) upstream.pause()
      void drain()
    })
    client.on('data', (chunk: Buffer) => {
      if (!over && !stalled) upstream.write(chunk)
    })
    upstream.once('end', () => {
      upstreamEnded = true
      void drain()
    })
    client.once('end', () => {
      if (!over && !stalled) upstream.end()
    })
    // The target refused or reset: so does the proxy.
    upstream.once('error', () => finish('reset'))
    client.once('error', () => finish('destroy'))
    upstream.once('close', () => {
      if (!upstreamEnded) finish('destroy')
    })
    client.once('close', () => finish('destroy'))
  }

  // Half-open both ways, so that one side's end reaches the other after what it sent.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, handle)
  const port = await listen(server, 0)
  let listening = true

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) return resolve()
      listening = false
      server.close(() => resolve())
    })

  return {
    server: `127.0.0.1:${port}`,
    port,
    setFaults: (next) => {
      faults = next
    },
    refuse: async () => {
      const closing = stopListening()
      for (const socket of sockets) if (!socket.destroyed) socket.resetAndDestroy()
      await closing
    },
    accept: async () => {
      if (listening || closed) return
      await listen(server, port)
      listening = true
    },
    stats: () => ({ ...counts }),
    close: async () => {
      if (closed) return
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const wake of [...wakers]) wake()
      const closing = stopListening()
      for (const socket of sockets) socket.destroy()
      await closing
    },
  }
}
