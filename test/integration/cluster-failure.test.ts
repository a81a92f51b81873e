/**
 * Three real memcached servers behind a rendezvous router; one is killed during a bounded load of
 * mixed requests, then restarted. Requests for its keys fail fast with typed errors (and then move
 * to the next node once it is dead), requests for the other nodes' keys keep succeeding, the node
 * is re-admitted after deadTimeout, and everything closes.
 *
 * The router's clock is injected and moved forward by hand, so retryTimeout and deadTimeout pass
 * without sleeping.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePooled } from '../../src/pool/pooled.js'
import type { MemcacheError } from '../../src/error.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import type { HealthEvent } from '../../src/routing/health.js'
import { ownerOf } from '../../src/routing/rendezvous.js'
import { rendezvousRouter } from '../../src/routing/router.js'
import { connect } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

let servers: ReadonlyArray<MemcachedServer> = []

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

const TYPED_NODE_ERRORS = ['ConnectionClosed', 'ConnectError', 'NoServers', 'Timeout']
const RETRY_TIMEOUT = 200
const DEAD_TIMEOUT = 5000

const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length

describe('a cluster losing a node under load', () => {
  it('fails fast for the lost node, keeps serving the others, re-admits it after deadTimeout, and closes', async () => {
    const baseline = sockets()
    const names = servers.map((server) => server.server)
    const victim = servers[1] as MemcachedServer
    let offset = 0
    const events: Array<HealthEvent> = []
    const cluster = rendezvousRouter(
      names.map((name) => ({ name, transport: makePooled(connect({ server: name, timeout: 1000, connectTimeout: 1000 }), { maxSize: 2 }) })),
      { retryAttempts: 2, retryTimeout: RETRY_TIMEOUT, deadTimeout: DEAD_TIMEOUT, now: () => Date.now() + offset, onHealth: (event) => events.push(event) },
    )
    const homeOf = (key: string) => O.toUndefined(ownerOf(names)(key))
    const keys = Array.from({ length: 90 }, (_, i) => `load:${i}`)
    const victimKeys = keys.filter((key) => homeOf(key) === victim.server)
    const otherKeys = keys.filter((key) => homeOf(key) !== victim.server)
    expect(victimKeys.length).toBeGreaterThan(10)

    // One wave: a set, a get and a delete per key, plus a many-key get over every node, concurrently.
    const wave = async (round: number) => {
      const single = keys.flatMap((key) => [
        { key, run: cluster.send(Request.set(key, new TextEncoder().encode(`${round}`))) },
        { key, run: cluster.send(Request.get([key])) },
        { key, run: cluster.send(Request.touch(key, 300)) },
      ])
      const [singles, many] = await Promise.all([Promise.all(single.map(async ({ key, run }) => ({ key, outcome: await run() }))), cluster.send(Request.get(keys))()])
      return { singles, many }
    }
    const failedTags = (outcomes: ReadonlyArray<{ outcome: E.Either<MemcacheError, Reply> }>) =>
      outcomes.flatMap(({ outcome }) => (E.isLeft(outcome) ? [outcome.left._tag] : []))

    // Healthy: everything succeeds.
    for (let round = 0; round < 3; round++) {
      const { singles, many } = await wave(round)
      expect(failedTags(singles)).toEqual([])
      expect(E.isRight(many)).toBe(true)
    }

    // Kill the victim while a wave is in flight.
    const during = wave(3)
    victim.kill('SIGKILL')
    const hit = await during
    const rounds = [hit]
    // Keep the load going (bounded), letting retryTimeout pass between waves, until it is dead.
    for (let round = 4; round < 16 && !events.some((event) => event._tag === 'Dead'); round++) {
      offset += RETRY_TIMEOUT + 1
      rounds.push(await wave(round))
    }
    expect(events.map((event) => event._tag)).toEqual(['Failed', 'Failed', 'Dead'])
    expect(events.every((event) => event.node === victim.server)).toBe(true)

    for (const { singles, many } of rounds) {
      // The other nodes' keys never failed.
      expect(failedTags(singles.filter(({ key }) => otherKeys.includes(key)))).toEqual([])
      // The victim's keys failed only with typed node errors, never anything else.
      for (const tag of failedTags(singles.filter(({ key }) => victimKeys.includes(key)))) expect(TYPED_NODE_ERRORS).toContain(tag)
      if (E.isLeft(many)) expect(TYPED_NODE_ERRORS).toContain(many.left._tag)
    }
    expect(rounds.some(({ singles }) => failedTags(singles).length > 0)).toBe(true)
    const tally = new Map<string, number>()
    for (const { singles } of rounds) for (const tag of failedTags(singles)) tally.set(tag, (tally.get(tag) ?? 0) + 1)
    console.log(`victim ${victim.server}: ${rounds.length} waves of ${keys.length * 3 + 1} requests until dead; failures: ${JSON.stringify(Object.fromEntries(tally))}`)

    // Dead: out of the rotation, so every key is served by the two left.
    const dead = await wave(20)
    expect(failedTags(dead.singles)).toEqual([])
    expect(E.isRight(dead.many)).toBe(true)

    // Restart it; once deadTimeout has passed it is re-admitted and owns its keys again.
    await victim.restart()
    offset += DEAD_TIMEOUT + 1
    const back = await wave(21)
    expect(events.map((event) => event._tag)).toEqual(['Failed', 'Failed', 'Dead', 'Readmitted'])
    expect(failedTags(back.singles)).toEqual([])
    const direct = await cluster.sendTo(victim.server, Request.get(victimKeys))()
    expect(E.isRight(direct) && direct.right._tag === 'Values' ? direct.right.items.map((item) => item.key) : direct).toEqual(victimKeys)
    expect(cluster.status().map((status) => status.health._tag)).toEqual(['Up', 'Up', 'Up'])

    await cluster.close()
    expect(await cluster.send(Request.get(['k']))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    // Let the closed sockets finish closing, then none of ours is left.
    for (let i = 0; i < 50 && sockets() > baseline; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(sockets()).toBeLessThanOrEqual(baseline)
  })
})
