/**
 * A bounded pool of resources of any kind (connections, mostly): `acquire`/`release`, or `use` to
 * borrow one for the length of an effect with the release guaranteed.
 *
 * - At most `maxSize` resources exist (idle, borrowed, or being created) at any time.
 * - A borrower finding no idle resource and no room waits in a FIFO queue; after `acquireTimeout`
 *   ms it gets `PoolExhausted`. A released resource goes straight to the oldest waiter.
 * - A borrower's `RequestContext` ends its wait too: when its signal fires it gets `Aborted`, when
 *   its deadline passes `Timeout`, and it leaves the queue (no resource is ever handed to it later).
 *   A context already aborted or past its deadline is answered at once, without acquiring.
 * - An idle resource is checked with `validate` when borrowed; one that fails is destroyed.
 * - `use` returns the resource, or destroys it when the effect failed with an error for which
 *   `destroyOnFailure` says so (by default: every failure — a resource in an unknown state is
 *   never lent again).
 * - Idle resources beyond `minIdle` are destroyed after `idleTimeout` ms unused, by one timer that
 *   never keeps the process alive (`unref`) and is cleared by `drain`.
 * - `drain` refuses new borrowers, fails the waiting ones, abandons creations in progress (the
 *   signal given to `create` fires), destroys idle resources, and resolves when every borrowed
 *   resource has come back and been destroyed.
 * - Resources are created on demand only: `minIdle` keeps resources from being reaped, it does not
 *   open any ahead of time.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as IO from 'fp-ts/lib/IO.js'
import type * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { emptyContext, interruption, watch, type RequestContext } from '../transport/context.js'
import { connectionClosed, type Aborted, type ConnectionClosed, type Timeout } from '../transport/error.js'
import { poolExhausted, type PoolExhausted } from './error.js'
import { MAX_TIMER_DELAY } from '../transport/timer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How a pool makes, checks and destroys its resources, and its bounds.
 *
 * @example
 * makePool({ create: connect({ server: '127.0.0.1:11211' }), destroy: (c) => c.close, maxSize: 4, acquireTimeout: 500 })
 * @category model
 */
export interface PoolOptions<E, R> {
  /**
   * Makes a new resource. A `TaskEither` does; one that takes the `signal` given to it should stop
   * when it fires (the pool is being drained) and answer at once, so that `drain` does not wait
   * for a creation nobody wants (a connect to a server that does not answer).
   */
  readonly create: (signal: AbortSignal) => Promise<E.Either<E, R>>
  /** Releases a resource for good (closes the connection). */
  readonly destroy: (resource: R) => T.Task<void>
  /** Whether an idle resource may still be lent (e.g. its socket is open). Default: always. */
  readonly validate?: (resource: R) => boolean
  /** Whether a resource whose `use` failed with `error` must be destroyed. Default: always. */
  readonly destroyOnFailure?: (error: E) => boolean
  /** Most resources at once, borrowed + idle + being created (at least 1). */
  readonly maxSize: number
  /** Idle resources the reaper always leaves alone. Default 0. */
  readonly minIdle?: number
  /** Ms an idle resource may stay unused before it is destroyed. Default 30 000; `Infinity` never. */
  readonly idleTimeout?: number
  /** Ms a borrower waits for a resource before `PoolExhausted`. Default 5000; `Infinity` (or more than a timer holds, 2³¹−1) waits forever. */
  readonly acquireTimeout?: number
  /** Named in errors: the node the pool connects to, say. Default `'pool'`. */
  readonly name?: string
  /** The clock idle ages are read with, in ms. Default `Date.now`. */
  readonly now?: () => number
}

/**
 * Counts at one moment. `size` = `idle` + `borrowed` + resources being created.
 *
 * @example
 * pool.stats() // { size: 3, idle: 1, borrowed: 2, waiting: 0 }
 * @category model
 */
export interface PoolStats {
  readonly size: number
  readonly idle: number
  readonly borrowed: number
  readonly waiting: number
}

/**
 * What a pool itself can fail with: no resource in time, the pool was drained, or the borrower's
 * context ended the wait (`Aborted`, `Timeout`).
 *
 * @example
 * const tag: PoolError['_tag'] = 'PoolExhausted'
 * @category model
 */
export type PoolError = PoolExhausted | ConnectionClosed | Aborted | Timeout

/**
 * A bounded pool of `R`s whose creation fails with `E`.
 *
 * @example
 * const acquired = await pool.acquire({ signal })()
 * if (E.isRight(acquired)) await pool.release(acquired.right)()
 * @category model
 */
