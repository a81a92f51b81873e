/**
 * The child process of `leaks.test.ts`, run with `--expose-gc`: opens and closes thousands of
 * clients of every shape, then runs one long mixed load (with aborted and timed-out requests and a
 * long-lived AbortSignal shared by every request), closes everything, and prints one JSON line:
 * the active resources, handles, process listeners and heap before and after. The parent compares.
 */
import { getEventListeners, setMaxListeners } from 'node:events'
import * as E from 'fp-ts/lib/Either.js'
import { createClient, type Client } from '../../src/client.js'

const SERVERS = (process.env['LEAKS_SERVERS'] ?? '').split(',')
const CLIENTS = Number(process.env['LEAKS_CLIENTS'] ?? '1000')
const REQUESTS = Number(process.env['LEAKS_REQUESTS'] ?? '10000')
const [FIRST = '', SECOND = ''] = SERVERS

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const WATCHED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning'] as const
const handles = (): number => (process as unknown as { _getActiveHandles: () => ReadonlyArray<unknown> })._getActiveHandles().length

/** Lets closes finish (sockets close on a later tick), then collects garbage twice. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
  await new Promise((resolve) => setImmediate(resolve))
  gc()
}

const snapshot = () => {
  const resources: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1
  const listeners: Record<string, number> = {}
  for (const event of WATCHED_EVENTS) listeners[event] = process.listenerCount(event)
  return { resources, handles: handles(), listeners, heapUsed: process.memoryUsage().heapUsed }
}

/** Every shape of client the library builds. */
const shapes: ReadonlyArray<() => Client<string>> = [
  () => createClient({ servers: FIRST, timeout: 500 }),
  () => createClient({ servers: FIRST, timeout: 500, pool: { size: 2 } }),
  () => createClient({ servers: [FIRST, SECOND], timeout: 500 }),
  () => createClient({ servers: [FIRST, SECOND], timeout: 500, hashing: 'ketama', pool: true }),
  () => createClient({ servers: FIRST, timeout: 500, batching: true, keyPrefix: 'leak:' }),
  () => createClient({ servers: FIRST, timeout: 500, retry: { attempts: 3, retryDelay: 5_000 } }),
]

let failures = 0
const use = async (client: Client<string>, index: number): Promise<void> => {
  const results = await Promise.all([client.set(`c:${index}`, 'v')(), client.get(`c:${index}`)(), client.getMany([`c:${index}`, 'c:x'])()])
  failures += results.filter(E.isLeft).length
  await client.close()
}

const main = async () => {
  // Warm up (modules, JIT, first connections) so that the baseline holds what stays anyway.
  for (let i = 0; i < shapes.length * 5; i++) await use((shapes[i % shapes.length] as () => Client<string>)(), i)
  await settle()
  const before = snapshot()

  // Thousands of clients, opened, used and closed, 50 at a time.
  for (let start = 0; start < CLIENTS; start += 50) {
    await Promise.all(Array.from({ length: Math.min(50, CLIENTS - start) }, (_, n) => use((shapes[(start + n) % shapes.length] as () => Client<string>)(), start + n)))
  }
  // Clients closed while requests are in flight — some with a retry sleeping (5 s) against a port
  // nothing listens on: each request must have settled a few ticks after close() resolved.
  const retrying = (): Client<string> => createClient({ servers: '127.0.0.1:1', timeout: 60_000, retry: { attempts: 3, retryDelay: 5_000, retryFor: ['ConnectError'] } })
  let closedInFlight = 0
  let settledAtClose = 0
  for (let i = 0; i < Math.min(CLIENTS, 500); i++) {
    const client = i % 2 === 0 ? retrying() : (shapes[i % shapes.length] as () => Client<string>)()
    let settled = 0
    const pending = [client.get(`c:${i}`)(), client.set(`c:${i}`, 'w')()].map((task) => task.then(() => settled++))
    if (i % 2 === 0) for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve))
    await client.close()
    for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve))
    closedInFlight += pending.length
    settledAtClose += settled
    await Promise.all(pending)
  }

  // One long mixed load on one client: plain, aborted, and out-of-time requests, sharing a signal.
  const client = createClient({ servers: [FIRST, SECOND], timeout: 500, pool: { size: 4 } })
  const shared = new AbortController()
  // 32 requests wait on it at once: above Node's default warning threshold (10) for one signal,
  // as with any API that listens to a signal. What matters is that none is left at the end.
  setMaxListeners(64, shared.signal)
  let index = 0
  const worker = async () => {
    while (index < REQUESTS) {
      const i = index++
      const key = `l:${i % 500}`
      switch (i % 6) {
        case 0:
          await client.set(key, `v${i}`, { signal: shared.signal })()
          break
        case 1:
          await client.get(key, { signal: shared.signal })()
          break
        case 2:
          await client.delete(key)()
          break
        case 3:
          await client.incr(`n:${i % 50}`, 1)()
          break
        case 4: {
          const controller = new AbortController()
          const pending = client.get(key, { signal: controller.signal })()
          controller.abort()
          await pending
          break
        }
        default:
          await client.getMany([key, `l:${(i + 1) % 500}`], { timeout: i % 12 === 5 ? 0.001 : 500, signal: shared.signal })()
      }
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  const sharedListeners = getEventListeners(shared.signal, 'abort').length
  await client.close()

  await settle()
  const after = snapshot()
  console.log(JSON.stringify({ before, after, sharedListeners, failures, closedInFlight, settledAtClose, clients: CLIENTS + Math.min(CLIENTS, 500), requests: REQUESTS }))
}

void main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
