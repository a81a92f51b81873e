/**
 * The embedded server under the hostile clients of issue 14, at full size (not part of `npm test`:
 * run it with `node --expose-gc --import tsx test/emulator/serve-hostile.soak.ts`; without
 * `--expose-gc` the memory figures include garbage not yet collected). It checks what must hold — replies
 * right, memory inside its limits, other clients served — and prints the times and event-loop
 * stalls it saw, which depend on the machine and are never asserted.
 *
 * - 4 MB and 16 MB `get k k k …` lines streamed in 64 KiB packets;
 * - 400 clients each leaving a 1 MB data block unfinished;
 * - 100 clients each sending 1 MB of a multi-get line and never its newline;
 * - one multi-get with 200,000 hits while another client asks for `stats`;
 * - 1,100 clients connecting at once.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as net from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { serve, type Served, type ServeOptions } from '../../src/emulator/serve.js'
import * as Request from '../../src/protocol/request.js'

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`failed: ${what}`)
}

const start = async (options: ServeOptions = {}): Promise<Served> => {
  const started = await serve(options)()
  if (E.isLeft(started)) throw new Error(started.left.message)
  return started.right
}

const open = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })

/** Resolves with the bytes read once what was read ends with `suffix`. */
const readUntil = (socket: net.Socket, suffix: string): Promise<string> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let tail = ''
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      tail = (tail + chunk.toString('latin1')).slice(-suffix.length)
      if (tail !== suffix) return
      socket.off('data', onData)
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    socket.on('data', onData)
  })

/** The longest a 1 ms timer was late while `work` ran: how long the event loop was held. */
const stallDuring = async <A>(work: () => Promise<A>): Promise<{ readonly result: A; readonly stallMs: number; readonly loopDelayMaxMs: number }> => {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  let stallMs = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    stallMs = Math.max(stallMs, now - last - 1)
    last = now
  }, 1)
  try {
    const result = await work()
    return { result, stallMs, loopDelayMaxMs: histogram.max / 1e6 }
  } finally {
    clearInterval(timer)
    histogram.disable()
  }
}

