/**
 * Stampede protection against a real memcached (Debian's 1.6.18 here), counting how many times
 * `compute` ran: 200 concurrent callers in one process on a cold key, after an invalidation and
 * in the recache window; a write-back refused after an invalidation during compute; and 4
 * processes × 50 callers on one key.
 *
 * No test waits on a clock: each compute holds until the other callers are seen waiting (their
 * lookups answered `Z`, told apart by the signal each caller passes) or served (their outcomes),
 * so the callers provably overlap, and the flags the server sent are counted.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import { metaGet } from '../../src/commands/meta.js'
import type { GetOrComputeOptions, Outcome } from '../../src/commands/stampede.js'
import { createPromiseClient } from '../../src/promise.js'
import { runTsx } from '../support/child.js'
import { lockWatch, type LockWatch } from '../support/lock-watch.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

let memcached: MemcachedServer
let unique = 0
const keyOf = (name: string): string => `stampede:${name}:${process.pid}:${unique++}`

beforeAll(async () => {
  memcached = await startMemcached()
})

afterAll(async () => {
  await memcached.stop()
})

const CALLERS = 200

interface Harness {
  readonly client: Client<string>
  readonly watch: LockWatch
  readonly close: () => Promise<void>
}

const harness = (): Harness => {
  const watch = lockWatch()
  const client = createClient({ servers: memcached.server, middleware: [watch.middleware], timeout: 5_000 })
  return { client, watch, close: client.close }
}

/** A compute that counts its runs and returns `value` once `ready` resolves. */
const heldCompute = (value: string, ready: () => Promise<unknown>) => {
  let runs = 0
  const compute: TE.TaskEither<never, string> = async () => {
    runs++
    await ready()
    return E.right(value)
  }
  return { compute, runs: () => runs }
}

const outcomeCounter = () => {
  const counts: Record<Outcome['_tag'], number> = { Hit: 0, Stale: 0, Computed: 0, ComputedWithoutLock: 0, Failed: 0 }
  const writes: Array<unknown> = []
  const thresholds: Array<{ readonly tag: Outcome['_tag']; readonly count: number; readonly resolve: () => void }> = []
  const onOutcome = (outcome: Outcome): void => {
    counts[outcome._tag]++
    if (outcome._tag === 'Computed') writes.push(outcome.write)
    for (const threshold of thresholds) if (counts[threshold.tag] >= threshold.count) threshold.resolve()
  }
  const reach = (tag: Outcome['_tag'], count: number): Promise<void> =>
    new Promise((resolve) => {
      if (counts[tag] >= count) resolve()
      else thresholds.push({ tag, count, resolve })
    })
  return { counts, writes, onOutcome, reach }
}

/** `count` concurrent callers, each with its own signal (how the watch tells them apart). */
const concurrently = (client: Client<string>, count: number, key: string, compute: TE.TaskEither<never, string>, options: GetOrComputeOptions) =>
  Promise.all(Array.from({ length: count }, () => client.getOrCompute(key, compute, { ...options, signal: new AbortController().signal })()))

const tally = (results: ReadonlyArray<E.Either<{ readonly _tag: string }, string>>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const result of results) {
    const shown = E.isRight(result) ? result.right : `Left ${result.left._tag}`
    counts[shown] = (counts[shown] ?? 0) + 1
  }
  return counts
}

