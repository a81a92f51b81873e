/**
 * Stampede protection on memcached's own meta mechanics: `getOrCompute` runs an expensive
 * computation once per fill, per early recache and per invalidation, however many callers (in
 * however many processes) ask for the key at once; `invalidate` marks a value stale so that one
 * reader recomputes it while the others keep being served the stale value.
 *
 * The algorithm is written against `StampedeOps`, the three server operations it needs (one `mg`,
 * one `ms`, one `md`), so it can be proven against a model and wired to the meta codec apart.
 *
 * ## What memcached does (doc/protocol.txt and proto_parser.c / memcached.c of memcached 1.6)
 *
 * - `mg <key> v c N<lockTtl> R<recacheBefore>` on a **miss** creates a stub item: 0 bytes of data,
 *   client flags 0, TTL `lockTtl`, and answers it as a hit with the `W` flag (`VA 0 c<cas> W`):
 *   this caller won the right to fill the key. Every later `mg` sees the same stub as a **hit with
 *   an empty value and `Z`** (`VA 0 c<cas> Z`), not `EN`: "another caller already won". The stub
 *   is the lock; it is released by the winner's write (a new item replaces it) or by expiring
 *   after `lockTtl` seconds. `EN` with `N` only happens when the stub cannot be allocated.
 * - `R<recacheBefore>` on a hit whose remaining TTL is below the token (and whose TTL is not
 *   unlimited, and that has not sent a win yet) answers `W` to exactly one caller; later callers
 *   get the value with `Z`. The token stays on the item until it is replaced or expires (which is
 *   soon: its remaining TTL was under `recacheBefore`). An item stored with TTL 0 never wins by `R`.
 * - `md <key> I T<staleFor>` does not delete: it marks the item stale, **bumps its CAS**, clears
 *   the "win sent" mark and (with `T`) sets its remaining TTL. The next `mg` gets the old value
 *   with `X` and `W` (the stale item hands out a win to the first reader, even without `N`/`R`);
 *   later readers get `X` and `Z`. A stub can be invalidated too: then the next reader gets an
 *   empty value with `X W`.
 * - `ms <key> ... C<cas>` stores only if the item's CAS is still `<cas>`; the winner holds the CAS
 *   its `mg` returned, which is the CAS after any invalidation it saw, so **the winner of a stale
 *   item does store** (CAS match), and the new item carries neither the stale mark nor the win
 *   mark. If anything changed the item in between (an `md I` bumped the CAS, another `ms` replaced
 *   it, the stub expired and was re-created) the answer is `EX`, or `NF` when the item is gone: the
 *   invalidation is never overwritten. (`ms ... I` with `C` would instead store an older-CAS value
 *   *marked stale*; not used here: a conflict already leaves the item stale, and the next reader
 *   wins and recomputes from the newer source.)
 *
 * ## What `getOrCompute` does with each answer
 *
 * | `mg` answer                  | meaning                                  | getOrCompute                       |
 * | ---------------------------- | ---------------------------------------- | ---------------------------------- |
 * | value, no flags              | fresh hit                                | serve it                           |
 * | value, `Z` (maybe `X`)       | another caller recomputes                | serve it (stale if `X`) at once    |
 * | `W` (value or stub, any `X`) | this caller won: fill, recache or refresh | compute once, write with `C<cas>`, return the computed value |
 * | stub (no value), no `W`      | another caller fills the key             | wait (bounded, jittered backoff), look again |
 *
 * The winner returns what it computed even when the write-back is refused: its value is the
 * newest there is; only the cache keeps the invalidation.
 *
 * ## Decisions
 *
 * - **After the bounded wait** (`maxWait`, by default twice `lockTtl`), a caller that
 *   still found no value fails with `LockWaitExceeded` (default, `afterWait: 'fail'`) or, opted in
 *   with `afterWait: 'compute'`, computes without writing (it holds no win and no CAS: a write
 *   would break another caller's lock). Failing is the default because the lock exists to shield
 *   the source, and a waiter that computes adds load exactly when the source is slowest. The
 *   default wait outlasts a winner that died: its stub expires after `lockTtl`, one waiter wins
 *   and fills within another `lockTtl`, and the rest are served. (A default of one `lockTtl` was
 *   tried: every waiter but the new winner gave up at the moment the lock changed hands.)
 * - **A failing `compute`** (a `Left`, a throw, a rejection) is returned as a typed `Left`
 *   (`ComputeFailed` / `ComputeThrew`, with the value the cache held so the caller may serve it).
 *   The lock is not released early: the stub expires after `lockTtl`, a recache or stale win when
 *   its item expires. Releasing it at once would hand the next caller a win against a source that
 *   just failed, so every caller would hit it in turn; holding it keeps failures to one per lock.
 * - **The winner computes and returns the new value** (for a recache and a stale win as well as a
 *   fill) rather than returning the old value and refreshing in the background: no work outlives
 *   the call, and a caller never waits on work it did not start. Everyone else is served at once.
 * - **`compute` is not interrupted**: the caller's signal and deadline stop waiting and lookups at
 *   once; a signal or deadline that fires during `compute` is answered when it ends, without the
 *   write-back (the transport would refuse it anyway); the lock then expires after `lockTtl`.
 * - **`staleFor` belongs to `invalidate`** (it is `md I`'s `T`): how long a stale value may still
 *   be served while one reader recomputes. Without it the item keeps its TTL.
 * - **Invalidate after the source changed**: update the source first, then `invalidate`; a reader
 *   that wins after the invalidation reads the new source. (The other order has the classic race.)
 * - **Values of 0 bytes** cannot be told from a stub; `viaSerde` refuses to write one.
 * - A lookup or invalidate that fails (server down) is the `Left` it is: with no cache there is no
 *   lock, and computing anyway would be the stampede this module exists to prevent.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { MemcacheError } from '../error.js'
import { invalidArgument, type InvalidArgument } from '../protocol/error.js'
import type { SerdeError } from '../serde/error.js'
import type { Encoded, Serde } from '../serde/serde.js'
import { emptyContext, interruption, remainingMs, toContext, type CallOptions, type RequestContext } from '../transport/context.js'
import { timerDelay } from '../transport/timer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What one `mg <key> v c N<lockTtl> R<recacheBefore>` tells.
 *
 * @example
 * // a vivified stub this caller won (`VA 0 c17 W`):
 * const won: Lookup<string> = { value: O.none, cas: 17n, win: true, stale: false, alreadyWon: false }
 * @category model
 */
