/**
 * The router's node table changing at run time (`setNodes`, `removeNode`): keys move exactly as
 * the hashing places them over the new set and nothing else is disturbed; a removed node gets no
 * new request, finishes the ones it has, and is closed after them (or after `drainTimeout`).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Request from '../../src/protocol/request.js'
import type { Hashing } from '../../src/routing/hashing.js'
import type { HealthEvent } from '../../src/routing/health.js'
import { ketama, ketamaContinuum } from '../../src/routing/ketama.js'
import { rendezvous } from '../../src/routing/rendezvous.js'
import { makeRouter, type RouterOptions } from '../../src/routing/router.js'
import { fakeNode, itemTexts, text, type FakeNode } from './fake-node.js'

const POOL = Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}:11211`)
const KEYS = Array.from({ length: 400 }, (_, i) => `key:${i}`)

/** A router over `names` whose transports are fake nodes, and every fake node it was ever given. */
const cluster = (names: ReadonlyArray<string>, options: RouterOptions = {}, hashing: Hashing = rendezvous) => {
  const made = new Map<string, Array<FakeNode>>()
  const make = (name: string): FakeNode => {
    const node = fakeNode(name)
    made.set(name, [...(made.get(name) ?? []), node])
    return node
  }
  const events: Array<HealthEvent> = []
  const router = makeRouter(
    hashing,
    names.map((name) => make(name).node),
    { ...options, onHealth: (event) => events.push(event) },
  )
  const transportOf = (name: string) => make(name).node.transport
  const latest = (name: string): FakeNode => {
    const nodes = made.get(name) ?? []
    const last = nodes[nodes.length - 1]
    if (last === undefined) throw new Error(`no node ${name}`)
    return last
  }
  return { router, transportOf, latest, made, events }
}

const owners = (ownerOf: (key: string) => O.Option<string>): ReadonlyArray<string | undefined> => KEYS.map((key) => O.toUndefined(ownerOf(key)))

afterEach(() => {
  vi.useRealTimers()
})

describe('setNodes', () => {
  it('adds the new names, removes the missing ones, leaves the others as they are', async () => {
    const { router, transportOf, made, events, latest } = cluster(POOL.slice(0, 3))
    const change = await router.setNodes([POOL[1] ?? '', POOL[2] ?? '', POOL[3] ?? '', POOL[3] ?? ''], transportOf)()
    expect(change).toEqual({ added: [POOL[3]], removed: [POOL[0]] })
    // A transport is made for new names only, once.
    expect([...made.entries()].map(([name, nodes]) => [name, nodes.length])).toEqual(POOL.slice(0, 4).map((name) => [name, 1]))
    expect(router.status().map((status) => status.node)).toEqual(POOL.slice(1, 4))
    expect(latest(POOL[0] ?? '').closedCount()).toBe(1)
    for (const name of POOL.slice(1, 4)) expect(latest(name).closedCount()).toBe(0)
    expect(events.map((event) => `${event._tag} ${event.node}`)).toEqual([`Removed ${POOL[0]}`, `Added ${POOL[3]}`])
    expect(await router.setNodes(POOL.slice(1, 4), transportOf)()).toEqual({ added: [], removed: [] })
  })

  it('does nothing once the router is closed', async () => {
    const { router, transportOf, made } = cluster(POOL.slice(0, 2))
    await router.close()
    expect(await router.setNodes(POOL.slice(2, 4), transportOf)()).toEqual({ added: [], removed: [] })
    expect(made.size).toBe(2)
  })
})

