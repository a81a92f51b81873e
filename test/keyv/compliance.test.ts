/**
 * Keyv's own compliance suite (`@keyv/test-suite` 2.1.2: its API, value and namespace tests) run
 * on the store, against a real memcached and against the in-memory emulator. Its iterator tests
 * are not run: memcached cannot list keys, so the store has no iterator (checked below).
 */
import keyvTestSuite from '@keyv/test-suite'
import Keyv, { type KeyvStoreAdapter } from 'keyv'
import * as vitest from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import { memoryTransport } from '../../src/emulator/memory.js'
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
})

describe('@keyv/test-suite against the emulator (memoryTransport)', () => {
  const transport = memoryTransport()
  const client = createClient({ transport })
  afterAll(() => client.close())

  keyvTestSuite(vitest, Keyv, () => asAdapter(makeKeyvStore({ client })))
})
