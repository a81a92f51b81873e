/**
 * `withBatching`: concurrent `get`s become one multi-key `get`.
 *
 * Single- and multi-key `get` (and `gets`) requests sent within one batching window are merged into
 * one request for the union of their keys (each key asked once); the hits are fanned back out, each
 * caller receiving its own keys in its own order. An error of the merged request is every member's
 * error. Other requests pass straight through.
 *
 * Where it sits: `createClient` puts one per server, below the router (on by default): a merged
 * request goes to one server, so a server that fails or times out fails only the callers whose
 * keys it holds. Above a router it works too (the merged request is split again per node, one
 * round trip per node), but a failing node then fails every member of the batch.
 *
 * When it sends: with the default `window` of 0 it is eager, as Nagle's algorithm is for bytes.
 * - It gathers only under load: a batch takes at most an eighth of the callers it held at its
 *   recent peak (and at most `maxKeys`), so with a few callers every get goes on its own, as
 *   without batching, and a burst goes as eight requests at least. memcached answers them one by one,
 *   so the client reads one reply while the server works on the next; as one request, both sides
 *   would wait for each other.
 * - A get that finds the layer idle (nothing it sent unanswered, no batch gathering) goes at once
 *   when the last request it sent carried one caller, so gets that come one at a time wait for
 *   nothing. Right after a merged request was answered (the start of the next burst) it waits for
 *   the turn instead, so that the burst costs one write.
 * - Gathered gets go when the event loop turns (a `setImmediate`), or as soon as a batch is full.
 *
 * With `protocol: 'meta'` the merged request is a quiet meta batch instead (`mg <key> v f q`, with
 * `c` for `gets`, per key, closed by one `mn`: `Meta.metaBatch`), whose hits are fanned back out
 * as the same `Values` replies. A key the server refuses fails only the callers who asked for it.
 * Needs memcached 1.6+ (the connection asks the version once before its first meta request).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import * as Meta from '../protocol/meta.js'
import { collectByKey, valuesFor, type Item, type Reply } from '../protocol/reply.js'
import type { Get, Gets, Request } from '../protocol/request.js'
import { emptyContext, interruption, watch, type RequestContext } from '../transport/context.js'
import { connectionClosed, timeout } from '../transport/error.js'
import { timerDelay } from '../transport/timer.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `withBatching`: how long to gather requests and how many keys one batch holds.
 * @category model
 */
export interface BatchingOptions {
  /** Milliseconds to gather requests; 0 (default) gathers what is sent before the event loop turns. */
  readonly window?: number
  /**
   * Send a batch as soon as it names this many distinct keys. Default 16: not eager, 64
   * concurrent gets go as 4 requests, and the server answers one while the client reads the one
   * before (with `bench/profile.ts`, 64 in flight: 190k–250k gets/s, against 150k–170k as one
   * 64-key request). An eager layer may send smaller batches: see `eager`.
   */
  readonly maxKeys?: number
  /**
   * Whether to gather only under load (see the module documentation). Eager, a batch takes at
   * most an eighth of the callers the layer held at its recent peak (at most `maxKeys`): with a
   * few callers every get goes on its own. A get that finds the layer idle goes at once when the
   * last request sent carried one caller; after a merged request, the next get waits for the
   * turn, so that a burst (callers answered together, asking again together) costs one write.
   * Not eager, every get waits for the window and batches fill up to `maxKeys`. Default: `true`
   * when `window` is 0, `false` otherwise.
   */
  readonly eager?: boolean
  /**
   * How a batch is sent: `'text'` (default) as one multi-key `get`, `'meta'` as one quiet `mg`
   * batch (see the module documentation). The callers' requests and replies are the same.
   */
  readonly protocol?: 'text' | 'meta'
}

/** What a layer counts of its callers: those it holds (gathering or in flight), and their recent peak. */
interface Load {
  holding: number
  peak: number
}