export interface Lookup<A> {
  /** The item's value; `none` for a vivified stub (0 bytes of data) or when there is no item (`EN`). */
  readonly value: O.Option<A>
  /** The item's CAS (`c`); `undefined` only when there is no item at all (`EN`). */
  readonly cas: bigint | undefined
  /** `W`: this caller won the right to (re)compute the value. */
  readonly win: boolean
  /** `X`: the item was invalidated (`md I`); its value may still be served while one recomputes. */
  readonly stale: boolean
  /** `Z`: another caller already won; it is (re)computing the value. */
  readonly alreadyWon: boolean
}

/**
 * The three server operations `getOrCompute` and `invalidate` stand on. Each takes the caller's
 * context and must honour it as every layer does.
 *
 * @example
 * // the meta commands over a transport (stampede-meta.ts): mg v c f N R / ms T C / md I T
 * const ops: StampedeOps<Encoded> = metaStampedeOps(client.transport)
 * @category model
 */
export interface StampedeOps<A> {
  /** `mg <key> v c N<lockTtl>` and, when `recacheBefore > 0`, `R<recacheBefore>`. */
  readonly lookup: (key: string, params: LookupParams, context: RequestContext) => TE.TaskEither<MemcacheError, Lookup<A>>
  /** `ms <key> T<ttl> C<cas>`: `conflict` for `EX` and `NF` (the item changed or went since the lookup), and `NS`. */
  readonly store: (key: string, value: A, params: StoreParams, context: RequestContext) => TE.TaskEither<MemcacheError, StoreResult>
  /** `md <key> I` and, with `staleFor`, `T<staleFor>`: `true` if an item was marked stale, `false` for `NF`. */
  readonly invalidate: (key: string, params: InvalidateParams, context: RequestContext) => TE.TaskEither<MemcacheError, boolean>
}

