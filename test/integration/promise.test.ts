/**
 * The Promise client against a real memcached started here: plain results, the cas round trip,
 * counters past 2^53 and at 2^64, `MemcacheException` rejections for the server's refusals and
 * for a server that is not there; and a plain JavaScript (.mjs) program using it as a memjs user
 * would, run in a child process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcacheException, isMemcacheException } from '../../src/exception.js'
import { createPromiseClient, type PromiseClient } from '../../src/promise.js'
import { json } from '../../src/serde/json.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { closedPort } from '../transport/fakes.js'

let server: MemcachedServer
let cache: PromiseClient<string>
let counter = 0
const fresh = (label = 'p'): string => `${label}-${process.pid}-${++counter}`

beforeAll(async () => {
  server = await startMemcached()
  cache = createPromiseClient({ servers: server.server })
})

afterAll(async () => {
  await cache.close()
  await server.stop()
})

describe('createPromiseClient against memcached', () => {
  it('a miss is undefined, a hit the value, many keys a plain object', async () => {
    const key = fresh()
    expect(await cache.get(key)).toBeUndefined()
    expect(await cache.set(key, 'v', { exptime: 60 })).toBe(true)
    expect(await cache.get(key)).toBe('v')
    expect(await cache.getMany([key, fresh()])).toEqual({ [key]: 'v' })
  })

  it('gets and cas round trip: true, then false with the old cas, undefined once deleted', async () => {
    const key = fresh()
    await cache.set(key, 'v1')
    const found = await cache.gets(key)
    expect(typeof found?.cas).toBe('bigint')
    if (found === undefined) throw new Error('expected a hit')
    expect(await cache.cas(key, 'v2', found.cas)).toBe(true)
    expect(await cache.cas(key, 'v3', found.cas)).toBe(false)
    expect(await cache.delete(key)).toBe(true)
    expect(await cache.cas(key, 'v4', found.cas)).toBeUndefined()
  })

  it('counters: undefined when missing, numbers, the exact bigint past 2^53, 0 after 2^64 - 1', async () => {
    const key = fresh()
    expect(await cache.incr(key, 1)).toBeUndefined()
    await cache.set(key, String(Number.MAX_SAFE_INTEGER))
    expect(await cache.incr(key, 0)).toBe(Number.MAX_SAFE_INTEGER)
    expect(await cache.incr(key, 2)).toBe(2n ** 53n + 1n)
    await cache.set(key, String(2n ** 64n - 2n))
    expect(await cache.incr(key, 1)).toBe(2n ** 64n - 1n)
    expect(await cache.incr(key, 1)).toBe(0)
  })

  it("the server's refusal rejects with a MemcacheException", async () => {
    const key = fresh()
    await cache.set(key, 'not a number')
    const failure: unknown = await cache.incr(key, 1).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(MemcacheException)
    expect(failure).toBeInstanceOf(Error)
    expect(isMemcacheException(failure, 'ClientError')).toBe(true)
  })

  it('getOrSet with a json serde computes once', async () => {
    const objects = createPromiseClient({ servers: server.server, serde: json })
    try {
      const key = fresh()
      let runs = 0
      const load = async () => ({ id: key, runs: ++runs })
      expect(await objects.getOrSet(key, load, { exptime: 60 })).toEqual({ id: key, runs: 1 })
      expect(await objects.getOrSet(key, load, { exptime: 60 })).toEqual({ id: key, runs: 1 })
    } finally {
      await objects.close()
    }
  })

  it('stats are plain numbers', async () => {
    const stats = await cache.stats()
    expect(typeof stats.pid).toBe('number')
    expect(typeof stats.curr_connections).toBe('number')
    expect(() => JSON.stringify(stats)).not.toThrow()
  })

  it('a server that is not there rejects with ConnectError; a bad server string with InvalidArgument', async () => {
    const down = createPromiseClient({ servers: `127.0.0.1:${await closedPort()}`, connectTimeout: 500 })
    const malformed = createPromiseClient({ servers: 'http://x' })
    try {
      expect(isMemcacheException(await down.get('k').catch((error: unknown) => error), 'ConnectError')).toBe(true)
      expect(isMemcacheException(await malformed.get('k').catch((error: unknown) => error))).toBe(true)
    } finally {
      await down.close()
      await malformed.close()
    }
  })
})

describe('plain JavaScript', () => {
  const runChild = (script: string, args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((done) => {
      const child = spawn(resolve('node_modules/.bin/tsx'), [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      // A guard against a hung child, not a timing assertion.
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000)
      child.once('exit', (code) => {
        clearTimeout(guard)
        done({ code, stdout, stderr })
      })
    })

  it('an .mjs program uses it as a memjs user would: truthiness, plain values, catch, instanceof', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-memcache-plain-'))
    try {
      const script = join(dir, 'plain.mjs')
      const promiseModule = pathToFileURL(resolve('src/promise.ts')).href
      const exceptionModule = pathToFileURL(resolve('src/exception.ts')).href
      writeFileSync(
        script,
        `import { createPromiseClient } from ${JSON.stringify(promiseModule)}
import { MemcacheException } from ${JSON.stringify(exceptionModule)}

const cache = createPromiseClient({ servers: process.argv[2], keyPrefix: 'plain-' + process.pid + ':' })
const seen = {}
try {
  seen.missIsFalsy = !(await cache.get('greeting'))
  if (!(await cache.get('greeting'))) await cache.set('greeting', 'hello', { exptime: 60 })
  seen.hit = await cache.get('greeting')
  const found = await cache.gets('greeting')
  seen.stored = await cache.cas('greeting', 'hi', found.cas)
  seen.stale = await cache.cas('greeting', 'hey', found.cas)
  seen.missingCounter = await cache.incr('views', 1)
  await cache.set('views', '41')
  seen.views = await cache.incr('views', 1)
  let threw = false
  let pending
  try {
    pending = cache.set('no-value')
  } catch {
    threw = true
  }
  seen.threwSynchronously = threw
  seen.refusal = await pending.catch((e) => ({ exception: e instanceof MemcacheException, error: e instanceof Error, tag: e._tag }))
  seen.badKey = await cache.get(42).catch((e) => e._tag)
  seen.json = JSON.parse(JSON.stringify({ many: await cache.getMany(['greeting', 'nothing']), found }))
} finally {
  await cache.close()
}
console.log(JSON.stringify(seen))
`,
      )
      const outcome = await runChild(script, [server.server])
      expect(outcome.stderr).toBe('')
      expect(outcome.code).toBe(0)
      expect(JSON.parse(outcome.stdout)).toEqual({
        missIsFalsy: true,
        hit: 'hello',
        stored: true,
        stale: false,
        views: 42,
        threwSynchronously: false,
        refusal: { exception: true, error: true, tag: 'InvalidArgument' },
        badKey: 'InvalidKey',
        json: { many: { greeting: 'hi' }, found: { value: 'hello', cas: expect.stringMatching(/^\d+$/) as unknown } },
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
