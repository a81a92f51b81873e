import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { invalidKey } from '../../src/protocol/error.js'
import { timeout } from '../../src/transport/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { circuitBreakerHealth, pymemcacheHealth, type HealthEvent, type HealthPolicy } from '../../src/routing/health.js'
import { ketama } from '../../src/routing/ketama.js'
import { ownerOf, rendezvous } from '../../src/routing/rendezvous.js'
import { hashTag, ketamaRouter, makeRouter, rendezvousRouter, routeBy, type RouterOptions } from '../../src/routing/router.js'
import type { RequestContext } from '../../src/transport/context.js'
import { fakeNode, itemKeys, itemTexts, text, type FakeNode } from './fake-node.js'

const NAMES = ['127.0.0.1:11211', '127.0.0.1:11212', '127.0.0.1:11213']

const cluster = (options: RouterOptions = {}, names: ReadonlyArray<string> = NAMES) => {
  const nodes = names.map(fakeNode)
  const events: Array<HealthEvent> = []
  let clock = 0
  const router = rendezvousRouter(
    nodes.map((node) => node.node),
    { now: () => clock, onHealth: (event) => events.push(event), ...options },
  )
  const byName = (name: string | undefined): FakeNode => {
    const found = nodes.find((node) => node.name === name)
    if (found === undefined) throw new Error(`no node ${String(name)}`)
    return found
  }
  const owner = (key: string) => byName(O.toUndefined(ownerOf(names)(key)))
  return {
    router,
    nodes,
    events,
    owner,
    byName,
    setClock: (ms: number) => {
      clock = ms
    },
    /** A key owned by `node` (found by trying k0, k1, ...). */
    keyOf: (node: FakeNode, from = 0) => {
      for (let i = from; ; i++) if (owner(`k${i}`) === node) return `k${i}`
    },
  }
}

const tags = (events: ReadonlyArray<HealthEvent>) => events.map((event) => `${event._tag} ${event.node}`)

