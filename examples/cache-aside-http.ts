/**
 * Cache-aside in an HTTP handler: `getOrSet` reads the cache, or computes the value (here a slow
 * "database" call), stores it for 30 s and answers. The cache is best effort: if it is down, the
 * handler still answers from the database, and the failure is logged.
 *
 *   npx tsx examples/cache-aside-http.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { commands, createClient, getOrSet } from 'fp-memcache'
import { codec, json } from 'fp-memcache/serde'
import { describeServers, useServers } from './support/servers.js'

const Product = t.type({ id: t.string, name: t.string, price: t.number }, 'Product')
type Product = t.TypeOf<typeof Product>

let databaseCalls = 0
const loadProduct = (id: string): TE.TaskEither<'not found', Product> => async () => {
  databaseCalls++
  await new Promise((resolve) => setTimeout(resolve, 50)) // a slow query
  return /^\d+$/.test(id) ? E.right({ id, name: `product ${id}`, price: Number(id) * 1.5 }) : E.left('not found')
}

const where = await useServers()
const cache = createClient({ servers: where.servers, keyPrefix: 'shop:', timeout: 200 })
const cachedProduct = getOrSet(commands(codec(Product, json)))

const server = createServer(async (request, response) => {
  const id = request.url?.match(/^\/products\/([^/]+)$/)?.[1]
  if (id === undefined) {
    response.writeHead(404).end()
    return
  }
  const started = performance.now()
  const product = await cachedProduct(`product:${id}`, loadProduct(id), {
    exptime: 30,
    onCacheError: (error, during) => console.warn(`cache ${during} failed, served from the database: ${error._tag}`),
  })(cache.transport)()
  const took = `${(performance.now() - started).toFixed(1)} ms`
  if (E.isRight(product)) response.writeHead(200, { 'content-type': 'application/json', 'x-took': took }).end(JSON.stringify(product.right))
  else response.writeHead(404, { 'x-took': took }).end()
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
console.log(`cache-aside HTTP example on ${base}, cache: ${describeServers(where)}`)

for (const path of ['/products/7', '/products/7', '/products/7', '/products/nope']) {
  const answer = await fetch(base + path)
  console.log(`GET ${path.padEnd(15)} -> ${answer.status} in ${answer.headers.get('x-took')}: ${await answer.text()}`)
}
console.log(`database calls: ${databaseCalls} (one per product, then served from the cache; misses are not cached)`)

await new Promise((resolve) => server.close(resolve))
await cache.close()
await where.close()