describe('a removed node drains', () => {
  it('gets no new request, finishes the ones it has, and is closed after them', async () => {
    const { router, transportOf, latest } = cluster(POOL.slice(0, 3))
    const leaving = latest(POOL[0] ?? '')
    const itsKeys = KEYS.filter((key) => O.toUndefined(router.ownerOf(key)) === leaving.name).slice(0, 20)
    for (const key of itsKeys) leaving.data.set(key, text(`old ${key}`))
    leaving.hold()
    const inFlight = itsKeys.map((key) => router.send(Request.get([key]))())
    const many = router.send(Request.get(KEYS.slice(0, 50)))()
    let settled = false
    const change = router.setNodes(POOL.slice(1, 3), transportOf)().then((result) => {
      settled = true
      return result
    })
    await Promise.resolve()
    // New requests go to the new owners at once, while the old requests wait on the leaving node.
    const sentBefore = leaving.sent.length
    for (const key of itsKeys) expect(await router.send(Request.get([key]))()).toEqual(E.right(expect.objectContaining({ _tag: 'Values', items: [] })))
    expect(leaving.sent.length).toBe(sentBefore)
    expect(leaving.closedCount()).toBe(0)
    expect(settled).toBe(false)

    leaving.release()
    const answered = await Promise.all(inFlight)
    answered.forEach((outcome, index) => expect(itemTexts(outcome)).toEqual([`old ${itsKeys[index] ?? ''}`]))
    expect(E.isRight(await many)).toBe(true)
    expect(await change).toEqual({ added: [], removed: [leaving.name] })
    expect(leaving.closedCount()).toBe(1)
  })

  it('is closed after drainTimeout when its requests do not finish', async () => {
    vi.useFakeTimers()
    const { router, latest } = cluster(POOL.slice(0, 2), { drainTimeout: 5000 })
    const leaving = latest(POOL[0] ?? '')
    leaving.hold()
    const key = KEYS.find((each) => O.toUndefined(router.ownerOf(each)) === leaving.name) ?? ''
    void router.send(Request.get([key]))()
    let settled = false
    const change = router.removeNode(leaving.name)().then((removed) => {
      settled = true
      return removed
    })
    await vi.advanceTimersByTimeAsync(4999)
    expect(settled).toBe(false)
    expect(leaving.closedCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(await change).toBe(true)
    expect(leaving.closedCount()).toBe(1)
    leaving.release()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('with drainTimeout 0 is closed at once; an idle node is closed at once and leaves no timer', async () => {
    const { router, transportOf, latest } = cluster(POOL.slice(0, 3), { drainTimeout: 0 })
    const busy = latest(POOL[0] ?? '')
    busy.hold()
    void router.send(Request.get([KEYS.find((each) => O.toUndefined(router.ownerOf(each)) === busy.name) ?? '']))()
    expect(await router.removeNode(busy.name)()).toBe(true)
    expect(busy.closedCount()).toBe(1)
    busy.release()
    vi.useFakeTimers()
    expect(await router.setNodes([POOL[1] ?? ''], transportOf)()).toEqual({ added: [], removed: [POOL[2]] })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('close() closes a draining node at once, and its drain ends', async () => {
    const { router, transportOf, latest } = cluster(POOL.slice(0, 2), { drainTimeout: Infinity })
    const leaving = latest(POOL[0] ?? '')
    leaving.hold()
    void router.send(Request.get([KEYS.find((each) => O.toUndefined(router.ownerOf(each)) === leaving.name) ?? '']))()
    const change = router.setNodes([POOL[1] ?? ''], transportOf)()
    await Promise.resolve()
    expect(leaving.closedCount()).toBe(0)
    await router.close()
    expect(leaving.closedCount()).toBe(1)
    expect(await change).toEqual({ added: [], removed: [leaving.name] })
    // Not closed a second time when its drain ends.
    leaving.release()
    await Promise.resolve()
    expect(leaving.closedCount()).toBe(1)
  })
})

// -------------------------------------------------------------------------------------
// properties: keys move exactly as the hashing says
// -------------------------------------------------------------------------------------

const nodeSet = fc.subarray(POOL, { minLength: 1 })

/** Whether every node in both sets holds the same ring points in both: then only keys of removed or added nodes can move. */
const samePointsForStayers = (before: ReadonlyArray<string>, after: ReadonlyArray<string>): boolean => {
  const pointsByNode = (names: ReadonlyArray<string>): Map<string, string> => {
    const points = new Map<string, Array<number>>()
    for (const point of ketamaContinuum(names)) points.set(point.node, [...(points.get(point.node) ?? []), point.value])
    return new Map([...points].map(([node, values]) => [node, values.sort((a, b) => a - b).join(',')]))
  }
  const was = pointsByNode(before)
  const now = pointsByNode(after)
  return before.filter((name) => after.includes(name)).every((name) => was.get(name) === now.get(name))
}

describe.each([
  ['rendezvous', rendezvous],
  ['ketama', ketama],
] as const)('setNodes with %s (property)', (_name, hashing) => {
  it('every key goes where the hashing places it over the new set; the moved keys are exactly those whose placement changed', async () => {
    await fc.assert(
      fc.asyncProperty(nodeSet, nodeSet, async (before, after) => {
        const { router, transportOf } = cluster(before, {}, hashing)
        const was = owners(router.ownerOf)
        expect(was).toEqual(owners(hashing.place(before).ownerOf))
        await router.setNodes(after, transportOf)()
        const now = owners(router.ownerOf)
        const placed = owners(hashing.place(after).ownerOf)
        expect(now).toEqual(placed)
        const moved = KEYS.filter((_, index) => now[index] !== was[index])
        const placedBefore = owners(hashing.place(before).ownerOf)
        const expectedMoved = KEYS.filter((_, index) => placed[index] !== placedBefore[index])
        expect(moved).toEqual(expectedMoved)
        // Nothing else disturbed: a key whose owner stays moves only to a node that was added.
        if (hashing === rendezvous || samePointsForStayers(before, after)) {
          for (const [index] of KEYS.entries()) {
            const from = was[index] ?? ''
            const to = now[index] ?? ''
            if (from !== to) expect(!after.includes(from) || !before.includes(to)).toBe(true)
          }
        }
        await router.close()
      }),
      { numRuns: 25 },
    )
  })

  it('growing by one node moves only keys to it; shrinking by one moves only its keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(POOL, { minLength: 2 }), async (names) => {
        const smaller = names.slice(1)
        const { router, transportOf } = cluster(smaller, {}, hashing)
        const was = owners(router.ownerOf)
        await router.setNodes(names, transportOf)()
        const grown = owners(router.ownerOf)
        const added = names[0] ?? ''
        const stable = hashing === rendezvous || samePointsForStayers(smaller, names)
        const movedOnGrow = KEYS.filter((_, index) => grown[index] !== was[index])
        if (stable) for (const key of movedOnGrow) expect(grown[KEYS.indexOf(key)]).toBe(added)
        await router.setNodes(smaller, transportOf)()
        const shrunk = owners(router.ownerOf)
        expect(shrunk).toEqual(was)
        await router.close()
      }),
      { numRuns: 20 },
    )
  })
})