describe('getOrCompute against memcached, 200 callers in one process', () => {
  it('a cold key: compute runs once, all 200 get its value, the 199 others waited on the lock', async () => {
    const { client, watch, close } = harness()
    try {
      const key = keyOf('cold')
      const source = heldCompute('v1', () => watch.waitersReach(CALLERS - 1))
      const outcomes = outcomeCounter()
      const results = await concurrently(client, CALLERS, key, source.compute, { ttl: 300, lockTtl: 30, onOutcome: outcomes.onOutcome })
      expect(source.runs()).toBe(1)
      expect(tally(results)).toEqual({ v1: CALLERS })
      expect(outcomes.counts).toMatchObject({ Computed: 1, Hit: CALLERS - 1, Failed: 0 })
      expect(outcomes.writes).toEqual(['stored'])
      expect(watch.flags.W).toBe(1)
      expect(watch.waiters()).toBe(CALLERS - 1)
      expect(await client.get(key)()).toEqual(E.right(O.some('v1')))
    } finally {
      await close()
    }
  })

  it('after invalidate: one caller recomputes, the 199 others are served the stale value (X) meanwhile', async () => {
    const { client, watch, close } = harness()
    try {
      const key = keyOf('invalidated')
      const fill = heldCompute('v1', async () => undefined)
      expect(await client.getOrCompute(key, fill.compute, { ttl: 300 })()).toEqual(E.right('v1'))
      expect(await client.invalidate(key, { staleFor: 60 })()).toEqual(E.right(true))
      const outcomes = outcomeCounter()
      const source = heldCompute('v2', () => outcomes.reach('Stale', CALLERS - 1))
      const stale = watch.flags.X
      const results = await concurrently(client, CALLERS, key, source.compute, { ttl: 300, onOutcome: outcomes.onOutcome })
      expect(source.runs()).toBe(1)
      expect(tally(results)).toEqual({ v1: CALLERS - 1, v2: 1 })
      expect(outcomes.counts).toMatchObject({ Computed: 1, Stale: CALLERS - 1 })
      expect(outcomes.writes).toEqual(['stored'])
      expect(watch.flags.X - stale).toBe(CALLERS)
      // Written over the stale item: fresh, and no one else recomputes.
      const after = outcomeCounter()
      const again = await concurrently(client, 20, key, source.compute, { ttl: 300, onOutcome: after.onOutcome })
      expect(tally(again)).toEqual({ v2: 20 })
      expect(after.counts.Hit).toBe(20)
      expect(source.runs()).toBe(1)
    } finally {
      await close()
    }
  })

  it('recache: in the window one caller recomputes while the 199 others are served the cached value', async () => {
    const { client, watch, close } = harness()
    try {
      const key = keyOf('recache')
      // Cached with 5 s left: inside a 30 s recache window.
      expect(await client.set(key, 'v1', { exptime: 5 })()).toEqual(E.right(true))
      const outcomes = outcomeCounter()
      const source = heldCompute('v2', () => outcomes.reach('Hit', CALLERS - 1))
      const results = await concurrently(client, CALLERS, key, source.compute, { ttl: 300, recacheBefore: 30, onOutcome: outcomes.onOutcome })
      expect(source.runs()).toBe(1)
      expect(tally(results)).toEqual({ v1: CALLERS - 1, v2: 1 })
      expect(outcomes.counts).toMatchObject({ Computed: 1, Hit: CALLERS - 1 })
      expect(outcomes.writes).toEqual(['stored'])
      expect(watch.flags.W).toBe(1)
      expect(watch.flags.Z).toBeGreaterThanOrEqual(CALLERS - 1)
      // The new value carries the new TTL (300 s), out of the window.
      const ttl = await metaGet(key, { returnTtl: true })(client.transport)()
      expect(E.isRight(ttl) && (ttl.right.returned.ttl ?? 0)).toBeGreaterThan(250)
    } finally {
      await close()
    }
  })

  it('an invalidation during compute is not overwritten (ms C answers EX); the next reader recomputes', async () => {
    const { client, watch, close } = harness()
    try {
      const key = keyOf('race')
      const first = outcomeCounter()
      let invalidated: unknown
      const racing = heldCompute('v1', async () => {
        invalidated = await client.invalidate(key)()
      })
      expect(await client.getOrCompute(key, racing.compute, { ttl: 300, onOutcome: first.onOutcome })()).toEqual(E.right('v1'))
      expect(invalidated).toEqual(E.right(true))
      expect(first.writes).toEqual(['conflict'])
      const stale = watch.flags.X
      const next = outcomeCounter()
      const recompute = heldCompute('v2', async () => undefined)
      expect(await client.getOrCompute(key, recompute.compute, { ttl: 300, onOutcome: next.onOutcome })()).toEqual(E.right('v2'))
      expect(recompute.runs()).toBe(1)
      expect(next.writes).toEqual(['stored'])
      expect(watch.flags.X - stale).toBe(1) // the next reader found the invalidated stub, and won it
      expect(await client.get(key)()).toEqual(E.right(O.some('v2')))
    } finally {
      await close()
    }
  })

  it('the Promise client: 200 callers, compute returning a Promise, runs once', async () => {
    const watch = lockWatch()
    const cache = createPromiseClient({ servers: memcached.server, middleware: [watch.middleware], timeout: 5_000 })
    try {
      const key = keyOf('promise')
      let runs = 0
      const compute = async (): Promise<string> => {
        runs++
        await watch.waitersReach(CALLERS - 1)
        return 'from a promise'
      }
      const values = await Promise.all(Array.from({ length: CALLERS }, () => cache.getOrCompute(key, compute, { ttl: 300, signal: new AbortController().signal })))
      expect(runs).toBe(1)
      expect(new Set(values)).toEqual(new Set(['from a promise']))
      expect(values).toHaveLength(CALLERS)
      expect(watch.waiters()).toBe(CALLERS - 1)
      expect(await cache.invalidate(key, { staleFor: 10 })).toBe(true)
    } finally {
      await cache.close()
    }
  })
})

interface ChildReport {
  readonly computes: number
  readonly values: Readonly<Record<string, number>>
  readonly outcomes: Readonly<Record<string, number>>
  readonly waiters: number
}

describe('getOrCompute against memcached, across processes', () => {
  it('4 processes × 50 concurrent callers on one cold key: compute runs once overall', async () => {
    const key = keyOf('processes')
    const client = createClient({ servers: memcached.server })
    try {
      expect(await client.set(`${key}:waiting`, '0', { exptime: 600 })()).toEqual(E.right(true))
      const env = { STAMPEDE_SERVER: memcached.server, STAMPEDE_KEY: key, STAMPEDE_CALLERS: '50', STAMPEDE_TOTAL: '200' }
      const children = await Promise.all(Array.from({ length: 4 }, () => runTsx('test/integration/stampede-child.ts', { env, guardMs: 120_000 })))
      const reports = children.map((child): ChildReport => {
        expect(child.stderr).toBe('')
        expect(child.exited).toBe(true)
        expect(child.code).toBe(0)
        return JSON.parse(child.stdout) as ChildReport
      })
      expect(reports.map((report) => report.computes).reduce((a, b) => a + b, 0)).toBe(1)
      const served = new Map<string, number>()
      for (const report of reports) for (const [value, count] of Object.entries(report.values)) served.set(value, (served.get(value) ?? 0) + count)
      expect(served.size).toBe(1)
      expect([...served.values()]).toEqual([200])
      expect([...served.keys()][0]).toMatch(/^computed by process \d+$/)
      const outcome = (tag: string): number => reports.reduce((sum, report) => sum + (report.outcomes[tag] ?? 0), 0)
      expect([outcome('Computed'), outcome('Hit'), outcome('Failed')]).toEqual([1, 199, 0])
      // Every caller but the winner, in every process, found the lock taken while compute ran.
      expect(reports.reduce((sum, report) => sum + report.waiters, 0)).toBe(199)
      expect(reports.every((report) => report.waiters >= 49)).toBe(true)
      expect(await client.get(`${key}:waiting`)()).toEqual(E.right(O.some('199')))
    } finally {
      await client.close()
    }
  }, 150_000)
})
