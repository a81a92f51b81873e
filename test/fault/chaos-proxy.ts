/**
 * A loopback TCP proxy in front of one server that misbehaves on purpose, every choice drawn from a
 * seeded PRNG so that a run can be replayed: per chunk it can delay (in order, as a slow link
 * does), split into pieces, truncate and then reset, inject garbage, stall (stop forwarding until
 * the client gives up) or reset; per connection it can refuse. Counters say what it did.
 *
 * Garbage is 1 to 16 bytes from 0x80–0xFF, never CR or LF, never a digit or a space: corruption a
 * text-protocol client can detect. Bytes that forge structure (a whole `VALUE` line, a CRLF that
 * closes a data block early) cannot be told from a real reply by any client of a protocol without
 * checksums, so they are not what "0 wrong values" is about.
 *
 * (A minimal proxy for the proofs in this folder; `proxy.ts` beside it is the fuller one the routing
 * tests use — the two are meant to be merged.)
 */
import * as net from 'node:net'
import { seededRandom } from './proxy.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Probabilities (0–1) of each fault; each direction draws per chunk, `refuse` per connection. */
export interface FaultMix {
  /** Hold a chunk (and everything behind it) for `delayMs`. */
  readonly delay?: number
  readonly delayMs?: readonly [number, number]
  /** Forward a chunk in 2 to 8 pieces, a tick apart (or byte by byte when it is short). */
  readonly split?: number
  /** Forward part of a chunk, then reset both sides. */
  readonly truncate?: number
  /** Insert garbage into a chunk (server to client only). */
  readonly garbage?: number
  /** Forward nothing more on this connection, sockets left open: the client's timeout must act. */
  readonly stall?: number
  /** Reset both sides instead of forwarding a chunk. */
  readonly reset?: number
  /** Reset an accepted connection at once. */
  readonly refuse?: number
}

export interface ChaosOptions {
  readonly target: { readonly host: string; readonly port: number }
  readonly seed: number
  /** Faults on the server's replies. */
  readonly toClient?: FaultMix
  /** Faults on the client's requests (no garbage: memcached would store it). */
  readonly toServer?: FaultMix
  /** Told every chunk the client sent, as it arrives (before any fault): what went on the wire. */
  readonly onClientBytes?: (chunk: Buffer) => void
}

export type FaultName = 'delay' | 'split' | 'truncate' | 'garbage' | 'stall' | 'reset' | 'refuse'

export interface ChaosProxy {
  /** `127.0.0.1:PORT`, what clients take as a server. */
  readonly server: string
  readonly port: number
  /** Faults applied so far, by name. */
  readonly counts: () => Readonly<Record<FaultName, number>>
  readonly connections: () => number
  /** Turns the faults off (or back on): a clean pipe. */
  readonly setEnabled: (enabled: boolean) => void
  /** Stops listening, destroys every socket, clears every timer. */
  readonly close: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const garbageBytes = (random: () => number): Buffer => {
  const length = 1 + Math.floor(random() * 16)
  return Buffer.from(Array.from({ length }, () => 0x80 + Math.floor(random() * 0x80)))
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Starts a proxy on a free loopback port.
 *
 * @example
 * const proxy = await startChaosProxy({ target: { host: '127.0.0.1', port: mc.port }, seed: 1, toClient: { delay: 0.05, delayMs: [20, 170] } })
 * afterAll(() => proxy.close())
 */
export const startChaosProxy = async (options: ChaosOptions): Promise<ChaosProxy> => {
  const random = seededRandom(options.seed)
  const counts: Record<FaultName, number> = { delay: 0, split: 0, truncate: 0, garbage: 0, stall: 0, reset: 0, refuse: 0 }
  const sockets = new Set<net.Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let enabled = true
  let accepted = 0
  let closing = false

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const chance = (p: number | undefined): boolean => enabled && p !== undefined && p > 0 && random() < p

  const pipe = (from: net.Socket, to: net.Socket, mix: FaultMix, towardClient: boolean, resetBoth: () => void): void => {
    let queue: Promise<void> = Promise.resolve()
    let stalled = false
    const forward = async (chunk: Buffer): Promise<void> => {
      if (stalled || to.destroyed) return
      if (chance(mix.stall)) {
        counts.stall++
        stalled = true
        return
      }
      if (chance(mix.reset)) {
        counts.reset++
        resetBoth()
        return
      }
      if (chance(mix.delay)) {
        counts.delay++
        const [low, high] = mix.delayMs ?? [20, 170]
        await sleep(low + Math.floor(random() * (high - low + 1)))
      }
      let data = chunk
      if (towardClient && chance(mix.garbage)) {
        counts.garbage++
        const at = Math.floor(random() * (data.length + 1))
        data = Buffer.concat([data.subarray(0, at), garbageBytes(random), data.subarray(at)])
      }
      if (chance(mix.truncate)) {
        counts.truncate++
        if (!to.destroyed) to.write(data.subarray(0, Math.floor(random() * data.length)))
        resetBoth()
        return
      }
      if (data.length > 1 && chance(mix.split)) {
        counts.split++
        const pieces = data.length <= 8 ? data.length : 2 + Math.floor(random() * 7)
        let start = 0
        for (let piece = 1; piece <= pieces; piece++) {
          const end = piece === pieces ? data.length : start + Math.max(1, Math.floor((data.length - start) / (pieces - piece + 1)))
          if (to.destroyed) return
          to.write(data.subarray(start, end))
          start = end
          await sleep(0)
        }
        return
      }
      if (!to.destroyed) to.write(data)
    }
    from.on('data', (chunk: Buffer) => {
      if (!towardClient) options.onClientBytes?.(chunk)
      queue = queue.then(() => forward(chunk))
    })
  }

  const listener = net.createServer((client) => {
    accepted++
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.on('error', () => undefined)
    if (closing || chance(options.toClient?.refuse)) {
      counts.refuse++
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect({ host: options.target.host, port: options.target.port })
    sockets.add(upstream)
    upstream.once('close', () => sockets.delete(upstream))
    upstream.on('error', () => undefined)
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    const resetBoth = (): void => {
      if (!client.destroyed) client.resetAndDestroy()
      if (!upstream.destroyed) upstream.resetAndDestroy()
    }
    // A side that goes away takes the other with it, as a host that dies would.
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
    pipe(client, upstream, options.toServer ?? {}, false, resetBoth)
    pipe(upstream, client, options.toClient ?? {}, true, resetBoth)
  })
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(0, '127.0.0.1', () => resolve())
  })
  const address = listener.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  return {
    server: `127.0.0.1:${port}`,
    port,
    counts: () => ({ ...counts }),
    connections: () => accepted,
    setEnabled: (value) => {
      enabled = value
    },
    close: async () => {
      closing = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    },
  }
}
