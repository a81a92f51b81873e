import { defineConfig } from 'vitest/config'

// .ci/run sets FP_MEMCACHE_TEST_REPORT so its closing line is counted by vitest's own JSON report.
const report = process.env['FP_MEMCACHE_TEST_REPORT']

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: report === undefined ? ['default'] : ['default', 'json'],
    ...(report === undefined ? {} : { outputFile: { json: report } }),
  },
})
