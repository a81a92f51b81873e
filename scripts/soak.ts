/**
 * `npm run soak`: the proofs of test/fault at full size — tens of thousands of requests through the
 * faulty proxy per setup, hundreds of thousands of fuzzed replies and commands, tens of thousands
 * of clients and half a million requests for the leak check; then the embedded server under hostile
 * clients (test/emulator/serve-hostile.soak.ts). Not part of `npm test` (it takes
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
// The embedded server under hostile clients at full size (long lines, unfinished blocks, huge multi-gets).
const hostile =
  filters.length === 0
    ? spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', resolve('test/emulator/serve-hostile.soak.ts')], { stdio: 'inherit' })
    : undefined
const status = run.status !== 0 ? (run.status ?? 1) : (hostile?.status ?? 0)
console.log(`soak finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${status}`)
process.exit(status)