/**
 * What `lookup` sends besides the key (seconds).
 * @example
 * const params: LookupParams = { lockTtl: 30, recacheBefore: 10 } // mg <key> v c N30 R10
 * @category model
 */
export interface LookupParams {
  readonly lockTtl: number
  /** 0: no `R` flag. */
  readonly recacheBefore: number
}

/**
 * What `store` sends besides the key and value.
 * @example
 * const params: StoreParams = { ttl: 300, cas: 17n } // ms <key> <size> T300 C17
 * @category model
 */
export interface StoreParams {
  /** Seconds; 0: never expires. */
  readonly ttl: number
  readonly cas: bigint
}

/**
 * What `invalidate` sends besides the key.
 * @example
 * const params: InvalidateParams = { staleFor: 60 } // md <key> I T60
 * @category model
 */
export interface InvalidateParams {
  /** Seconds the stale item may still live; `undefined`: no `T`, it keeps its TTL. */
  readonly staleFor: number | undefined
}

/**
 * The outcome of a compare-cas write.
 * @example
 * const refused: StoreResult = 'conflict' // EX or NF: invalidated, replaced or gone since the lookup
 * @category model
 */
export type StoreResult = 'stored' | 'conflict'

/**
 * How a wait between lookups grows: doubling from `initialMs` up to `maxMs`, with jitter.
 * @example
 * const backoff: Backoff = { initialMs: 10, maxMs: 500 }
 * @category model
 */
export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
}

/**
 * How `getOrCompute` ended, told to `onOutcome` (for metrics and tests).
 * @example
 * const onOutcome = (outcome: Outcome) => outcome._tag === 'Stale' && staleServed.inc()
 * @category model
 */
export type Outcome =
  | { readonly _tag: 'Hit'; readonly lookups: number }
  | { readonly _tag: 'Stale'; readonly lookups: number }
  | { readonly _tag: 'Computed'; readonly lookups: number; readonly write: StoreResult | MemcacheError | 'skipped' }
  | { readonly _tag: 'ComputedWithoutLock'; readonly lookups: number }
  | { readonly _tag: 'Failed'; readonly lookups: number }

/**
 * The options of one `getOrCompute` call. Seconds for what memcached counts, milliseconds for waits.
 * @example
 * const options: GetOrComputeOptions = { ttl: 300, lockTtl: 10, recacheBefore: 30, maxWait: 2_000, timeout: 5_000 }
 * @category model
 */
export interface GetOrComputeOptions extends CallOptions {
  /** Seconds the computed value lives (integer, up to 30 days); 0 means no expiry (and no early recache). */
  readonly ttl: number
  /** Seconds the fill lock (the vivified stub) lives at most (integer ≥ 1; default 30). Make it longer than `compute` takes. */
  readonly lockTtl?: number
  /** Seconds before expiry when one caller recomputes while the others are served (integer, below `ttl`; default 0: off). */
  readonly recacheBefore?: number
  /**
   * Milliseconds a caller waits for another's fill before `afterWait` (default twice `lockTtl`: a
   * dead winner's lock expires after `lockTtl`, and the next winner's fill takes up to `lockTtl`).
   */
  readonly maxWait?: number
  /** The wait between lookups (default 10 ms doubling up to 500 ms). */
  readonly backoff?: Backoff
  /** After `maxWait`: fail with `LockWaitExceeded` (default) or compute without writing. */
  readonly afterWait?: 'fail' | 'compute'
  /** Told how the call ended. Exceptions it throws are ignored. */
  readonly onOutcome?: (outcome: Outcome) => void
}

