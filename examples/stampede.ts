/**
 * Stampede protection: 50 requests for a page that is not cached run the slow render once; when
 * the product changes, `invalidate` marks the page stale: one request renders it again while the
 * others are still served the old page at once.
 *
 *   npx tsx examples/stampede.ts                                  # an embedded server of our own
 *   MEMCACHED_SERVERS=127.0.0.1:11211 npx tsx examples/stampede.ts   # your memcached
 *
 * Needs memcached 1.6 or later (meta commands); the embedded server speaks them too. The lock is
 * memcached's own, so the same holds across any number of processes and machines.
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { createClient, type Outcome } from 'fp-memcache'
import { describeServers, useServers } from './support/servers.js'

let renders = 0
let price = 10
const renderPage = (id: string): TE.TaskEither<'not found', string> => async () => {
  renders++
  const priceNow = price
  await new Promise((resolve) => setTimeout(resolve, 200)) // a slow render
  return E.right(`<h1>product ${id}</h1><p>${priceNow} €</p>`)
}

const where = await useServers()
console.log(describeServers(where))
const cache = createClient({ servers: where.servers, keyPrefix: 'stampede-example:', timeout: 500 })
await cache.delete('page:7')() // a cold start, however often the example runs against your server

const burst = async (label: string): Promise<void> => {
  const outcomes: Record<string, number> = {}
  const onOutcome = (outcome: Outcome): void => {
    outcomes[outcome._tag] = (outcomes[outcome._tag] ?? 0) + 1
  }
  const options = { ttl: 300, lockTtl: 10, recacheBefore: 30, timeout: 5_000, onOutcome }
  const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrCompute('page:7', renderPage('7'), options)()))
  const served = results.filter(E.isRight).map((result) => result.right)
  const failed = results.filter(E.isLeft)
  const how = Object.entries(outcomes).map(([tag, count]) => `${count} ${tag}`).join(', ')
  console.log(`${label}: ${served.length} served (${how}), renders so far: ${renders}`)
  if (failed[0] !== undefined) console.log(`  failed: ${failed.length}, e.g. ${failed[0].left._tag}: ${failed[0].left.message}`)
}

await burst('cold cache, 50 at once')
await burst('warm cache, 50 at once')
price = 12 // the source changes first, then the cache is told
const invalidated = await cache.invalidate('page:7', { staleFor: 60 })()
console.log(`invalidate -> ${E.isRight(invalidated) ? invalidated.right : invalidated.left._tag}`)
await burst('after invalidate, 50 at once (the old page served, one re-render)')
await burst('afterwards')
const page = await cache.get('page:7')()
console.log(`cached page -> ${E.isRight(page) && page.right._tag === 'Some' ? page.right.value : '(none)'}`)

await cache.close()
await where.close()
