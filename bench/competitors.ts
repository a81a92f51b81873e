/**
 * The other Node memcached clients, behind one small promise interface, for `npm run bench`.
 *
 * Each is used the way its README shows: one client per server, default options, except
 * memcache-client, which is given its documented `noDelay: true` (memcached and fp-memcache
 * disable Nagle by default; memjs has no such option and leaves it on) and a `lifetime` (below),
 * and memcached, which is given `idle: 0` (see there). memcached pools up to 10 sockets per server
 * (its `poolSize` default); the others use one.
 *
 * The hot path of a workload only calls `get` / `getMany` / `set` and awaits the library's own
 * promise; `found`, `foundMany` and `stored` read a result back into plain bytes and are used to
 * check correctness during warm-up only, so that their cost is nobody's.
 */
// memcache-client's parser requires `tslib` without declaring it; it is a devDependency here for that.
import { MemcacheClient } from 'memcache-client'
import Memcached from 'memcached'
import memjs from 'memjs'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One client under test. The result types are the library's own; method syntax keeps the
 * interface bivariant in them, so clients of different libraries share one list.
 */
export interface BenchClient<G = unknown, M = unknown, S = unknown> {
  readonly name: string
  /** What the reader of the results should know: `setup` (how it is configured) and per workload id. */
  readonly notes: Readonly<Record<string, string>>
  get(key: string): Promise<G>
  getMany(keys: ReadonlyArray<string>): Promise<M>
  set(key: string, value: Buffer): Promise<S>
  /** `true` for a result that is an error value (our `Left`s); the others reject instead. */
  failed(result: G | M | S): boolean
  /** The bytes a `get` found; `undefined` for a miss. */
  found(result: G): Uint8Array | undefined
  /** The keys a `getMany(keys)` found, with their bytes. */
  foundMany(result: M, keys: ReadonlyArray<string>): ReadonlyMap<string, Uint8Array>
  stored(result: S): boolean
  close(): Promise<void>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Bytes from what a library hands back: a Buffer, a string (flags it reads as text), or nothing. */
export const asBytes = (value: unknown): Uint8Array | undefined => {
  if (value === undefined || value === null || value === false) return undefined
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new Error(`not a value: ${JSON.stringify(value)}`)
}

const never = (): boolean => false

const entries = (record: Readonly<Record<string, unknown>> | undefined, pick: (value: unknown) => unknown): ReadonlyMap<string, Uint8Array> => {
  const map = new Map<string, Uint8Array>()
  for (const [key, value] of Object.entries(record ?? {})) {
    const bytes = asBytes(pick(value))
    if (bytes !== undefined) map.set(key, bytes)
  }
  return map
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

type MemjsGet = { readonly value: Buffer | null; readonly flags: Buffer | null }

export const memjsClient = (server: string): BenchClient<MemjsGet, ReadonlyArray<MemjsGet>, boolean> => {
  const client = memjs.Client.create(server, { logger: { log: () => undefined } })
  return {
    name: 'memjs',
    notes: {
      setup: 'binary protocol, one socket, default options (Nagle left on: memjs has no noDelay option)',
      'get-many': 'memjs has no multi-get: its row is 10 single-key gets in flight at once per operation',
    },
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value, {}),
    getMany: (keys) => Promise.all(keys.map((key) => client.get(key))),
    failed: never,
    found: (result) => asBytes(result.value),
    foundMany: (results, keys) => {
      const map = new Map<string, Uint8Array>()
      results.forEach((result, i) => {
        const bytes = asBytes(result.value)
        const key = keys[i]
        if (bytes !== undefined && key !== undefined) map.set(key, bytes)
      })
      return map
    },
    stored: (result) => result,
    close: async () => client.close(),
  }
}

export const memcachedClient = (server: string): BenchClient<unknown, Readonly<Record<string, unknown>>, boolean> => {
  // `idle: 0` keeps its pooled sockets open between workloads: by default a socket idle for 5 s is
  // dropped, and the next burst then waits a second (its pool's retry delay) for new ones.
  const client = new Memcached(server, { idle: 0 })
  return {
    name: 'memcached',
    notes: { setup: 'ASCII, pool of up to 10 sockets (its poolSize default), idle: 0 so the pool stays warm' },
    get: (key) => new Promise((resolve, reject) => client.get(key, (error, data: unknown) => (error ? reject(error) : resolve(data)))),
    set: (key, value) => new Promise((resolve, reject) => client.set(key, value, 0, (error, result: boolean) => (error ? reject(error) : resolve(result)))),
    getMany: (keys) =>
      new Promise((resolve, reject) =>
        client.getMulti([...keys], (error, data: Readonly<Record<string, unknown>>) => (error ? reject(error) : resolve(data))),
      ),
    failed: never,
    found: asBytes,
    foundMany: (result) => entries(result, (value) => value),
    stored: (result) => result,
    close: async () => client.end(),
  }
}

type McGet = { readonly value: unknown } | undefined

/** memcached's longest relative lifetime, in seconds: memcache-client's `0` means its default, 60. */
const THIRTY_DAYS = 30 * 24 * 60 * 60
type McMany = Readonly<Record<string, { readonly value: unknown }>>

export const memcacheClientClient = (server: string): BenchClient<McGet, McMany, unknown> => {
  // Its entries live 60 s unless told otherwise (other clients store without expiry): its seeded
  // keys expired a minute into a full run, and its gets were misses from then on.
  const client = new MemcacheClient({ server, noDelay: true, lifetime: THIRTY_DAYS })
  return {
    name: 'memcache-client',
    notes: { setup: 'ASCII, one socket (its maxConnections default), noDelay: true, lifetime: 30 days (its default is 60 s)' },
    get: (key) => client.get<unknown>(key) as Promise<McGet>,
    set: (key, value) => client.set(key, value),
    // A miss resolves to `undefined` although the typings say otherwise; a multi-get resolves to an object by key.
    getMany: (keys) => client.get<Record<string, { value: unknown; tokens: Array<string> }>>([...keys]),
    failed: never,
    found: (result) => asBytes(result?.value),
    foundMany: (result) => entries(result, (value) => (value as McGet)?.value),
    // Resolves to the server's reply lines, e.g. ['STORED'].
    stored: (result) => JSON.stringify(result).includes('STORED'),
    close: async () => client.shutdown(),
  }
}
