/**
 * Cache-aside: read a value from the cache, or compute it, store it and return it.
 *
 * The cache is best effort here: when reading fails (server down, a value in a format this
 * version cannot read), the value is computed as if it were a miss, and when writing fails the
 * computed value is still returned. Both failures are reported to `onCacheError` so they are
 * seen, not lost. Only the computation's own error fails the result.
 *
 * Concurrent misses on one key each compute (no stampede protection yet: that comes with the meta
 * protocol's leases).
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { MemcacheError } from '../error.js'
import type { CallOptions } from '../transport/context.js'
import type { Transport } from '../transport/transport.js'
import type { Commands } from './commands.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of `getOrSet`: how long the computed value lives, and the call's options.
 * @category model
 */
export interface GetOrSetOptions extends CallOptions {
  /** Seconds the computed value lives in the cache; 0 (default) means no expiry. */
  readonly exptime?: number
  /** Called with every cache failure that was worked around. */
  readonly onCacheError?: (error: MemcacheError, during: 'get' | 'set') => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Cache-aside over the commands of one serde.
 *
 * @example
 * import { commands } from 'fp-memcache'
 * import { json } from 'fp-memcache/serde'
 * const cached = getOrSet(commands(json))
 * const user = await cached('user:1', loadUserFromDatabase('1'), { exptime: 300 })(client.transport)()
 * @category constructors
 */
export const getOrSet =
  <A>(commands: Pick<Commands<A>, 'get' | 'set'>) =>
  <E>(key: string, compute: TE.TaskEither<E, A>, options: GetOrSetOptions = {}) =>
  (transport: Transport): TE.TaskEither<E, A> => {
    // The cache's get and set each get the caller's signal, timeout and retry permission.
    const callOptions: CallOptions = {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    }
    const report = (during: 'get' | 'set') => (error: MemcacheError) => () => {
      options.onCacheError?.(error, during)
    }
    const computeAndStore = pipe(
      compute,
      TE.tap((value) =>
        pipe(
          commands.set(key, value, { ...callOptions, exptime: options.exptime ?? 0 })(transport),
          TE.orElseFirstIOK(report('set')),
          TE.orElseW(() => TE.right(false)),
        ),
      ),
    )
    return pipe(
      commands.get(key, callOptions)(transport),
      TE.orElseFirstIOK(report('get')),
      TE.orElseW(() => TE.right<never, O.Option<A>>(O.none)),
      TE.chainW(O.match(() => computeAndStore, (value) => TE.right<E, A>(value))),
    )
  }