interface Waiter {
  readonly keys: ReadonlyArray<string>
  readonly load: Load
  readonly context: RequestContext
  /** Whether the caller still waits for the batch: answered or gone, it is skipped. */
  waiting: boolean
  readonly resolve: (result: E.Either<MemcacheError, Reply>) => void
  /** Stops watching the caller's context (a no-op for an empty one). */
  stop: () => void
}

interface Batch {
  readonly keys: Set<string>
  /** In arrival order; those who left stay, marked (an array: no hashing per caller). */
  readonly waiters: Array<Waiter>
  /** How many waiters still wait. */
  present: number
  readonly cancel: () => void
  /** A waiter left before the batch was sent: its keys are recounted from those who stayed. */
  departed: boolean
  /** Fires when every waiter left while the batch is in flight; set only when all of them could. */
  abandon: AbortController | undefined
  /**
   * One timer for the members' deadlines (a client gives every command one), set for the
   * earliest: a member's deadline costs no timer of its own. Cleared once the batch is answered.
   */
  deadlineTimer: NodeJS.Timeout | undefined
  deadlineAt: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const isAboutOneRequest = (error: MemcacheError): boolean =>
  error._tag === 'InvalidKey' || error._tag === 'InvalidArgument' || error._tag === 'ClientError'

/** A caller who can leave before the batch answers: it has a signal or a deadline. */
const canLeave = (context: RequestContext): boolean => context.signal !== undefined || context.deadline !== undefined

/**
 * The context of a merged request: it must serve its longest-waiting member, so its deadline is
 * the latest of theirs (none if one of them has none) and its signal is `abandon`'s (which fires
 * once all of them left); it may be retried only as far as every member allows.
 */
const mergedContext = (waiters: ReadonlyArray<Waiter>, abandon: AbortSignal | undefined): RequestContext => {
  let deadline: number | undefined = -Infinity
  let retry: boolean | undefined = true
  for (const { context, waiting } of waiters) {
    if (!waiting) continue
    deadline = deadline === undefined || context.deadline === undefined ? undefined : Math.max(deadline, context.deadline)
    if (context.retry === false) retry = false
    else if (context.retry === undefined && retry === true) retry = undefined
  }
  if (deadline === -Infinity) deadline = undefined
  if (abandon === undefined && deadline === undefined) return retry === undefined ? emptyContext : { retry }
  return {
    ...(abandon === undefined ? {} : { signal: abandon }),
    ...(deadline === undefined ? {} : { deadline }),
    ...(retry === undefined ? {} : { retry }),
  }
}

/**
 * Whether a batch needs an `abandon` signal: only if every member can leave (otherwise someone
 * always waits) and one of them can leave by its signal. Members who can leave only by their
 * deadline are all gone by the latest one, which the merged request carries anyway: an
 * `AbortController` per batch (and the listener the connection adds to it) would buy nothing.
 */
const needsAbandon = (waiters: ReadonlyArray<Waiter>): boolean => {
  let signalled = false
  for (const { context, waiting } of waiters) {
    if (!waiting) continue
    if (!canLeave(context)) return false
    if (context.signal !== undefined) signalled = true
  }
  return signalled
}

const commandNames = { Get: 'get', Gets: 'gets' } as const

const noop = (): void => undefined

/** Answers a waiter once; later answers are dropped. */
const answer = (waiter: Waiter, result: E.Either<MemcacheError, Reply>): void => {
  if (!waiter.waiting) return
  waiter.waiting = false
  waiter.load.holding--
  waiter.stop()
  waiter.resolve(result)
}

const GET_FLAGS: Meta.MetaGetFlags = { returnValue: true, returnFlags: true }
const GETS_FLAGS: Meta.MetaGetFlags = { returnValue: true, returnFlags: true, returnCas: true }

/** What a meta batch found, as a text `get`'s items by key, and the keys the server refused. */
interface MetaHits {
  readonly found: ReadonlyMap<string, Item>
  readonly refused: ReadonlyMap<string, MemcacheError> | undefined
}

/** The members of a quiet `mg` batch for `keys` (answered in their order), as `get`'s items. */
const fromMetaBatch = (keys: ReadonlyArray<string>, reply: Meta.MetaBatchReply): MetaHits => {
  const found = new Map<string, Item>()
  let refused: Map<string, MemcacheError> | undefined
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string
    const member = reply.replies[index]
    if (member === undefined) continue
    if (member._tag === 'Failure') (refused ??= new Map()).set(key, member.error)
    else if (member.code === 'VA') {
      const { clientFlags, cas } = member.returned
      found.set(key, { key, flags: clientFlags ?? 0, value: member.value ?? EMPTY, ...(cas === undefined ? {} : { cas }) })
    }
  }
  return { found, refused }
}