/**
 * The options of `invalidate`.
 * @example
 * const options: InvalidateOptions = { staleFor: 60, timeout: 200 }
 * @category model
 */
export interface InvalidateOptions extends CallOptions {
  /** Seconds the stale value may still be served while one reader recomputes (integer ≥ 1; default: its TTL). */
  readonly staleFor?: number
}

/**
 * The winner's `compute` answered a `Left`.
 * @example
 * // { _tag: 'ComputeFailed', key: 'page:/', error: 'database down', previous: some('<old page>'), message }
 * @category model
 */
export interface ComputeFailed<E, A> {
  readonly _tag: 'ComputeFailed'
  readonly key: string
  readonly error: E
  /** The value the cache held (a recache or stale win), which the caller may serve instead. */
  readonly previous: O.Option<A>
  readonly message: string
}

/**
 * The winner's `compute` threw or its promise rejected.
 * @example
 * // { _tag: 'ComputeThrew', key: 'page:/', thrown: new Error('boom'), previous: none, message }
 * @category model
 */
export interface ComputeThrew<A> {
  readonly _tag: 'ComputeThrew'
  readonly key: string
  readonly thrown: unknown
  readonly previous: O.Option<A>
  readonly message: string
}

/**
 * Another caller held the fill lock for longer than `maxWait`.
 * @example
 * // { _tag: 'LockWaitExceeded', key: 'page:/', waitedMs: 2004, lookups: 12, message }
 * @category model
 */
export interface LockWaitExceeded {
  readonly _tag: 'LockWaitExceeded'
  readonly key: string
  readonly waitedMs: number
  readonly lookups: number
  readonly message: string
}

/**
 * Every `Left` of `getOrCompute`.
 * @example
 * const status = (error: GetOrComputeError<string, string>): number => (error._tag === 'LockWaitExceeded' ? 503 : 500)
 * @category model
 */
export type GetOrComputeError<E, A> = MemcacheError | ComputeFailed<E, A> | ComputeThrew<A> | LockWaitExceeded

/**
 * Time and chance, injected so tests run on a model clock.
 * @example
 * const scheduler: Scheduler = { ...realScheduler, random: () => 0.5 } // no jitter
 * @category model
 */
export interface Scheduler {
  /** Milliseconds, on the clock `RequestContext.deadline` is on. */
  readonly now: () => number
  /** Resolves after `ms`, or early once `signal` fires. Never rejects. */
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>
  /** In [0, 1). */
  readonly random: () => number
}

/**
 * `getOrCompute` and `invalidate` bound to one set of ops.
 * @example
 * const { getOrCompute, invalidate }: Stampede<string> = makeStampede(ops)
 * @category model
 */
export interface Stampede<A> {
  readonly getOrCompute: <E>(key: string, compute: TE.TaskEither<E, A>, options: GetOrComputeOptions) => TE.TaskEither<GetOrComputeError<E, A>, A>
  readonly invalidate: (key: string, options?: InvalidateOptions) => TE.TaskEither<MemcacheError, boolean>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The real clock: `Date.now`, `setTimeout` (cleared when the signal fires), `Math.random`.
 *
 * @example
 * const stampede = makeStampede(ops, realScheduler)
 * @category constructors
 */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const delay = timerDelay(ms)
      if (delay === undefined || signal?.aborted === true) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, delay)
      signal?.addEventListener('abort', done, { once: true })
    }),
}

