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
import type { MemcacheError } from '../error.js'
import * as Meta from '../protocol/meta.js'
import { collectByKey, valuesFor, type Item, type Reply } from '../protocol/reply.js'
import type { Get, Gets, Request } from '../protocol/request.js'
import { emptyContext, interruption, watch, type RequestContext } from '../transport/context.js'
import { connectionClosed, timeout } from '../transport/error.js'
import { makeDeadlineQueue } from '../transport/deadlines.js'
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

interface Waiter {
  readonly keys: ReadonlyArray<string>
  readonly context: RequestContext
  /** The batch it joined. */
  readonly batch: Batch
  /** Whether the caller still waits for the batch: answered or gone, it is skipped. */
  waiting: boolean
  readonly resolve: (result: E.Either<MemcacheError, Reply>) => void
  /** Stops watching the caller's signal (a no-op without one). */
  stop: () => void
}

interface Batch {
  readonly tag: 'Get' | 'Gets'
  /** When it was opened, as a count of the batches the layer opened. */
  readonly opened: number
  readonly keys: Set<string>
  /** In arrival order; those who left stay, marked (an array: no hashing per caller). */
  readonly waiters: Array<Waiter>
  /** How many waiters still wait. */
  present: number
  /** A waiter left before the batch was sent: its keys are recounted from those who stayed. */
  departed: boolean
  /** Fires when every waiter left while the batch is in flight; set only when all of them could. */
  abandon: AbortController | undefined
  /** The window's timer, with a `window` above 0 (with 0, the layer's one `setImmediate` sends it). */
  windowTimer: NodeJS.Timeout | undefined
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const isAboutOneRequest = (error: MemcacheError): boolean =>
  error._tag === 'InvalidKey' || error._tag === 'InvalidArgument' || error._tag === 'ClientError'

/**
 * The context of a merged request: it must serve its longest-waiting member, so its deadline is
 * the latest of theirs (none if one of them has none); it may be retried only as far as every
 * member allows. Its signal fires once all of them left, and it has one only when every member
 * can leave (otherwise someone always waits) and one of them can leave by its signal: members who
 * can leave only by their deadline are all gone by the latest one, which the merged request
 * carries anyway, so an `AbortController` per batch (and the listener the connection adds to it)
 * would buy nothing. When it needs one, the controller is made here and kept as `batch.abandon`.
 */
const mergedContext = (batch: Batch): RequestContext => {
  let deadline: number | undefined = -Infinity
  let retry: boolean | undefined = true
  let allCanLeave = true
  let signalled = false
  for (const { context, waiting } of batch.waiters) {
    if (!waiting) continue
    deadline = deadline === undefined || context.deadline === undefined ? undefined : Math.max(deadline, context.deadline)
    if (context.retry === false) retry = false
    else if (context.retry === undefined && retry === true) retry = undefined
    if (context.signal !== undefined) signalled = true
    else if (context.deadline === undefined) allCanLeave = false
  }
  if (deadline === -Infinity) deadline = undefined
  if (allCanLeave && signalled) batch.abandon = new AbortController()
  const signal = batch.abandon?.signal
  if (signal === undefined && deadline === undefined) return retry === undefined ? emptyContext : { retry }
  return {
    ...(signal === undefined ? {} : { signal }),
    ...(deadline === undefined ? {} : { deadline }),
    ...(retry === undefined ? {} : { retry }),
  }
}

const commandNames = { Get: 'get', Gets: 'gets' } as const

const noop = (): void => undefined

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
    const meta = options.protocol === 'meta'
    const merged = meta
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
    /** Callers held (gathering or in flight), and their recent peak. */
    let holding = 0
    let peak = 0
    /** A caller came in: the peak follows a rise at once, and a fall slowly (over a few hundred callers). */
    const arrive = (): void => {
      holding++
      peak = holding >= peak ? holding : peak - (peak - holding) / PEAK_DECAY
    }
    /**
     * The most keys a batch gathers now. Eager: the recent peak of callers over `BURST_PARTS`, so
     * that a burst goes as that many requests at least, which memcached answers one by one while
     * the client reads the one before (a single request would make both sides wait for each
     * other); never more than `maxKeys`. With a few callers it is 1: each get goes on its own, as
     * without batching. Not eager: `maxKeys`.
     */
    const capacity = (): number => (eager ? Math.max(1, Math.min(maxKeys, Math.ceil(peak / BURST_PARTS))) : maxKeys)

