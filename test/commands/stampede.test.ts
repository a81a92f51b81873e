/**
 * getOrCompute / invalidate against a model of memcached's meta mechanics (mg N/R with W/X/Z,
 * ms C, md I T), on a model clock: every wait, compute and server round trip takes virtual time,
 * so many concurrent callers interleave deterministically and no test depends on a real timer.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  getOrCompute,
  jittered,
  makeStampede,
  realScheduler,
  viaSerde,
  type GetOrComputeOptions,
  type Lookup,
  type Outcome,
  type Scheduler,
  type StampedeOps,
  type StoreResult,
} from '../../src/commands/stampede.js'
import type { MemcacheError } from '../../src/error.js'
import { text } from '../../src/serde/text.js'
import type { Encoded } from '../../src/serde/serde.js'
import { connectionClosed } from '../../src/transport/error.js'
import { makeVirtualClock, type VirtualClock } from '../support/virtual-clock.js'

// -------------------------------------------------------------------------------------
// a model clock
// -------------------------------------------------------------------------------------

const makeClock = (): VirtualClock => makeVirtualClock()

type Clock = VirtualClock

/** A small deterministic generator, so fast-check's seed decides the jitter too. */
const seeded = (seed: number): (() => number) => {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

const schedulerOn = (clock: Clock, random: () => number = seeded(42)): Scheduler => ({ now: clock.now, sleep: clock.sleep, random })

// -------------------------------------------------------------------------------------
// a model of memcached's meta mechanics (proto_parser.c: process_mget / mdelete, do_store_item)
// -------------------------------------------------------------------------------------

interface Item<A> {
  readonly data: O.Option<A>
  readonly cas: bigint
  /** Absolute ms; 0: never. */
  exptime: number
  stale: boolean
  tokenSent: boolean
}

const makeServer = <A>(clock: Clock, options: { readonly latencyMs?: number; readonly stub?: O.Option<A> } = {}) => {
  const latency = options.latencyMs ?? 1
  const stub = options.stub ?? O.none
  const items = new Map<string, Item<A>>()
  let nextCas = 1n
  const counts = { lookups: 0, wins: 0, stubs: 0, stored: 0, conflicts: 0, invalidated: 0, calls: 0 }
  let down = false
  const refuse = () => E.left<MemcacheError, never>(connectionClosed('model:11211', 'is down'))
  const live = (key: string): Item<A> | undefined => {
    const item = items.get(key)
    if (item !== undefined && item.exptime !== 0 && item.exptime <= clock.now()) {
      items.delete(key)
      return undefined
    }
    return item
  }
  const expiry = (seconds: number): number => (seconds === 0 ? 0 : clock.now() + seconds * 1000)
  const ops: StampedeOps<A> = {
    lookup: (key, { lockTtl, recacheBefore }) => async () => {
      counts.calls++
      await clock.sleep(latency)
      if (down) return refuse()
      counts.lookups++
      let item = live(key)
      let created = false
      if (item === undefined) {
        // N: vivify a 0-byte stub with TTL lockTtl; the creator wins.
        item = { data: stub, cas: nextCas++, exptime: expiry(lockTtl), stale: false, tokenSent: false }
        items.set(key, item)
        created = true
        counts.stubs++
      }
      let win = created
      // R: remaining TTL under the token, a finite TTL, no win sent yet, not just created.
      if (!created && recacheBefore > 0 && !item.tokenSent && item.exptime !== 0 && item.exptime - clock.now() < recacheBefore * 1000) win = true
      const alreadyWon = item.tokenSent
      // A stale item hands out a win when none was sent since it went stale.
      if (item.stale && !item.tokenSent) win = true
      if (win) {
        item.tokenSent = true
        counts.wins++
      }
      const found: Lookup<A> = { value: item.data, cas: item.cas, win, stale: item.stale, alreadyWon }
      return E.right(found)
    },
    store: (key, value, { ttl, cas }) => async () => {
      counts.calls++
      await clock.sleep(latency)
      if (down) return refuse()
      const item = live(key)
      // C<cas>: NF when gone, EX when the CAS moved; a match replaces the item (no stale, no token).
      if (item === undefined || item.cas !== cas) {
        counts.conflicts++
        return E.right<MemcacheError, StoreResult>('conflict')
      }
      items.set(key, { data: O.some(value), cas: nextCas++, exptime: expiry(ttl), stale: false, tokenSent: false })
      counts.stored++
      return E.right<MemcacheError, StoreResult>('stored')
    },
    invalidate: (key, { staleFor }) => async () => {
      counts.calls++
      await clock.sleep(latency)
      if (down) return refuse()
      const item = live(key)
      if (item === undefined) return E.right(false)
      // md I T: mark stale, bump the CAS, clear the win mark, set the TTL.
      items.set(key, { ...item, stale: true, tokenSent: false, cas: nextCas++, exptime: staleFor === undefined ? item.exptime : expiry(staleFor) })
      counts.invalidated++
      return E.right(true)
    },
  }
  return {
    ops,
    counts,
    item: (key: string) => live(key),
    setDown: (value: boolean) => {
      down = value
    },
  }
}

// -------------------------------------------------------------------------------------
// a data source that counts its computations
// -------------------------------------------------------------------------------------

interface Value {
  readonly version: number
  readonly computedAt: number
}

const makeSource = (clock: Clock) => {
  const state = { version: 0, runs: 0, running: 0, mostAtOnce: 0 }
  /** Reads the source's version when it starts, then takes `durationMs`. */
  const compute =
    (durationMs: number): TE.TaskEither<string, Value> =>
    async () => {
      state.runs++
      state.running++
      state.mostAtOnce = Math.max(state.mostAtOnce, state.running)
      const value = { version: state.version, computedAt: clock.now() }
      await clock.sleep(durationMs)
      state.running--
      return E.right(value)
    }
  return { state, compute }
}

const setup = (options: { readonly latencyMs?: number } = {}) => {
  const clock = makeClock()
  const server = makeServer<Value>(clock, options)
  const source = makeSource(clock)
  const stampede = makeStampede(server.ops, schedulerOn(clock))
  return { clock, server, source, stampede }
}

const outcomes = () => {
  const seen: Array<Outcome['_tag']> = []
  return { seen, onOutcome: (outcome: Outcome) => void seen.push(outcome._tag) }
}

const count = <T>(values: ReadonlyArray<T>, value: T): number => values.filter((each) => each === value).length

const rightsOf = <L, R>(results: ReadonlyArray<E.Either<L, R>>): ReadonlyArray<R> =>
  results.map((result) => {
    if (E.isLeft(result)) throw new Error(`expected a Right, got ${JSON.stringify(result.left)}`)
    return result.right
  })

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('getOrCompute: fill', () => {
  it('runs compute once for 100 concurrent callers on a miss; the others wait and get the stored value', async () => {
    const { clock, server, source, stampede } = setup()
    const { seen, onOutcome } = outcomes()
    const callers = Array.from({ length: 100 }, () => stampede.getOrCompute('k', source.compute(200), { ttl: 60, onOutcome })())
    const values = rightsOf(await clock.run(Promise.all(callers)))
    expect(source.state.runs).toBe(1)
    expect(server.counts.wins).toBe(1)
    expect(new Set(values.map((value) => value.version))).toEqual(new Set([0]))
    expect(count(seen, 'Computed')).toBe(1)
    expect(count(seen, 'Hit')).toBe(99)
    expect(server.item('k')?.data).toEqual(O.some(values[0]))
  })

  it('serves a hit without computing', async () => {
    const { clock, source, stampede } = setup()
    await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 60 })())
    const again = await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 60 })())
    expect(again).toEqual(E.right({ version: 0, computedAt: 1 }))
    expect(source.state.runs).toBe(1)
  })

  it('fills again once per expiry', async () => {
    const { clock, source, stampede } = setup()
    for (let round = 0; round < 3; round++) {
      const callers = Array.from({ length: 20 }, () => stampede.getOrCompute('k', source.compute(50), { ttl: 2 })())
      await clock.run(Promise.all(callers))
      await clock.run(clock.sleep(2_500))
    }
    expect(source.state.runs).toBe(3)
  })
})