/** The first error the server gave for one of `keys`, if any. */
const refusalOf = (keys: ReadonlyArray<string>, refused: ReadonlyMap<string, MemcacheError> | undefined): E.Either<MemcacheError, Reply> | undefined => {
  if (refused === undefined) return undefined
  for (const key of keys) {
    const error = refused.get(key)
    if (error !== undefined) return E.left(error)
  }
  return undefined
}

/** One caller's own meta batch, answered as its `get` would be. */
const ownAnswer = (keys: ReadonlyArray<string>, reply: Meta.MetaBatchReply): E.Either<MemcacheError, Reply> => {
  const hits = fromMetaBatch(keys, reply)
  return refusalOf(keys, hits.refused) ?? E.right(valuesFor(keys, hits.found))
}

const EMPTY = new Uint8Array(0)

/** An eager layer sends a burst of gets as this many requests at least (see `capacity`). */
const BURST_PARTS = 8

/** How slowly an eager layer's peak of callers falls: by 1/256 of the gap per caller. */
const PEAK_DECAY = 256

/**
 * Coalesces concurrent gets.
 *
 * Each caller's context is honoured on its own: a caller whose signal fires or whose deadline
 * passes, while its batch is gathering or in flight, is answered `Aborted` or `Timeout` at once
 * and the others in the batch are not affected. The merged request is not cut short by one
 * member's short deadline (see the merged context above); a batch every member left before it was
 * sent is not sent, and one they all left in flight is abandoned below (its signal fires).
 *
 * `close` cancels the batches still gathering (their timers released, their callers answered
 * `ConnectionClosed`: nothing is sent to a transport being closed); batches already sent are
 * answered by the layer below as it closes.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const batched = pipe(router, withBatching({ window: 1 }))
 * await Promise.all(['a', 'b', 'c'].map((key) => batched.send(Request.get([key]))())) // one `get a b c`
 * @category constructors
 */