    /**
     * With a `window` of 0, one `setImmediate` for the layer sends whatever is gathering when the
     * loop turns: a batch that fills up before goes at once and leaves it for the next one.
     */
    let turn: NodeJS.Immediate | undefined
    const onTurn = (): void => {
      turn = undefined
      // In the order they were opened, as their callers asked.
      const first = open.Gets !== undefined && open.Get !== undefined && open.Gets.opened < open.Get.opened ? 'Gets' : 'Get'
      flush(first)
      flush(first === 'Get' ? 'Gets' : 'Get')
    }
    let opened = 0

    /**
     * Callers with a deadline: one timer for the layer checks them, set for the earliest
     * (`deadlines.ts`), so a deadline costs no timer of its own, which matters because a client
     * gives every command one. Answered callers are dropped from the front once their batch is
     * answered (batches are answered about in the order they were sent).
     */
    const timed = makeDeadlineQueue<Waiter>({
      deadlineOf: (waiter) => waiter.context.deadline ?? Infinity,
      isDone: (waiter) => !waiter.waiting,
      expire: (waiter, now) => {
        const name = commandNames[waiter.batch.tag]
        leaveWith(waiter, interruption(waiter.context, name, 'batching', now) ?? timeout(0, name, 'batching'))
      },
    })

    /** Ends the gathering of the batch open for `tag`, its window's timer with it; the batch, if there was one. */
    const stopGathering = (tag: 'Get' | 'Gets'): Batch | undefined => {
      const batch = open[tag]
      if (batch === undefined) return undefined
      open[tag] = undefined
      if (batch.windowTimer !== undefined) clearTimeout(batch.windowTimer)
      return batch
    }

    /** Answers a waiter once; later answers are dropped. */
    const answer = (waiter: Waiter, result: E.Either<MemcacheError, Reply>): void => {
      if (!waiter.waiting) return
      waiter.waiting = false
      holding--
      waiter.stop()
      waiter.resolve(result)
    }

    /** A caller leaves with `error`: before sending, its keys go unless someone else asks them; once every caller left, the batch goes. */
    const leaveWith = (waiter: Waiter, error: MemcacheError): void => {
      if (!waiter.waiting) return
      answer(waiter, E.left(error))
      const batch = waiter.batch
      batch.present--
      if (open[batch.tag] === batch) {
        batch.departed = true
        if (batch.present === 0) stopGathering(batch.tag)
      } else if (batch.present === 0) batch.abandon?.abort()
    }

    /** Answers the waiters of `batch` from its merged request's `result`. */
    const fanOut = (batch: Batch, keys: ReadonlyArray<string>, result: E.Either<MemcacheError, Reply>): void => {
      const hits = E.isLeft(result) ? undefined : result.right._tag === 'Values' ? { found: collectByKey(result.right.items), refused: undefined } : result.right._tag === 'MetaBatchReply' ? fromMetaBatch(keys, result.right) : undefined
      if (hits === undefined) {
        for (const waiter of batch.waiters) answer(waiter, result)
        return
      }
      for (const waiter of batch.waiters) {
        if (waiter.waiting) answer(waiter, refusalOf(waiter.keys, hits.refused) ?? E.right(valuesFor(waiter.keys, hits.found)))
      }
    }