describe('getOrCompute: early recache (R)', () => {
  it('serves the old value at once to everyone but the one winner, which recomputes', async () => {
    const { clock, server, source, stampede } = setup()
    const options: GetOrComputeOptions = { ttl: 10, recacheBefore: 3 }
    await clock.run(stampede.getOrCompute('k', source.compute(10), options)())
    await clock.run(clock.sleep(8_000)) // 2 s of TTL left, under recacheBefore
    source.state.version = 1
    const started = clock.now()
    const finished: Array<number> = []
    const callers = Array.from({ length: 50 }, () =>
      stampede.getOrCompute('k', source.compute(500), options)().then((result) => (finished.push(clock.now() - started), result)),
    )
    const values = rightsOf(await clock.run(Promise.all(callers)))
    expect(source.state.runs).toBe(2)
    expect(server.counts.wins).toBe(2)
    expect(count(values.map((value) => value.version), 0)).toBe(49)
    expect(count(values.map((value) => value.version), 1)).toBe(1)
    // the 49 were served by their first lookup (one round trip of the model), not after the recompute
    expect(finished.filter((elapsed) => elapsed <= 1)).toHaveLength(49)
    expect(server.item('k')?.data).toEqual(O.some({ version: 1, computedAt: started + 1 }))
  })

  it('never recaches an item stored without expiry (memcached ignores R on TTL 0)', async () => {
    const { clock, source, stampede } = setup()
    await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 0, recacheBefore: 5 })())
    await clock.run(clock.sleep(100_000))
    await clock.run(Promise.all(Array.from({ length: 10 }, () => stampede.getOrCompute('k', source.compute(10), { ttl: 0, recacheBefore: 5 })())))
    expect(source.state.runs).toBe(1)
  })
})

