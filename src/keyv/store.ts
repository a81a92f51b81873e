/**
 * A Keyv 5 store on fp-memcache: `new Keyv({ store: makeKeyvStore({ servers }) })`, and through
 * Keyv a cache-manager 7 store. Keyv 5 runs on Node 20; Keyv 6 needs Node 22, so this targets 5.
 *
 * What Keyv hands the store, and what memcached gets:
 * - values: the strings Keyv serialises (its `{ value, expires }` envelope), stored as UTF-8 text
 *   with flags 0 (the `text` serde); another client's value that is not UTF-8 reads as an error;
 * - TTLs: milliseconds, sent as whole seconds rounded up plus one (see `toExptime`): memcached
 *   keeps a value at least its TTL, and Keyv's `expires` ends it exactly;
 * - keys: `namespace:key`, stored under the namespace's generation, and hashed when memcached
 *   cannot take them (over 250 bytes, spaces, non-ASCII: see `key.ts`), never refused;
 * - `clear`: with a namespace (Keyv's default is `keyv`), a new generation of that namespace only
 *   (see `generation.ts`): other namespaces and other programs' keys on a shared server are
 *   untouched, and the old items stay in memcached until their TTL ends or its LRU evicts them.
 *   Every operation checks the generation in the same round trip as its own request (one multi-key
 *   `get`; a write pipelined behind the generation `get`), so an operation costs one round trip,
 *   and a second once after a clear by another process (and at the first operation).
 *   Without a namespace, `clear` would be `flush_all` on every server — everyone's keys — so it
 *   runs only with `allowFlushAll: true`, and is otherwise an error;
 * - errors: as Keyv's own stores do, a failure (server down, timeout) is emitted as an `'error'`
 *   event (a `MemcacheException`) and the call resolves to its "nothing" value (`undefined`,
 *   `false`, all `false`); with `throwOnErrors: true` it also rejects. An `'error'` nobody
 *   listens to is dropped, never thrown. Keyv forwards its store's `'error'`s as its own.
 *
 * memcached cannot list its keys, so the store has no `iterator` (Keyv's `iterator()` is absent).
 *
 * The store is a plain object: its events are a `node:events` emitter it holds, not a class it
 * extends. `namespace` and `opts` are writable because Keyv writes them.
 *
 * @since 0.2.0
 */
import { EventEmitter } from 'node:events'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { flow, pipe } from 'fp-ts/lib/function.js'
import { createClient, type ClientOptions } from '../client.js'
import { commands } from '../commands/commands.js'
import type { MemcacheError } from '../error.js'
import { MemcacheException } from '../exception.js'
import { invalidArgument } from '../protocol/error.js'
import { byteLength, MAX_KEY_LENGTH } from '../protocol/key.js'
import { text } from '../serde/text.js'
import type { Transport } from '../transport/transport.js'
import { makeGenerations } from './generation.js'
import { generationKey, hasNamespace, sendableKey, storedKey } from './key.js'
import { toExptime } from './ttl.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How the store behaves, whatever it runs on.
 *
 * @example
 * const options: KeyvStoreOptions = { allowFlushAll: true, throwOnErrors: false }
 * @category model
 */
export interface KeyvStoreOptions {
  /** Let `clear` without a namespace run `flush_all` on every server (everyone's keys). Default `false`. */
  readonly allowFlushAll?: boolean
  /** Reject failed calls (after emitting `'error'`), as Keyv's `throwOnErrors`. Default `false`. */
  readonly throwOnErrors?: boolean
  /**
   * The longest key sent as is, in bytes; longer keys are hashed. Default 250, less the
   * `keyPrefix` when the store makes its client; with a `client` of yours that has a `keyPrefix`,
   * give 250 minus its length.
   */
  readonly maxKeyBytes?: number
  /** Milliseconds since the epoch, for TTLs over 30 days and `has`. Default `Date.now`. */
  readonly clock?: () => number
  /** The namespace until Keyv sets its own (Keyv always does; its default is `keyv`). */
  readonly namespace?: string | undefined
}

/**
 * A client of yours (`createClient`, `createPromiseClient`): the store uses its transport (its
 * servers, key prefix, timeout, retry...) with values as text, and does not close it.
 *
 * @example
 * const client = createClient({ servers: '127.0.0.1:11211', retry: { attempts: 2 } })
 * const store = makeKeyvStore({ client })
 * @category model
 */
export interface ExistingClient {
  readonly client: { readonly transport: Transport }
}

/**
 * `createClient`'s options (values are always text, so no `serde`): the store makes the client
 * and closes it on `disconnect`.
 *
 * @example
 * const own: OwnClient = { servers: '10.0.0.1:11211,10.0.0.2:11211', pool: true, keyPrefix: 'app:' }
 * @category model
 */
