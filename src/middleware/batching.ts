/**
 * `withBatching`: concurrent `get`s become one multi-key `get`.
 *
 * Single- and multi-key `get` (and `gets`) requests sent within one batching window are merged into
 * one request for the union of their keys (each key asked once); the hits are fanned back out, each
 * caller receiving its own keys in its own order. An error of the merged request is every member's
 * error. Other requests pass straight through.
 *
 * Where it sits: above the router, so that the merged request is split again per node: N
 * concurrent single-key gets cost one round trip per node instead of N.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import { collectByKey, valuesFor, type Reply } from '../protocol/reply.js'
import type { Get, Gets, Request } from '../protocol/request.js'
import { emptyContext, watch, type RequestContext } from '../transport/context.js'
import { connectionClosed } from '../transport/error.js'
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
  /** Send a batch as soon as it names this many distinct keys. Default 256. */
  readonly maxKeys?: number
}

interface Waiter {
  readonly keys: ReadonlyArray<string>
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
  if (abandon === undefined) return retry === undefined ? emptyContext : { retry }
  return {
    signal: abandon,
    ...(deadline === undefined ? {} : { deadline }),
    ...(retry === undefined ? {} : { retry }),
  }
}

const commandNames = { Get: 'get', Gets: 'gets' } as const

const noop = (): void => undefined

/** Answers a waiter once; later answers are dropped. */
const answer = (waiter: Waiter, result: E.Either<MemcacheError, Reply>): void => {
  if (!waiter.waiting) return
  waiter.waiting = false
  waiter.stop()
  waiter.resolve(result)
}

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
    const maxKeys = options.maxKeys ?? 256
    const open: { Get: Batch | undefined; Gets: Batch | undefined } = { Get: undefined, Gets: undefined }
    let closed = false

    const flush = (tag: 'Get' | 'Gets'): void => {
      const batch = open[tag]
      if (batch === undefined) return
      open[tag] = undefined
      batch.cancel()
      if (batch.departed) {
        batch.keys.clear()
        for (const waiter of batch.waiters) if (waiter.waiting) for (const key of waiter.keys) batch.keys.add(key)
      }
      // Only a batch whose every member can leave can be abandoned: otherwise someone always waits.
      if (batch.waiters.every((waiter) => !waiter.waiting || canLeave(waiter.context))) batch.abandon = new AbortController()
      void inner.send({ _tag: tag, keys: [...batch.keys] }, mergedContext(batch.waiters, batch.abandon?.signal))().then((result) => {
        if (E.isLeft(result) && isAboutOneRequest(result.left) && batch.present > 1) {
          // One caller's bad key must not fail the others: send each request on its own.
          for (const waiter of batch.waiters) {
            if (waiter.waiting) void inner.send({ _tag: tag, keys: waiter.keys }, waiter.context)().then((own) => answer(waiter, own))
          }
          return
        }
        if (E.isLeft(result) || result.right._tag !== 'Values') {
          for (const waiter of batch.waiters) answer(waiter, result)
          return
        }
        const found = collectByKey(result.right.items)
        for (const waiter of batch.waiters) if (waiter.waiting) answer(waiter, E.right(valuesFor(waiter.keys, found)))
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

    /** A caller left: before sending, its keys go unless someone else asks them; once every caller left, the batch goes. */
    const leave = (tag: 'Get' | 'Gets', batch: Batch): void => {
      batch.present--
      if (open[tag] === batch) {
        batch.departed = true
        if (batch.present === 0) {
          batch.cancel()
          open[tag] = undefined
        }
      } else if (batch.present === 0) batch.abandon?.abort()
    }

    const enqueue =
      (request: Get | Gets, context: RequestContext): TE.TaskEither<MemcacheError, Reply> =>
      () =>
        new Promise((resolve) => {
          const tag = request._tag
          const waiter: Waiter = { keys: request.keys, context, waiting: true, resolve, stop: noop }
          let batch = open[tag]
          if (batch === undefined) {
            // `schedule` never flushes synchronously, so the batch is in `open` before it can fire.
            batch = { keys: new Set(), waiters: [], present: 0, cancel: schedule(tag), departed: false, abandon: undefined }
            open[tag] = batch
          }
          for (const key of request.keys) batch.keys.add(key)
          batch.waiters.push(waiter)
          batch.present++
          const joined = batch
          // No timer and no listener for an empty context; called at once if the caller already left.
          waiter.stop = watch(context, commandNames[tag], 'batching', (error) => {
            answer(waiter, E.left(error))
            leave(tag, joined)
          })
          if (!waiter.waiting) return
          if (batch.keys.size >= maxKeys) flush(tag)
        })

    /** Ends a batch still gathering: its timer goes, its callers are answered `error`, nothing is sent. */
    const cancel = (tag: 'Get' | 'Gets', error: MemcacheError): void => {
      const batch = open[tag]
      if (batch === undefined) return
      open[tag] = undefined
      batch.cancel()
      for (const waiter of batch.waiters) answer(waiter, E.left(error))
    }

    return {
      // Once closed, nothing is gathered (no window is opened): the layer below answers.
      send: (request: Request, context: RequestContext = emptyContext) =>
        !closed && (request._tag === 'Get' || request._tag === 'Gets') && request.keys.length > 0 ? enqueue(request, context) : inner.send(request, context),
      close: async () => {
        closed = true
        const error = connectionClosed('batching', 'was closed before the batch was sent')
        cancel('Get', error)
        cancel('Gets', error)
        await inner.close()
      },
    }
  }