/** Memory in use after a full collection, when the process allows one. */
const memoryNow = (): NodeJS.MemoryUsage => {
  globalThis.gc?.()
  return process.memoryUsage()
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const streamedLines = async (): Promise<void> => {
  for (const size of [4, 16]) {
    const served = await start()
    const socket = await open(served.port ?? 0)
    const packet = Buffer.from('k '.repeat(32 * 1024))
    const started = performance.now()
    const { result, stallMs } = await stallDuring(async () => {
      const reply = readUntil(socket, 'END\r\n')
      socket.write('get ')
      for (let sent = 0; sent < size * 1024 * 1024; sent += packet.length) socket.write(packet)
      socket.write('\r\n')
      return reply
    })
    check(result === 'END\r\n', `a ${size} MB line of misses is answered END`)
    console.log(`${size} MB get line streamed: answered in ${(performance.now() - started).toFixed(0)} ms, longest stall ${stallMs.toFixed(0)} ms`)
    socket.destroy()
    await served.close()
  }
}

const unfinishedBlocks = async (): Promise<void> => {
  const served = await start()
  await settle(500)
  const before = memoryNow()
  const sockets: Array<net.Socket> = []
  for (let index = 0; index < 400; index++) {
    const socket = await open(served.port ?? 0)
    socket.on('data', () => undefined)
    socket.on('error', () => undefined)
    socket.write(`set pending:${index} 0 0 1000000\r\n`)
    socket.write(Buffer.alloc(999_000, 120))
    sockets.push(socket)
  }
  await settle(1500)
  const after = memoryNow()
  const memory = served.engine.memory()
  check(memory.items + memory.reserved <= memory.limit, 'items and reserved blocks within the memory limit')
  const probe = await open(served.port ?? 0)
  const version = readUntil(probe, '\r\n')
  probe.write('version\r\n')
  check((await version).startsWith('VERSION '), 'another client is served')
  console.log(
    `400 unfinished 1 MB blocks: reserved ${megabytes(memory.reserved)} of a ${megabytes(memory.limit)} limit, ` +
      `array buffers +${megabytes(after.arrayBuffers - before.arrayBuffers)}, rss +${megabytes(after.rss - before.rss)}`,
  )
  for (const socket of [...sockets, probe]) socket.destroy()
  await served.close()
}

const unfinishedLines = async (): Promise<void> => {
  const served = await start()
  await settle(500)
  const before = memoryNow()
  const sockets: Array<net.Socket> = []
  let closedByServer = 0
  const packet = Buffer.from('k '.repeat(32 * 1024))
  for (let index = 0; index < 100; index++) {
    const socket = await open(served.port ?? 0)
    socket.on('data', () => undefined)
    socket.on('error', () => undefined)
    socket.once('close', () => closedByServer++)
    socket.write('get ')
    for (let sent = 0; sent < 1024 * 1024; sent += packet.length) socket.write(packet)
    sockets.push(socket)
  }
  await settle(3000)
  const after = memoryNow()
  const held = served.heldLineBytes()
  check(held <= 64 * 1024 * 1024, 'held lines within lineMemoryLimit')
  const probe = await open(served.port ?? 0)
  const version = readUntil(probe, '\r\n')
  probe.write('version\r\n')
  check((await version).startsWith('VERSION '), 'another client is served')
  console.log(
    `100 unfinished 1 MB get lines: held ${megabytes(held)}, ${closedByServer} clients answered out of memory and closed, ` +
      `array buffers +${megabytes(after.arrayBuffers - before.arrayBuffers)}, rss +${megabytes(after.rss - before.rss)}`,
  )
  for (const socket of [...sockets, probe]) socket.destroy()
  await served.close()
}

const longMultiGet = async (): Promise<void> => {
  const hits = 200_000
  const served = await start({ memoryLimit: 1024 * 1024 * 1024 })
  const keys = Array.from({ length: hits }, (_, index) => `key:${index}`)
  for (const key of keys) served.engine.execute(Request.set(key, Buffer.from(`value-${key}`)))
  const long = await open(served.port ?? 0)
  const other = await open(served.port ?? 0)
  const started = performance.now()
  const { result, stallMs, loopDelayMaxMs } = await stallDuring(async () => {
    const reply = readUntil(long, 'END\r\n')
    const midway = new Promise<string>((resolve) => {
      long.once('data', () => {
        const stats = readUntil(other, 'END\r\n')
        other.write('stats\r\n')
        resolve(stats)
      })
    })
    long.write(`get ${keys.join(' ')}\r\n`)
    return { reply: await reply, stats: await midway }
  })
  const hitsMidway = Number(/STAT get_hits (\d+)/.exec(result.stats)?.[1])
  check(result.reply.split('\r\nVALUE ').length === hits, 'every hit answered')
  check(hitsMidway < hits, 'another client answered before the long reply was done')
  console.log(
    `multi-get of ${hits} hits: answered in ${(performance.now() - started).toFixed(0)} ms, longest stall ${stallMs.toFixed(0)} ms ` +
      `(event-loop delay max ${loopDelayMaxMs.toFixed(0)} ms); another client's stats saw ${hitsMidway} hits midway`,
  )
  long.destroy()
  other.destroy()
  await served.close()
}

const manyConnections = async (): Promise<void> => {
  const served = await start()
  const sockets = await Promise.all(
    Array.from({ length: 1100 }, async () => {
      const socket = await open(served.port ?? 0)
      socket.on('error', () => undefined)
      return socket
    }),
  )
  // Accepting 1,100 connections takes a while on a busy machine: wait until each one is counted.
  for (let waited = 0; waited < 20_000 && (served.engine.stat('curr_connections') ?? 0) + served.rejectedConnections() < 1100; waited += 100) await settle(100)
  check(served.engine.stat('curr_connections') === 1024, '1024 clients served')
  check(served.rejectedConnections() === 76, 'the other 76 refused')
  console.log(`1100 clients: ${served.engine.stat('curr_connections')} served, ${served.rejectedConnections()} refused with ERROR Too many open connections`)
  for (const socket of sockets) socket.destroy()
  await served.close()
}

await streamedLines()
await unfinishedBlocks()
await unfinishedLines()
await longMultiGet()
await manyConnections()
