/**
 * Crossed replies under faults: a mixed load through a proxy that delays, splits, truncates,
 * injects garbage, stalls, resets and refuses (seeded), against real memcached. Every answer is
 * checked (see `load.ts`): 0 wrong values, 0 hung requests (a request counts as hung when it has
 * not settled 5 s past its 150 ms deadline), no rejected task, no unhandled rejection. Errors are
 * expected and counted; they are never wrong answers.
 *
 * `npm test` sends a few thousand requests; `npm run soak` tens of thousands per setup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client, type ServerOptions } from '../../src/client.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { startChaosProxy, type ChaosProxy, type FaultMix } from './chaos-proxy.js'
import { seededRandom } from './proxy.js'
import { addReport, emptyReport, mixedLoad, seedCounters, type LoadReport } from './load.js'
import { scaled, seedFor, watchUnhandledRejections } from './support.js'

const TIMEOUT = 150
const PATIENCE = TIMEOUT + 5000
const REQUESTS = scaled(2500, 25_000)
const KEYS = 150

/** Replies: slow, chopped, corrupted, cut, silent, reset; new connections sometimes refused. */
const toClient: FaultMix = { delay: 0.1, delayMs: [20, 170], split: 0.15, garbage: 0.03, truncate: 0.02, stall: 0.01, reset: 0.02, refuse: 0.05 }
/** Requests: slow, chopped, cut, silent, reset. */
const toServer: FaultMix = { delay: 0.05, delayMs: [20, 170], split: 0.1, truncate: 0.01, stall: 0.005, reset: 0.01 }

let servers: ReadonlyArray<MemcachedServer> = []
const proxies: Array<ChaosProxy> = []
const clients: Array<Client<string>> = []
const totals = emptyReport()

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await Promise.all(servers.map((server) => server.stop()))
  console.log(`crossed replies, all setups: ${JSON.stringify(totals)}`)
})

const proxyTo = async (server: MemcachedServer, seed: number): Promise<ChaosProxy> => {
  const proxy = await startChaosProxy({ target: { host: server.host, port: server.port }, seed, toClient, toServer })
  proxies.push(proxy)
  return proxy
}

const clientOf = (options: ServerOptions<string> & { readonly serde?: undefined }): Client<string> => {
  const client = createClient(options)
  clients.push(client)
  return client
}

interface Setup {
  readonly name: string
  /** How many of the three servers, each behind its own proxy. */
  readonly nodes: number
  readonly options: Omit<ServerOptions<string>, 'servers' | 'serde'>
}

const setups: ReadonlyArray<Setup> = [
  { name: 'one server, one reconnecting connection', nodes: 1, options: {} },
  { name: 'one server, a pool of 4', nodes: 1, options: { pool: { size: 4, busyAt: 4 } } },
  { name: 'one server, gets batched into multi-gets', nodes: 1, options: { batching: true } },
  { name: 'three servers, rendezvous with failover', nodes: 3, options: { routing: { failover: true, retryTimeout: 50, deadTimeout: 500 } } },
]

describe('crossed replies under a faulty link', () => {
  it.each(setups.map((setup, index) => [setup.name, setup, index] as const))('%s: 0 wrong, 0 hung', async (_name, setup, index) => {
    const unhandled = watchUnhandledRejections()
    const prefix = `x${index}:`
    const nodes = servers.slice(0, setup.nodes)
    // Counters are set through a clean path; the load goes through the proxies.
    const clean = clientOf({ servers: nodes.map((server) => server.server), timeout: 1000 })
    await seedCounters(clean, prefix, KEYS)
    const proxied = await Promise.all(nodes.map((server, n) => proxyTo(server, seedFor(1000 * (index + 1) + n))))
    const client = clientOf({ servers: proxied.map((proxy) => proxy.server), timeout: TIMEOUT, connectTimeout: 300, ...setup.options })

    const report: LoadReport = await mixedLoad({
      client,
      requests: REQUESTS,
      concurrency: 32,
      prefix,
      keys: KEYS,
      random: seededRandom(seedFor(77 + index)),
      patienceMs: PATIENCE,
    })
    await client.close()
    const faults = proxied.map((proxy) => proxy.counts())
    const faultTotal = faults.reduce((sum, each) => sum + Object.values(each).reduce((a, b) => a + b, 0), 0)
    addReport(totals, report)
    console.log(`${setup.name}: ${JSON.stringify(report)}; faults ${JSON.stringify(faults)}`)

    expect(report.wrongExamples).toEqual([])
    expect(report.wrong).toBe(0)
    expect(report.hung).toBe(0)
    expect(report.errors['rejected'] ?? 0).toBe(0)
    expect(unhandled.stop()).toEqual([])
    expect(report.tried).toBe(REQUESTS)
    // The faults happened, and the client still answered.
    expect(faultTotal).toBeGreaterThan(0)
    expect(report.ok).toBeGreaterThan(0)
  })
})
