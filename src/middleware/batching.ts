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
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface BatchingOptions {
  /** Milliseconds to gather requests; 0 (default) gathers what is sent before the event loop turns. */
  readonly window?: number
  /** Send a batch as soon as it names this many distinct keys. Default 256. */
  readonly maxKeys?: number
}

interface Waiter {
  readonly keys: ReadonlyArray<string>
  readonly resolve: (result: E.Either<MemcacheError, Reply>) => void
}

interface Batch {
  readonly keys: Set<string>
  readonly waiters: Array<Waiter>
  readonly cancel: () => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const isAboutOneRequest = (error: MemcacheError): boolean =>
  error._tag === 'InvalidKey' || error._tag === 'InvalidArgument' || error._tag === 'ClientError'

/**
 * Coalesces concurrent gets.
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

    const flush = (tag: 'Get' | 'Gets'): void => {
      const batch = open[tag]
      if (batch === undefined) return
      open[tag] = undefined
      batch.cancel()
      void inner.send({ _tag: tag, keys: [...batch.keys] })().then((result) => {
        if (E.isLeft(result) && isAboutOneRequest(result.left) && batch.waiters.length > 1) {
          // One caller's bad key must not fail the others: send each request on its own.
          for (const waiter of batch.waiters) void inner.send({ _tag: tag, keys: waiter.keys })().then(waiter.resolve)
          return
        }
        if (E.isLeft(result) || result.right._tag !== 'Values') {
          for (const waiter of batch.waiters) waiter.resolve(result)
          return
        }
        const found = collectByKey(result.right.items)
        for (const waiter of batch.waiters) waiter.resolve(E.right(valuesFor(waiter.keys, found)))
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

    const enqueue =
      (request: Get | Gets): TE.TaskEither<MemcacheError, Reply> =>
      () =>
        new Promise((resolve) => {
          let batch = open[request._tag]
          if (batch === undefined) {
            // `schedule` never flushes synchronously, so the batch is in `open` before it can fire.
            batch = { keys: new Set(), waiters: [], cancel: schedule(request._tag) }
            open[request._tag] = batch
          }
          for (const key of request.keys) batch.keys.add(key)
          batch.waiters.push({ keys: request.keys, resolve })
          if (batch.keys.size >= maxKeys) flush(request._tag)
        })

    return {
      send: (request: Request) =>
        (request._tag === 'Get' || request._tag === 'Gets') && request.keys.length > 0 ? enqueue(request) : inner.send(request),
      close: async () => {
        flush('Get')
        flush('Gets')
        await inner.close()
      },
    }
  }
