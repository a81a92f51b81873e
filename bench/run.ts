/**
 * `npm run bench`: fp-memcache against memjs, memcached (npm) and memcache-client on one memcached
 * server. The benchmark itself is `bench/suite.ts`; this launcher compiles it and the library to
 * plain JavaScript first (see `compile.ts`) and runs that with `node`, so that fp-memcache is
 * measured as users run it, not as `tsx` rewrites it.
 *
 *   npm run bench                 full run (a few minutes on two cores); writes the README table
 *   npm run bench -- --quick      iterating: a tenth of the operations, 3 rounds, README untouched
 *   npm run bench -- --rounds=N --only=get,set,scaling,memory,decoder
 *   npm run bench -- --tsx        run bench/suite.ts under tsx directly (slower for fp-memcache)
 *   npm run bench -- --readme-only   the README table again from bench/results/latest.json
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileForBench } from './compile.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const results = join(root, 'bench', 'results')

if (args.includes('--tsx')) {
  process.env['FP_MEMCACHE_BENCH_RESULTS'] ??= results
  process.env['FP_MEMCACHE_BENCH_README'] ??= join(root, 'README.md')
  process.env['FP_MEMCACHE_BENCH_RUNTIME'] = 'tsx (esbuild keepNames)'
  await import('./suite.js')
} else {
  const out = compileForBench(root, ['bench/suite.ts', 'bench/ours.ts', 'bench/competitors.ts', 'bench/raw.ts', 'bench/decoder.ts', 'test/support/memcached.ts'])
  // --expose-gc: the memory figures are heap deltas after a collection.
  const child = spawn(process.execPath, ['--expose-gc', join(out, 'bench', 'suite.js'), ...args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      FP_MEMCACHE_BENCH_RESULTS: results,
      FP_MEMCACHE_BENCH_README: join(root, 'README.md'),
      FP_MEMCACHE_BENCH_RUNTIME: 'node, TypeScript transpiled (no type check)',
    },
  })
  child.once('exit', (code, signal) => {
    rmSync(out, { recursive: true, force: true })
    process.exitCode = code ?? (signal === null ? 1 : 128)
  })
}