describe('invalidate (md I T) and stale serving (X)', () => {
  it('serves the stale value to all readers but one, which recomputes; then everyone gets the new value', async () => {
    const { clock, server, source, stampede } = setup()
    await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 3600 })())
    source.state.version = 1
    expect(await clock.run(stampede.invalidate('k', { staleFor: 30 })())).toEqual(E.right(true))
    const { seen, onOutcome } = outcomes()
    const callers = Array.from({ length: 40 }, () => stampede.getOrCompute('k', source.compute(300), { ttl: 3600, onOutcome })())
    const values = rightsOf(await clock.run(Promise.all(callers)))
    expect(source.state.runs).toBe(2)
    expect(count(seen, 'Stale')).toBe(39)
    expect(count(seen, 'Computed')).toBe(1)
    expect(count(values.map((value) => value.version), 0)).toBe(39)
    // the winner's ms C<cas> on the stale item succeeded: a fresh item, neither stale nor won
    expect(server.item('k')).toMatchObject({ data: O.some({ version: 1 }), stale: false, tokenSent: false })
    const after = await clock.run(stampede.getOrCompute('k', source.compute(300), { ttl: 3600 })())
    expect(after).toMatchObject(E.right({ version: 1 }))
    expect(source.state.runs).toBe(2)
  })

  it('limits how long a stale value lives with staleFor', async () => {
    const { clock, server, source, stampede } = setup()
    await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 3600 })())
    await clock.run(stampede.invalidate('k', { staleFor: 5 })())
    await clock.run(clock.sleep(5_001))
    expect(server.item('k')).toBeUndefined()
  })

  it('answers false when there is nothing to invalidate', async () => {
    const { clock, stampede } = setup()
    expect(await clock.run(stampede.invalidate('missing')())).toEqual(E.right(false))
  })

  it('never overwrites an invalidation that came during the compute: the winner returns its value, the write is refused', async () => {
    const { clock, server, source, stampede } = setup()
    const { seen, onOutcome } = outcomes()
    const writes: Array<unknown> = []
    const winner = stampede.getOrCompute('k', source.compute(1_000), {
      ttl: 3600,
      onOutcome: (outcome) => {
        onOutcome(outcome)
        if (outcome._tag === 'Computed') writes.push(outcome.write)
      },
    })()
    const invalidation = (async () => {
      await clock.sleep(500)
      source.state.version = 1
      return stampede.invalidate('k')()
    })()
    const [won, invalidated] = await clock.run(Promise.all([winner, invalidation]))
    expect(won).toMatchObject(E.right({ version: 0 }))
    expect(invalidated).toEqual(E.right(true))
    expect(writes).toEqual(['conflict'])
    expect(server.item('k')).toMatchObject({ stale: true, tokenSent: false, data: O.none })
    // the next reader wins the stale stub and reads the new source
    const next = await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 3600, onOutcome })())
    expect(next).toMatchObject(E.right({ version: 1 }))
    expect(seen).toEqual(['Computed', 'Computed'])
    expect(source.state.runs).toBe(2)
  })
})

