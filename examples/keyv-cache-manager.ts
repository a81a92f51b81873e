/**
 * cache-manager 7 on memcached: Keyv 5 with fp-memcache's store, in front of a slow lookup.
 *
 *   npx tsx examples/keyv-cache-manager.ts                                  # an embedded server of our own
 *   MEMCACHED_SERVERS=127.0.0.1:11211 npx tsx examples/keyv-cache-manager.ts   # your memcached
 */
import { createCache } from 'cache-manager'
import Keyv from 'keyv'
import { makeKeyvStore } from 'fp-memcache/keyv'
import { describeServers, useServers } from './support/servers.js'

const where = await useServers()
console.log(`cache-manager + Keyv against ${describeServers(where)}`)

// The store makes its client from createClient's options, and closes it on disconnect.
const store = makeKeyvStore({ servers: where.servers, timeout: 500 })
// Each Keyv namespace is its own: clear() empties this one and nothing else on the server.
const keyv = new Keyv({ store, namespace: 'example-products' })
keyv.on('error', (error) => console.error('cache error (the call went on without the cache):', error.message))
const cache = createCache({ stores: [keyv], ttl: 60_000 })

let lookups = 0
const slowLookup = async (id: number) => {
  lookups++
  return { id, name: `product ${id}`, price: 10 * id, tags: ['new', 'café ☕'] }
}

const product = (id: number) => cache.wrap(`product:${id}`, () => slowLookup(id))
const show = (label: string, value: unknown) => console.log(`${label.padEnd(32)} ->`, JSON.stringify(value))

await cache.clear()
show('wrap product:7 (computed)', await product(7))
show('wrap product:7 (from memcached)', await product(7))
show('lookups so far', lookups)

await cache.set('session: with spaces and a long tail '.padEnd(300, '.'), { user: 'ada' }, 500)
show('get a 300-byte key with spaces', await cache.get('session: with spaces and a long tail '.padEnd(300, '.')))
show('mget product:7, missing', await cache.mget(['product:7', 'missing']))
show('del product:7', await cache.del('product:7'))
show('get product:7 after del', (await cache.get('product:7')) ?? '(miss)')

await cache.disconnect()
await where.close()