describe('router: placement', () => {
  it('sends each single-key request to the node that owns its key', async () => {
    const { router, nodes, owner } = cluster()
    const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`)
    for (const key of keys) expect(await router.send(Request.set(key, text(key)))()).toEqual(E.right(Reply.stored))
    for (const node of nodes) {
      expect(node.keysSent()).toEqual(keys.filter((key) => owner(key) === node))
      expect(node.data.size).toBeGreaterThan(50)
    }
    for (const key of keys.slice(0, 20)) {
      expect(await router.send(Request.del(key))()).toEqual(E.right(Reply.deleted))
      expect(O.toUndefined(router.ownerOf(key))).toBe(owner(key).name)
    }
  })

  it('places keys as ketama does with the ketama router', async () => {
    const nodes = NAMES.map(fakeNode)
    const router = ketamaRouter(nodes.map((node) => node.node))
    const placement = ketama.place(NAMES)
    for (let i = 0; i < 100; i++) await router.send(Request.set(`k${i}`, text('v')))()
    for (const node of nodes) expect(new Set(node.data.keys())).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `k${i}`).filter((key) => O.toUndefined(placement.ownerOf(key)) === node.name)))
    expect(router.hashing).toBe('ketama')
  })

  it('splits a many-key get by node, sends the parts in parallel, and merges hits in the caller order', async () => {
    const { router, nodes, owner } = cluster()
    const keys = Array.from({ length: 60 }, (_, i) => `m${i}`)
    for (const key of keys.filter((_, i) => i % 3 !== 0)) owner(key).data.set(key, text(`value of ${key}`))
    for (const node of nodes) node.hold()
    const pending = router.send(Request.gets([...keys].reverse()))()
    await new Promise((resolve) => setImmediate(resolve))
    // Every node has its part before any node answered: the parts went out together.
    for (const node of nodes) expect(node.sent).toEqual([Request.gets([...keys].reverse().filter((key) => owner(key) === node))])
    for (const node of nodes) node.release()
    const outcome = await pending
    const hits = [...keys].reverse().filter((_, i, all) => keys.indexOf(all[i] ?? '') % 3 !== 0)
    expect(itemKeys(outcome)).toEqual(hits)
    expect(itemTexts(outcome)).toEqual(hits.map((key) => `value of ${key}`))
  })

  it('keeps the request as it is when every key lives on one node, and refuses an empty key list', async () => {
    const { router, nodes, owner, keyOf } = cluster()
    const node = nodes[1] as FakeNode
    const keys = [keyOf(node, 0), keyOf(node, 100), keyOf(node, 200)]
    const request = Request.gat(60, keys)
    await router.send(request)()
    expect(node.sent[0]).toBe(request)
    expect(owner(keys[0] ?? '')).toBe(node)
    expect(await router.send(Request.get([]))()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument' })))
  })

  it('answers duplicate keys once per mention, as memcached does', async () => {
    const { router, owner } = cluster()
    owner('a').data.set('a', text('A'))
    owner('b').data.set('b', text('B'))
    expect(itemKeys(await router.send(Request.get(['a', 'b', 'a', 'zz']))())).toEqual(['a', 'b', 'a'])
  })

  it('places by a routing key when one is given: hash tags and an explicit map', async () => {
    const tagged = cluster({ routingKey: hashTag })
    const keys = ['{user:42}:name', '{user:42}:mail', '{user:42}:avatar']
    for (const key of keys) await tagged.router.send(Request.set(key, text('v')))()
    expect(tagged.owner('user:42').keysSent()).toEqual(keys)
    expect(itemKeys(await tagged.router.send(Request.get(keys))())).toEqual(keys)
    expect(tagged.owner('user:42').sent.length).toBe(4)

    const mapped = cluster({ routingKey: routeBy(new Map([['avatar:42', 'user:42']])) })
    await mapped.router.send(Request.set('avatar:42', text('v')))()
    expect(mapped.owner('user:42').keysSent()).toEqual(['avatar:42'])
  })

  it('answers a failing part of a many-key get with its error', async () => {
    const { router, nodes, owner } = cluster({ retryAttempts: 5 })
    const keys = Array.from({ length: 30 }, (_, i) => `f${i}`)
    const failing = nodes[2] as FakeNode
    failing.down()
    expect(keys.some((key) => owner(key) === failing)).toBe(true)
    expect(await router.send(Request.get(keys))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError', node: failing.name })))
  })
})

describe('router: health with the default policy, circuitBreakerHealth', () => {
  it('keeps sending to a node whose replies are slow now and then, and never refuses its keys', async () => {
    const { router, nodes, events, keyOf } = cluster()
    const a = nodes[0] as FakeNode
    let count = 0
    // Every other request times out: the node stays in service, its suspicion cleared by each answer.
    a.script(() => (count++ % 2 === 0 ? E.left(timeout(60, 'get', a.name)) : undefined))
    const tags = new Set<string>()
    for (let i = 0; i < 40; i++) {
      const outcome = await router.send(Request.get([keyOf(a, i * 5)]))()
      tags.add(E.isLeft(outcome) ? outcome.left._tag : 'answered')
    }
    expect(tags).toEqual(new Set(['Timeout', 'answered']))
    expect(a.sent.length).toBe(40)
    expect(events).toEqual([])
    expect(router.status()[0]?.health).toEqual({ _tag: 'Up' })
  })

  it('shows a suspected node in status, still taking requests', async () => {
    const { router, nodes, keyOf, setClock } = cluster()
    const a = nodes[0] as FakeNode
    a.down()
    setClock(5)
    await router.send(Request.get([keyOf(a)]))()
    expect(router.status()[0]?.health).toEqual({ _tag: 'Suspected', failures: 1, weight: 1, since: 5 })
    expect(await router.send(Request.get([keyOf(a, 10)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
    expect(a.sent.length).toBe(2)
  })

  it('takes a dead node out at the third refusal, probes it at once and then every probeInterval, and puts it back on the first success', async () => {
    const { router, nodes, events, keyOf, setClock } = cluster({ health: circuitBreakerHealth({ probeInterval: 500 }) })
    const b = nodes[1] as FakeNode
    b.down()
    const outcomes: Array<string> = []
    for (let i = 0; i < 8; i++) {
      const outcome = await router.send(Request.get([keyOf(b, i * 5)]))()
      outcomes.push(E.isLeft(outcome) ? outcome.left._tag : 'answered')
    }
    // Three failures in service, the trial request at once, then refused without being asked.
    expect(outcomes).toEqual(['ConnectError', 'ConnectError', 'ConnectError', 'ConnectError', 'NoServers', 'NoServers', 'NoServers', 'NoServers'])
    expect(b.sent.length).toBe(4)
    expect(tags(events)).toEqual([`Failed ${b.name}`, `Failed ${b.name}`])
    expect(await router.send(Request.get([keyOf(b)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers', message: expect.stringContaining('out of service') })))

    b.up()
    setClock(499)
    expect(await router.send(Request.get([keyOf(b)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    setClock(500)
    expect(await router.send(Request.get([keyOf(b)]))()).toEqual(E.right(Reply.values([])))
    expect(tags(events)).toEqual([`Failed ${b.name}`, `Failed ${b.name}`, `Up ${b.name}`])
    expect(await router.send(Request.get([keyOf(b, 100)]))()).toEqual(E.right(Reply.values([])))
    // Its keys never moved: the node kept its place while out.
    expect(router.status().map((status) => status.health._tag)).toEqual(['Up', 'Up', 'Up'])
  })

  it('with failover, sends the keys of a node out of service to the next node, but not those of a suspected one', async () => {
    const { router, nodes, keyOf } = cluster({ failover: true })
    const a = nodes[0] as FakeNode
    const key = keyOf(a)
    const next = nodes.find((node) => node.name === rendezvous.place(NAMES).preferenceOf(key)[1]) as FakeNode
    a.down()
    await router.send(Request.get([key]))()
    // Suspected: still asked.
    expect(await router.send(Request.set(key, text('v')))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
    expect(next.data.has(key)).toBe(false)
    await router.send(Request.get([key]))() // out of service
    await router.send(Request.get([key]))() // its trial, refused
    expect(await router.send(Request.set(key, text('elsewhere')))()).toEqual(E.right(Reply.stored))
    expect(next.data.has(key)).toBe(true)
  })

  it("uses pymemcache's algorithm when one of its knobs is given: one failure refuses the node", async () => {
    for (const knobs of [{ retryAttempts: 2 }, { retryTimeout: 1000 }, { deadTimeout: 60_000 }]) {
      const { router, nodes, keyOf } = cluster(knobs)
      const a = nodes[0] as FakeNode
      a.down()
      await router.send(Request.get([keyOf(a)]))()
      expect(await router.send(Request.get([keyOf(a, 10)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    }
  })
})

describe('router: health with pymemcacheHealth (its knobs select it)', () => {
  it("follows pymemcache's dead-server algorithm on an injectable clock", async () => {
    const { router, nodes, events, setClock, keyOf, owner } = cluster({ retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 })
    const a = nodes[0] as FakeNode
    const key = keyOf(a)
    a.down()

    setClock(0)
    expect(await router.send(Request.get([key]))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
    expect(tags(events)).toEqual([`Failed ${a.name}`])
    expect(a.sent.length).toBe(1)

    setClock(1000) // not more than retryTimeout: fail fast, the node is not asked
    expect(await router.send(Request.get([key]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    expect(a.sent.length).toBe(1)

    setClock(1001) // first retry fails
    expect(await router.send(Request.get([key]))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
    expect(a.sent.length).toBe(2)
    setClock(2002) // second retry fails: retryAttempts used up, the node is dead
    await router.send(Request.get([key]))()
    expect(a.sent.length).toBe(3)
    expect(events.map((event) => [event._tag, 'failures' in event ? event.failures : 0])).toEqual([
      ['Failed', 1],
      ['Failed', 2],
      ['Dead', 3],
    ])
    expect(router.status().find((status) => status.node === a.name)?.health).toEqual({ _tag: 'Dead', since: 2002 })

    // Dead: out of the rotation, so its keys go to the node next in their order.
    setClock(3000)
    const next = rendezvous.place(NAMES).preferenceOf(key)[1]
    expect(await router.send(Request.set(key, text('moved')))()).toEqual(E.right(Reply.stored))
    expect(owner(key)).toBe(a)
    expect(nodes.find((node) => node.name === next)?.data.has(key)).toBe(true)
    expect(a.sent.length).toBe(3)

    // After deadTimeout it is re-admitted and owns its keys again.
    a.up()
    setClock(2002 + 60_001)
    expect(await router.send(Request.set(key, text('home')))()).toEqual(E.right(Reply.stored))
    expect(a.data.has(key)).toBe(true)
    expect(tags(events).slice(3)).toEqual([`Readmitted ${a.name}`])
  })

  it('brings a failing node back up when a retry succeeds', async () => {
    const { router, nodes, events, setClock, keyOf } = cluster({ health: pymemcacheHealth() })
    const b = nodes[1] as FakeNode
    const key = keyOf(b)
    b.down()
    await router.send(Request.get([key]))()
    b.up()
    setClock(1500)
    expect(await router.send(Request.get([key]))()).toEqual(E.right(Reply.values([])))
    expect(tags(events)).toEqual([`Failed ${b.name}`, `Up ${b.name}`])
    expect(router.status().map((status) => status.health._tag)).toEqual(['Up', 'Up', 'Up'])
  })

  it('lets one retry through at a time: others fail fast while it is out', async () => {
    const { router, nodes, setClock, keyOf } = cluster({ health: pymemcacheHealth() })
    const c = nodes[2] as FakeNode
    c.down()
    await router.send(Request.get([keyOf(c)]))()
    setClock(5000)
    c.up()
    c.hold()
    const probe = router.send(Request.get([keyOf(c)]))()
    await new Promise((resolve) => setImmediate(resolve))
    expect(await router.send(Request.get([keyOf(c, 50)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    c.release()
    expect(await probe).toEqual(E.right(Reply.values([])))
    expect(await router.send(Request.get([keyOf(c, 50)]))()).toEqual(E.right(Reply.values([])))
  })

  it('counts the failures of requests already in flight as one failure', async () => {
    const { router, nodes, events, keyOf } = cluster({ retryAttempts: 1 })
    const a = nodes[0] as FakeNode
    a.hold()
    const inFlight = Array.from({ length: 8 }, (_, i) => router.send(Request.get([keyOf(a, i * 10)]))())
    await new Promise((resolve) => setImmediate(resolve))
    a.down()
    a.release()
    const outcomes = await Promise.all(inFlight)
    expect(outcomes.every((outcome) => E.isLeft(outcome) && outcome.left._tag === 'ConnectError')).toBe(true)
    expect(tags(events)).toEqual([`Failed ${a.name}`])
  })

  it('counts only transient errors as node failures', async () => {
    const { router, nodes, events, keyOf } = cluster({ retryAttempts: 0 })
    const a = nodes[0] as FakeNode
    a.script(() => E.left(invalidKey('bad key', 'space at index 3')))
    for (let i = 0; i < 5; i++) expect(E.isLeft(await router.send(Request.get([keyOf(a, i * 7)]))())).toBe(true)
    expect(events).toEqual([])
    a.script(() => E.left(timeout(100, 'get', a.name)))
    await router.send(Request.get([keyOf(a)]))()
    expect(events).toEqual([expect.objectContaining({ _tag: 'Dead', node: a.name, failures: 1 })])
  })

  it('with failover, sends the keys of a failing node to the next node in their order', async () => {
    const { router, nodes, setClock, keyOf } = cluster({ failover: true, health: pymemcacheHealth() })
    const a = nodes[0] as FakeNode
    const key = keyOf(a)
    a.down()
    expect(E.isLeft(await router.send(Request.get([key]))())).toBe(true)
    setClock(10)
    expect(await router.send(Request.set(key, text('elsewhere')))()).toEqual(E.right(Reply.stored))
    const next = rendezvous.place(NAMES).preferenceOf(key)[1]
    expect(nodes.find((node) => node.name === next)?.data.has(key)).toBe(true)
  })

  it('answers NoServers when every node is dead, and re-admits them in time', async () => {
    const { router, nodes, setClock } = cluster({ retryAttempts: 0, deadTimeout: 100 })
    for (const node of nodes) node.down()
    for (let i = 0; nodes.some((_, n) => router.status()[n]?.health._tag !== 'Dead') && i < 100; i++) await router.send(Request.get([`k${i}`]))()
    expect(router.status().map((status) => status.health._tag)).toEqual(['Dead', 'Dead', 'Dead'])
    expect(await router.send(Request.get(['any']))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    for (const node of nodes) node.up()
    setClock(101)
    expect(await router.send(Request.get(['any']))()).toEqual(E.right(Reply.values([])))
  })

  it('with ignoreErrors, answers node failures as misses and false-like replies', async () => {
    const { router, nodes, owner, keyOf } = cluster({ ignoreErrors: true, retryAttempts: 10 })
    const a = nodes[0] as FakeNode
    const b = nodes[1] as FakeNode
    const [ka, kb] = [keyOf(a), keyOf(b)]
    b.data.set(kb, text('B'))
    a.down()
    expect(await router.send(Request.get([ka]))()).toEqual(E.right(Reply.values([])))
    expect(itemKeys(await router.send(Request.get([ka, kb]))())).toEqual([kb])
    expect(await router.send(Request.set(ka, text('v')))()).toEqual(E.right(Reply.notStored))
    expect(await router.send(Request.set(ka, text('v'), { noreply: true }))()).toEqual(E.right(Reply.noReply))
    expect(await router.send(Request.del(ka))()).toEqual(E.right(Reply.notFound))
    expect(await router.send(Request.incr(ka, 1n))()).toEqual(E.right(Reply.notFound))
    expect(await router.send(Request.cas(ka, text('v'), 1n))()).toEqual(E.right(Reply.notFound))
    expect(await router.send(Request.touch(ka, 10))()).toEqual(E.right(Reply.notFound))
    // An error about the request itself is still an error.
    owner(kb).script(() => E.left(invalidKey(kb, 'too long')))
    expect(await router.send(Request.get([kb]))()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey' })))
  })
})

describe('router: membership, broadcast, close', () => {
  it('adds and removes nodes at run time, moving only the keys that change owner', async () => {
    const { router, events } = cluster({}, NAMES.slice(0, 2))
    const extra = fakeNode(NAMES[2] ?? '')
    const keys = Array.from({ length: 200 }, (_, i) => `n${i}`)
    const before = keys.map((key) => O.toUndefined(router.ownerOf(key)))
    expect(router.addNode(extra.node)()).toBe(true)
    expect(router.addNode(extra.node)()).toBe(false)
    const after = keys.map((key) => O.toUndefined(router.ownerOf(key)))
    after.forEach((owner, i) => expect(owner === before[i] || owner === extra.name).toBe(true))
    expect(after.filter((owner) => owner === extra.name).length).toBeGreaterThan(30)
    await router.send(Request.set(keys.find((_, i) => after[i] === extra.name) ?? '', text('v')))()
    expect(extra.data.size).toBe(1)

    expect(await router.removeNode(extra.name)()).toBe(true)
    expect(await router.removeNode(extra.name)()).toBe(false)
    expect(extra.closedCount()).toBe(1)
    expect(keys.map((key) => O.toUndefined(router.ownerOf(key)))).toEqual(before)
    expect(tags(events)).toEqual([`Added ${extra.name}`, `Removed ${extra.name}`])

    for (const name of NAMES.slice(0, 2)) await router.removeNode(name)()
    expect(await router.send(Request.get(['k']))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    expect(await router.send(Request.stats())()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
  })

  it('broadcasts stats, version, flush_all, verbosity and cache_memlimit to every node', async () => {
    const { router, nodes } = cluster()
    const results = await router.broadcast(Request.stats())()
    expect(results).toEqual(NAMES.map((node) => ({ node, result: E.right(Reply.statsReply([['node', node]])) })))
    expect(await router.send(Request.version)()).toEqual(E.right(Reply.versionReply(`1.6.18 ${NAMES[0] ?? ''}`)))
    for (const request of [Request.flushAll(), Request.verbosity(1), Request.cacheMemlimit(64)]) {
      expect(await router.send(request)()).toEqual(E.right(Reply.ok))
    }
    for (const node of nodes) expect(node.sent.map((request) => request._tag)).toEqual(['Stats', 'Version', 'FlushAll', 'Verbosity', 'CacheMemlimit'])

    const refusing = nodes[1] as FakeNode
    refusing.script((request) => (request._tag === 'FlushAll' ? E.right(Reply.failure({ _tag: 'ClientError', reason: 'no', message: 'no' })) : undefined))
    expect(await router.send(Request.flushAll())()).toEqual(E.right(expect.objectContaining({ _tag: 'Failure' })))
    refusing.script(undefined)
    refusing.down()
    expect(await router.send(Request.flushAll())()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError', node: refusing.name })))
    const perNode = await router.broadcast(Request.version)()
    expect(perNode.map((each) => E.isRight(each.result))).toEqual([true, false, true])
  })

  it('refuses keyless requests it cannot place, and sends them to a node by name', async () => {
    const { router, nodes } = cluster()
    expect(await router.send(Request.raw('lru_crawler metadump all', 'line'))()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument' })))
    expect(await router.send(Request.quit)()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument' })))
    expect(await router.sendTo(NAMES[1] ?? '', Request.raw('lru_crawler metadump all', 'line'))()).toEqual(E.right(Reply.line(`raw at ${NAMES[1] ?? ''}`)))
    expect(nodes[1]?.sent.length).toBe(1)
    expect(await router.sendTo('nowhere:1', Request.version)()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
  })

  it('closes every node transport, once, and refuses requests after', async () => {
    const { router, nodes } = cluster()
    await router.close()
    await router.close()
    for (const node of nodes) expect(node.closedCount()).toBe(1)
    expect(await router.send(Request.get(['a']))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    expect(router.addNode(fakeNode('late:1').node)()).toBe(false)
  })
})

describe('router: one-key requests', () => {
  it('sends a one-key get straight to its owner and answers the reply the node gave, as it is', async () => {
    const { router, nodes, keyOf } = cluster()
    const node = nodes[2] as FakeNode
    const key = keyOf(node)
    const reply = Reply.values([{ key, flags: 3, value: text('v') }])
    node.script(() => E.right(reply))
    const request = Request.get([key])
    const outcome = await router.send(request)()
    expect(E.isRight(outcome) && outcome.right).toBe(reply)
    expect(node.sent).toEqual([request])
    expect(node.sent[0]).toBe(request)
    for (const other of nodes) if (other !== node) expect(other.sent).toEqual([])
  })

  it('answers a one-key get for a refusing node as before: NoServers, or a miss with ignoreErrors', async () => {
    const strict = cluster({ retryAttempts: 5 })
    const a = strict.nodes[0] as FakeNode
    a.down()
    await strict.router.send(Request.get([strict.keyOf(a)]))()
    expect(await strict.router.send(Request.get([strict.keyOf(a, 10)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    const lenient = cluster({ retryAttempts: 5, ignoreErrors: true })
    const b = lenient.nodes[0] as FakeNode
    b.down()
    await lenient.router.send(Request.get([lenient.keyOf(b)]))()
    expect(await lenient.router.send(Request.gat(10, [lenient.keyOf(b, 10)]))()).toEqual(E.right(Reply.values([])))
  })

  it('answers ownerOf with none when no node is in rotation', async () => {
    const { router } = cluster({}, [])
    expect(router.ownerOf('k')).toEqual(O.none)
  })
})

describe('router: the request context', () => {
  const context: RequestContext = { deadline: Date.now() + 60_000, retry: false }

  it('passes the context on with a single-key request, a one-key get, each part of a split get, a broadcast and sendTo', async () => {
    const { router, nodes, keyOf } = cluster()
    const a = nodes[0] as FakeNode
    await router.send(Request.set(keyOf(a), text('v')), context)()
    await router.send(Request.get([keyOf(a)]), context)()
    expect(a.contexts).toEqual([context, context])
    const forget = () => {
      for (const node of nodes) {
        node.contexts.length = 0
        node.sent.length = 0
      }
    }
    forget()

    await router.send(Request.get(Array.from({ length: 30 }, (_, i) => `c${i}`)), context)()
    for (const node of nodes) {
      expect(node.sent.length).toBe(1)
      expect(node.contexts).toEqual([context])
      expect(node.contexts[0]).toBe(context)
    }
    forget()

    await router.broadcast(Request.stats(), context)()
    await router.send(Request.version, context)()
    await router.sendTo(a.name, Request.raw('lru_crawler metadump all', 'line'), context)()
    expect(a.contexts).toEqual([context, context, context])
    for (const node of nodes.slice(1)) expect(node.contexts).toEqual([context, context])
  })

  it('does not hold an aborted request against the node', async () => {
    const { router, nodes, events, keyOf } = cluster({ retryAttempts: 0 })
    const a = nodes[0] as FakeNode
    a.script(() => E.left({ _tag: 'Aborted', request: 'get', reason: 'gone', message: 'get was abandoned by the caller: gone' }))
    const controller = new AbortController()
    controller.abort()
    expect(await router.send(Request.get([keyOf(a)]), { signal: controller.signal })()).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(events).toEqual([])
    expect(router.status()[0]?.health).toEqual({ _tag: 'Up' })
  })
})

describe('router: a swappable health policy', () => {
  it('runs the policy it is given instead of pymemcache\'s', async () => {
    // Dead at the first failure of any kind, never re-admitted.
    const harsh: HealthPolicy = {
      ...pymemcacheHealth(),
      name: 'harsh',
      afterFailure: (_health, _error, now) => ({ _tag: 'Dead', since: now }),
      afterTime: (health) => health,
    }
    const { router, nodes, events, setClock, keyOf } = cluster({ health: harsh, retryAttempts: 50 })
    const a = nodes[0] as FakeNode
    const key = keyOf(a)
    a.script(() => E.left(invalidKey(key, 'not a node failure for pymemcache')))
    await router.send(Request.get([key]))()
    expect(events).toEqual([expect.objectContaining({ _tag: 'Dead', node: a.name, failures: 1 })])
    a.script(undefined)
    setClock(10_000_000)
    expect(await router.send(Request.set(key, text('v')))()).toEqual(E.right(Reply.stored))
    expect(a.data.has(key)).toBe(false)
    expect(router.status()[0]?.health._tag).toBe('Dead')
  })

  it('takes any Hashing: makeRouter over a placement of its own', async () => {
    const nodes = NAMES.map(fakeNode)
    const first = { name: 'first', place: (names: ReadonlyArray<string>) => ({ nodes: names, ownerOf: () => O.fromNullable(names[0]), preferenceOf: () => names }) }
    const router = makeRouter(first, nodes.map((node) => node.node))
    for (let i = 0; i < 10; i++) await router.send(Request.set(`k${i}`, text('v')))()
    expect(nodes.map((node) => node.data.size)).toEqual([10, 0, 0])
    expect(router.hashing).toBe('first')
  })
})

describe('router: probes and many-key requests', () => {
  it('gives back the probe of a node when a many-key request is refused for another key', async () => {
    const { router, nodes, setClock, keyOf } = cluster({ retryAttempts: 5, retryTimeout: 1000 })
    const [a, b] = [nodes[0] as FakeNode, nodes[1] as FakeNode]
    a.down()
    b.down()
    setClock(0)
    await router.send(Request.get([keyOf(a)]))()
    setClock(900)
    await router.send(Request.get([keyOf(b)]))()
    a.up()
    setClock(1500) // a is due for a probe, b is not
    const sentToA = a.sent.length
    expect(await router.send(Request.get([keyOf(a, 10), keyOf(b, 10)]))()).toEqual(E.left(expect.objectContaining({ _tag: 'NoServers' })))
    expect(a.sent.length).toBe(sentToA)
    // a's probe was given back: the next request for its keys probes it and brings it up.
    expect(await router.send(Request.get([keyOf(a, 20)]))()).toEqual(E.right(Reply.values([])))
    expect(router.status()[0]?.health).toEqual({ _tag: 'Up' })
  })

  it('sends one probe with every key of a failing node in a many-key request', async () => {
    const { router, nodes, setClock, keyOf } = cluster({ health: pymemcacheHealth() })
    const a = nodes[0] as FakeNode
    a.down()
    await router.send(Request.get([keyOf(a)]))()
    a.up()
    setClock(1500)
    const keys = [keyOf(a, 10), keyOf(a, 20), keyOf(nodes[1] as FakeNode)]
    expect(E.isRight(await router.send(Request.get(keys))())).toBe(true)
    expect(a.sent.slice(1)).toEqual([Request.get(keys.slice(0, 2))])
    expect(router.status()[0]?.health).toEqual({ _tag: 'Up' })
  })
})
