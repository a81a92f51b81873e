/**
 * The Keyv store's cost per call against a real memcached: `keyv.get` of a hit, one after another
 * and 50 at a time, in a namespace (the generation checked with each call) and without one.
 *
 * Run: `npx tsx bench/keyv.ts` (or `KEYV_STORE=/path/to/src/keyv/store.ts npx tsx bench/keyv.ts`
 * to measure another checkout's store, e.g. the one before a change). Rounds alternate between the
 * two settings, and the median round is printed, in calls per second.
 */
import Keyv from 'keyv'
import { pathToFileURL } from 'node:url'
import { startMemcached } from '../test/support/memcached.js'
import type { makeKeyvStore as MakeKeyvStore } from '../src/keyv/store.js'

const ROUNDS = 7
const SEQUENTIAL_CALLS = 5_000
const CONCURRENT_CALLS = 50_000
const CONCURRENCY = 50

const storeModule = process.env['KEYV_STORE'] === undefined ? '../src/keyv/store.js' : pathToFileURL(process.env['KEYV_STORE']).href
const { makeKeyvStore } = (await import(storeModule)) as { readonly makeKeyvStore: typeof MakeKeyvStore }

const median = (values: ReadonlyArray<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

const perSecond = async (calls: number, concurrency: number, call: () => Promise<unknown>): Promise<number> => {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < calls) {
      next++
      await call()
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return calls / (Number(process.hrtime.bigint() - start) / 1e9)
}

const server = await startMemcached()
try {
  const settings = [
    { name: 'namespace keyv', namespace: 'keyv' },
    { name: 'no namespace', namespace: undefined },
  ] as const
  const keyvs = settings.map(({ namespace }) => {
    const store = makeKeyvStore({ servers: server.server })
    const keyv = new Keyv({ store })
    // Keyv's options take no `undefined` namespace; its setter does, and hands it to the store.
    keyv.namespace = namespace
    return keyv
  })
  for (const keyv of keyvs) await keyv.set('hit', { value: 'x'.repeat(100) })
  const results = settings.map(() => ({ sequential: [] as Array<number>, concurrent: [] as Array<number> }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, keyv] of keyvs.entries()) {
      results[index]?.sequential.push(await perSecond(SEQUENTIAL_CALLS, 1, () => keyv.get('hit')))
      results[index]?.concurrent.push(await perSecond(CONCURRENT_CALLS, CONCURRENCY, () => keyv.get('hit')))
    }
  }
  for (const [index, { name }] of settings.entries()) {
    const result = results[index]
    if (result === undefined) continue
    console.log(`${name.padEnd(16)} sequential ${Math.round(median(result.sequential)).toString().padStart(7)}/s   ${CONCURRENCY} concurrent ${Math.round(median(result.concurrent)).toString().padStart(7)}/s`)
  }
  await Promise.all(keyvs.map((keyv) => keyv.disconnect()))
} finally {
  await server.stop()
}