export type OwnClient = ClientOptions<string> extends infer Options ? (Options extends unknown ? Omit<Options, 'serde'> & { readonly serde?: undefined; readonly client?: undefined } : never) : never

/**
 * What `makeKeyvStore` takes: where to connect (a client or its options), and the store's options.
 *
 * @example
 * const options: KeyvMemcacheOptions = { servers: process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211', timeout: 200 }
 * @category model
 */
export type KeyvMemcacheOptions = (ExistingClient | OwnClient) & KeyvStoreOptions

/**
 * `opts`, as Keyv's stores expose them. Keyv and its test suite read and write it.
 *
 * @example
 * store.opts.deserialize = (data) => msgpack.decode(Buffer.from(data, 'base64')) // what `has` reads `expires` with
 * @category model
 */
export interface KeyvMemcacheOpts {
  readonly dialect: 'memcache'
  /** When set, `has` reads `expires` with it (as Keyv would); default `JSON.parse`. */
  deserialize?: (data: string) => unknown
}

/**
 * A Keyv 5 store (`KeyvStoreAdapter`) on memcached.
 *
 * @example
 * import Keyv from 'keyv'
 * const keyv = new Keyv({ store: makeKeyvStore({ servers: '127.0.0.1:11211' }), namespace: 'sessions' })
 * keyv.on('error', (error) => console.error(error))
 * await keyv.set('s1', { user: 7 }, 60_000)
 * @category model
 */
export interface KeyvMemcache {
  /** Keyv's namespace, set by Keyv; keys arrive already prefixed `namespace:`. */
  namespace?: string | undefined
  opts: KeyvMemcacheOpts
  /**
   * The stored string, or `undefined` on a miss (or a failure, emitted). `Value` is there because
   * Keyv's store type asks for it: what comes back is always the string Keyv stored.
   */
  readonly get: <Value = string>(key: string) => Promise<Value | undefined>
  /** One multi-key `get`; `undefined` where missing, in the order of `keys`. */
  readonly getMany: <Value = string>(keys: ReadonlyArray<string>) => Promise<Array<Value | undefined>>
  /** `true` when stored. `ttl` in milliseconds. */
  readonly set: (key: string, value: string, ttl?: number) => Promise<boolean>
  /**
   * Pipelined sets, one batch per TTL. Resolves to nothing, as Keyv's store type says (a plain
   * `set` is only ever refused with an error, which is emitted).
   */
  readonly setMany: (entries: ReadonlyArray<KeyvEntry>) => Promise<void>
  /** `true` when the key existed. */
  readonly delete: (key: string) => Promise<boolean>
  /** `true` when every key existed (as Keyv's own fallback answers). */
  readonly deleteMany: (keys: ReadonlyArray<string>) => Promise<boolean>
  /** Whether the key holds a value whose Keyv `expires` has not passed. */
  readonly has: (key: string) => Promise<boolean>
  /** `has` for many keys, in one multi-key `get`. */
  readonly hasMany: (keys: ReadonlyArray<string>) => Promise<Array<boolean>>
  /** Empties the namespace (a new generation); without one, `flush_all` if allowed. */
  readonly clear: () => Promise<void>
  /** Closes the client when the store made it; a client of yours stays open. */
  readonly disconnect: () => Promise<void>
  readonly on: (event: string, listener: (error: MemcacheException) => void) => KeyvMemcache
  readonly once: (event: string, listener: (error: MemcacheException) => void) => KeyvMemcache
  readonly off: (event: string, listener: (error: MemcacheException) => void) => KeyvMemcache
  /** Emits to the listeners of `event`; an `'error'` nobody listens to is dropped, not thrown. */
  readonly emit: (event: string, error: MemcacheException) => boolean
}

/**
 * One entry of `setMany`, as Keyv passes it.
 *
 * @example
 * await store.setMany([{ key: 'keyv:a', value: '{"value":1}', ttl: 60_000 }, { key: 'keyv:b', value: '{"value":2}' }])
 * @category model
 */
