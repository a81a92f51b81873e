import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { makePool, type PoolOptions } from '../../src/pool/pool.js'
import { connectError, connectionClosed } from '../../src/transport/error.js'
import { invalidKey } from '../../src/protocol/error.js'
import { type MemcacheError } from '../../src/error.js'

interface Resource {
  readonly id: number
  valid: boolean
}

/** A pool of numbered fake resources, recording what was created and destroyed. */
const fakePool = (options: Partial<PoolOptions<MemcacheError, Resource>> & { readonly failCreate?: () => boolean } = {}) => {
  const created: Array<Resource> = []
  const destroyed: Array<number> = []
  let live = 0
  let peak = 0
  const pool = makePool<MemcacheError, Resource>({
    create: async () => {
      if (options.failCreate?.() === true) return E.left(connectError('fake:1', 'ECONNREFUSED', 'refused'))
      const resource = { id: created.length + 1, valid: true }
      created.push(resource)
      peak = Math.max(peak, ++live)
      return E.right(resource)
    },
    destroy: (resource) => async () => {
      live--
      destroyed.push(resource.id)
    },
    validate: (resource) => resource.valid,
    maxSize: 2,
    ...options,
  })
  return { pool, created, destroyed, peak: () => peak }
}

const ids = (results: ReadonlyArray<E.Either<unknown, Resource>>) => results.map((result) => (E.isRight(result) ? result.right.id : -1))

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

afterEach(() => {
  vi.useRealTimers()
})