/**
 * Stampede protection over `ops`: `getOrCompute` (see the module's documentation for what each
 * server answer leads to) and `invalidate`.
 *
 * @example
 * import * as TE from 'fp-ts/lib/TaskEither.js'
 * const { getOrCompute, invalidate } = makeStampede(ops)
 * const page = await getOrCompute('page:/', renderPage, { ttl: 300, recacheBefore: 30 })()
 * // after the source changed: one reader recomputes, the others are served the old page meanwhile
 * await invalidate('page:/', { staleFor: 60 })()
 * @category constructors
 */
export const makeStampede = <A>(ops: StampedeOps<A>, scheduler: Scheduler = realScheduler): Stampede<A> => ({
  getOrCompute: (key, compute, options) => getOrCompute(ops, scheduler)(key, compute, options),
  invalidate: (key, options) => invalidate(ops, scheduler)(key, options),
})

/**
 * `getOrCompute` alone (see `makeStampede`).
 *
 * @example
 * const cached = getOrCompute(ops)
 * await cached('user:1', loadUser('1'), { ttl: 60 })()
 * @category constructors
 */
export const getOrCompute =
  <A>(ops: StampedeOps<A>, scheduler: Scheduler = realScheduler) =>
  <E>(key: string, compute: TE.TaskEither<E, A>, options: GetOrComputeOptions): TE.TaskEither<GetOrComputeError<E, A>, A> =>
  async () => {
    const settings = settingsOf(options)
    if (E.isLeft(settings)) return settings
    const { ttl, lockTtl, recacheBefore, maxWait, backoff, afterWait } = settings.right
    const context = toContext(options, emptyContext, scheduler.now())
    const report = (outcome: Outcome): void => {
      try {
        options.onOutcome?.(outcome)
      } catch {
        // A metrics hook must not turn a served value into a failure.
      }
    }
    const started = scheduler.now()
    let lookups = 0
    for (let attempt = 0; ; attempt++) {
      const stop = interruption(context, 'getOrCompute', 'stampede', scheduler.now())
      if (stop !== undefined) return E.left(stop)
      const looked = await ops.lookup(key, { lockTtl, recacheBefore }, context)()
      lookups++
      if (E.isLeft(looked)) return looked
      const found = looked.right
      if (found.win) {
        const computed = await runCompute(key, compute, found.value)
        if (E.isLeft(computed)) {
          report({ _tag: 'Failed', lookups })
          return computed
        }
        const late = interruption(context, 'getOrCompute', 'stampede', scheduler.now())
        if (late !== undefined) {
          report({ _tag: 'Failed', lookups })
          return E.left(late)
        }
        const write = await writeBack(ops, key, computed.right, ttl, found.cas, context)
        report({ _tag: 'Computed', lookups, write })
        return computed
      }
      if (O.isSome(found.value)) {
        report({ _tag: found.stale ? 'Stale' : 'Hit', lookups })
        return E.right(found.value.value)
      }
      // Nothing to serve and no win: another caller is filling the key (or the stub could not be made).
      const waited = scheduler.now() - started
      if (waited >= maxWait) {
        if (afterWait === 'fail') {
          report({ _tag: 'Failed', lookups })
          return E.left(lockWaitExceeded(key, waited, lookups))
        }
        const computed = await runCompute(key, compute, O.none)
        report(E.isRight(computed) ? { _tag: 'ComputedWithoutLock', lookups } : { _tag: 'Failed', lookups })
        return computed
      }
      const delay = Math.min(jittered(backoff, attempt, scheduler.random()), maxWait - waited, Math.max(0, remainingMs(context, scheduler.now())))
      await scheduler.sleep(delay, context.signal)
    }
  }

/**
 * `invalidate` alone (see `makeStampede`): `md <key> I T<staleFor>`. `true` when an item was
 * marked stale, `false` when there was none.
 *
 * @example
 * await invalidate(ops)('user:1', { staleFor: 30 })()
 * @category constructors
 */
