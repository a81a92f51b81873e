/**
 * `commands(serde)`: every command, with values of type `A` read and written through one serde.
 *
 * Why a factory: a serde belongs to a keyspace, not to a call. Binding it once gives functions
 * with the same shapes as the stand-alone ones (which use `Encoded` values) but typed by `A`, with
 * no serde argument to thread through every call and no overloads to get wrong. Commands that
 * carry no value (`delete`, `incr`, `stats`...) are the stand-alone functions themselves.
 *
 * @since 0.1.0
 */
import type { Serde } from '../serde/serde.js'
import { cacheMemlimit, flushAll, quit, shutdown, verbosity, version } from './admin.js'
import { decr, incr } from './arithmetic.js'
import type { Command, CommandDefaults, NoreplyOption } from './command.js'
import { deletion } from './deletion.js'
import { raw } from './raw.js'
import { retrieval, type Retrieval } from './retrieval.js'
import { stats, statsConns, statsItems, statsReset, statsSettings, statsSizes, statsSlabs } from './stats.js'
import { storage, type Storage } from './storage.js'
import { touching } from './touch.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Every command, values typed by `A`. Each returns a `Command` waiting for its transport.
 * @category model
 */
export interface Commands<A> extends Retrieval<A>, Storage<A> {
  readonly delete: (key: string, options?: NoreplyOption) => Command<boolean>
  readonly deleteMany: (keys: ReadonlyArray<string>, options?: NoreplyOption) => Command<ReadonlyArray<string>>
  readonly touch: (key: string, exptime: number, options?: NoreplyOption) => Command<boolean>
  readonly incr: typeof incr
  readonly decr: typeof decr
  readonly stats: typeof stats
  readonly statsSettings: typeof statsSettings
  readonly statsItems: typeof statsItems
  readonly statsSlabs: typeof statsSlabs
  readonly statsSizes: typeof statsSizes
  readonly statsConns: typeof statsConns
  readonly statsReset: typeof statsReset
  readonly flushAll: typeof flushAll
  readonly version: typeof version
  readonly verbosity: typeof verbosity
  readonly cacheMemlimit: typeof cacheMemlimit
  readonly quit: typeof quit
  readonly shutdown: typeof shutdown
  readonly raw: typeof raw
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Every command for values of type `A`, with optional defaults (`noreply`).
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as RTE from 'fp-ts/lib/ReaderTaskEither.js'
 * import * as O from 'fp-ts/lib/Option.js'
 * import { codec, json } from 'fp-memcache/serde'
 * const users = commands(codec(User, json)) // User: an io-ts type
 * const rename = (id: string, name: string) =>
 *   pipe(
 *     users.gets(id),
 *     RTE.chain(O.match(() => RTE.right(false), ({ value, cas }) =>
 *       pipe(users.cas(id, { ...value, name }, cas), RTE.map((result) => result._tag === 'Stored')))),
 *   )
 * const renamed = await rename('user:1', 'Ada')(transport)()
 * @category constructors
 */
export const commands = <A>(serde: Serde<A>, defaults?: CommandDefaults): Commands<A> => {
  const deletes = deletion(defaults)
  return {
    ...retrieval(serde),
    ...storage(serde, defaults),
    delete: deletes.delete,
    deleteMany: deletes.deleteMany,
    touch: touching(defaults),
    incr,
    decr,
    stats,
    statsSettings,
    statsItems,
    statsSlabs,
    statsSizes,
    statsConns,
    statsReset,
    flushAll,
    version,
    verbosity,
    cacheMemlimit,
    quit,
    shutdown,
    raw,
  }
}
