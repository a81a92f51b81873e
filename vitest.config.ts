import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// .ci/run sets FP_MEMCACHE_TEST_REPORT so its closing line is counted by vitest's own JSON report.
const report = process.env['FP_MEMCACHE_TEST_REPORT']
const source = fileURLToPath(new URL('./src', import.meta.url))

export default defineConfig({
  // Examples import the package by name, as users do; tests run them against the sources.
  resolve: {
    alias: [
      { find: /^fp-memcache$/, replacement: `${source}/index.ts` },
      { find: /^fp-memcache\/(.*)$/, replacement: `${source}/$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: report === undefined ? ['default'] : ['default', 'json'],
    ...(report === undefined ? {} : { outputFile: { json: report } }),
  },
})
