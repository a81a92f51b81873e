/**
 * `npm run soak`: the proofs of test/fault at full size — tens of thousands of requests through the
 * faulty proxy per setup, hundreds of thousands of fuzzed replies and commands, tens of thousands
 * of clients and half a million requests for the leak check. Not part of `npm test` (it takes
 * several minutes). Arguments are passed to vitest (`npm run soak -- crossed` runs one file).
 *
 * FP_MEMCACHE_SEED=<n> replays another sequence of faults and fuzz cases; each test prints what it
 * tried and what it saw (requests, wrong, hung, errors by tag, faults injected, leaks).
 */
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

const filters = process.argv.slice(2)
const started = Date.now()
const run = spawnSync(
  resolve('node_modules/.bin/vitest'),
  ['run', ...(filters.length === 0 ? ['test/fault'] : filters.map((filter) => `test/fault/${filter}`)), '--testTimeout=1800000', '--hookTimeout=120000', '--fileParallelism=false'],
  { stdio: 'inherit', env: { ...process.env, FP_MEMCACHE_SOAK: '1' } },
)
console.log(`soak finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${run.status ?? run.signal}`)
process.exit(run.status ?? 1)