export const invalidate =
  <A>(ops: StampedeOps<A>, scheduler: Scheduler = realScheduler) =>
  (key: string, options: InvalidateOptions = {}): TE.TaskEither<MemcacheError, boolean> => {
    const { staleFor } = options
    if (staleFor !== undefined && !isSeconds(staleFor, 1)) return TE.left(invalidArgument('staleFor', secondsReason(staleFor, 1)))
    return (): Promise<E.Either<MemcacheError, boolean>> => {
      const context = toContext(options, emptyContext, scheduler.now())
      const stop = interruption(context, 'invalidate', 'stampede', scheduler.now())
      return stop !== undefined ? Promise.resolve(E.left(stop)) : ops.invalidate(key, { staleFor }, context)()
    }
  }

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Ops over typed values from ops over what memcached stores. A value of 0 bytes is a vivified
 * stub (`none`), so writing a value that serializes to 0 bytes is refused (`InvalidArgument`; the
 * caller still gets its computed value). A value the serde cannot read is `none` for a winner
 * (which overwrites it) and a `SerdeError` for anyone else.
 *
 * @example
 * import { json } from '../serde/json.js'
 * const users = makeStampede(viaSerde(json)(bytesOps))
 * @category combinators
 */
export const viaSerde =
  <A>(serde: Serde<A>) =>
  (ops: StampedeOps<Encoded>): StampedeOps<A> => ({
    lookup: (key, params, context) =>
      pipe(
        ops.lookup(key, params, context),
        TE.chainEitherKW((found): E.Either<SerdeError, Lookup<A>> => {
          if (O.isNone(found.value) || found.value.value.bytes.length === 0) return E.right({ ...found, value: O.none })
          const decoded = serde.deserialize(found.value.value)
          if (E.isRight(decoded)) return E.right({ ...found, value: O.some(decoded.right) })
          return found.win ? E.right({ ...found, value: O.none }) : decoded
        }),
      ),
    store: (key, value, params, context) =>
      pipe(
        TE.fromEither(serde.serialize(value)),
        TE.chainW((encoded) =>
          encoded.bytes.length === 0
            ? TE.left<MemcacheError, StoreResult>(emptyValue)
            : ops.store(key, encoded, params, context),
        ),
      ),
    invalidate: ops.invalidate,
  })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const THIRTY_DAYS = 60 * 60 * 24 * 30
const DEFAULT_LOCK_TTL = 30
const DEFAULT_BACKOFF: Backoff = { initialMs: 10, maxMs: 500 }

const emptyValue: InvalidArgument = invalidArgument(
  'value',
  'it serializes to 0 bytes, which memcached uses for a vivified stub (a fill in progress): store a non-empty encoding',
)

interface Settings {
  readonly ttl: number
  readonly lockTtl: number
  readonly recacheBefore: number
  readonly maxWait: number
  readonly backoff: Backoff
  readonly afterWait: 'fail' | 'compute'
}

// Memcached reads an exptime over 30 days as a unix time: a relative TTL above it would be a date in 1970.
const isSeconds = (value: number, min: number): boolean => Number.isInteger(value) && value >= min && value <= THIRTY_DAYS

const secondsReason = (value: number, min: number): string =>
  `must be whole seconds in ${min}..${THIRTY_DAYS} (memcached reads more than 30 days as a unix time), got ${String(value)}`

const isMilliseconds = (value: number, min: number): boolean => typeof value === 'number' && Number.isFinite(value) && value >= min

