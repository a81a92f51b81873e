/**
 * Cluster auto-discovery end to end: three served emulators and a configuration endpoint (a
 * fourth served emulator sharing their configuration) behind a client created with `discovery`
 * alone. Under steady concurrent load the cluster grows to four nodes and shrinks to two; the
 * client follows the endpoint, no request fails (removed nodes are drained before they are
 * closed), and only keys the hashing moved may miss.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { makeClusterConfig, type ClusterConfigSource } from '../../src/emulator/cluster.js'
import { serve, type Served } from '../../src/emulator/serve.js'
import type { ClusterNode } from '../../src/protocol/cluster-config.js'
import type { DiscoveryEvent } from '../../src/routing/discovery.js'
import { ownerOf } from '../../src/routing/rendezvous.js'

const KEYS = Array.from({ length: 600 }, (_, i) => `item:${i}`)
const WORKERS = 24

let cluster: ClusterConfigSource
let nodes: Array<Served> = []
let endpoint: Served

const started = async (source: ClusterConfigSource): Promise<Served> => {
  const result = await serve({ cluster: source })()
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const clusterNode = (served: Served): ClusterNode => ({ host: 'localhost', ip: '127.0.0.1', port: served.port ?? 0 })

beforeAll(async () => {
  cluster = makeClusterConfig([])
  nodes = await Promise.all([0, 1, 2, 3].map(() => started(cluster)))
  endpoint = await started(cluster)
  cluster.setNodes(nodes.slice(0, 3).map(clusterNode))
})

afterAll(async () => {
  await Promise.all([...nodes, endpoint].map((served) => served.close()))
})

const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

describe('a client following a configuration endpoint', () => {
  it('grows to four nodes and shrinks to two under load: no error, misses only on moved keys', async () => {
    const baselineSockets = sockets()
    const baselineTimers = timers()
    const events: Array<DiscoveryEvent> = []
    const applied: Array<(version: number) => void> = []
    const appliedVersion = (version: number): Promise<void> =>
      new Promise((resolve) => {
        if (events.some((event) => event._tag === 'Applied' && event.version >= version)) return resolve()
        applied.push((seen) => seen >= version && resolve())
      })
    const client = createClient({
      discovery: {
        endpoint: endpoint.server,
        intervalMs: 50,
        jitterMs: 10,
        timeoutMs: 2000,
        observe: (event) => {
          events.push(event)
          if (event._tag === 'Applied') for (const wake of applied) wake(event.version)
        },
      },
      timeout: 5000,
      pool: { size: 2 },
    })

    // Requests before the first poll wait for it: no NoServers at start.
    const first = await client.set(KEYS[0] ?? '', 'v0')()
    expect(first).toEqual(E.right(true))
    await appliedVersion(2)

    // Every key written once on the three-node cluster.
    for (const key of KEYS) expect(await client.set(key, key)()).toEqual(E.right(true))

    const errors: Array<string> = []
    const misses: Array<{ key: string; phase: number }> = []
    let phase = 0
    let rounds = 0
    let running = true
    const worker = async (index: number): Promise<void> => {
      while (running) {
        for (let k = index; k < KEYS.length && running; k += WORKERS) {
          const key = KEYS[k] ?? ''
          const got = await client.get(key)()
          if (E.isLeft(got)) errors.push(`${got.left._tag}: ${got.left.message}`)
          else if (O.isNone(got.right)) misses.push({ key, phase })
          const set = await client.set(key, key)()
          if (E.isLeft(set)) errors.push(`${set.left._tag}: ${set.left.message}`)
        }
        if (index === 0) rounds++
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)))
    const afterRounds = async (count: number) => {
      const target = rounds + count
      while (rounds < target) await new Promise((resolve) => setTimeout(resolve, 5))
    }

    await afterRounds(2)
    const three = nodes.slice(0, 3).map((served) => served.server)
    const four = nodes.map((served) => served.server)
    const two = nodes.slice(0, 2).map((served) => served.server)

    phase = 1
    cluster.setNodes(nodes.map(clusterNode))
    await appliedVersion(3)
    await afterRounds(3)
    const newNodeGets = nodes[3]?.engine.stat('cmd_get') ?? 0
    expect(newNodeGets).toBeGreaterThan(0)

    phase = 2
    cluster.setNodes(nodes.slice(0, 2).map(clusterNode))
    await appliedVersion(4)
    // Applied means the removed nodes were drained and their connections closed: they may go now.
    const removedGets = nodes.slice(2).map((served) => served.engine.stat('cmd_get'))
    await afterRounds(3)
    expect(nodes.slice(2).map((served) => served.engine.stat('cmd_get'))).toEqual(removedGets)

    running = false
    await load

    // The list followed the endpoint, version by version.
    const appliedEvents = events.filter((event) => event._tag === 'Applied')
    expect(appliedEvents.map((event) => event._tag === 'Applied' && event.version)).toEqual([2, 3, 4])
    expect(appliedEvents.map((event) => (event._tag === 'Applied' ? event.nodes.length : 0))).toEqual([3, 4, 2])
    expect(events.filter((event) => event._tag === 'PollFailed')).toEqual([])

    // No error at all: removed nodes finished their requests before they were closed.
    expect(errors).toEqual([])

    // Misses: only keys whose owner the change moved, computed from the hashing itself.
    const owner = (names: ReadonlyArray<string>) => (key: string) => O.toUndefined(ownerOf(names)(key))
    const movedOnGrow = new Set(KEYS.filter((key) => owner(three)(key) !== owner(four)(key)))
    const movedOnShrink = new Set(KEYS.filter((key) => owner(four)(key) !== owner(two)(key)))
    expect(misses.filter((miss) => miss.phase === 0)).toEqual([])
    const unexpectedOnGrow = misses.filter((miss) => miss.phase === 1 && !movedOnGrow.has(miss.key))
    const unexpectedOnShrink = misses.filter((miss) => miss.phase === 2 && !movedOnShrink.has(miss.key))
    expect(unexpectedOnGrow).toEqual([])
    expect(unexpectedOnShrink).toEqual([])
    // Growing moves keys to an empty node: many of them miss once.
    expect(misses.filter((miss) => miss.phase === 1).length).toBeGreaterThan(movedOnGrow.size / 4)
    // Each key misses at most once per change: the first request after the move re-writes it.
    for (const phaseNumber of [1, 2]) {
      const keys = misses.filter((miss) => miss.phase === phaseNumber).map((miss) => miss.key)
      expect(new Set(keys).size).toBe(keys.length)
    }
    console.info(
      `discovery under load: ${rounds} rounds of ${KEYS.length} keys x get+set, ${WORKERS} workers; ` +
        `moved on grow ${movedOnGrow.size}, missed ${misses.filter((miss) => miss.phase === 1).length}; ` +
        `moved on shrink ${movedOnShrink.size}, missed ${misses.filter((miss) => miss.phase === 2).length}; errors ${errors.length}`,
    )

    await client.close()
    // Closed: the poller's timer and every socket are gone at once.
    expect(timers()).toBeLessThanOrEqual(baselineTimers)
    // The servers, in this same process, see their ends of the connections close a few turns later.
    for (let turn = 0; turn < 200 && sockets() > baselineSockets; turn++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(sockets()).toBeLessThanOrEqual(baselineSockets)
  }, 60_000)
})
