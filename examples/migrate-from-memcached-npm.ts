/**
 * Migrating from the `memcached` npm package while both share one cache: fp-memcache places keys
 * with the same ketama ring (`ketama`) and reads and writes values with the same flags
 * (`memcachedNpm` serde), so the old and the new code can run side by side during the move.
 *
 *   npx tsx examples/migrate-from-memcached-npm.ts     # three embedded servers
 */
import * as E from 'fp-ts/lib/Either.js'
import Memcached from 'memcached'
import { commands } from 'fp-memcache'
import { ketamaRouter } from 'fp-memcache/routing'
import { memcachedNpm, type MemcachedNpmValue } from 'fp-memcache/serde'
import { reconnecting } from 'fp-memcache/transport'
import { describeServers, useServers } from './support/servers.js'

const where = await useServers(3)
console.log(`migration example over ${describeServers(where)}`)

// The old code: the memcached package over the cluster.
const legacy = new Memcached([...where.servers], { retries: 0 })
const legacySet = (key: string, value: unknown) =>
  new Promise<void>((resolve, reject) => legacy.set(key, value, 300, (error) => (error ? reject(error) : resolve())))
const legacyGet = (key: string) =>
  new Promise<unknown>((resolve, reject) => legacy.get(key, (error, data) => (error ? reject(error) : resolve(data))))

// The new code: same servers, same ring, same value convention.
const cluster = ketamaRouter(where.servers.map((server) => ({ name: server, transport: reconnecting({ server }) })))
const cache = commands(memcachedNpm)

const written: ReadonlyArray<readonly [string, MemcachedNpmValue]> = [
  ['session:ada', { user: 'ada', roles: ['admin'] }],
  ['counter:visits', 42],
  ['greeting', 'hello from the old code'],
  ['avatar:ada', new Uint8Array([0x89, 0x50, 0x4e, 0x47])],
]
for (const [key, value] of written) await legacySet(key, value instanceof Uint8Array ? Buffer.from(value) : value)

let mismatches = 0
for (const [key, value] of written) {
  const read = await cache.get(key)(cluster)()
  const shown = E.isRight(read) ? read.right : read.left
  const same = E.isRight(read) && JSON.stringify(read.right) === JSON.stringify({ _tag: 'Some', value })
  if (!same) mismatches++
  console.log(`old wrote ${key.padEnd(15)} new read ${same ? 'the same value' : 'SOMETHING ELSE'}:`, shown)
}

// And the reverse: what the new code writes, the old code reads.
await cache.set('from-new-code', { migrated: true, at: 2026 })(cluster)()
console.log('new wrote from-new-code     old read:', await legacyGet('from-new-code'))

legacy.end()
await cluster.close()
await where.close()
process.exitCode = mismatches === 0 ? 0 : 1