describe('waiting', () => {
  it('is bounded: waiters fail with LockWaitExceeded after maxWait, with a bounded number of lookups', async () => {
    const { clock, server, source, stampede } = setup()
    const options: GetOrComputeOptions = { ttl: 60, lockTtl: 30, maxWait: 2_000, backoff: { initialMs: 10, maxMs: 200 } }
    const winner = stampede.getOrCompute('k', source.compute(10_000), options)()
    const waiters = Array.from({ length: 10 }, () => stampede.getOrCompute('k', source.compute(10), options)())
    const started = clock.now()
    const results = await clock.run(Promise.all(waiters))
    for (const result of results) {
      expect(result).toMatchObject(E.left({ _tag: 'LockWaitExceeded', key: 'k' }))
      if (E.isLeft(result) && result.left._tag === 'LockWaitExceeded') {
        expect(result.left.waitedMs).toBeGreaterThanOrEqual(2_000)
        // each wait is at least initialMs / 2 and the sum never exceeds maxWait: 2000 / 5 + 2 lookups at most
        expect(result.left.lookups).toBeLessThanOrEqual(402)
      }
    }
    // the last lookups happen at maxWait (plus one round trip), not later
    expect(clock.now() - started).toBeLessThanOrEqual(2_000 + 2)
    expect(source.state.runs).toBe(1)
    await clock.run(winner)
    expect(server.counts.stored).toBe(1)
  })

  it("with afterWait: 'compute' computes without writing (it holds no lock)", async () => {
    const { clock, server, source, stampede } = setup()
    const options: GetOrComputeOptions = { ttl: 60, maxWait: 1_000, afterWait: 'compute' }
    const { seen, onOutcome } = outcomes()
    const winner = stampede.getOrCompute('k', source.compute(5_000), options)()
    const waiter = await clock.run(stampede.getOrCompute('k', source.compute(10), { ...options, onOutcome })())
    expect(waiter).toMatchObject(E.right({ version: 0 }))
    expect(seen).toEqual(['ComputedWithoutLock'])
    expect(server.counts.stored).toBe(0)
    expect(server.item('k')?.data).toEqual(O.none) // still the winner's stub
    await clock.run(winner)
    expect(server.counts.stored).toBe(1)
  })

  it('honours the abort signal during a wait at once', async () => {
    const { clock, source, stampede } = setup()
    const controller = new AbortController()
    const winner = stampede.getOrCompute('k', source.compute(10_000), { ttl: 60 })()
    const waiter = stampede.getOrCompute('k', source.compute(10), { ttl: 60, signal: controller.signal })()
    void clock.sleep(1_234).then(() => controller.abort(new Error('user left')))
    const result = await clock.run(waiter)
    expect(result).toMatchObject(E.left({ _tag: 'Aborted', request: 'getOrCompute', reason: 'user left' }))
    expect(clock.now()).toBe(1_234)
    await clock.run(winner)
  })

  it('honours the deadline (timeout) during a wait, answering Timeout at the deadline', async () => {
    const { clock, source, stampede } = setup()
    const winner = stampede.getOrCompute('k', source.compute(10_000), { ttl: 60 })()
    const result = await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 60, timeout: 750 })())
    expect(result).toMatchObject(E.left({ _tag: 'Timeout', request: 'getOrCompute' }))
    expect(clock.now()).toBe(750)
    await clock.run(winner)
  })

  it('does not look up at all with a signal already aborted', async () => {
    const { clock, server, source, stampede } = setup()
    const result = await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 60, signal: AbortSignal.abort() })())
    expect(result).toMatchObject(E.left({ _tag: 'Aborted' }))
    expect(server.counts.calls).toBe(0)
  })

  it('spreads waits with jitter, doubling up to the cap', () => {
    const backoff = { initialMs: 10, maxMs: 500 }
    expect(jittered(backoff, 0, 0)).toBe(5)
    expect(jittered(backoff, 0, 0.999999)).toBeCloseTo(10)
    expect(jittered(backoff, 3, 0.5)).toBe(60)
    expect(jittered(backoff, 40, 0)).toBe(250)
    expect(jittered(backoff, 10_000, 0.999999)).toBeCloseTo(500)
  })
})