describe('makePool', () => {
  it('creates resources on demand, up to maxSize, and reuses released ones', async () => {
    const { pool, created } = fakePool({ maxSize: 2 })
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
    const first = await pool.acquire()()
    const second = await pool.acquire()()
    expect(ids([first, second])).toEqual([1, 2])
    expect(pool.stats()).toEqual({ size: 2, idle: 0, borrowed: 2, waiting: 0 })
    if (E.isRight(first)) await pool.release(first.right)()
    expect(pool.stats()).toEqual({ size: 2, idle: 1, borrowed: 1, waiting: 0 })
    const again = await pool.acquire()()
    expect(ids([again])).toEqual([1])
    expect(created.length).toBe(2)
    for (const result of [again, second]) if (E.isRight(result)) await pool.release(result.right)()
    await pool.drain()
  })

  it('serves waiters first in, first out when the pool is full', async () => {
    const { pool } = fakePool({ maxSize: 1 })
    const held = await pool.acquire()()
    if (E.isLeft(held)) throw new Error('no resource')
    const order: Array<string> = []
    const waiting = ['a', 'b', 'c'].map((name) =>
      pool.acquire()().then(async (result) => {
        order.push(name)
        if (E.isRight(result)) await pool.release(result.right)()
      }),
    )
    await settle()
    expect(pool.stats().waiting).toBe(3)
    await pool.release(held.right)()
    await Promise.all(waiting)
    expect(order).toEqual(['a', 'b', 'c'])
    expect(pool.stats()).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })
    await pool.drain()
  })

  it('fails a waiter with PoolExhausted after acquireTimeout', async () => {
    vi.useFakeTimers()
    const { pool } = fakePool({ maxSize: 1, acquireTimeout: 250 })
    const held = await pool.acquire()()
    const waiter = pool.acquire()()
    await vi.advanceTimersByTimeAsync(250)
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'PoolExhausted', waited: 250 })))
    expect(pool.stats().waiting).toBe(0)
    if (E.isRight(held)) await pool.release(held.right)()
    await pool.drain()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('waits for good when acquireTimeout is beyond what a timer can hold', async () => {
    const { pool } = fakePool({ maxSize: 1, acquireTimeout: 2 ** 31 })
    const held = await pool.acquire()()
    let waited: E.Either<unknown, Resource> | undefined
    const waiter = pool.acquire()().then((result) => (waited = result))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(waited).toBeUndefined()
    if (E.isRight(held)) await pool.release(held.right)()
    const borrowed = await waiter
    expect(ids([borrowed])).toEqual([1])
    if (E.isRight(borrowed)) await pool.release(borrowed.right)()
    await pool.drain()
  })

  it('validates idle resources when they are borrowed, destroying the ones that fail', async () => {
    const { pool, destroyed } = fakePool({ maxSize: 2 })
    const first = await pool.acquire()()
    if (E.isLeft(first)) throw new Error('no resource')
    await pool.release(first.right)()
    first.right.valid = false
    const next = await pool.acquire()()
    expect(ids([next])).toEqual([2])
    await settle()
    expect(destroyed).toEqual([1])
    if (E.isRight(next)) await pool.release(next.right)()
    await pool.drain()
  })

  it('use: returns the resource after success, destroys it after a failure the predicate calls fatal', async () => {
    const { pool, destroyed } = fakePool({ maxSize: 1, destroyOnFailure: (error) => error._tag === 'ConnectionClosed' })
    expect(await pool.use((resource) => TE.right(resource.id))()).toEqual(E.right(1))
    expect(pool.stats()).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })

    const refused = invalidKey('a b', 'space at index 1')
    expect(await pool.use(() => TE.left(refused))()).toEqual(E.left(refused))
    expect(pool.stats().idle).toBe(1)
    expect(destroyed).toEqual([])

    const lost = connectionClosed('fake:1', 'was reset')
    expect(await pool.use(() => TE.left(lost))()).toEqual(E.left(lost))
    await settle()
    expect(destroyed).toEqual([1])
    expect(pool.stats().size).toBe(0)
    expect(await pool.use((resource) => TE.right(resource.id))()).toEqual(E.right(2))
    await pool.drain()
  })

  it('use: destroys every failed resource by default, and one whose effect rejects', async () => {
    const { pool, destroyed } = fakePool({ maxSize: 1 })
    await pool.use(() => TE.left(invalidKey('a b', 'space')))()
    await settle()
    expect(destroyed).toEqual([1])
    await expect(pool.use(() => () => Promise.reject(new Error('broken promise')))()).rejects.toThrow('broken promise')
    await settle()
    expect(destroyed).toEqual([1, 2])
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
    await pool.drain()
  })

  it('gives a waiter the error when the resource made for it cannot be created', async () => {
    let refuse = false
    const { pool } = fakePool({ maxSize: 1, failCreate: () => refuse })
    const held = await pool.acquire()()
    const waiter = pool.acquire()()
    refuse = true
    if (E.isRight(held)) await pool.discard(held.right)()
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
    refuse = false
    expect(await pool.use((resource) => TE.right(resource.id))()).toEqual(E.right(2))
    await pool.drain()
  })

  it('drain: fails waiters, destroys idle resources, and waits for borrowed ones', async () => {
    const { pool, destroyed } = fakePool({ maxSize: 2 })
    const kept = await pool.acquire()()
    const idle = await pool.acquire()()
    if (E.isLeft(kept) || E.isLeft(idle)) throw new Error('no resource')
    await pool.release(idle.right)()
    const third = await pool.acquire()()
    const waiter = pool.acquire()()
    await settle()
    let drained = false
    const draining = pool.drain().then(() => (drained = true))
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    expect(await pool.acquire()()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    await settle()
    expect(drained).toBe(false)
    await pool.release(kept.right)()
    await settle()
    expect(drained).toBe(false)
    if (E.isRight(third)) await pool.release(third.right)()
    await draining
    expect([...destroyed].sort()).toEqual([1, 2])
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
  })

  it('drain: abandons a creation in progress through the signal given to create, without waiting for it', async () => {
    let signalled: AbortSignal | undefined
    const pool = makePool<MemcacheError, Resource>({
      // A creation that never finishes unless abandoned: a connect to a server that never answers.
      create: (signal) =>
        new Promise((resolve) => {
          signalled = signal
          signal.addEventListener('abort', () => resolve(E.left(connectError('fake:1', 'EABORTED', 'abandoned'))), { once: true })
        }),
      destroy: () => async () => undefined,
      maxSize: 1,
    })
    const waiter = pool.acquire()()
    await settle()
    expect(pool.stats()).toEqual({ size: 1, idle: 0, borrowed: 0, waiting: 1 })
    await pool.drain()
    expect(signalled?.aborted).toBe(true)
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
  })

  it('drain: destroys a resource whose create ignored the signal and finished anyway', async () => {
    let finish: (resource: Resource) => void = () => undefined
    const destroyed: Array<number> = []
    const pool = makePool<MemcacheError, Resource>({
      create: () => new Promise((resolve) => (finish = (resource) => resolve(E.right(resource)))),
      destroy: (resource) => async () => {
        destroyed.push(resource.id)
      },
      maxSize: 1,
    })
    const waiter = pool.acquire()()
    await settle()
    let drained = false
    const draining = pool.drain().then(() => (drained = true))
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    await settle()
    expect(drained).toBe(false)
    finish({ id: 7, valid: true })
    await draining
    expect(destroyed).toEqual([7])
  })

  it('reaps idle resources beyond minIdle after idleTimeout with one timer, cleared by drain', async () => {
    vi.useFakeTimers()
    const { pool, destroyed } = fakePool({ maxSize: 3, minIdle: 1, idleTimeout: 1000 })
    const borrowed = [await pool.acquire()(), await pool.acquire()(), await pool.acquire()()]
    for (const result of borrowed) if (E.isRight(result)) await pool.release(result.right)()
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(destroyed).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect([...destroyed].sort()).toEqual([1, 2])
    expect(pool.stats()).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })
    // Only minIdle left: nothing to reap, so no timer.
    expect(vi.getTimerCount()).toBe(0)

    const again = await pool.acquire()()
    const extra = await pool.acquire()()
    if (E.isRight(again)) await pool.release(again.right)()
    if (E.isRight(extra)) await pool.release(extra.right)()
    expect(vi.getTimerCount()).toBe(1)
    await pool.drain()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('lets the process exit while idle resources wait to be reaped', () => {
    // A child process keeps one idle resource under a 10-minute idle timeout and simply ends: the
    // reaper's timer must not hold it (spawnSync's own limit turns a hang into a failure here).
    const script = [
      "import * as E from 'fp-ts/lib/Either.js'",
      "import { makePool } from './src/pool/pool.ts'",
      'const pool = makePool({ create: async () => E.right({}), destroy: () => async () => undefined, maxSize: 2, idleTimeout: 600_000 })',
      'const got = await pool.acquire()()',
      'if (E.isRight(got)) await pool.release(got.right)()',
      'console.log(JSON.stringify(pool.stats()))',
    ].join('\n')
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 })
    expect(child.signal).toBeNull()
    expect(child.status).toBe(0)
    expect(JSON.parse(child.stdout)).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })
  })

  it('never holds more than maxSize resources, and every borrower is served, whatever the order of events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        async (maxSize, borrowers) => {
          const { pool, peak } = fakePool({ maxSize })
          const results = await Promise.all(
            borrowers.map(([ticks, fails]) =>
              pool.use(
                () => async () => {
                  for (let i = 0; i < ticks; i++) await settle()
                  return fails ? E.left(connectionClosed('fake:1', 'lost')) : E.right(true)
                },
              )(),
            ),
          )
          expect(results.every((result) => (E.isLeft(result) ? result.left._tag === 'ConnectionClosed' : result.right))).toBe(true)
          expect(peak()).toBeLessThanOrEqual(maxSize)
          await pool.drain()
          expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('makePool: the request context', () => {
  it('answers an aborted signal at once, without creating or queueing anything', async () => {
    const { pool, created } = fakePool({ maxSize: 1 })
    const controller = new AbortController()
    controller.abort(new Error('page closed'))
    expect(await pool.acquire({ signal: controller.signal })()).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'page closed' })))
    expect(created).toEqual([])
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
    await pool.drain()
  })

  it('answers a deadline in the past with Timeout, without acquiring', async () => {
    const { pool, created } = fakePool({ maxSize: 1 })
    expect(await pool.acquire({ deadline: Date.now() - 1 })()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', node: 'pool' })))
    expect(created).toEqual([])
    expect(pool.stats()).toEqual({ size: 0, idle: 0, borrowed: 0, waiting: 0 })
    await pool.drain()
  })

  it('releases a waiting acquire when its signal fires, and takes it out of the queue', async () => {
    const { pool } = fakePool({ maxSize: 1 })
    const held = await pool.acquire()()
    if (E.isLeft(held)) throw new Error('no resource')
    const controller = new AbortController()
    const waiter = pool.acquire({ signal: controller.signal })()
    await settle()
    expect(pool.stats().waiting).toBe(1)
    controller.abort()
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', request: 'acquire' })))
    expect(pool.stats().waiting).toBe(0)
    await pool.release(held.right)()
    await pool.drain()
  })

  it('ends a wait when the deadline passes (fake clock), before acquireTimeout', async () => {
    vi.useFakeTimers()
    const { pool } = fakePool({ maxSize: 1, acquireTimeout: 10_000 })
    const held = await pool.acquire()()
    if (E.isLeft(held)) throw new Error('no resource')
    const waiter = pool.acquire({ deadline: Date.now() + 100 })()
    await vi.advanceTimersByTimeAsync(100)
    expect(await waiter).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', node: 'pool' })))
    expect(pool.stats().waiting).toBe(0)
    // Neither the acquire timer nor the deadline timer is left behind.
    expect(vi.getTimerCount()).toBe(0)
    await pool.release(held.right)()
    await pool.drain()
  })

  it('never hands a resource to a waiter that left: the next one gets it, nothing is leaked', async () => {
    const { pool, created, peak } = fakePool({ maxSize: 1 })
    const held = await pool.acquire()()
    if (E.isLeft(held)) throw new Error('no resource')
    const controller = new AbortController()
    const leaving = pool.acquire({ signal: controller.signal })()
    const staying = pool.acquire()()
    await settle()
    controller.abort()
    expect(E.isLeft(await leaving)).toBe(true)
    await pool.release(held.right)()
    expect(ids([await staying])).toEqual([1])
    expect(pool.stats()).toEqual({ size: 1, idle: 0, borrowed: 1, waiting: 0 })
    expect(created.length).toBe(1)
    expect(peak()).toBe(1)
    const again = await staying
    if (E.isRight(again)) await pool.release(again.right)()
    expect(pool.stats()).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })
    await pool.drain()
  })

  it('keeps a resource created for a waiter that left as idle, for the next borrower', async () => {
    let finishCreate: (() => void) | undefined
    const created: Array<number> = []
    const pool = makePool<MemcacheError, { readonly id: number }>({
      create: () =>
        new Promise((resolve) => {
          finishCreate = () => {
            created.push(created.length + 1)
            resolve(E.right({ id: created.length }))
          }
        }),
      destroy: () => async () => undefined,
      maxSize: 1,
    })
    const controller = new AbortController()
    const leaving = pool.acquire({ signal: controller.signal })()
    await settle()
    expect(pool.stats()).toEqual({ size: 1, idle: 0, borrowed: 0, waiting: 1 })
    controller.abort()
    expect(E.isLeft(await leaving)).toBe(true)
    finishCreate?.()
    await settle()
    expect(pool.stats()).toEqual({ size: 1, idle: 1, borrowed: 0, waiting: 0 })
    const next = await pool.acquire()()
    expect(E.isRight(next) ? next.right.id : -1).toBe(1)
    expect(created).toEqual([1])
    if (E.isRight(next)) await pool.release(next.right)()
    await pool.drain()
  })

  it('use: passes its context to the acquire', async () => {
    const { pool, created } = fakePool({ maxSize: 1 })
    const controller = new AbortController()
    controller.abort()
    let ran = false
    const outcome = await pool.use(() => {
      ran = true
      return TE.right(1)
    }, { signal: controller.signal })()
    expect(outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(ran).toBe(false)
    expect(created).toEqual([])
    await pool.drain()
  })
})
