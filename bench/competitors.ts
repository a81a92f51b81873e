/**
 * The other Node memcached clients, behind one small promise interface, for `npm run bench`.
 * Each is used the way its README shows: one client per server, default options.
 */
import { MemcacheClient } from 'memcache-client'
import Memcached from 'memcached'
import memjs from 'memjs'

export interface BenchClient {
  readonly name: string
  readonly get: (key: string) => Promise<unknown>
  readonly set: (key: string, value: Buffer) => Promise<unknown>
  readonly getMany: (keys: ReadonlyArray<string>) => Promise<unknown>
  readonly close: () => Promise<void>
}

export const memjsClient = (server: string): BenchClient => {
  const client = memjs.Client.create(server, { logger: { log: () => undefined } })
  return {
    name: 'memjs',
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value, {}),
    // memjs speaks the binary protocol and has no multi-get: one get per key, concurrently.
    getMany: (keys) => Promise.all(keys.map((key) => client.get(key))),
    close: async () => client.close(),
  }
}

export const memcachedClient = (server: string): BenchClient => {
  const client = new Memcached(server, { retries: 0 })
  return {
    name: 'memcached',
    get: (key) => new Promise((resolve, reject) => client.get(key, (error, data) => (error ? reject(error) : resolve(data)))),
    set: (key, value) => new Promise((resolve, reject) => client.set(key, value, 0, (error, result) => (error ? reject(error) : resolve(result)))),
    getMany: (keys) => new Promise((resolve, reject) => client.getMulti([...keys], (error, data) => (error ? reject(error) : resolve(data)))),
    close: async () => client.end(),
  }
}

export const memcacheClientClient = (server: string): BenchClient => {
  const client = new MemcacheClient({ server })
  return {
    name: 'memcache-client',
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getMany: (keys) => client.get([...keys]),
    close: async () => client.shutdown(),
  }
}