describe('compute failing', () => {
  it('answers ComputeFailed; the lock (the stub) lasts no longer than lockTtl, then one waiter fills', async () => {
    const { clock, server, source, stampede } = setup()
    const options: GetOrComputeOptions = { ttl: 60, lockTtl: 5 }
    const failing: TE.TaskEither<string, Value> = async () => {
      source.state.runs++
      await clock.sleep(100)
      return E.left('database down')
    }
    let secondStartedAt = -1
    const second: TE.TaskEither<string, Value> = async () => {
      secondStartedAt = clock.now()
      return source.compute(10)()
    }
    const winner = stampede.getOrCompute('k', failing, options)()
    const waiters = Array.from({ length: 20 }, () => stampede.getOrCompute('k', second, options)())
    const [failed, ...served] = await clock.run(Promise.all([winner, ...waiters]))
    expect(failed).toEqual(E.left(expect.objectContaining({ _tag: 'ComputeFailed', key: 'k', error: 'database down', previous: O.none })))
    expect(rightsOf(served)).toHaveLength(20)
    expect(source.state.runs).toBe(2) // the failure, then exactly one fill
    expect(server.counts.stubs).toBe(2)
    // the second fill started once the stub expired (5 s), within one backoff step (500 ms) and a round trip
    expect(secondStartedAt).toBeGreaterThanOrEqual(5_000)
    expect(secondStartedAt).toBeLessThanOrEqual(5_000 + 500 + 1)
  })

  it('hands the caller the previous value when recomputing a stale item fails', async () => {
    const { clock, source, stampede } = setup()
    await clock.run(stampede.getOrCompute('k', source.compute(10), { ttl: 60 })())
    await clock.run(stampede.invalidate('k')())
    const result = await clock.run(stampede.getOrCompute('k', TE.left('nope'), { ttl: 60 })())
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ComputeFailed', previous: O.some({ version: 0, computedAt: 1 }) })))
  })

  it('catches a compute that throws or rejects: ComputeThrew, never an exception', async () => {
    const { clock, stampede } = setup()
    const throwing: TE.TaskEither<string, Value> = () => {
      throw new Error('boom')
    }
    const rejecting: TE.TaskEither<string, Value> = () => Promise.reject(new Error('rejected'))
    const thrown = await clock.run(stampede.getOrCompute('a', throwing, { ttl: 60 })())
    const rejected = await clock.run(stampede.getOrCompute('b', rejecting, { ttl: 60 })())
    expect(thrown).toEqual(E.left(expect.objectContaining({ _tag: 'ComputeThrew', key: 'a', message: expect.stringContaining('boom') })))
    expect(rejected).toEqual(E.left(expect.objectContaining({ _tag: 'ComputeThrew', key: 'b', message: expect.stringContaining('rejected') })))
  })

  it('a throwing onOutcome hook does not change the result', async () => {
    const { clock, source, stampede } = setup()
    const result = await clock.run(
      stampede.getOrCompute('k', source.compute(1), {
        ttl: 60,
        onOutcome: () => {
          throw new Error('metrics down')
        },
      })(),
    )
    expect(result).toMatchObject(E.right({ version: 0 }))
  })
})

