/**
 * Server death and restart under load: three real memcached behind one client (rendezvous
 * routing); one of them, then all of them, killed with SIGKILL while the mixed load of `load.ts`
 * runs, and restarted while it still runs. Proven by counts, never by timings:
 * - no request hangs (each settles long before its deadline + 5 s), none rejects, no unhandled
 *   rejection, no wrong value;
 * - the errors are the typed node errors, nothing else;
 * - recovery within the configured time: the router's clock is injected and moved on by
 *   `deadTimeout` (+ `retryTimeout`) once the servers are back, and then, within a bounded number of
 *   rounds of requests (small rounds, in case a request that failed while the server restarted
 *   was counted after the clock moved), a whole round succeeds and every later one does too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import type { HealthEvent } from '../../src/routing/health.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { seededRandom } from './proxy.js'
import { addReport, emptyReport, makeLoadState, mixedLoad, seedCounters, type LoadReport } from './load.js'
import { scaled, seedFor, watchUnhandledRejections } from './support.js'

const TIMEOUT = 500
const PATIENCE = TIMEOUT + 5000
const RETRY_TIMEOUT = 100
const DEAD_TIMEOUT = 2000
const LOAD = scaled(3000, 30_000)
const ROUND = 200
const MAX_ROUNDS = 5
const KEYS = 120
/** What a request for a dead or restarting node may get. */
const NODE_ERRORS = ['ConnectError', 'ConnectionClosed', 'NoServers', 'Timeout']

let servers: ReadonlyArray<MemcachedServer> = []
const clients: Array<Client<string>> = []

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all(servers.map((server) => server.stop()))
})

interface Scenario {
  readonly name: string
  readonly victims: (all: ReadonlyArray<MemcachedServer>) => ReadonlyArray<MemcachedServer>
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: 'one node of three', victims: (all) => all.slice(1, 2) },
  { name: 'all three nodes', victims: (all) => all },
]

describe('servers killed and restarted under load', () => {
  it.each(scenarios.map((scenario, index) => [scenario.name, scenario, index] as const))('%s: no hang, typed errors only, recovers', async (_name, scenario, index) => {
    const unhandled = watchUnhandledRejections()
    const prefix = `r${index}:`
    let offset = 0
    const events: Array<HealthEvent> = []
    const client = createClient({
      servers: servers.map((server) => server.server),
      timeout: TIMEOUT,
      connectTimeout: TIMEOUT,
      routing: { retryAttempts: 1, retryTimeout: RETRY_TIMEOUT, deadTimeout: DEAD_TIMEOUT, now: () => Date.now() + offset, onHealth: (event) => events.push(event) },
    })
    clients.push(client)
    await seedCounters(client, prefix, KEYS)
    const victims = scenario.victims(servers)
    const random = seededRandom(seedFor(500 + index))
    const state = makeLoadState(KEYS)
    const killAt = Math.floor(LOAD * 0.2)
    const restartAt = Math.floor(LOAD * 0.6)
    let restarted = false

    const outage: LoadReport = await mixedLoad({
      client,
      requests: LOAD,
      concurrency: 24,
      prefix,
      keys: KEYS,
      random,
      state,
      patienceMs: PATIENCE,
      onProgress: async (settled) => {
        if (settled === killAt) for (const victim of victims) victim.kill('SIGKILL')
        if (settled === restartAt) {
          await Promise.all(victims.map((victim) => victim.restart()))
          offset += DEAD_TIMEOUT + RETRY_TIMEOUT + 1
          restarted = true
        }
      },
    })
    expect(restarted).toBe(true)

    // Rounds after the restart, until one is clean (bounded); then one more must be clean too.
    const rounds: Array<LoadReport> = []
    const failures = (report: LoadReport) => Object.values(report.errors).reduce((a, b) => a + b, 0)
    while (rounds.length < MAX_ROUNDS && (rounds.length === 0 || failures(rounds[rounds.length - 1] as LoadReport) > 0)) {
      rounds.push(await mixedLoad({ client, requests: ROUND, concurrency: 16, prefix, keys: KEYS, random, state, patienceMs: PATIENCE }))
    }
    const confirm = await mixedLoad({ client, requests: ROUND, concurrency: 16, prefix, keys: KEYS, random, state, patienceMs: PATIENCE })

    const total = emptyReport()
    for (const report of [outage, ...rounds, confirm]) addReport(total, report)
    const tags = events.map((event) => `${event._tag}@${event.node.split(':')[1] ?? ''}`)
    console.log(`${scenario.name}: outage ${JSON.stringify(outage)}; rounds to a clean one: ${rounds.length} ${JSON.stringify(rounds.map(failures))}; health: ${tags.join(' ')}`)

    expect(total.wrongExamples).toEqual([])
    expect(total.hung).toBe(0)
    expect(total.errors['rejected'] ?? 0).toBe(0)
    for (const tag of Object.keys(total.errors)) expect(NODE_ERRORS).toContain(tag)
    // The outage was seen, by the requests and by the router's health.
    expect(failures(outage)).toBeGreaterThan(0)
    for (const victim of victims) expect(events.some((event) => event.node === victim.server && event._tag === 'Failed')).toBe(true)
    // Recovered within the configured time: a clean round within MAX_ROUNDS, and a clean one after.
    expect(failures(rounds[rounds.length - 1] as LoadReport)).toBe(0)
    expect(failures(confirm)).toBe(0)
    expect(unhandled.stop()).toEqual([])
    await client.close()
  })
})
