/**
 * DRAFT (finished when the meta wiring lands): stampede protection. 50 requests for a page that
 * is not cached run the slow render once; when the product changes, `invalidate` marks the page
 * stale: one request renders it again while the others are still served the old page at once.
 *
 *   npx tsx examples/stampede.ts
 *
 * Needs memcached ≥ 1.6 (meta commands); the embedded server speaks them too.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { createClient, invalidArgument, makeStampede, viaSerde, type Encoded, type StampedeOps, type Transport } from 'fp-memcache'
import { text } from 'fp-memcache/serde'
import { describeServers, useServers } from './support/servers.js'

// TODO(wiring): replace with the meta commands (mg v c N R / ms T C / md I T) over `transport`.
const metaOps = (transport: Transport): StampedeOps<Encoded> => {
  void transport
  const notYet = TE.left(invalidArgument('transport', 'the meta-command wiring of stampede protection is not merged yet'))
  return { lookup: () => notYet, store: () => notYet, invalidate: () => notYet }
}

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
const cache = createClient({ servers: where.servers, timeout: 500 })
const pages = makeStampede(viaSerde(text)(metaOps(cache.transport)))
const options = { ttl: 300, lockTtl: 10, recacheBefore: 30, timeout: 5_000 }

const burst = async (label: string): Promise<void> => {
  const results = await Promise.all(Array.from({ length: 50 }, () => pages.getOrCompute('page:7', renderPage('7'), options)()))
  const served = results.filter(E.isRight).map((result) => result.right)
  const failed = results.filter(E.isLeft)
  console.log(`${label}: ${served.length} served (${new Set(served).size} distinct pages), renders so far: ${renders}`)
  if (failed[0] !== undefined) console.log(`  failed: ${failed.length}, e.g. ${failed[0].left._tag}: ${failed[0].left.message}`)
}

await burst('cold cache, 50 at once')
await burst('warm cache, 50 at once')
price = 12 // the source changes first, then the cache is told
const invalidated = await pages.invalidate('page:7', { staleFor: 60 })()
console.log(`invalidate -> ${E.isRight(invalidated) ? invalidated.right : invalidated.left._tag}`)
await burst('after invalidate, 50 at once (stale served, one re-render)')
await burst('afterwards')

await cache.close()
await where.close()