describe('the cache failing', () => {
  it('returns the lookup error and does not compute (no lock, no protection)', async () => {
    const { clock, server, source, stampede } = setup()
    server.setDown(true)
    const result = await clock.run(stampede.getOrCompute('k', source.compute(1), { ttl: 60 })())
    expect(result).toMatchObject(E.left({ _tag: 'ConnectionClosed' }))
    expect(source.state.runs).toBe(0)
  })

  it('still returns the computed value when the write-back fails, and reports the error', async () => {
    const clock = makeClock()
    const server = makeServer<Value>(clock)
    const source = makeSource(clock)
    const ops: StampedeOps<Value> = { ...server.ops, store: () => TE.left(connectionClosed('model:11211', 'reset')) }
    const { getOrCompute: cached } = makeStampede(ops, schedulerOn(clock))
    const writes: Array<unknown> = []
    const result = await clock.run(
      cached('k', source.compute(1), { ttl: 60, onOutcome: (outcome) => outcome._tag === 'Computed' && writes.push(outcome.write) })(),
    )
    expect(result).toMatchObject(E.right({ version: 0 }))
    expect(writes).toEqual([expect.objectContaining({ _tag: 'ConnectionClosed' })])
  })
})

describe('options', () => {
  const bad: ReadonlyArray<readonly [string, Partial<GetOrComputeOptions>]> = [
    ['ttl', { ttl: -1 }],
    ['ttl', { ttl: Number.NaN }],
    ['ttl', { ttl: 1.5 }],
    ['ttl', { ttl: 60 * 60 * 24 * 31 }],
    ['lockTtl', { lockTtl: 0 }],
    ['lockTtl', { lockTtl: Infinity }],
    ['recacheBefore', { recacheBefore: -2 }],
    ['recacheBefore', { ttl: 10, recacheBefore: 10 }],
    ['maxWait', { maxWait: Number.NaN }],
    ['maxWait', { maxWait: -1 }],
    ['backoff', { backoff: { initialMs: 0, maxMs: 10 } }],
    ['backoff', { backoff: { initialMs: 20, maxMs: 10 } }],
    ['afterWait', { afterWait: 'retry' as unknown as 'fail' }],
  ]
  it.each(bad)('refuses a bad %s before any server call: %j', async (argument, options) => {
    const { clock, server, source, stampede } = setup()
    const result = await clock.run(stampede.getOrCompute('k', source.compute(1), { ttl: 60, ...options })())
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument })))
    expect(server.counts.calls).toBe(0)
  })

  it.each([0, -5, Number.NaN, 2.5])('invalidate refuses staleFor %s', async (staleFor) => {
    const { clock, server, stampede } = setup()
    const result = await clock.run(stampede.invalidate('k', { staleFor })())
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument: 'staleFor' })))
    expect(server.counts.calls).toBe(0)
  })
})