    const flush = (tag: 'Get' | 'Gets'): void => {
      const batch = stopGathering(tag)
      if (batch === undefined) return
      if (batch.departed) {
        batch.keys.clear()
        for (const waiter of batch.waiters) if (waiter.waiting) for (const key of waiter.keys) batch.keys.add(key)
      }
      const keys = [...batch.keys]
      inFlight++
      lastWasLone = batch.present <= 1
      void inner.send(merged(tag, keys), mergedContext(batch))().then((result) => {
        inFlight--
        if (E.isLeft(result) && isAboutOneRequest(result.left) && batch.present > 1) {
          // One caller's bad key must not fail the others: send each request on its own.
          for (const waiter of batch.waiters) {
            if (waiter.waiting) void inner.send(merged(tag, waiter.keys), waiter.context)().then((own) => answer(waiter, own._tag === 'Right' && own.right._tag === 'MetaBatchReply' ? ownAnswer(waiter.keys, own.right) : own))
          }
          return
        }
        fanOut(batch, keys, result)
        timed.dropDone()
      })
    }

    const openBatch = (tag: 'Get' | 'Gets'): Batch => {
      const batch: Batch = { tag, opened: ++opened, keys: new Set(), waiters: [], present: 0, departed: false, abandon: undefined, windowTimer: undefined }
      if (window > 0) batch.windowTimer = setTimeout(() => flush(tag), window)
      else turn ??= setImmediate(onTurn)
      open[tag] = batch
      return batch
    }

    /** Gathers a get into the batch for its command; it goes when the batch is full or the loop turns. */
    const gather = (request: Get | Gets, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> =>
      new Promise((resolve) => {
        const tag = request._tag
        const batch = open[tag] ?? openBatch(tag)
        const waiter: Waiter = { keys: request.keys, context, batch, waiting: true, resolve, stop: noop }
        arrive()
        for (const key of request.keys) batch.keys.add(key)
        batch.waiters.push(waiter)
        batch.present++
        // The signal is watched per caller (called at once if it fired already), the deadline by the layer.
        if (context.signal !== undefined) {
          waiter.stop = watch({ signal: context.signal }, commandNames[tag], 'batching', (error) => leaveWith(waiter, error))
          if (!waiter.waiting) return
        }
        const deadline = context.deadline
        if (deadline !== undefined) {
          const now = Date.now()
          if (deadline <= now) return leaveWith(waiter, timeout(Math.round(now - deadline), commandNames[tag], 'batching'))
          timed.add(waiter)
        }
        if (batch.keys.size >= capacity()) flush(tag)
      })

    /** An eager request, sent as the batch of one it would have been. */
    const sendAlone = (request: Get | Gets, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> => {
      inFlight++
      lastWasLone = true
      arrive()
      return inner
        .send(meta ? merged(request._tag, request.keys) : request, context)()
        .then((own) => {
          inFlight--
          holding--
          return meta && own._tag === 'Right' && own.right._tag === 'MetaBatchReply' ? ownAnswer(request.keys, own.right) : own
        })
    }

    /** Ends a batch still gathering: its timer goes, its callers are answered `error`, nothing is sent. */
    const cancel = (tag: 'Get' | 'Gets', error: MemcacheError): void => {
      const batch = stopGathering(tag)
      if (batch === undefined) return
      for (const waiter of batch.waiters) answer(waiter, E.left(error))
    }

    return {
      // Once closed, nothing is gathered (no window is opened): the layer below answers.
      send: (request: Request, context: RequestContext = emptyContext) => {
        if (closed || (request._tag !== 'Get' && request._tag !== 'Gets') || request.keys.length === 0) return inner.send(request, context)
        // A request that fills a batch on its own goes as it is, unless a batch is gathering to join.
        if (!eager && request.keys.length < maxKeys) return () => gather(request, context)
        // Idle and load are judged when the task runs, as the batch it would join is.
        return () =>
          open[request._tag] === undefined && (request.keys.length >= capacity() || (eager && inFlight === 0 && lastWasLone)) ? sendAlone(request, context) : gather(request, context)
      },
      close: async () => {
        closed = true
        const error = connectionClosed('batching', 'was closed before the batch was sent')
        cancel('Get', error)
        cancel('Gets', error)
        if (turn !== undefined) clearImmediate(turn)
        turn = undefined
        timed.clear()
        await inner.close()
      },
    }
  }