export const withBatching =
  (options: BatchingOptions = {}): Middleware =>
  (inner) => {
    const window = options.window ?? 0
    const maxKeys = options.maxKeys ?? 16
    const eager = options.eager ?? window === 0
    const merged =
      options.protocol === 'meta'
        ? (tag: 'Get' | 'Gets', keys: ReadonlyArray<string>): Request => Meta.metaBatch(keys.map((key) => Meta.metaGet(key, tag === 'Gets' ? GETS_FLAGS : GET_FLAGS)))
        : (tag: 'Get' | 'Gets', keys: ReadonlyArray<string>): Request => ({ _tag: tag, keys })
    const open: { Get: Batch | undefined; Gets: Batch | undefined } = { Get: undefined, Gets: undefined }
    let closed = false
    /** Requests this layer sent (merged, or eager ones) that are not answered yet. */
    let inFlight = 0
    /**
     * Whether the last request sent carried one caller: gets come one at a time, and eagerness
     * saves each of them the wait. After a merged request, the first get of the next burst is
     * gathered with the rest instead of costing a write of its own.
     */
    let lastWasLone = true
    const load: Load = { holding: 0, peak: 0 }
    /** A caller came in: the peak follows a rise at once, and a fall slowly (over a few hundred callers). */
    const arrive = (): void => {
      const holding = ++load.holding
      load.peak = holding >= load.peak ? holding : load.peak - (load.peak - holding) / PEAK_DECAY
    }
    /**
     * The most keys a batch gathers now. Eager: the recent peak of callers over `BURST_PARTS`, so
     * that a burst goes as that many requests at least, which memcached answers one by one while
     * the client reads the one before (a single request would make both sides wait for each
     * other); never more than `maxKeys`. With a few callers it is 1: each get goes on its own, as
     * without batching. Not eager: `maxKeys`.
     */
    const capacity = (): number => (eager ? Math.max(1, Math.min(maxKeys, Math.ceil(load.peak / BURST_PARTS))) : maxKeys)

    const flush = (tag: 'Get' | 'Gets'): void => {
      const batch = open[tag]
      if (batch === undefined) return
      open[tag] = undefined
      batch.cancel()
      if (batch.departed) {
        batch.keys.clear()
        for (const waiter of batch.waiters) if (waiter.waiting) for (const key of waiter.keys) batch.keys.add(key)
      }
      if (needsAbandon(batch.waiters)) batch.abandon = new AbortController()
      const keys = [...batch.keys]
      inFlight++
      lastWasLone = batch.present <= 1
      void inner.send(merged(tag, keys), mergedContext(batch.waiters, batch.abandon?.signal))().then((result) => {
        inFlight--
        // Answered now (or resent per caller, each with its own context): no deadline to watch here.
        stopDeadlines(batch)
        if (E.isLeft(result) && isAboutOneRequest(result.left) && batch.present > 1) {
          // One caller's bad key must not fail the others: send each request on its own.
          for (const waiter of batch.waiters) {
            if (waiter.waiting) void inner.send(merged(tag, waiter.keys), waiter.context)().then((own) => answer(waiter, own._tag === 'Right' && own.right._tag === 'MetaBatchReply' ? ownAnswer(waiter.keys, own.right) : own))
          }
          return
        }
        const hits = E.isLeft(result) ? undefined : result.right._tag === 'Values' ? { found: collectByKey(result.right.items), refused: undefined } : result.right._tag === 'MetaBatchReply' ? fromMetaBatch(keys, result.right) : undefined
        if (hits === undefined) {
          for (const waiter of batch.waiters) answer(waiter, result)
          return
        }
        for (const waiter of batch.waiters) {
          if (waiter.waiting) answer(waiter, refusalOf(waiter.keys, hits.refused) ?? E.right(valuesFor(waiter.keys, hits.found)))
        }
      })
    }

    const schedule = (tag: 'Get' | 'Gets'): (() => void) => {
      if (window > 0) {
        const timer = setTimeout(() => flush(tag), window)
        return () => clearTimeout(timer)
      }
      const immediate = setImmediate(() => flush(tag))
      return () => clearImmediate(immediate)
    }

    const stopDeadlines = (batch: Batch): void => {
      if (batch.deadlineTimer !== undefined) clearTimeout(batch.deadlineTimer)
      batch.deadlineTimer = undefined
      batch.deadlineAt = Infinity
    }

    /** Watches `deadline` for `batch` unless an earlier one is watched already. */
    const watchDeadline = (tag: 'Get' | 'Gets', batch: Batch, deadline: number): void => {
      if (batch.deadlineAt <= deadline) return
      stopDeadlines(batch)
      const delay = timerDelay(Math.max(1, Math.ceil(deadline - Date.now())))
      if (delay === undefined) return
      batch.deadlineAt = deadline
      batch.deadlineTimer = setTimeout(() => expire(tag, batch), delay).unref()
    }

    /** Answers `Timeout` to the members whose deadline passed; watches the earliest of the others. */
    const expire = (tag: 'Get' | 'Gets', batch: Batch): void => {
      batch.deadlineTimer = undefined
      batch.deadlineAt = Infinity
      const now = Date.now()
      let next = Infinity
      for (const waiter of batch.waiters) {
        const deadline = waiter.context.deadline
        if (!waiter.waiting || deadline === undefined) continue
        if (deadline <= now) {
          answer(waiter, E.left(interruption(waiter.context, commandNames[tag], 'batching', now) ?? timeout(0, commandNames[tag], 'batching')))
          leave(tag, batch)
        } else if (deadline < next) next = deadline
      }
      if (next < Infinity && batch.present > 0) watchDeadline(tag, batch, next)
    }

    /** A caller left: before sending, its keys go unless someone else asks them; once every caller left, the batch goes. */
    const leave = (tag: 'Get' | 'Gets', batch: Batch): void => {
      batch.present--
      if (open[tag] === batch) {
        batch.departed = true
        if (batch.present === 0) {
          batch.cancel()
          stopDeadlines(batch)
          open[tag] = undefined
        }
      } else if (batch.present === 0) {
        stopDeadlines(batch)
        batch.abandon?.abort()
      }
    }

    const enqueue =
      (request: Get | Gets, context: RequestContext): TE.TaskEither<MemcacheError, Reply> =>
      () =>
        new Promise((resolve) => {
          const tag = request._tag
          const waiter: Waiter = { keys: request.keys, load, context, waiting: true, resolve, stop: noop }
          arrive()
          let batch = open[tag]
          if (batch === undefined) {
            // `schedule` never flushes synchronously, so the batch is in `open` before it can fire.
            batch = { keys: new Set(), waiters: [], present: 0, cancel: schedule(tag), departed: false, abandon: undefined, deadlineTimer: undefined, deadlineAt: Infinity }
            open[tag] = batch
          }
          for (const key of request.keys) batch.keys.add(key)
          batch.waiters.push(waiter)
          batch.present++
          const joined = batch
          const leaveWith = (error: MemcacheError): void => {
            answer(waiter, E.left(error))
            leave(tag, joined)
          }
          // The signal is watched per caller (called at once if it fired already), the deadline per batch.
          if (context.signal !== undefined) {
            waiter.stop = watch({ signal: context.signal }, commandNames[tag], 'batching', leaveWith)
            if (!waiter.waiting) return
          }
          const deadline = context.deadline
          if (deadline !== undefined) {
            const now = Date.now()
            if (deadline <= now) return leaveWith(timeout(Math.round(now - deadline), commandNames[tag], 'batching'))
            watchDeadline(tag, joined, deadline)
          }
          if (batch.keys.size >= capacity()) flush(tag)
        })

    /** An eager request, sent as the batch of one it would have been. */
    const sendAlone = (request: Get | Gets, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> => {
      inFlight++
      lastWasLone = true
      arrive()
      const meta = options.protocol === 'meta'
      return inner
        .send(meta ? merged(request._tag, request.keys) : request, context)()
        .then((own) => {
          inFlight--
          load.holding--
          return meta && own._tag === 'Right' && own.right._tag === 'MetaBatchReply' ? ownAnswer(request.keys, own.right) : own
        })
    }

    /** Ends a batch still gathering: its timer goes, its callers are answered `error`, nothing is sent. */
    const cancel = (tag: 'Get' | 'Gets', error: MemcacheError): void => {
      const batch = open[tag]
      if (batch === undefined) return
      open[tag] = undefined
      batch.cancel()
      stopDeadlines(batch)
      for (const waiter of batch.waiters) answer(waiter, E.left(error))
    }

    return {
      // Once closed, nothing is gathered (no window is opened): the layer below answers.
      send: (request: Request, context: RequestContext = emptyContext) => {
        if (closed || (request._tag !== 'Get' && request._tag !== 'Gets') || request.keys.length === 0) return inner.send(request, context)
        // A request that fills a batch on its own goes as it is, unless a batch is gathering to join.
        if (!eager && request.keys.length < maxKeys) return enqueue(request, context)
        // Idle and load are judged when the task runs, as the batch it would join is.
        return () =>
          open[request._tag] === undefined && (request.keys.length >= capacity() || (eager && inFlight === 0 && lastWasLone)) ? sendAlone(request, context) : enqueue(request, context)()
      },
      close: async () => {
        closed = true
        const error = connectionClosed('batching', 'was closed before the batch was sent')
        cancel('Get', error)
        cancel('Gets', error)
        await inner.close()
      },
    }
  }
