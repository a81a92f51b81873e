/**
 * Leaks: a child process (`leaks-child.ts`, with `--expose-gc`) opens and closes thousands of
 * clients of every shape (some closed with requests in flight and a retry sleep pending), then
 * runs a long mixed load with aborted and timed-out requests, and closes everything. After: no
 * socket, timer or handle more than before, no process listener more, no listener left on a
 * long-lived AbortSignal every request shared, heap growth under a generous bound — and the child
 * exits on its own (nothing keeps it alive), long before the guard.
 */
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { runChild } from '../support/child.js'
import { scaled } from './support.js'

const CLIENTS = scaled(1500, 20_000)
const REQUESTS = scaled(20_000, 500_000)
/** Heap growth allowed between the two snapshots: generous (about 1.3 MB seen), yet crossed by a leak of 6 KB per client or 600 bytes per request. */
const HEAP_BOUND = 12 * 1024 * 1024

let servers: ReadonlyArray<MemcachedServer> = []

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

interface Snapshot {
  readonly resources: Record<string, number>
  readonly handles: number
  readonly listeners: Record<string, number>
  readonly heapUsed: number
}

describe('leaks', () => {
  it('thousands of clients and a long load leave no socket, timer, listener or heap behind', async () => {
    const outcome = await runChild(process.execPath, ['--expose-gc', '--import', 'tsx', resolve('test/fault/leaks-child.ts')], {
      guardMs: scaled(19_000, 900_000), env: {
      LEAKS_SERVERS: servers.map((server) => server.server).join(','),
      LEAKS_CLIENTS: String(CLIENTS),
      LEAKS_REQUESTS: String(REQUESTS),
    } })
    expect(outcome.stderr).toBe('')
    expect(outcome.exited).toBe(true)
    expect(outcome.code).toBe(0)
    const facts = JSON.parse(outcome.stdout.trim().split('\n').pop() ?? '{}') as { readonly before: Snapshot; readonly after: Snapshot; readonly sharedListeners: number; readonly failures: number; readonly closedInFlight: number; readonly settledAtClose: number; readonly clients: number; readonly requests: number }
    const growth = facts.after.heapUsed - facts.before.heapUsed
    console.log(`leaks: ${facts.clients} clients, ${facts.requests} requests, ${facts.settledAtClose}/${facts.closedInFlight} settled at close; resources ${JSON.stringify(facts.before.resources)} → ${JSON.stringify(facts.after.resources)}; handles ${facts.before.handles} → ${facts.after.handles}; heap ${(facts.before.heapUsed / 1e6).toFixed(1)} MB → ${(facts.after.heapUsed / 1e6).toFixed(1)} MB (${(growth / 1e6).toFixed(2)} MB)`)

    expect(facts.failures).toBe(0)
    // Every request in flight when its client closed (retry sleeps included) had settled by then.
    expect(facts.settledAtClose).toBe(facts.closedInFlight)
    for (const [kind, count] of Object.entries(facts.after.resources)) expect({ kind, count }).toEqual({ kind, count: Math.min(count, facts.before.resources[kind] ?? 0) })
    expect(facts.after.handles).toBeLessThanOrEqual(facts.before.handles)
    expect(facts.after.listeners).toEqual(facts.before.listeners)
    expect(facts.sharedListeners).toBe(0)
    expect(growth).toBeLessThan(HEAP_BOUND)
  })
})
