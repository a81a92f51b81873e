/**
 * Keyv's own compliance suite (`@keyv/test-suite` 2.1.2: its API, value and namespace tests) run
 * on the store, against a real memcached and against the in-memory emulator. Its iterator tests
 * are not run: memcached cannot list keys, so the store has no iterator (checked below). Then what
 * the suite does not cover, against the real server: the TTLs memcached really got, keys it
 * cannot take, values that look like its protocol, and `clear` on a server shared with others.
 */
import keyvTestSuite from '@keyv/test-suite'
import Keyv, { type KeyvStoreAdapter } from 'keyv'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as vitest from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import { HASHED_KEY_MARKER, sendableKey } from '../../src/keyv/key.js'
import { makeKeyvStore, type KeyvMemcache } from '../../src/keyv/store.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

// The store is a Keyv store adapter by its types, not only at run time.
const asAdapter = (store: KeyvMemcache): KeyvStoreAdapter => store

describe('@keyv/test-suite against real memcached', () => {
  let server: MemcachedServer
  let client: Client<string>
  beforeAll(async () => {
    server = await startMemcached()
    client = createClient({ servers: server.server })
  })
  afterAll(async () => {
    await client.close()
    await server.stop()
  })

  keyvTestSuite(vitest, Keyv, () => asAdapter(makeKeyvStore({ client })))

  it('gives Keyv no iterator: memcached cannot list keys', () => {
    expect(new Keyv({ store: makeKeyvStore({ client }) }).iterator).toBeUndefined()
  })

  /** The seconds memcached says the item under `key` has left (meta get's `t`: -1 for never). */
  const secondsLeft = async (key: string): Promise<number> => {
    const reply = await client.raw(`mg ${key} t`, 'line')()
    if (E.isLeft(reply)) throw new Error(reply.left.message)
    const match = /^HD t(-?\d+)$/.exec(reply.right.line)
    if (match === null) throw new Error(`unexpected reply ${reply.right.line}`)
    return Number(match[1])
  }

  it('gives memcached whole seconds: a sub-second TTL is 1 s plus the tick, none is never, over 30 days a unix time', async () => {
    const store = makeKeyvStore({ client })
    await store.set('ttl:short', 'v', 200)
    await store.set('ttl:none', 'v')
    await store.set('ttl:long', 'v', 40 * 86_400_000)
    const short = await secondsLeft('ttl:short')
    expect(short).toBeGreaterThanOrEqual(1)
    expect(short).toBeLessThanOrEqual(2)
    expect(await secondsLeft('ttl:none')).toBe(-1)
    const long = await secondsLeft('ttl:long')
    expect(long).toBeGreaterThanOrEqual(40 * 86_400 - 2)
    // Rounded up, the tick, and memcached's clock lagging by up to a second.
    expect(long).toBeLessThanOrEqual(40 * 86_400 + 3)
  })

  it('stores keys memcached cannot take under their hash, and values that look like its protocol', async () => {
    const keyv = new Keyv({ store: makeKeyvStore({ client }), namespace: 'odd' })
    const keys = ['k'.repeat(1_000), 'a key with spaces', 'line\r\nbreak', 'clé 🔑', '\u0000']
    const value = 'END\r\nVALUE x 0 1\r\n\u0000\ufffe 日本'
    for (const key of keys) expect(await keyv.set(key, `${value}:${key}`)).toBe(true)
    for (const key of keys) expect(await keyv.get(key)).toBe(`${value}:${key}`)
    expect(await keyv.get(keys)).toEqual(keys.map((key) => `${value}:${key}`))
    expect(await keyv.delete(keys)).toBe(true)
    expect(await keyv.get(keys)).toEqual(keys.map(() => undefined))
    expect(sendableKey()('odd@g:' + keys[0]).startsWith(HASHED_KEY_MARKER)).toBe(true)
  })

  it("clears its namespace on a shared server, and nothing of anyone else's", async () => {
    await client.set('other-program', 'theirs')()
    const mine = new Keyv({ store: makeKeyvStore({ client }), namespace: 'mine' })
    const yours = new Keyv({ store: makeKeyvStore({ client }), namespace: 'yours' })
    await mine.set('k', 'mine')
    await yours.set('k', 'yours')
    await mine.clear()
    expect(await mine.get('k')).toBeUndefined()
    expect(await yours.get('k')).toBe('yours')
    expect(await client.get('other-program')()).toEqual(E.right(O.some('theirs')))
  })
})

describe('@keyv/test-suite against the emulator (memoryTransport)', () => {
  const transport = memoryTransport()
  const client = createClient({ transport })
  afterAll(() => client.close())

  keyvTestSuite(vitest, Keyv, () => asAdapter(makeKeyvStore({ client })))
})
