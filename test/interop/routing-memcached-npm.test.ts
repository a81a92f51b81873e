/**
 * Interop with the `memcached` npm client (ketama through hashring) over three real memcached
 * servers: keys it writes are all found by our ketama router, and keys we write are all found by it.
 */
import * as E from 'fp-ts/lib/Either.js'
import Memcached from 'memcached'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePooled } from '../../src/pool/pooled.js'
import * as Request from '../../src/protocol/request.js'
import { ketamaRouter } from '../../src/routing/router.js'
import { connect } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

let servers: ReadonlyArray<MemcachedServer> = []

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

const promised = <A>(run: (callback: (error: unknown, result: A) => void) => void): Promise<A> =>
  new Promise((resolve, reject) => run((error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result))))

describe("ketama router and the memcached npm client", () => {
  it("find each other's keys on three real servers", async () => {
    const names = servers.map((server) => server.server)
    const theirClient = new Memcached(names, { retries: 0, timeout: 2000 })
    const cluster = ketamaRouter(names.map((name) => ({ name, transport: makePooled(connect({ server: name }), { maxSize: 2 }) })))
    try {
      const theirs = Array.from({ length: 300 }, (_, i) => `npm:item:${i}`)
      const ours = Array.from({ length: 300 }, (_, i) => `fp:item:${i}`)

      for (const key of theirs) await promised<boolean>((callback) => theirClient.set(key, `npm:${key}`, 0, callback))
      const read = await cluster.send(Request.get(theirs))()
      expect(E.isRight(read) && read.right._tag === 'Values' ? read.right.items.map((item) => [item.key, new TextDecoder().decode(item.value)]) : read).toEqual(
        theirs.map((key) => [key, `npm:${key}`]),
      )

      for (const key of ours) expect(E.isRight(await cluster.send(Request.set(key, new TextEncoder().encode(`fp:${key}`)))())).toBe(true)
      const found = await promised<Record<string, unknown>>((callback) => theirClient.getMulti(ours, callback))
      expect(found).toEqual(Object.fromEntries(ours.map((key) => [key, `fp:${key}`])))

      // And each server holds the keys placed on it, not a copy of every key.
      const perServer = await cluster.broadcast(Request.stats())()
      const items = perServer.map((each) => (E.isRight(each.result) && each.result.right._tag === 'Stats' ? Number(new Map(each.result.right.entries).get('curr_items')) : 0))
      expect(items.reduce((a, b) => a + b, 0)).toBe(600)
      for (const count of items) expect(count).toBeGreaterThan(100)
    } finally {
      theirClient.end()
      await cluster.close()
    }
  })
})
