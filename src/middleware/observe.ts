/**
 * `withObserve`: one callback per request, with what metrics and traces need.
 *
 * Where it sits: outermost, it sees what the caller saw (one event per call, retries included in
 * its duration); innermost, around each node's transport inside the router, it sees every
 * attempt with the node that served it (pass `node`). Both are useful: pick one per hook.
 *
 * The request's context is passed on unchanged. An outcome cut short by it (`Aborted`, `Timeout`)
 * is reported like any error (`error`, `error.type`) and flagged `interrupted`.
 *
 * `attributes` follow OpenTelemetry's database semantic conventions (`db.system` = `memcached`,
 * `db.operation.name`, `server.address`, `error.type`), ready for a span or a histogram.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { performance } from 'node:perf_hooks'
import type { MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, isRetrieval, keysOf, type Request } from '../protocol/request.js'
import { emptyContext } from '../transport/context.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What `withObserve` reports of one request once it is answered.
 * @category model
 */
export interface RequestEvent {
  /** memcached's name for the command: `get`, `set`, `flush_all`... */
  readonly command: string
  /** The node, when the observer was given one. */
  readonly node: string | undefined
  readonly keys: number
  /** For reads: keys found; `undefined` for other commands. */
  readonly hits: number | undefined
  /** For reads: keys asked for and not found. */
  readonly misses: number | undefined
  /** Value bytes sent (storage commands). */
  readonly bytesSent: number
  /** Value bytes received (reads). */
  readonly bytesReceived: number
  readonly durationMs: number
  /** The error's tag, for a `Left` or a `Failure` reply. */
  readonly error: MemcacheError['_tag'] | undefined
  /**
   * The outcome is `Aborted` (the caller gave up) or `Timeout` (no reply in time): it says nothing
   * about the server, which may or may not have applied the request. Count these apart from
   * refusals.
   */
  readonly interrupted: boolean
  readonly attributes: Readonly<Record<string, string | number>>
}

/**
 * The callbacks `withObserve` calls; exceptions they throw are ignored.
 * @category model
 */
export interface ObserveHooks {
  readonly onRequest: (event: RequestEvent) => void
}

/**
 * Options of `withObserve`: the node name put in each event.
 * @category model
 */
export interface ObserveOptions {
  readonly node?: string
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const valueBytes = (request: Request): number =>
  request._tag === 'Store' || request._tag === 'Cas' ? request.value.length : request._tag === 'Raw' ? (request.data?.length ?? 0) : 0

/**
 * Reports every request to `hooks.onRequest` once its outcome is known. A hook that throws is
 * ignored: observing must not change what the caller gets.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const observed = pipe(transport, withObserve({ onRequest: (event) => histogram.record(event.durationMs, event.attributes) }))
 * @category constructors
 */
export const withObserve =
  (hooks: ObserveHooks, options: ObserveOptions = {}): Middleware =>
  (inner) => ({
    send: (request, context = emptyContext) => () => {
      const started = performance.now()
      return inner
        .send(request, context)()
        .then((result) => {
          const command = commandName(request)
          const keys = keysOf(request).length
          let hits: number | undefined
          let bytesReceived = 0
          let error: MemcacheError['_tag'] | undefined
          if (E.isLeft(result)) error = result.left._tag
          else if (result.right._tag === 'Failure') error = result.right.error._tag
          else if (result.right._tag === 'Values') {
            hits = result.right.items.length
            for (const item of result.right.items) bytesReceived += item.value.length
          }
          if (hits === undefined && isRetrieval(request) && error === undefined) hits = 0
          const durationMs = performance.now() - started
          const attributes: Record<string, string | number> = {
            'db.system': 'memcached',
            'db.system.name': 'memcached',
            'db.operation.name': command,
          }
          if (options.node !== undefined) attributes['server.address'] = options.node
          if (error !== undefined) attributes['error.type'] = error
          if (keys > 1) attributes['db.operation.batch.size'] = keys
          const event: RequestEvent = {
            command,
            node: options.node,
            keys,
            hits,
            misses: hits === undefined ? undefined : Math.max(0, keys - hits),
            bytesSent: valueBytes(request),
            bytesReceived,
            durationMs,
            error,
            interrupted: error === 'Aborted' || error === 'Timeout',
            attributes,
          }
          try {
            hooks.onRequest(event)
          } catch {
            // An observer's bug must not turn into the caller's error.
          }
          return result satisfies E.Either<MemcacheError, Reply>
        })
    },
    close: inner.close,
  })