const settingsOf = (options: GetOrComputeOptions): E.Either<InvalidArgument, Settings> => {
  const { ttl, lockTtl = DEFAULT_LOCK_TTL, recacheBefore = 0, backoff = DEFAULT_BACKOFF, afterWait = 'fail' } = options
  if (!isSeconds(ttl, 0)) return E.left(invalidArgument('ttl', secondsReason(ttl, 0)))
  if (!isSeconds(lockTtl, 1)) return E.left(invalidArgument('lockTtl', secondsReason(lockTtl, 1)))
  if (!isSeconds(recacheBefore, 0)) return E.left(invalidArgument('recacheBefore', secondsReason(recacheBefore, 0)))
  if (recacheBefore > 0 && ttl > 0 && recacheBefore >= ttl)
    return E.left(invalidArgument('recacheBefore', `must be below ttl (${ttl}), or every read after a fill would recompute; got ${recacheBefore}`))
  // A dead winner's stub lives lockTtl; the waiter that wins after it then computes for up to lockTtl.
  const maxWait = options.maxWait ?? 2 * lockTtl * 1000
  if (!isMilliseconds(maxWait, 0)) return E.left(invalidArgument('maxWait', `must be finite milliseconds ≥ 0, got ${String(maxWait)}`))
  if (!isMilliseconds(backoff.initialMs, Number.MIN_VALUE) || !isMilliseconds(backoff.maxMs, backoff.initialMs))
    return E.left(invalidArgument('backoff', `needs finite milliseconds 0 < initialMs ≤ maxMs, got ${String(backoff.initialMs)} and ${String(backoff.maxMs)}`))
  if (afterWait !== 'fail' && afterWait !== 'compute') return E.left(invalidArgument('afterWait', `must be 'fail' or 'compute', got ${String(afterWait)}`))
  return E.right({ ttl, lockTtl, recacheBefore, maxWait, backoff, afterWait })
}

/**
 * The wait before lookup `attempt + 1`: half the doubled step plus a random half, so waiters that
 * started together spread out instead of looking again in lockstep.
 *
 * @example
 * jittered({ initialMs: 10, maxMs: 500 }, 3, 0.5) // 60: step 80, between 40 and 80
 * @category utils
 */
export const jittered = (backoff: Backoff, attempt: number, random: number): number => {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 52))
  return step / 2 + (step / 2) * random
}

const runCompute = async <E, A>(key: string, compute: TE.TaskEither<E, A>, previous: O.Option<A>): Promise<E.Either<ComputeFailed<E, A> | ComputeThrew<A>, A>> => {
  try {
    const result = await compute()
    return E.isRight(result) ? result : E.left(computeFailed(key, result.left, previous))
  } catch (thrown) {
    return E.left(computeThrew(key, thrown, previous))
  }
}

const writeBack = async <A>(
  ops: StampedeOps<A>,
  key: string,
  value: A,
  ttl: number,
  cas: bigint | undefined,
  context: RequestContext,
): Promise<StoreResult | MemcacheError | 'skipped'> => {
  // A win always comes with an item, hence a CAS; without one an unguarded write could overwrite an invalidation.
  if (cas === undefined) return 'skipped'
  const stored = await ops.store(key, value, { ttl, cas }, context)()
  return E.isRight(stored) ? stored.right : stored.left
}

const describeThrown = (thrown: unknown): string => (thrown instanceof Error ? thrown.message : typeof thrown === 'string' ? thrown : typeof thrown)

const computeFailed = <E, A>(key: string, error: E, previous: O.Option<A>): ComputeFailed<E, A> => ({
  _tag: 'ComputeFailed',
  key,
  error,
  previous,
  message: `computing ${key} failed; the lock stays until it expires, so the next caller does not retry at once`,
})

const computeThrew = <A>(key: string, thrown: unknown, previous: O.Option<A>): ComputeThrew<A> => ({
  _tag: 'ComputeThrew',
  key,
  thrown,
  previous,
  message: `computing ${key} threw (${describeThrown(thrown)}): compute should return a Left instead`,
})

const lockWaitExceeded = (key: string, waitedMs: number, lookups: number): LockWaitExceeded => ({
  _tag: 'LockWaitExceeded',
  key,
  waitedMs,
  lookups,
  message: `${key} was being filled by another caller for ${waitedMs} ms (${lookups} lookups): raise maxWait or set afterWait: 'compute'`,
})
