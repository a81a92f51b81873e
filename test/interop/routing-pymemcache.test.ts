/**
 * Interop with pymemcache's HashClient over three real memcached servers: keys it writes are all
 * found by our rendezvous router over the same three, keys we write are all found by it, and every
 * key physically sits on the server our placement names — with and without a key prefix, with
 * unicode keys.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePooled } from '../../src/pool/pooled.js'
import * as Request from '../../src/protocol/request.js'
import { rendezvousRouter, type Router } from '../../src/routing/router.js'
import { connect } from '../../src/transport/connection.js'
import { withKeyPrefix } from '../../src/middleware/key-prefix.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { runPython } from '../routing/support.js'

const PYTHON = `
import json, sys
from pymemcache.client.hash import HashClient
job = json.load(sys.stdin)
client = HashClient([(host, port) for host, port in job["servers"]], key_prefix=job["prefix"].encode(), allow_unicode_keys=True, connect_timeout=2, timeout=2)
if job["action"] == "write":
    for key in job["keys"]:
        assert client.set(key, ("py:" + key).encode("utf8"), noreply=False), key
    print(json.dumps(len(job["keys"])))
else:
    found = client.get_many(job["keys"])
    print(json.dumps({key: value.decode("utf8") for key, value in found.items()}))
client.close()
`

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const encode = (text: string) => new TextEncoder().encode(text)

const keysFor = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => (i % 10 === 3 ? `${tag}:clé:${i}:ü` : i % 10 === 7 ? `${tag}:😀:${i}` : `${tag}:user:${i}:profile`))

let servers: ReadonlyArray<MemcachedServer> = []

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()])
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

const clusterOf = (prefix: string): Router =>
  rendezvousRouter(
    servers.map((server) => ({
      name: server.server,
      // The prefix goes below the router: pymemcache places the key before its key_prefix.
      transport: pipe(makePooled(connect({ server: server.server, allowUnicodeKeys: true }), { maxSize: 2 }), withKeyPrefix(prefix, { allowUnicodeKeys: true })),
    })),
  )

/** Which keys each server holds, asked directly (full keys, prefix included). */
const holdings = async (keys: ReadonlyArray<string>, prefix: string): Promise<Map<string, ReadonlyArray<string>>> => {
  const result = new Map<string, ReadonlyArray<string>>()
  for (const server of servers) {
    const opened = await connect({ server: server.server, allowUnicodeKeys: true })()
    if (E.isLeft(opened)) throw new Error(opened.left.message)
    const reply = await opened.right.send(Request.get(keys.map((key) => prefix + key)))()
    await opened.right.close()
    result.set(server.server, E.isRight(reply) && reply.right._tag === 'Values' ? reply.right.items.map((item) => item.key.slice(prefix.length)) : [])
  }
  return result
}

describe.each([
  { prefix: '', label: 'no prefix' },
  { prefix: 'app:', label: 'key_prefix app:' },
])("rendezvous router and pymemcache's HashClient ($label)", ({ prefix }) => {
  it('find each other\'s keys on three real servers, each key on the server our placement names', async () => {
    const cluster = clusterOf(prefix)
    const job = { servers: servers.map((server) => [server.host, server.port]), prefix }
    const theirs = keysFor(`py${prefix}`, 300)
    const ours = keysFor(`ts${prefix}`, 300)

    expect(runPython<number>(PYTHON, { ...job, action: 'write', keys: theirs })).toBe(theirs.length)
    const read = await cluster.send(Request.get(theirs))()
    expect(E.isRight(read) && read.right._tag === 'Values' ? read.right.items.map((item) => [item.key, decode(item.value)]) : read).toEqual(
      theirs.map((key) => [key, `py:${key}`]),
    )

    for (const key of ours) expect(E.isRight(await cluster.send(Request.set(key, encode(`ts:${key}`)))())).toBe(true)
    const found = runPython<Record<string, string>>(PYTHON, { ...job, action: 'read', keys: ours })
    expect(found).toEqual(Object.fromEntries(ours.map((key) => [key, `ts:${key}`])))

    const everyKey = [...theirs, ...ours]
    const held = await holdings(everyKey, prefix)
    for (const server of servers) {
      const expected = everyKey.filter((key) => O.toUndefined(cluster.ownerOf(key)) === server.server)
      expect(held.get(server.server)).toEqual(expected)
      expect(expected.length).toBeGreaterThan(100)
    }
    await cluster.close()
  })
})
