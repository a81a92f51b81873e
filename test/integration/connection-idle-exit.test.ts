/**
 * An idle connection does not keep a Node process alive, and a busy one does: child processes use
 * clients (one server, two servers, TLS, a pool) and never call `close()`; each must exit on its own
 * with code 0 once its work is done, and not before (a pending reply, a `noreply` write in flight).
 *
 * Bounds here are guards against a hung child (a test timeout), never timing assertions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { runTsx, type Outcome } from '../support/child.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { answering, fakeServer, type FakeServer } from '../transport/fakes.js'

interface Child {
  /** Resolves when the child exits (or was killed by the guard). */
  readonly outcome: Promise<Outcome>
}

const module = (path: string): string => JSON.stringify(pathToFileURL(resolve(path)).href)

let dir: string
let one: MemcachedServer
let two: MemcachedServer
let secure: MemcachedServer
let scripts = 0

/** Writes `source` as an ES module in a temp dir and runs it with tsx (so it can import `src/`). */
const runChild = (source: string, env: Readonly<Record<string, string>> = {}): Child => {
  const script = join(dir, `child-${++scripts}.mts`)
  writeFileSync(script, source)
  return { outcome: runTsx(script, { env }) }
}

const exitedCleanly = (outcome: Outcome): unknown => {
  expect(outcome.stderr).toBe('')
  expect(outcome.exited).toBe(true)
  expect(outcome.code).toBe(0)
  return JSON.parse(outcome.stdout)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fp-memcache-idle-'))
  ;[one, two, secure] = await Promise.all([startMemcached(), startMemcached(), startMemcached({ tls: true })])
})

afterAll(async () => {
  await Promise.all([one.stop(), two.stop(), secure.stop()])
  rmSync(dir, { recursive: true, force: true })
})

describe('a process that never calls close()', () => {
  it('exits on its own after a set and a get (one server, two servers, TLS, a pool)', async () => {
    const child = runChild(
      `import { createClient } from ${module('src/client.ts')}
import { makePooled } from ${module('src/pool/index.ts')}
import { connect } from ${module('src/transport/connection.ts')}
import * as Request from ${module('src/protocol/request.ts')}
const env = process.env
const clients = [
  createClient({ servers: env.ONE }),
  createClient({ servers: [env.ONE, env.TWO] }),
  createClient({ servers: env.SECURE, tls: { ca: env.CA, servername: 'localhost' } }),
]
const results = []
for (const client of clients) {
  results.push((await client.set('idle-exit', 'v', { exptime: 10 })())._tag)
  const got = await client.get('idle-exit')()
  results.push(got._tag === 'Right' && got.right._tag === 'Some' ? got.right.value : 'missing')
}
const pooled = makePooled(connect({ server: env.ONE }), { maxSize: 2, busyAt: 1 })
const versions = await Promise.all([pooled.send(Request.version)(), pooled.send(Request.version)()])
results.push(...versions.map((result) => result._tag))
console.log(JSON.stringify(results))
`,
      { ONE: one.server, TWO: two.server, SECURE: secure.server, CA: secure.tls?.ca ?? '' },
    )
    expect(exitedCleanly(await child.outcome)).toEqual(['Right', 'v', 'Right', 'v', 'Right', 'v', 'Right', 'Right'])
  })

  it('exits on its own when its only request was refused: a bad key (no connection) or by the server', async () => {
    const prepared = createClient({ servers: one.server })
    try {
      expect(E.isRight(await prepared.set('not-a-number', 'abc', { exptime: 30 })())).toBe(true)
    } finally {
      await prepared.close()
    }
    const child = runChild(
      `import { createClient } from ${module('src/client.ts')}
const badKey = await createClient({ servers: process.env.ONE }).get('bad key')()
const refused = await createClient({ servers: process.env.ONE }).incr('not-a-number', 1n)()
console.log(JSON.stringify([badKey, refused].map((result) => (result._tag === 'Left' ? result.left._tag : 'Right'))))
`,
      { ONE: one.server },
    )
    expect(exitedCleanly(await child.outcome)).toEqual(['InvalidKey', 'ClientError'])
  })

  it('finishes a noreply write before exiting', async () => {
    const key = `idle-noreply-${process.pid}`
    const child = runChild(
      `import { createClient } from ${module('src/client.ts')}
const result = await createClient({ servers: process.env.ONE }).set(process.env.KEY, 'written', { noreply: true, exptime: 30 })()
console.log(JSON.stringify(result._tag))
`,
      { ONE: one.server, KEY: key },
    )
    expect(exitedCleanly(await child.outcome)).toBe('Right')
    const check = createClient({ servers: one.server })
    try {
      expect(await check.get(key)()).toEqual(E.right(O.some('written')))
    } finally {
      await check.close()
    }
  })

  it('stays alive while a reply is pending, and exits once it came', async () => {
    let child: Child | undefined
    const slow: FakeServer = await fakeServer(
      answering((line, connection) => {
        if (line !== 'get slow') return undefined
        // Hold the reply until the child exits (the bug) or a while has passed; then answer.
        const exited = child?.outcome.then(() => undefined) ?? Promise.resolve()
        void Promise.race([exited, new Promise((done) => setTimeout(done, 300))]).then(() => {
          if (!connection.socket.destroyed) connection.socket.write('VALUE slow 0 5\r\nlater\r\nEND\r\n')
        })
        return undefined
      }),
    )
    try {
      child = runChild(
        `import { createClient } from ${module('src/client.ts')}
const result = await createClient({ servers: process.env.SLOW, timeout: 10_000 }).get('slow')()
console.log(JSON.stringify(result._tag === 'Right' && result.right._tag === 'Some' ? result.right.value : result))
`,
        { SLOW: slow.server },
      )
      expect(exitedCleanly(await child.outcome)).toBe('later')
    } finally {
      await slow.close()
    }
  })

  it('exits once the caller gave up on a request whose reply never comes', async () => {
    const silent = await fakeServer()
    try {
      // The connection's own limit is a minute: only the call's deadline ends the wait.
      const child = runChild(
        `import { createClient } from ${module('src/client.ts')}
const result = await createClient({ servers: process.env.SILENT, timeout: 60_000 }).get('never', { timeout: 50 })()
console.log(JSON.stringify(result._tag === 'Left' ? result.left._tag : 'Right'))
`,
        { SILENT: silent.server },
      )
      expect(exitedCleanly(await child.outcome)).toBe('Timeout')
    } finally {
      await silent.close()
    }
  })
})
