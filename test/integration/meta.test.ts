/**
 * The meta protocol against real memcached (Debian's 1.6.18 here): the codec's bytes and its
 * reading of the server's, binary keys, batches per node, mixed pipelines.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  casMeta,
  counterMeta,
  deleteManyMeta,
  get,
  getAndTouchMeta,
  getManyMeta,
  getMeta,
  getsMeta,
  metaArithmetic,
  metaBatch,
  metaDebug,
  metaDelete,
  metaGet,
  metaNoop,
  metaSet,
  set,
  setManyMeta,
} from '../../src/commands/index.js'
import * as M from '../../src/protocol/meta.js'
import * as R from '../../src/protocol/request.js'
import { rendezvousRouter } from '../../src/routing/router.js'
import { connect, type Connection } from '../../src/transport/connection.js'
import type { Transport } from '../../src/transport/transport.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

const text = (value: string): Uint8Array => new TextEncoder().encode(value)
const read = (value: Uint8Array | undefined): string => new TextDecoder().decode(value)

let servers: ReadonlyArray<MemcachedServer> = []
const connections: Array<Connection> = []
let one: Connection

const open = async (server: string): Promise<Connection> => {
  const opened = await connect({ server })()
  if (E.isLeft(opened)) throw new Error(opened.left.message)
  connections.push(opened.right)
  return opened.right
}

const right = <A>(result: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

let unique = 0
const keyOf = (name: string): string => `meta:${name}:${unique++}`

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached()])
  one = await open((servers[0] as MemcachedServer).server)
})

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()))
  await Promise.all(servers.map((server) => server.stop()))
})

describe('meta against memcached', () => {
  it('ms with return cas, then mg with every flag', async () => {
    const key = keyOf('flags')
    const stored = right(await metaSet(key, text('hello'), { ttl: 100, clientFlags: 7, returnCas: true, opaque: 'op' })(one)())
    expect(stored.code).toBe('HD')
    expect(stored.returned.opaque).toBe('op')
    const cas = stored.returned.cas
    expect(typeof cas).toBe('bigint')
    const got = right(await metaGet(key, { returnValue: true, returnCas: true, returnFlags: true, returnKey: true, returnTtl: true, returnSize: true, returnHit: true })(one)())
    expect(got).toMatchObject({ code: 'VA', returned: { cas, clientFlags: 7, key, size: 5, hit: false } })
    expect(read(got.value)).toBe('hello')
    expect(got.returned.ttl).toBeGreaterThan(90)
  })

  it('a binary key stored with b reads back with a text get of the decoded key', async () => {
    const key = keyOf('binary')
    const stored = right(await metaSet(text(key), text('bytes'))(one)())
    expect(stored.code).toBe('HD')
    const viaText = right(await get(key)(one)())
    expect(O.isSome(viaText) && read(viaText.value.bytes)).toBe('bytes')
    // And truly binary bytes round trip through mg with k (returned base64, given back as bytes).
    const binary = Uint8Array.of(0, 1, 2, 0xff, 0x20, 0x0d, 0x0a)
    right(await metaSet(binary, text('raw'))(one)())
    const back = right(await metaGet(binary, { returnValue: true, returnKey: true })(one)())
    expect(back.returned.key).toEqual(binary)
    expect(read(back.value)).toBe('raw')
  })

  it('a binary key of 186 bytes is accepted by the server, 187 refused before sending', async () => {
    const long = new Uint8Array(186).fill(0x41)
    expect(right(await metaSet(long, text('x'))(one)()).code).toBe('HD')
    const refused = await metaSet(new Uint8Array(187).fill(0x41), text('x'))(one)()
    expect(E.isLeft(refused) && refused.left._tag).toBe('InvalidKey')
  })

  it('vivify: one caller wins, the next sees already won; invalidation: stale, one winner', async () => {
    const key = keyOf('stampede')
    const first = right(await metaGet(key, { returnValue: true, vivify: 30, returnCas: true })(one)())
    expect(first.returned.win).toBe(true)
    const second = right(await metaGet(key, { returnValue: true, vivify: 30 })(one)())
    expect(second.returned).toMatchObject({ alreadyWon: true })
    expect(second.returned.win).toBeUndefined()
    right(await metaSet(key, text('v1'), { compareCas: first.returned.cas as bigint })(one)())
    expect(right(await metaDelete(key, { invalidate: true, ttl: 30 })(one)()).code).toBe('HD')
    const stale = right(await metaGet(key, { returnValue: true })(one)())
    expect(stale.returned).toMatchObject({ stale: true, win: true })
    const other = right(await metaGet(key, { returnValue: true })(one)())
    expect(other.returned).toMatchObject({ stale: true, alreadyWon: true })
  })

  it('ma creates with an initial value and a TTL, then counts', async () => {
    const key = keyOf('counter')
    expect(right(await counterMeta(key, 5n, { initial: 10n, ttl: 100 })(one)())).toEqual(O.some(10n))
    expect(right(await counterMeta(key, 5n, { initial: 10n, ttl: 100 })(one)())).toEqual(O.some(15n))
    expect(right(await counterMeta(key, 20n, { mode: 'decr' })(one)())).toEqual(O.some(0n))
    expect(right(await counterMeta(keyOf('missing'), 1n)(one)())).toEqual(O.none)
    const raw = right(await metaArithmetic(key, { returnTtl: true })(one)())
    expect(raw.code).toBe('HD')
    expect(raw.returned.ttl).toBeGreaterThan(0)
  })

  it('cas in one round trip returns the next cas; a stale cas is Exists', async () => {
    const key = keyOf('cas')
    right(await set(key, { bytes: text('a'), flags: 0 })(one)())
    const versioned = right(await getsMeta(key)(one)())
    if (O.isNone(versioned)) throw new Error('missing')
    const swapped = right(await casMeta(key, { bytes: text('b'), flags: 0 }, versioned.value.cas)(one)())
    if (swapped._tag !== 'Stored') throw new Error(swapped._tag)
    const again = right(await casMeta(key, { bytes: text('c'), flags: 0 }, swapped.cas)(one)())
    expect(again._tag).toBe('Stored')
    expect(right(await casMeta(key, { bytes: text('d'), flags: 0 }, versioned.value.cas)(one)())).toEqual({ _tag: 'Exists' })
    expect(right(await casMeta(keyOf('none'), { bytes: text('d'), flags: 0 }, 1n)(one)())).toEqual({ _tag: 'NotFound' })
  })

  it('get and touch in one request', async () => {
    const key = keyOf('gat')
    right(await set(key, { bytes: text('t'), flags: 3 }, { exptime: 10 })(one)())
    const touched = right(await getAndTouchMeta(key, 500)(one)())
    expect(O.isSome(touched) && touched.value).toEqual({ bytes: text('t'), flags: 3 })
    const ttl = right(await metaGet(key, { returnTtl: true })(one)())
    expect(ttl.returned.ttl).toBeGreaterThan(400)
    expect(right(await getMeta(keyOf('absent'))(one)())).toEqual(O.none)
  })

  it('me and mn', async () => {
    const key = keyOf('debug')
    right(await set(key, { bytes: text('x'), flags: 0 })(one)())
    const debug = right(await metaDebug(key)(one)())
    expect(O.isSome(debug) && debug.value.get('exp')).toBe('-1')
    expect(right(await metaDebug(keyOf('absent'))(one)())).toEqual(O.none)
    expect(right(await metaNoop()(one)())).toBeUndefined()
  })

  it('a batch with an error line in it stays in step up to MN, and the connection goes on', async () => {
    const key = keyOf('notnumber')
    right(await set(key, { bytes: text('abc'), flags: 0 })(one)())
    const replies = right(await metaBatch([M.metaArithmetic(key), M.metaGet(key, { returnValue: true })])(one)())
    expect(replies[0]?._tag).toBe('Failure')
    expect(replies[1]).toMatchObject({ code: 'VA' })
    expect(right(await get(key)(one)())).toEqual(O.some({ bytes: text('abc'), flags: 0 }))
  })

  it('mixed text and meta pipelined on one connection', async () => {
    const key = keyOf('mixed')
    const results = await Promise.all([
      one.send(R.set(key, text('t1')))(),
      one.send(M.metaGet(key, { returnValue: true }))(),
      one.send(R.get([key]))(),
      one.send(M.metaSet(key, text('m2'), { quiet: true }))(),
      one.send(R.get([key]))(),
      one.send(M.metaBatch([M.metaGet(key, { returnValue: true }), M.metaGet(keyOf('x'), { returnValue: true })]))(),
    ])
    expect(results.map((result) => (E.isRight(result) ? result.right._tag : result.left._tag))).toEqual([
      'Stored', 'MetaReply', 'Values', 'MetaReply', 'Values', 'MetaBatchReply',
    ])
    const last = results[4]
    expect(E.isRight(last) && last.right._tag === 'Values' && read(last.right.items[0]?.value)).toBe('m2')
  })
})

describe('meta batches over a cluster', () => {
  it('a 100-key getMany costs one batch (one write, one mn) per node', async () => {
    const sends = new Map<string, Array<R.Request>>()
    const nodes = await Promise.all(
      servers.map(async (server) => {
        const connection = await open(server.server)
        const counted: Transport = {
          send: (request, context) => {
            const list = sends.get(server.server) ?? []
            list.push(request)
            sends.set(server.server, list)
            return connection.send(request, context)
          },
          close: connection.close,
        }
        return { name: server.server, transport: counted }
      }),
    )
    const cluster = rendezvousRouter(nodes)
    const keys = Array.from({ length: 100 }, (_, i) => keyOf(`many${i}`))
    const entries = new Map(keys.filter((_, i) => i % 2 === 0).map((key) => [key, { bytes: text(key), flags: 1 }] as const))
    expect(right(await setManyMeta(entries, { ttl: 100 })(cluster)())).toEqual([])
    sends.clear()
    const found = right(await getManyMeta(keys)(cluster)())
    expect(found.size).toBe(50)
    for (const [key, value] of found) expect(value).toEqual({ bytes: text(key), flags: 1 })
    expect([...sends.values()].map((list) => list.map((request) => request._tag))).toEqual([['MetaBatch'], ['MetaBatch']])
    // One mn per batch: the encoder closes each batch with exactly one.
    const notFound = right(await deleteManyMeta(keys)(cluster)())
    expect(notFound).toEqual(keys.filter((_, i) => i % 2 === 1))
  })
})