describe('viaSerde', () => {
  const setupBytes = () => {
    const clock = makeClock()
    // memcached's stub is a real item of 0 bytes, flags 0
    const server = makeServer<Encoded>(clock, { stub: O.some({ bytes: new Uint8Array(0), flags: 0 }) })
    const stampede = makeStampede(viaSerde(text)(server.ops), schedulerOn(clock))
    return { clock, server, stampede }
  }

  it('reads a 0-byte stub as no value: concurrent callers wait for the fill, one computes', async () => {
    const { clock, server, stampede } = setupBytes()
    let runs = 0
    const compute: TE.TaskEither<string, string> = async () => {
      runs++
      await clock.sleep(100)
      return E.right('hello')
    }
    const values = rightsOf(await clock.run(Promise.all(Array.from({ length: 10 }, () => stampede.getOrCompute('k', compute, { ttl: 60 })()))))
    expect(values).toEqual(Array.from({ length: 10 }, () => 'hello'))
    expect(runs).toBe(1)
    expect(server.item('k')?.data).toEqual(O.some({ bytes: new TextEncoder().encode('hello'), flags: 0 }))
  })

  it('refuses to write a value of 0 bytes (it would read as a stub) but returns it', async () => {
    const { clock, server, stampede } = setupBytes()
    const writes: Array<unknown> = []
    const result = await clock.run(
      stampede.getOrCompute('k', TE.right(''), { ttl: 60, onOutcome: (outcome) => outcome._tag === 'Computed' && writes.push(outcome.write) })(),
    )
    expect(result).toEqual(E.right(''))
    expect(writes).toEqual([expect.objectContaining({ _tag: 'InvalidArgument', argument: 'value' })])
    expect(server.counts.stored).toBe(0)
  })

  it('overwrites a value it cannot read when it wins, and reports it as SerdeError otherwise', async () => {
    const clock = makeClock()
    const unreadable = O.some({ bytes: new Uint8Array([0xff, 0xfe]), flags: 0 })
    const lookupWith =
      (win: boolean): StampedeOps<Encoded>['lookup'] =>
      () =>
        TE.right({ value: unreadable, cas: 7n, win, stale: false, alreadyWon: !win })
    const stored: Array<Encoded> = []
    const base: StampedeOps<Encoded> = {
      lookup: lookupWith(true),
      store: (_key, value) => TE.fromIO(() => (stored.push(value), 'stored' as const)),
      invalidate: () => TE.right(true),
    }
    const winner = makeStampede(viaSerde(text)(base), schedulerOn(clock))
    expect(await clock.run(winner.getOrCompute('k', TE.right('fresh'), { ttl: 60 })())).toEqual(E.right('fresh'))
    expect(stored).toEqual([{ bytes: new TextEncoder().encode('fresh'), flags: 0 }])
    const reader = makeStampede(viaSerde(text)({ ...base, lookup: lookupWith(false) }), schedulerOn(clock))
    expect(await clock.run(reader.getOrCompute('k', TE.right('fresh'), { ttl: 60 })())).toMatchObject(E.left({ _tag: 'SerdeError' }))
  })
})

describe('realScheduler', () => {
  it('sleep resolves early when the signal fires, and at once for a signal already aborted', async () => {
    const controller = new AbortController()
    const sleeping = realScheduler.sleep(3_600_000, controller.signal)
    controller.abort()
    await sleeping
    await realScheduler.sleep(3_600_000, AbortSignal.abort())
    expect(controller.signal.aborted).toBe(true)
  })

  it('getOrCompute on the real clock needs no injection', async () => {
    const clock = makeClock()
    const server = makeServer<string>(clock, { latencyMs: 0 })
    const cached = getOrCompute(server.ops)
    // the model's round trips take no virtual time; run them
    const result = await clock.run(cached('k', TE.right('v'), { ttl: 60 })())
    expect(result).toEqual(E.right('v'))
  })
})

// -------------------------------------------------------------------------------------
// properties over random interleavings
// -------------------------------------------------------------------------------------

type Action =
  | { readonly _tag: 'Call'; readonly at: number; readonly computeMs: number }
  | { readonly _tag: 'Invalidate'; readonly at: number; readonly staleFor: number | undefined }

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant('Call' as const), at: fc.integer({ min: 0, max: 5_000 }), computeMs: fc.integer({ min: 1, max: 2_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant('Invalidate' as const), at: fc.integer({ min: 0, max: 5_000 }), staleFor: fc.constant(undefined) }),
  },
)

interface CallRecord {
  readonly invalidationsBefore: number
  readonly startedAt: number
  readonly computeMs: number
  result?: E.Either<unknown, Value>
  outcome?: Outcome['_tag']
  finishedAt?: number
}