export interface KeyvEntry {
  readonly key: string
  readonly value: string
  readonly ttl?: number | undefined
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const STORE_OPTIONS: ReadonlyArray<keyof KeyvStoreOptions> = ['allowFlushAll', 'throwOnErrors', 'maxKeyBytes', 'clock', 'namespace']

/** The connection part of the options: a client's transport, or a client of our own. */
const connectionOf = (options: KeyvMemcacheOptions): { readonly transport: Transport; readonly owned: boolean; readonly maxKeyBytes: number } => {
  const rest: Record<string, unknown> = { ...options }
  for (const name of STORE_OPTIONS) delete rest[name]
  if ('client' in options && options.client !== undefined) {
    const { client, ...others } = rest
    const extra = Object.keys(others).find((name) => others[name] !== undefined)
    const refused = extra === undefined ? undefined : invalidArgument(extra, 'give `client` or the options of a client to make, not both')
    // A refused configuration answers every call with why; the client stays the caller's.
    const transport = refused === undefined ? (client as ExistingClient['client']).transport : { send: () => TE.left(refused), close: async () => undefined }
    return { transport, owned: false, maxKeyBytes: MAX_KEY_LENGTH }
  }
  if (rest['serde'] !== undefined) {
    const refused = invalidArgument('serde', 'the Keyv store writes the strings Keyv serialises as text: serialise with Keyv (its `serialize` option)')
    return { transport: { send: () => TE.left(refused), close: async () => undefined }, owned: true, maxKeyBytes: MAX_KEY_LENGTH }
  }
  delete rest['client']
  delete rest['serde']
  // Checked by createClient, as every plain-JavaScript option is.
  const client = createClient(rest as unknown as ClientOptions<string> & { readonly serde?: undefined })
  const prefix = typeof rest['keyPrefix'] === 'string' ? rest['keyPrefix'] : ''
  return { transport: client.transport, owned: true, maxKeyBytes: MAX_KEY_LENGTH - byteLength(prefix) }
}

/** Keyv's `expires` in a stored envelope, read with `deserialize`; `undefined` when it has none. */
const expiresOf = async (raw: string, deserialize: (data: string) => unknown): Promise<number | undefined> => {
  try {
    const data: unknown = await deserialize(raw)
    if (typeof data !== 'object' || data === null) return undefined
    const expires: unknown = (data as Readonly<Record<string, unknown>>)['expires']
    return typeof expires === 'number' ? expires : undefined
  } catch {
    // Not Keyv's envelope (another writer's value): it is there, and says nothing of its end.
    return undefined
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A Keyv 5 store on memcached: over `servers` (the store makes and owns a client from
 * `createClient`'s options) or over your `client`. It never throws: a configuration that cannot
 * work makes every call emit the `InvalidArgument` saying why.
 *
 * @example
 * import Keyv from 'keyv'
 * import { createCache } from 'cache-manager'
 * const store = makeKeyvStore({ servers: '127.0.0.1:11211', timeout: 200 })
 * const keyv = new Keyv({ store, namespace: 'app' })
 * await keyv.set('user:1', { name: 'Ada' }, 30_000) // true
 * await keyv.get('user:1') // { name: 'Ada' }
 * await keyv.clear() // app's keys only
 * const cache = createCache({ stores: [keyv] })
 * @category constructors
 */
export const makeKeyvStore = (options: KeyvMemcacheOptions): KeyvMemcache => {
  const { transport, owned, maxKeyBytes: derivedMaxKeyBytes } = connectionOf(options)
  const maxKeyBytes = options.maxKeyBytes ?? derivedMaxKeyBytes
  const clock = options.clock ?? Date.now
  const emitter = new EventEmitter()
  // One listener per Keyv on this store, as Keyv's own event manager allows.
  emitter.setMaxListeners(100)

  const memcache = commands(text)
  const sendable = sendableKey(maxKeyBytes)
  const on = <A>(command: (transport: Transport) => TE.TaskEither<MemcacheError, A>): TE.TaskEither<MemcacheError, A> => command(transport)
  const generations = makeGenerations(
    {
      get: (key) => on(memcache.get(key)),
      getMany: (keys) => on(memcache.getMany(keys)),
      add: (key, value) => on(memcache.add(key, value)),
      set: (key, value) => on(memcache.set(key, value)),
    },
    (namespace) => sendable(generationKey(namespace)),
  )

  /** The memcached key of a Keyv key outside namespaces. */
  const plainKey = flow(storedKey(undefined, ''), sendable)
  const keyIn = (namespace: string, generation: string): ((key: string) => string) => flow(storedKey(namespace, generation), sendable)

  /** The values of Keyv's `keys` (in their order) in the namespace Keyv has set now. */
  const readNow = (keys: ReadonlyArray<string>): TE.TaskEither<MemcacheError, Array<string | undefined>> => {
    const namespace = store.namespace
    if (!hasNamespace(namespace)) {
      const sent = keys.map(plainKey)
      return pipe(
        on(memcache.getMany(sent)),
        TE.map((found) => sent.map((key) => found.get(key))),
      )
    }
    return pipe(
      generations.read(namespace, (generation) => keys.map(keyIn(namespace, generation))),
      TE.map(({ generation, found }) => keys.map((key) => found.get(keyIn(namespace, generation)(key)))),
    )
  }

  /** `write` with the memcached key of each Keyv key, in the namespace Keyv has set now. */
  const writeNow = <A>(write: (keyOf: (key: string) => string) => TE.TaskEither<MemcacheError, A>): TE.TaskEither<MemcacheError, A> => {
    const namespace = store.namespace
    if (!hasNamespace(namespace)) return write(plainKey)
    return generations.write(namespace, (generation) => write(keyIn(namespace, generation)))
  }

  const deserializer = (): ((data: string) => unknown) => store.opts.deserialize ?? JSON.parse

  const isLive = async (raw: string | undefined): Promise<boolean> => {
    if (raw === undefined) return false
    const expires = await expiresOf(raw, deserializer())
    return expires === undefined || expires > clock()
  }

  /** The outcome of `task`, or, when it failed, `fallback` after the error is emitted. */
  const settle = async <A>(task: TE.TaskEither<MemcacheError, A>, fallback: A): Promise<A> => {
    const result = await task()
    if (E.isRight(result)) return result.right
    const exception = MemcacheException(result.left)
    store.emit('error', exception)
    if (options.throwOnErrors === true) throw exception
    return fallback
  }

  const getMany = (keys: ReadonlyArray<string>): TE.TaskEither<MemcacheError, Array<string | undefined>> => (keys.length === 0 ? TE.right([]) : readNow(keys))

  const setMany = (entries: ReadonlyArray<KeyvEntry>): TE.TaskEither<MemcacheError, void> =>
    writeNow((keyOf) => {
        const now = clock()
        // memcached's batch takes one exptime: one batch per TTL.
        const byExptime = new Map<number, Array<readonly [string, string]>>()
        for (const entry of entries) {
          const exptime = toExptime(entry.ttl, now)
          const batch = byExptime.get(exptime) ?? []
          batch.push([keyOf(entry.key), entry.value])
          byExptime.set(exptime, batch)
        }
        return pipe(
          [...byExptime].map(([exptime, pairs]) => on(memcache.setMany(pairs, { exptime }))),
          TE.sequenceArray,
          TE.map(() => undefined),
        )
      })

  const clear = (): TE.TaskEither<MemcacheError, void> => {
    const namespace = store.namespace
    if (hasNamespace(namespace)) return generations.next(namespace)
    if (options.allowFlushAll === true) return on(memcache.flushAll())
    return TE.left(
      invalidArgument(
        'clear',
        'without a namespace it would be flush_all, emptying every server of everyone’s keys: give Keyv a namespace (its default is `keyv`), or pass allowFlushAll: true',
      ),
    )
  }

  const store: KeyvMemcache = {
    namespace: options.namespace,
    opts: { dialect: 'memcache' },
    // Keyv's `Value` is the string it stored: the one place the store's types meet Keyv's.
    get: <Value>(key: string) =>
      settle(
        pipe(
          readNow([key]),
          TE.map(([value]) => value),
        ),
        undefined,
      ) as Promise<Value | undefined>,
    getMany: <Value>(keys: ReadonlyArray<string>) => settle(getMany(keys), keys.map(() => undefined)) as Promise<Array<Value | undefined>>,
    set: (key, value, ttl) =>
      settle(
        writeNow((keyOf) => on(memcache.set(keyOf(key), value, { exptime: toExptime(ttl, clock()) }))),
        false,
      ),
    setMany: (entries) => settle(setMany(entries), undefined),
    delete: (key) =>
      settle(
        writeNow((keyOf) => on(memcache.delete(keyOf(key)))),
        false,
      ),
    deleteMany: (keys) =>
      settle(
        pipe(
          writeNow((keyOf) => on(memcache.deleteMany(keys.map(keyOf)))),
          TE.map((notFound) => notFound.length === 0),
        ),
        false,
      ),
    has: async (key) => isLive(await store.get<string>(key)),
    hasMany: async (keys) => Promise.all((await store.getMany<string>(keys)).map(isLive)),
    clear: () => settle(clear(), undefined),
    disconnect: () => (owned ? transport.close() : Promise.resolve()),
    on: (event, listener) => {
      emitter.on(event, listener)
      return store
    },
    once: (event, listener) => {
      emitter.once(event, listener)
      return store
    },
    off: (event, listener) => {
      emitter.off(event, listener)
      return store
    },
    emit: (event, error) => (event === 'error' && emitter.listenerCount('error') === 0 ? false : emitter.emit(event, error)),
  }
  return store
}
