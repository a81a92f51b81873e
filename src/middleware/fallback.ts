/**
 * `withFallback`: pymemcache's `FallbackClient`, for moving from one cluster to another.
 *
 * Reads (`get`, `gets`, `gat`, `gats`) ask the new cluster first, then each older one in order
 * for the keys still missing, until every key is found or the clusters run out; hits are returned
 * in the caller's key order. Everything else (writes, deletes, stats...) goes to the new cluster
 * only, so the old ones drain as their items expire. An error stops the walk and is returned:
 * a failing cluster is not silently skipped (compose `withRetry` or the router's `ignoreErrors`
 * for that).
 *
 * The request's context goes to every cluster asked, and no older cluster is asked once its
 * signal fired or its deadline passed (the caller gets `Aborted` or `Timeout`).
 *
 * Where it sits: outermost but for `withObserve`, above the per-cluster routers.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { MemcacheError } from '../error.js'
import { collectByKey, valuesFor, type Item, type Reply } from '../protocol/reply.js'
import { commandName, isRetrieval, type Retrieval } from '../protocol/request.js'
import { emptyContext, interruption, type RequestContext } from '../transport/context.js'
import type { Middleware, Transport } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Reads fall back to `older` clusters, in order; writes go to the wrapped (new) cluster.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const migrating = pipe(newCluster, withFallback([oldCluster]))
 * @category constructors
 */
export const withFallback =
  (older: ReadonlyArray<Transport>): Middleware =>
  (primary) => {
    const clusters = [primary, ...older]
    const read =
      (request: Retrieval, context: RequestContext): TE.TaskEither<MemcacheError, Reply> =>
      async () => {
        const found = new Map<string, Item>()
        let missing: ReadonlyArray<string> = [...new Set(request.keys)]
        for (const [index, cluster] of clusters.entries()) {
          if (missing.length === 0) break
          if (index > 0 && (context.signal !== undefined || context.deadline !== undefined)) {
            const stopped = interruption(context, commandName(request), 'fallback')
            if (stopped !== undefined) return E.left(stopped)
          }
          const last = await cluster.send({ ...request, keys: missing }, context)()
          if (E.isLeft(last) || last.right._tag !== 'Values') return last
          collectByKey(last.right.items, found)
          missing = missing.filter((key) => !found.has(key))
        }
        return E.right(valuesFor(request.keys, found))
      }
    return {
      send: (request, context = emptyContext) => (isRetrieval(request) ? read(request, context) : primary.send(request, context)),
      close: async () => {
        await Promise.all(clusters.map((cluster) => cluster.close()))
      },
    }
  }