/** Runs a schedule of calls and invalidations (an invalidation first moves the source on). */
const runSchedule = async (actions: ReadonlyArray<Action>, seed: number, options: Omit<GetOrComputeOptions, 'onOutcome'>, latencyMs: number) => {
  const clock = makeClock()
  const server = makeServer<Value>(clock, { latencyMs })
  const source = makeSource(clock)
  const stampede = makeStampede(server.ops, schedulerOn(clock, seeded(seed)))
  let invalidationsDone = 0
  const calls: Array<CallRecord> = []
  const work = actions.map(async (each) => {
    await clock.sleep(each.at)
    if (each._tag === 'Invalidate') {
      source.state.version++
      const version = source.state.version
      const done = await stampede.invalidate('k', { ...(each.staleFor === undefined ? {} : { staleFor: each.staleFor }) })()
      expect(E.isRight(done)).toBe(true)
      invalidationsDone = Math.max(invalidationsDone, version)
      return
    }
    const record: CallRecord = { invalidationsBefore: invalidationsDone, startedAt: clock.now(), computeMs: each.computeMs }
    calls.push(record)
    record.result = await stampede.getOrCompute('k', source.compute(each.computeMs), {
      ...options,
      onOutcome: (outcome) => {
        record.outcome = outcome._tag
      },
    })()
    record.finishedAt = clock.now()
  })
  await clock.run(Promise.all(work))
  return { clock, server, source, stampede, calls }
}

describe('properties', () => {
  it('compute runs exactly once per win, at most once per fill and per invalidation; no caller gets a value older than an invalidation it started after, unless served stale', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), fc.integer(), fc.integer({ min: 0, max: 20 }), async (actions, seed, latencyMs) => {
        const options = { ttl: 3_600, lockTtl: 10 } as const
        const { clock, server, source, stampede, calls } = await runSchedule(actions, seed, options, latencyMs)
        // every win, and only a win, runs compute (maxWait is the lock's life, and computes are shorter)
        expect(source.state.runs).toBe(server.counts.wins)
        // one fill, then one recompute per invalidation that found an item
        expect(server.counts.wins).toBeLessThanOrEqual(1 + server.counts.invalidated)
        for (const call of calls) {
          expect(call.result !== undefined && E.isRight(call.result)).toBe(true)
          if (call.result === undefined || E.isLeft(call.result)) continue
          if (call.outcome !== 'Stale') expect(call.result.right.version).toBeGreaterThanOrEqual(call.invalidationsBefore)
          // bounded: no caller waits beyond the lock's life (computes are shorter) plus its own compute and round trips
          expect((call.finishedAt ?? Infinity) - call.startedAt).toBeLessThanOrEqual(10_000 + call.computeMs + 3 * latencyMs + 500)
        }
        // quiescent: the cache never ends holding a fresh value older than the source
        const last = await clock.run(stampede.getOrCompute('k', source.compute(1), options)())
        expect(last).toMatchObject(E.right({ version: source.state.version }))
      }),
      { numRuns: 150 },
    )
  })

  it('with early recache and short TTLs: compute runs once per win, wins come only from fills, invalidations and recaches, and every caller is served fresh or stale', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 1, maxLength: 25 }),
        fc.integer(),
        fc.integer({ min: 2, max: 6 }),
        async (actions, seed, ttl) => {
          const options = { ttl, lockTtl: 5, recacheBefore: 1 } as const
          const { server, source, calls } = await runSchedule(actions, seed, options, 1)
          expect(source.state.runs).toBe(server.counts.wins)
          // wins come from stubs (fills), stale items (invalidations) and R (at most one per stored value)
          expect(server.counts.wins).toBeLessThanOrEqual(server.counts.stubs + server.counts.invalidated + server.counts.stored)
          for (const call of calls) {
            expect(call.result !== undefined && E.isRight(call.result)).toBe(true)
            if (call.result !== undefined && E.isRight(call.result) && call.outcome !== 'Stale')
              expect(call.result.right.version).toBeGreaterThanOrEqual(call.invalidationsBefore)
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
