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
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describeValue } from '../describe.js'
import { invalidArgument, invalidKey } from '../protocol/error.js'
import { describeMetaKey, type MetaKey } from '../protocol/meta.js'
import type { Serde } from '../serde/serde.js'
import type { CallOptions } from '../transport/context.js'
import { cacheMemlimit, flushAll, quit, shutdown, verbosity, version } from './admin.js'
import { decr, incr, toDelta, type Delta } from './arithmetic.js'
import { fail, PROTOCOLS, type Command, type CommandDefaults, type NoreplyOption, type Protocol, type ProtocolOption, type StoreOptions } from './command.js'
import { deletion } from './deletion.js'
import { counterMeta, type CounterOptions } from './meta.js'
import { metaPath } from './meta-path.js'
import { raw } from './raw.js'
import { retrieval, type Versioned } from './retrieval.js'
import { stats, statsConns, statsItems, statsReset, statsSettings, statsSizes, statsSlabs } from './stats.js'
import { storage, type CasResult, type Entries } from './storage.js'
import { touching } from './touch.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** `CallOptions` and the protocol choice: the options of the reading commands. @category model */
export type ReadOptions = CallOptions & ProtocolOption

/** `NoreplyOption` and the protocol choice: the options of `delete`, `touch`, `incr`... @category model */
export type UpdateOptions = NoreplyOption & ProtocolOption

/** `StoreOptions` and the protocol choice: the options of `set`, `cas`, `setMany`... @category model */
export type WriteOptions = StoreOptions & ProtocolOption

/**
 * Every command, values typed by `A`. Each returns a `Command` waiting for its transport.
 *
 * The key-value commands take a `protocol` per call (`ProtocolOption`), `defaults.protocol`
 * otherwise; their single-key forms accept a binary key (`Uint8Array`) on the meta path, and
 * refuse it with `InvalidKey` on the text path. `counter` is meta only (`ma` with an initial
 * value and a TTL); `append`, `prepend` and the many-key forms keep string keys.
 * @category model
 */
