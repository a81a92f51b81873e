/**
 * Every runnable example runs here, as a user would run it (`npx tsx examples/<name>.ts`): with
 * embedded servers, and the ones that matter most against real memcached via MEMCACHED_SERVERS.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMemcached, type MemcachedServer } from './support/memcached.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

const run = (example: string, environment: Record<string, string> = {}) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, ...environment }
    if (environment['MEMCACHED_SERVERS'] === undefined) delete env['MEMCACHED_SERVERS']
    execFile(tsx, [`examples/${example}.ts`], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: stdout + stderr })
    })
  })

const expectations: Record<string, ReadonlyArray<RegExp>> = {
  quickstart: [/get greeting\s+-> hello, memcached/, /add greeting \(exists\)\s+-> false/, /incr visits twice\s+-> 42n/, /Left InvalidKey/],
  pipeline: [/stored 300 users, read back 300/, /set\s+n= 300/],
  'typed-values': [/read back Ada, a admin since 2024 \(a real Date: true\)/, /Left SerdeError: value does not match User: at \$\.roles/],
  'cache-aside-http': [/GET \/products\/7\s+-> 200/, /GET \/products\/nope\s+-> 404/, /database calls: 2/],
  'migrate-from-memcached-npm': [/old read: \{ migrated: true, at: 2026 \}/],
  stampede: [
    /cold cache, 50 at once: 50 served \(1 Computed, 49 Hit\), renders so far: 1$/m,
    /warm cache, 50 at once: 50 served \(50 Hit\), renders so far: 1$/m,
    /invalidate -> true/,
    /after invalidate, 50 at once \(the old page served, one re-render\): 50 served \(49 Stale, 1 Computed\), renders so far: 2$/m,
    /afterwards: 50 served \(50 Hit\), renders so far: 2$/m,
    /cached page -> <h1>product 7<\/h1><p>12 €<\/p>/,
  ],
  'keyv-cache-manager': [/wrap product:7 \(from memcached\)\s+-> \{"id":7/, /lookups so far\s+-> 1/, /get a 300-byte key with spaces\s+-> \{"user":"ada"\}/, /get product:7 after del\s+-> "\(miss\)"/],
}

describe('examples, with embedded servers', () => {
  it.each(Object.keys(expectations))('%s', async (example) => {
    const { code, output } = await run(example)
    expect(output).not.toMatch(/SOMETHING ELSE/)
    for (const pattern of expectations[example] ?? []) expect(output).toMatch(pattern)
    expect(code).toBe(0)
  }, 60_000)
})

describe('examples, against real memcached (MEMCACHED_SERVERS)', () => {
  const servers: Array<MemcachedServer> = []
  beforeAll(async () => {
    servers.push(...(await Promise.all([startMemcached(), startMemcached(), startMemcached()])))
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
  })

  it.each(['quickstart', 'pipeline', 'migrate-from-memcached-npm', 'keyv-cache-manager', 'stampede'])('%s', async (example) => {
    const { code, output } = await run(example, { MEMCACHED_SERVERS: servers.map((server) => server.server).join(',') })
    expect(output).toContain('MEMCACHED_SERVERS=')
    expect(output).not.toMatch(/SOMETHING ELSE/)
    for (const pattern of expectations[example] ?? []) expect(output).toMatch(pattern)
    expect(code).toBe(0)
  }, 60_000)
})
