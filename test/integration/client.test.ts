/**
 * `createClient` end to end against real memcached processes started here: one server, two servers
 * behind the rendezvous router, an auth server, a TLS server; the Promise adapter; and `close()`
 * letting a child process exit on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import type { MemcacheException } from '../../src/exception.js'
import { toPromises } from '../../src/promise.js'
import { get as getEncoded } from '../../src/commands/retrieval.js'
import type { MemcacheError } from '../../src/error.js'
import { ownerOf } from '../../src/routing/rendezvous.js'
import { json } from '../../src/serde/json.js'
import { reconnecting } from '../../src/transport/reconnecting.js'
import type { Transport } from '../../src/transport/transport.js'
import { runTsx } from '../support/child.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { closedPort, fakeServer } from '../transport/fakes.js'

let one: MemcachedServer
let two: MemcachedServer
let secured: MemcachedServer
let secure: MemcachedServer
let plain: Transport
let counter = 0
const fresh = (label = 'c'): string => `${label}-${process.pid}-${++counter}`

const right = async <A>(task: TE.TaskEither<MemcacheError, A>): Promise<A> => {
  const result = await task()
  if (E.isLeft(result)) throw new Error(`expected a Right, got ${JSON.stringify(result.left)}`)
  return result.right
}
const left = async <A>(task: TE.TaskEither<MemcacheError, A>): Promise<MemcacheError> => {
  const result = await task()
  if (E.isRight(result)) throw new Error(`expected a Left, got ${String(result.right)}`)
  return result.left
}

beforeAll(async () => {
  ;[one, two, secured, secure] = await Promise.all([
    startMemcached(),
    startMemcached(),
    startMemcached({ auth: { username: 'user', password: 'secret' } }),
    startMemcached({ tls: true }),
  ])
  plain = reconnecting({ server: one.server })
})

afterAll(async () => {
  await plain?.close()
  await Promise.all([one?.stop(), two?.stop(), secured?.stop(), secure?.stop()])
})

describe('createClient, one server', () => {
  it('stores and reads UTF-8 strings by default', async () => {
    const client = createClient({ servers: one.server })
    try {
      const key = fresh()
      expect(await right(client.set(key, 'héllo ✓', { exptime: 100 }))).toBe(true)
      expect(await right(client.get(key))).toEqual(O.some('héllo ✓'))
      expect(await right(client.getMany([fresh(), key]))).toEqual(new Map([[key, 'héllo ✓']]))
      const stored = await right(getEncoded(key)(plain))
      expect(O.isSome(stored) && stored.value.flags).toBe(0)
    } finally {
      await client.close()
    }
  })

  it('add reports whether it stored (defaultNoreply is false)', async () => {
    const client = createClient({ servers: one.server })
    try {
      const key = fresh()
      expect(await right(client.add(key, 'first'))).toBe(true)
      expect(await right(client.add(key, 'second'))).toBe(false)
      expect(await right(client.get(key))).toEqual(O.some('first'))
    } finally {
      await client.close()
    }
  })

  it('defaultNoreply: writes resolve true without a reply, and land', async () => {
    const client = createClient({ servers: one.server, defaultNoreply: true })
    try {
      const key = fresh()
      expect(await right(client.add(key, 'a'))).toBe(true)
      expect(await right(client.add(key, 'b'))).toBe(true)
      expect(await right(client.get(key))).toEqual(O.some('a'))
      expect(await right(client.add(key, 'c', { noreply: false }))).toBe(false)
    } finally {
      await client.close()
    }
  })

  it('gets + cas, incr/decr, touch, delete, version and stats', async () => {
    const client = createClient({ servers: one.server })
    try {
      const key = fresh()
      await right(client.set(key, '1'))
      const read = await right(client.gets(key))
      expect(O.isSome(read)).toBe(true)
      if (O.isSome(read)) {
        expect(await right(client.cas(key, '2', read.value.cas))).toEqual({ _tag: 'Stored' })
        expect(await right(client.cas(key, '3', read.value.cas))).toEqual({ _tag: 'Exists' })
      }
      expect(await right(client.incr(key, 40))).toEqual(O.some(42n))
      expect(await right(client.decr(key, 2n))).toEqual(O.some(40n))
      expect(await right(client.touch(key, 60))).toBe(true)
      expect(await right(client.delete(key))).toBe(true)
      expect(await right(client.deleteMany([key]))).toEqual([key])
      expect(await right(client.version())).toMatch(/^1\./)
      expect((await right(client.stats())).pid).toBe(BigInt(one.pid()))
    } finally {
      await client.close()
    }
  })

  it('keyPrefix: keys are stored prefixed and come back unprefixed', async () => {
    const client = createClient({ servers: one.server, keyPrefix: 'app:' })
    try {
      const key = fresh()
      await right(client.set(key, 'scoped'))
      expect(await right(client.getMany([key]))).toEqual(new Map([[key, 'scoped']]))
      const raw = await right(getEncoded(`app:${key}`)(plain))
      expect(O.isSome(raw) && Buffer.from(raw.value.bytes).toString()).toBe('scoped')
      expect(await right(getEncoded(key)(plain))).toEqual(O.none)
      expect(await left(client.get('k'.repeat(247)))).toMatchObject({ _tag: 'InvalidKey', key: 'k'.repeat(247) })
    } finally {
      await client.close()
    }
  })

  it('allowUnicodeKeys and a json serde', async () => {
    const client = createClient({ servers: one.server, allowUnicodeKeys: true, serde: json })
    try {
      const key = `ключ-${fresh()}`
      expect(await right(client.set(key, { n: 1, list: ['a'] }))).toBe(true)
      expect(await right(client.get(key))).toEqual(O.some({ n: 1, list: ['a'] }))
    } finally {
      await client.close()
    }
    const strict = createClient({ servers: one.server })
    expect((await left(strict.get('ключ')))._tag).toBe('InvalidKey')
    await strict.close()
  })

  it('options that cannot work are Lefts, not exceptions', async () => {
    const none = createClient({ servers: [] })
    expect(await left(none.get('a'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'servers' })
    const badServer = createClient({ servers: 'host:notaport' })
    expect(await left(badServer.get('a'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'server' })
    const badPrefix = createClient({ servers: one.server, keyPrefix: 'has space' })
    expect(await left(badPrefix.get('a'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'keyPrefix' })
    await Promise.all([none.close(), badServer.close(), badPrefix.close()])
  })

  it('after close, commands fail with ConnectionClosed', async () => {
    const client = createClient({ servers: one.server })
    await right(client.version())
    await client.close()
    expect((await left(client.version()))._tag).toBe('ConnectionClosed')
  })
})

describe('createClient, two servers (rendezvous)', () => {
  it('places each key on the node rendezvous names, and getMany merges both in caller order', async () => {
    const client = createClient({ servers: [one.server, two.server], keyPrefix: 'multi:' })
    const direct = { [one.server]: plain, [two.server]: reconnecting({ server: two.server }) }
    try {
      const keys = Array.from({ length: 40 }, () => fresh('m'))
      expect(await right(client.setMany(keys.map((key) => [key, key.toUpperCase()] as const)))).toEqual([])
      const owner = ownerOf([one.server, two.server])
      const counts = new Map<string, number>()
      for (const key of keys) {
        const node = owner(key)
        expect(O.isSome(node)).toBe(true)
        if (O.isNone(node)) continue
        counts.set(node.value, (counts.get(node.value) ?? 0) + 1)
        const onNode = await right(getEncoded(`multi:${key}`)(direct[node.value] as Transport))
        expect(O.isSome(onNode)).toBe(true)
      }
      expect(counts.size).toBe(2)
      const shuffled = [...keys].reverse()
      const found = await right(client.getMany(shuffled))
      expect([...found.keys()]).toEqual(shuffled)
      expect([...found.values()]).toEqual(shuffled.map((key) => key.toUpperCase()))
    } finally {
      await client.close()
      await direct[two.server]?.close()
    }
  })
})

describe('createClient with auth and TLS', () => {
  it('authenticates with credentials; wrong ones are an AuthError Left', async () => {
    {
      const client = createClient({ servers: secured.server, credentials: { username: 'user', password: 'secret' } })
      const key = fresh()
      expect(await right(client.set(key, 'v'))).toBe(true)
      expect(await right(client.get(key))).toEqual(O.some('v'))
      await client.close()
      const wrong = createClient({ servers: secured.server, credentials: { username: 'user', password: 'nope' } })
      expect((await left(wrong.get(key)))._tag).toBe('AuthError')
      await wrong.close()
    }
  })

  it('talks TLS, checking the server certificate', async () => {
    {
      const material = secure.tls
      expect(material).toBeDefined()
      const client = createClient({ servers: secure.server, tls: { ca: material?.ca ?? '', servername: 'localhost' } })
      const key = fresh()
      expect(await right(client.set(key, 'over tls'))).toBe(true)
      expect(await right(client.get(key))).toEqual(O.some('over tls'))
      await client.close()
    }
  })
})

describe('toPromises', () => {
  it('resolves to values and rejects with a MemcacheException carrying the error', async () => {
    const cache = toPromises(createClient({ servers: one.server }))
    try {
      const key = fresh()
      await expect(cache.set(key, 'v')).resolves.toBe(true)
      await expect(cache.get(key)).resolves.toBe('v')
      await expect(cache.get(fresh())).resolves.toBeUndefined()
      await expect(cache.incr(key, 1)).rejects.toMatchObject({ _tag: 'ClientError' })
      const failure = await cache.get('bad key').then(
        () => undefined,
        (error: MemcacheException) => error,
      )
      expect(failure).toBeInstanceOf(Error)
      expect(failure).toMatchObject({ name: 'MemcacheException', _tag: 'InvalidKey', key: 'bad key', error: { _tag: 'InvalidKey' } })
      expect(typeof cache.transport.send).toBe('function')
    } finally {
      await expect(cache.close()).resolves.toBeUndefined()
    }
  })
})

describe('close', () => {
  it('a process whose clients are closed exits on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-memcache-exit-'))
    try {
      const script = join(dir, 'exit.mts')
      const clientModule = pathToFileURL(resolve('src/client.ts')).href
      writeFileSync(
        script,
        `import { createClient } from ${JSON.stringify(clientModule)}
const [single, multi] = [createClient({ servers: process.argv[2] }), createClient({ servers: [process.argv[2], process.argv[3]] })]
const results = []
for (const client of [single, multi]) {
  results.push(await client.set('exit-check', 'v', { exptime: 10 })())
  results.push(await client.getMany(['exit-check', 'other'])())
  results.push(await client.set('noreply-check', 'v', { noreply: true })())
}
await Promise.all([single.close(), multi.close()])
console.log(JSON.stringify(results.map((r) => r._tag)))
`,
      )
      const outcome = await runTsx(script, { args: [one.server, two.server] })
      expect(outcome.stderr).toBe('')
      expect(outcome.exited).toBe(true)
      expect(outcome.code).toBe(0)
      expect(JSON.parse(outcome.stdout)).toEqual(['Right', 'Right', 'Right', 'Right', 'Right', 'Right'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('createClient and the request context', () => {
  it('refuses a bad key with InvalidKey, not ConnectError, while the servers are down (one or several)', async () => {
    const ports = [await closedPort(), await closedPort()]
    for (const servers of [[`127.0.0.1:${ports[0]}`], ports.map((port) => `127.0.0.1:${port}`)]) {
      const client = createClient({ servers, connectTimeout: 200 })
      try {
        expect(await left(client.get('bad key'))).toMatchObject({ _tag: 'InvalidKey', key: 'bad key' })
        expect(await left(client.set('k'.repeat(251), 'v'))).toMatchObject({ _tag: 'InvalidKey' })
        // The servers really are down: a good key finds that out.
        expect((await left(client.get('fine')))._tag).toMatch(/ConnectError|NoServers/)
      } finally {
        await client.close()
      }
    }
  })

  it('gives every command its default timeout as a deadline, and a call its own', async () => {
    const silent = await fakeServer(() => undefined)
    const client = createClient({ servers: silent.server, timeout: 30 })
    try {
      expect(await left(client.get('k'))).toMatchObject({ _tag: 'Timeout', request: 'get' })
      const controller = new AbortController()
      const pending = client.get('k', { signal: controller.signal, timeout: 60_000 })()
      controller.abort(new Error('page closed'))
      expect(await pending).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'page closed' })))
    } finally {
      await client.close()
      await silent.close()
    }
  })
})