export interface Commands<A> {
  readonly get: (key: MetaKey, options?: ReadOptions) => Command<O.Option<A>>
  readonly getMany: (keys: ReadonlyArray<string>, options?: ReadOptions) => Command<ReadonlyMap<string, A>>
  readonly gets: (key: MetaKey, options?: ReadOptions) => Command<O.Option<Versioned<A>>>
  readonly getsMany: (keys: ReadonlyArray<string>, options?: ReadOptions) => Command<ReadonlyMap<string, Versioned<A>>>
  readonly gat: (key: MetaKey, exptime: number, options?: ReadOptions) => Command<O.Option<A>>
  readonly gatMany: (keys: ReadonlyArray<string>, exptime: number, options?: ReadOptions) => Command<ReadonlyMap<string, A>>
  readonly gats: (key: MetaKey, exptime: number, options?: ReadOptions) => Command<O.Option<Versioned<A>>>
  readonly gatsMany: (keys: ReadonlyArray<string>, exptime: number, options?: ReadOptions) => Command<ReadonlyMap<string, Versioned<A>>>
  readonly set: (key: MetaKey, value: A, options?: WriteOptions) => Command<boolean>
  readonly add: (key: MetaKey, value: A, options?: WriteOptions) => Command<boolean>
  readonly replace: (key: MetaKey, value: A, options?: WriteOptions) => Command<boolean>
  readonly append: (key: MetaKey, value: A, options?: WriteOptions) => Command<boolean>
  readonly prepend: (key: MetaKey, value: A, options?: WriteOptions) => Command<boolean>
  /** The keys that were not stored, in the order given; `[]` when all were (or with `noreply`). */
  readonly setMany: (entries: Entries<A>, options?: WriteOptions) => Command<ReadonlyArray<string>>
  readonly cas: (key: MetaKey, value: A, unique: bigint, options?: WriteOptions) => Command<CasResult>
  readonly delete: (key: MetaKey, options?: UpdateOptions) => Command<boolean>
  readonly deleteMany: (keys: ReadonlyArray<string>, options?: UpdateOptions) => Command<ReadonlyArray<string>>
  readonly touch: (key: MetaKey, exptime: number, options?: UpdateOptions) => Command<boolean>
  readonly incr: (key: MetaKey, delta: Delta, options?: UpdateOptions) => Command<O.Option<bigint>>
  readonly decr: (key: MetaKey, delta: Delta, options?: UpdateOptions) => Command<O.Option<bigint>>
  /**
   * A counter in one request, meta only (`ma`, memcached 1.6.10+): by `delta` (default 1, or
   * down with `mode: 'decr'`), created at `initial` living `ttl` seconds on a miss when `initial`
   * is given. The new value, or `none` on a miss without `initial`.
   */
  readonly counter: (key: MetaKey, delta?: Delta, options?: CounterOptions) => Command<O.Option<bigint>>
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
// utils
// -------------------------------------------------------------------------------------

const noreplyOf = (options: NoreplyOption | undefined, defaults: CommandDefaults | undefined): boolean => options?.noreply ?? defaults?.noreply ?? false

const isProtocol = (value: unknown): value is Protocol => (PROTOCOLS as ReadonlyArray<unknown>).includes(value)

/**
 * Runs a call on the protocol it asks for (or the defaults'): meta unless the call is `noreply`
 * (only text writes and forgets); a binary key on the text path is an `InvalidKey` saying how to
 * send it; a protocol that is neither is an `InvalidArgument` naming both.
 */
const choose =
  (defaults: CommandDefaults | undefined) =>
  <B>(options: ProtocolOption | undefined, key: MetaKey, noreply: boolean, viaText: () => Command<B>, viaMeta: () => Command<B>): Command<B> => {
    const protocol: unknown = options?.protocol ?? defaults?.protocol ?? 'text'
    if (!isProtocol(protocol)) return fail(invalidArgument('protocol', `must be ${PROTOCOLS.map((name) => JSON.stringify(name)).join(' or ')}, got ${describeValue(protocol)}`))
    if (protocol === 'meta' && !noreply) return viaMeta()
    // Anything but bytes is the text path's to judge (plain JavaScript may pass a number).
    if (!(key instanceof Uint8Array)) return viaText()
    const why = protocol === 'meta' ? 'a noreply write goes through the text protocol, which has no binary keys: drop noreply' : "give { protocol: 'meta' } to the call or to createClient"
    return fail(invalidKey(describeMetaKey(key), `a binary key (Uint8Array) is sent through the meta protocol only: ${why}`))
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
  const text = { ...retrieval(serde), ...storage(serde, defaults), delete: deletes.delete, deleteMany: deletes.deleteMany, touch: touching(defaults), incr, decr }
  const meta = metaPath(serde, defaults)
  const pick = choose(defaults)
  return {
    get: (key, options) => pick(options, key, false, () => text.get(key as string, options), () => meta.get(key, options)),
    getMany: (keys, options) => pick(options, '', false, () => text.getMany(keys, options), () => meta.getMany(keys, options)),
    gets: (key, options) => pick(options, key, false, () => text.gets(key as string, options), () => meta.gets(key, options)),
    getsMany: (keys, options) => pick(options, '', false, () => text.getsMany(keys, options), () => meta.getsMany(keys, options)),
    gat: (key, exptime, options) => pick(options, key, false, () => text.gat(key as string, exptime, options), () => meta.gat(key, exptime, options)),
    gatMany: (keys, exptime, options) => pick(options, '', false, () => text.gatMany(keys, exptime, options), () => meta.gatMany(keys, exptime, options)),
    gats: (key, exptime, options) => pick(options, key, false, () => text.gats(key as string, exptime, options), () => meta.gats(key, exptime, options)),
    gatsMany: (keys, exptime, options) => pick(options, '', false, () => text.gatsMany(keys, exptime, options), () => meta.gatsMany(keys, exptime, options)),
    set: (key, value, options) => pick(options, key, noreplyOf(options, defaults), () => text.set(key as string, value, options), () => meta.set(key, value, options)),
    add: (key, value, options) => pick(options, key, noreplyOf(options, defaults), () => text.add(key as string, value, options), () => meta.add(key, value, options)),
    replace: (key, value, options) => pick(options, key, noreplyOf(options, defaults), () => text.replace(key as string, value, options), () => meta.replace(key, value, options)),
    append: (key, value, options) => pick(options, key, noreplyOf(options, defaults), () => text.append(key as string, value, options), () => meta.append(key, value, options)),
    prepend: (key, value, options) => pick(options, key, noreplyOf(options, defaults), () => text.prepend(key as string, value, options), () => meta.prepend(key, value, options)),
    setMany: (entries, options) => pick(options, '', noreplyOf(options, defaults), () => text.setMany(entries, options), () => meta.setMany(entries, options)),
    // cas, incr and decr never take the default noreply: their result is the point.
    cas: (key, value, unique, options) => pick(options, key, options?.noreply === true, () => text.cas(key as string, value, unique, options), () => meta.cas(key, value, unique, options)),
    delete: (key, options) => pick(options, key, noreplyOf(options, defaults), () => text.delete(key as string, options), () => meta.delete(key, options)),
    deleteMany: (keys, options) => pick(options, '', noreplyOf(options, defaults), () => text.deleteMany(keys, options), () => meta.deleteMany(keys, options)),
    touch: (key, exptime, options) => pick(options, key, noreplyOf(options, defaults), () => text.touch(key as string, exptime, options), () => meta.touch(key, exptime, options)),
    incr: (key, delta, options) => pick(options, key, options?.noreply === true, () => text.incr(key as string, delta, options), () => meta.incr(key, delta, options)),
    decr: (key, delta, options) => pick(options, key, options?.noreply === true, () => text.decr(key as string, delta, options), () => meta.decr(key, delta, options)),
    counter: (key, delta = 1n, options) => {
      const checked = toDelta(delta)
      return E.isLeft(checked) ? fail(checked.left) : counterMeta(key, checked.right, options)
    },
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
