/**
 * The floor under every client in `npm run bench`: a minimal pipelined memcached client written by
 * hand on one `net.Socket`. It writes the same ASCII requests the others send (a burst in one tick
 * goes out as one corked write), answers requests first in first out, and reads just enough of each
 * reply to hand back the values (a `VALUE` header, its bytes, `END`; `STORED`). No validation, no
 * limits, no timers, no error handling beyond failing loudly: what is left is the cost any client
 * must pay, so a row of this client says how close the others come to the wire.
 *
 * A value that arrives in several chunks is collected and joined once (`Buffer.concat` of its
 * pieces), which is also the cheapest way to receive a large value whole.
 */
import * as net from 'node:net'
import type { BenchClient } from './competitors.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What a reply settles: the values of a `get` by key, or whether a `set` stored. */
type RawResult = ReadonlyMap<string, Buffer> | boolean

interface Waiter {
  readonly resolve: (result: RawResult) => void
  readonly reject: (error: Error) => void
}

const CR = 13
const LF = 10
const CRLF = Buffer.from('\r\n')

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const connectSocket = (server: string): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const colon = server.lastIndexOf(':')
    const socket = net.connect({ host: server.slice(0, colon), port: Number(server.slice(colon + 1)) })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      socket.setNoDelay(true)
      resolve(socket)
    })
  })

/**
 * One socket to `server` (`host:port`), as a bench client.
 *
 * @example
 * const raw = await rawSocketClient('127.0.0.1:11211')
 * await raw.get('a') // Map { 'a' => <Buffer ...> } or an empty map
 */
export const rawSocketClient = async (server: string): Promise<BenchClient<ReadonlyMap<string, Buffer>, ReadonlyMap<string, Buffer>, boolean>> => {
  const socket = await connectSocket(server)
  const waiting: Array<Waiter> = []
  let head = 0
  let corked = false
  // Reply state: the values read so far for the reply at the head, a value being collected.
  let values = new Map<string, Buffer>()
  let pending: Buffer | undefined
  let valueKey = ''
  let valueLeft = -1
  let valueParts: Array<Buffer> = []

  const settle = (result: RawResult): void => {
    const waiter = waiting[head++] as Waiter
    if (head > 1024 && head * 2 > waiting.length) {
      waiting.splice(0, head)
      head = 0
    }
    waiter.resolve(result)
  }

  const fail = (error: Error): void => {
    for (let i = head; i < waiting.length; i++) waiting[i]?.reject(error)
    waiting.length = 0
    head = 0
    socket.destroy()
  }

  /** Reads replies from `chunk` at `offset`; returns where an unfinished line starts, or -1. */
  const read = (chunk: Buffer, start: number): number => {
    let offset = start
    while (offset < chunk.length) {
      if (valueLeft >= 0) {
        // Value bytes, then CRLF (counted in valueLeft).
        const take = Math.min(valueLeft, chunk.length - offset)
        valueParts.push(chunk.subarray(offset, offset + take))
        valueLeft -= take
        offset += take
        if (valueLeft > 0) return -1
        const whole = valueParts.length === 1 ? (valueParts[0] as Buffer) : Buffer.concat(valueParts)
        values.set(valueKey, whole.subarray(0, whole.length - 2))
        valueParts = []
        valueLeft = -1
        continue
      }
      const lf = chunk.indexOf(LF, offset)
      if (lf < 0) return offset
      const first = chunk[offset]
      if (first === 0x56 /* V */) {
        // VALUE <key> <flags> <bytes>
        const keyEnd = chunk.indexOf(0x20, offset + 6)
        valueKey = chunk.toString('latin1', offset + 6, keyEnd)
        const sizeStart = chunk.lastIndexOf(0x20, lf) + 1
        let size = 0
        for (let i = sizeStart; i < lf - 1; i++) size = size * 10 + ((chunk[i] as number) - 48)
        valueLeft = size + 2
        offset = lf + 1
      } else if (first === 0x45 /* END */ && chunk[offset + 1] === 0x4e && chunk[lf - 1] === CR) {
        const found = values
        values = new Map()
        offset = lf + 1
        settle(found)
      } else if (first === 0x53 /* STORED */ && chunk[offset + 1] === 0x54) {
        offset = lf + 1
        settle(true)
      } else {
        fail(new Error(`raw socket: unexpected reply ${JSON.stringify(chunk.toString('latin1', offset, lf))}`))
        return -1
      }
    }
    return -1
  }

  socket.on('data', (data: Buffer) => {
    const chunk = pending === undefined ? data : Buffer.concat([pending, data])
    pending = undefined
    const rest = read(chunk, 0)
    if (rest >= 0) pending = chunk.subarray(rest)
  })
  socket.on('error', fail)

  const uncork = (): void => {
    corked = false
    socket.uncork()
  }

  const request = (bytes: string | Buffer, value?: Buffer): Promise<RawResult> =>
    new Promise((resolve, reject) => {
      if (!corked) {
        corked = true
        socket.cork()
        process.nextTick(uncork)
      }
      waiting.push({ resolve, reject })
      socket.write(bytes)
      if (value !== undefined) {
        socket.write(value)
        socket.write(CRLF)
      }
    })

  return {
    name: 'raw socket',
    notes: { setup: 'hand-written pipelined client on one net.Socket: the floor (bench/raw.ts)' },
    get: (key) => request(`get ${key}\r\n`) as Promise<ReadonlyMap<string, Buffer>>,
    getMany: (keys) => request(`get ${keys.join(' ')}\r\n`) as Promise<ReadonlyMap<string, Buffer>>,
    set: (key, value) => request(`set ${key} 0 0 ${value.length}\r\n`, value) as Promise<boolean>,
    failed: () => false,
    found: (result) => result.values().next().value,
    foundMany: (result) => result,
    stored: (result) => result,
    close: async () => {
      socket.destroy()
    },
  }
}