export interface Pool<E, R> {
  /**
   * Borrows a resource: idle (validated), new, or the next one released, in FIFO order. The wait
   * ends with `Aborted` / `Timeout` when `context`'s signal fires or its deadline passes.
   */
  readonly acquire: (context?: RequestContext) => TE.TaskEither<E | PoolError, R>
  /** Gives a borrowed resource back (destroyed instead when the pool is draining). */
  readonly release: (resource: R) => T.Task<void>
  /** Destroys a borrowed resource instead of giving it back: it must not be lent again. */
  readonly discard: (resource: R) => T.Task<void>
  /** Borrows a resource for `f` (acquired within `context`); the resource is released or destroyed whatever `f` yields. */
  readonly use: <A>(f: (resource: R) => TE.TaskEither<E, A>, context?: RequestContext) => TE.TaskEither<E | PoolError, A>
  /** Stops lending, destroys every resource as it becomes idle, resolves when none is left. */
  readonly drain: T.Task<void>
  readonly stats: IO.IO<PoolStats>
}

interface Idle<R> {
  readonly resource: R
  readonly since: number
}

interface Waiter<E, R> {
  /** Answers the borrower and stops its timers and watch; called once, by whoever takes it out of the queue. */
  readonly settle: (result: E.Either<E | PoolError, R>) => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A pool; nothing is created until the first `acquire`.
 *
 * @example
 * const pool = makePool({ create: connect({ server: '127.0.0.1:11211' }), destroy: (c) => c.close, validate: (c) => c.isOpen(), maxSize: 4 })
 * const version = await pool.use((connection) => connection.send(Request.version, context), context)()
 * await pool.drain()
 * @category constructors
 */
export const makePool = <E, R>(options: PoolOptions<E, R>): Pool<E, R> => {
  const maxSize = Math.max(1, Math.floor(options.maxSize))
  const minIdle = Math.max(0, options.minIdle ?? 0)
  const idleTimeout = options.idleTimeout ?? 30_000
  const acquireTimeout = options.acquireTimeout ?? 5000
  const name = options.name ?? 'pool'
  const now = options.now ?? Date.now
  const validate = options.validate ?? (() => true)
  const destroyOnFailure = options.destroyOnFailure ?? (() => true)

  // Most recently used last: borrowers take from the end, the reaper from the front.
  const idle: Array<Idle<R>> = []
  const borrowed = new Set<R>()
  const waiters: Array<Waiter<E, R>> = []
  const destroying = new Set<Promise<void>>()
  let creating = 0
  let draining = false
  let drained: Promise<void> | undefined
  let onEmpty: (() => void) | undefined
  let reaper: ReturnType<typeof setTimeout> | undefined
  /** Given to every `create`; fires when the pool drains. */
  const abandonCreations = new AbortController()

  const size = (): number => idle.length + borrowed.size + creating

  const destroyNow = (resource: R): void => {
    const done = (async () => {
      try {
        await options.destroy(resource)()
      } catch {
        // A destroy that rejects still frees its slot; there is nobody to tell.
      }
    })()
    destroying.add(done)
    void done.then(() => {
      destroying.delete(done)
      checkEmpty()
    })
  }

  const checkEmpty = (): void => {
    if (draining && size() === 0 && onEmpty !== undefined) onEmpty()
  }

  const takeWaiter = (): Waiter<E, R> | undefined => waiters.shift()

  const lend = (resource: R): void => {
    const waiter = takeWaiter()
    if (waiter === undefined) {
      idle.push({ resource, since: now() })
      scheduleReap()
      return
    }
    borrowed.add(resource)
    waiter.settle(E.right(resource))
  }

  const create = async (): Promise<void> => {
    creating++
    let result: E.Either<E | PoolError, R>
    try {
      result = await options.create(abandonCreations.signal)
    } catch (thrown) {
      // create broke the TaskEither contract; the waiter still gets a value, not a rejection.
      result = E.left(connectionClosed(name, `creating a resource threw: ${String(thrown)}`))
    } finally {
      creating--
    }
    if (E.isLeft(result)) {
      // The slot is free again; the oldest waiter learns why its resource did not come.
      takeWaiter()?.settle(result)
      checkEmpty()
      dispatch()
    } else if (draining) {
      destroyNow(result.right)
    } else {
      lend(result.right)
    }
  }

  // Serves waiters from idle resources, then starts one creation per waiter still unserved.
  const dispatch = (): void => {
    while (waiters.length > 0) {
      const candidate = idle.pop()
      if (candidate === undefined) break
      if (validate(candidate.resource)) lend(candidate.resource)
      else destroyNow(candidate.resource)
    }
    while (waiters.length > creating && size() < maxSize) void create()
  }

  const reap = (): void => {
    reaper = undefined
    const cutoff = now() - idleTimeout
    while (idle.length > minIdle && (idle[0]?.since ?? Infinity) <= cutoff) {
      const oldest = idle.shift()
      if (oldest !== undefined) destroyNow(oldest.resource)
    }
    scheduleReap()
  }

  const scheduleReap = (): void => {
    if (reaper !== undefined || draining || !Number.isFinite(idleTimeout) || idle.length <= minIdle) return
    const oldest = idle[0]?.since ?? now()
    reaper = setTimeout(reap, Math.min(MAX_TIMER_DELAY, Math.max(0, oldest + idleTimeout - now())))
    reaper.unref()
  }

  const acquire =
    (context: RequestContext = emptyContext): TE.TaskEither<E | PoolError, R> =>
    () =>
      new Promise((resolve) => {
        if (draining) {
          resolve(E.left(connectionClosed(name, 'pool is drained')))
          return
        }
        const interrupted = interruption(context, ACQUIRE, name)
        if (interrupted !== undefined) {
          resolve(E.left(interrupted))
          return
        }
        let settled = false
        let timer: ReturnType<typeof setTimeout> | undefined
        // Replaced by the watch's stop below; until then (the watch may fire while being set) nothing to stop.
        let stopWatching = (): void => undefined
        const waiter: Waiter<E, R> = {
          settle: (result) => {
            settled = true
            if (timer !== undefined) clearTimeout(timer)
            stopWatching()
            resolve(result)
          },
        }
        // Out of the queue first, so that no resource can be handed to a borrower who left.
        const leave = (error: PoolError): void => {
          const index = waiters.indexOf(waiter)
          if (index < 0) return
          waiters.splice(index, 1)
          waiter.settle(E.left(error))
        }
        waiters.push(waiter)
        // Beyond Node's timer range a timer would fire at once: such a timeout means waiting for good.
        if (acquireTimeout <= MAX_TIMER_DELAY) timer = setTimeout(() => leave(poolExhausted(acquireTimeout)), acquireTimeout)
        stopWatching = watch(context, ACQUIRE, name, leave)
        if (!settled) dispatch()
      })

  const release =
    (resource: R): T.Task<void> =>
    async () => {
      if (!borrowed.delete(resource)) return
      if (draining) destroyNow(resource)
      else if (validate(resource)) lend(resource)
      else {
        destroyNow(resource)
        dispatch()
      }
    }

  const discard =
    (resource: R): T.Task<void> =>
    async () => {
      if (!borrowed.delete(resource)) return
      destroyNow(resource)
      dispatch()
    }

  const use = <A>(f: (resource: R) => TE.TaskEither<E, A>, context?: RequestContext): TE.TaskEither<E | PoolError, A> =>
    TE.bracketW(
      acquire(context),
      // If f breaks its promise and rejects, the resource is destroyed before the rejection goes on.
      (resource) => () =>
        f(resource)().catch(async (thrown: unknown) => {
          await discard(resource)()
          throw thrown
        }),
      (resource, result) => TE.fromTask(E.isLeft(result) && destroyOnFailure(result.left) ? discard(resource) : release(resource)),
    )

  const drain: T.Task<void> = () => {
    drained ??= (async () => {
      draining = true
      if (reaper !== undefined) clearTimeout(reaper)
      reaper = undefined
      for (let waiter = takeWaiter(); waiter !== undefined; waiter = takeWaiter()) {
        waiter.settle(E.left(connectionClosed(name, 'pool is drained')))
      }
      for (const entry of idle.splice(0)) destroyNow(entry.resource)
      abandonCreations.abort(`${name} is drained`)
      if (size() > 0) await new Promise<void>((resolve) => (onEmpty = resolve))
      while (destroying.size > 0) await Promise.all([...destroying])
    })()
    return drained
  }

  return {
    acquire,
    release,
    discard,
    use,
    drain,
    stats: () => ({ size: size(), idle: idle.length, borrowed: borrowed.size, waiting: waiters.length }),
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** The request named in the errors of an interrupted acquire. */
const ACQUIRE = 'acquire'
