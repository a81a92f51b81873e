/**
 * Every command against a real memcached (started here with `-I 2m`), over a reconnecting
 * connection. Keys are unique per test, so tests do not depend on each other's data; the tests
 * that read server-wide counters run in this file's order on this file's own server.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  add,
  append,
  cacheMemlimit,
  cas,
  commands,
  decr,
  del,
  deleteMany,
  flushAll,
  gat,
  gatMany,
  gats,
  gatsMany,
  get,
  getMany,
  gets,
  getsMany,
  incr,
  prepend,
  quit,
  raw,
  replace,
  set,
  setMany,
  shutdown,
  stats,
  statsConns,
  statsItems,
  statsReset,
  statsSettings,
  statsSizes,
  statsSlabs,
  touch,
  verbosity,
  version,
  type Command,
} from '../../src/commands/index.js'
import { MAX_GAT_LINE } from '../../src/protocol/encode.js'
import type { Encoded } from '../../src/serde/serde.js'
import { text as textSerde } from '../../src/serde/text.js'
import { withKeyPrefix } from '../../src/middleware/key-prefix.js'
import { reconnecting } from '../../src/transport/reconnecting.js'
import type { Transport } from '../../src/transport/transport.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

let server: MemcachedServer
/** Started with the main server so their start and stop overlap it: for the shutdown tests. */
let refusing: MemcachedServer
let obeying: MemcachedServer
let transport: Transport
let counter = 0
/** A key no other test uses. */
const fresh = (label = 'k'): string => `${label}-${process.pid}-${++counter}`

const value = (content: string | Uint8Array, flags = 0): Encoded => ({ bytes: new Uint8Array(Buffer.from(content)), flags })

// Values arrive as views on the bytes received (a Buffer or a plain Uint8Array): compare the bytes.
expect.addEqualityTesters([
  (a: unknown, b: unknown) => (a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : undefined),
])
const textOf = (encoded: Encoded): string => Buffer.from(encoded.bytes).toString()

/** Runs a command and returns its Right, failing the test with the Left otherwise. */
const run = async <A>(command: Command<A>, on: Transport = transport): Promise<A> => {
  const result = await command(on)()
  if (E.isLeft(result)) throw new Error(`expected a Right, got ${JSON.stringify(result.left)}`)
  return result.right
}
const runLeft = async <A>(command: Command<A>, on: Transport = transport) => {
  const result = await command(on)()
  if (E.isRight(result)) throw new Error(`expected a Left, got ${String(result.right)}`)
  return result.left
}

/** Bytes the server has read so far, counted by the server itself. */
const bytesRead = async (): Promise<bigint> => (await run(stats())).bytes_read

beforeAll(async () => {
  ;[server, refusing, obeying] = await Promise.all([startMemcached({ itemSizeMax: '2m' }), startMemcached(), startMemcached({ extraArgs: ['-A'] })])
  transport = reconnecting({ server: server.server, timeout: 5000 })
})

afterAll(async () => {
  await transport?.close()
  await Promise.all([server?.stop(), refusing?.stop(), obeying?.stop()])
})

describe('values', () => {
  it('stores and reads back every byte 0..255, flags included', async () => {
    const key = fresh()
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(await run(set(key, value(all, 0xffff_ffff)))).toBe(true)
    const read = await run(get(key))
    expect(read).toEqual(O.some(value(all, 0xffff_ffff)))
  })

  it('stores an empty value', async () => {
    const key = fresh()
    expect(await run(set(key, value('')))).toBe(true)
    expect(await run(get(key))).toEqual(O.some(value('')))
  })

  it('stores a 1 MiB value (server -I 2m), and a too large one is a ValueTooLarge Left', async () => {
    const key = fresh()
    const big = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) & 0xff)
    expect(await run(set(key, value(big)))).toBe(true)
    const read = await run(get(key))
    expect(O.isSome(read) && Buffer.compare(read.value.bytes, big)).toBe(0)
    const tooLarge = await runLeft(set(fresh(), value(new Uint8Array(2 * 1024 * 1024 + 1))))
    expect(tooLarge._tag).toBe('ValueTooLarge')
    // The connection is still in step afterwards.
    expect(await run(version())).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('reads values holding CRLF and "END" lines as they are', async () => {
    const key = fresh()
    const tricky = value('END\r\nVALUE x 0 1\r\n\r\nEND')
    await run(set(key, tricky))
    expect(await run(get(key))).toEqual(O.some(tricky))
  })
})

describe('keys', () => {
  it('accepts a key of exactly 250 bytes', async () => {
    const key = fresh('long').padEnd(250, 'x')
    expect(Buffer.byteLength(key)).toBe(250)
    expect(await run(set(key, value('v')))).toBe(true)
    expect(await run(get(key))).toEqual(O.some(value('v')))
    expect(await run(getMany([key]))).toEqual(new Map([[key, value('v')]]))
  })

  it('refuses a 251-byte key with InvalidKey, writing nothing', async () => {
    await run(version()) // connected before counting
    const before = await bytesRead()
    const key = 'x'.repeat(251)
    expect((await runLeft(set(key, value('v'))))._tag).toBe('InvalidKey')
    expect((await runLeft(get(key)))._tag).toBe('InvalidKey')
    expect((await runLeft(getMany(['ok', key])))._tag).toBe('InvalidKey')
    const after = await bytesRead()
    expect(after - before).toBe(BigInt('stats\r\n'.length))
  })

  it('unicode keys: refused by default, stored and read back with allowUnicodeKeys', async () => {
    const key = `clé-ключ-🔑-${fresh()}`
    expect((await runLeft(set(key, value('v'))))._tag).toBe('InvalidKey')
    const unicode = reconnecting({ server: server.server, allowUnicodeKeys: true })
    try {
      expect(await run(set(key, value('v')), unicode)).toBe(true)
      expect(await run(getMany(['missing', key]), unicode)).toEqual(new Map([[key, value('v')]]))
      expect(await run(gets(key), unicode)).toMatchObject(O.some({ value: value('v') }))
    } finally {
      await unicode.close()
    }
  })

  it('withKeyPrefix stores under prefix + key and answers for the caller key', async () => {
    const key = fresh()
    const prefixed = withKeyPrefix('ns:')(transport)
    await run(set(key, value('inside')), prefixed)
    expect(await run(get(`ns:${key}`))).toEqual(O.some(value('inside')))
    expect(await run(getMany([key, 'absent']), prefixed)).toEqual(new Map([[key, value('inside')]]))
    const tooLong = 'y'.repeat(248)
    expect(await runLeft(get(tooLong), prefixed)).toMatchObject({ _tag: 'InvalidKey', key: tooLong })
  })
})

describe('retrieval', () => {
  it('getMany: found keys in caller order, missing absent, duplicates once', async () => {
    const [a, b, c] = [fresh('a'), fresh('b'), fresh('c')]
    await run(setMany([
      [a, value('1')],
      [c, value('3')],
    ]))
    const found = await run(getMany([c, b, a, c]))
    expect([...found.keys()]).toEqual([c, a])
    expect([...found.values()].map(textOf)).toEqual(['3', '1'])
  })

  it('getMany([]) writes nothing', async () => {
    await run(version())
    const before = await bytesRead()
    expect(await run(getMany([]))).toEqual(new Map())
    expect(await run(getsMany([]))).toEqual(new Map())
    expect(await bytesRead()).toBe(before + BigInt('stats\r\n'.length))
  })

  it('gets/getsMany yield cas uniques that change on every write', async () => {
    const key = fresh()
    await run(set(key, value('1')))
    const first = await run(gets(key))
    await run(set(key, value('2')))
    const second = await run(getsMany([key, fresh()]))
    expect(O.isSome(first)).toBe(true)
    const unique = O.isSome(first) ? first.value.cas : -1n
    expect(typeof unique).toBe('bigint')
    expect(second.get(key)?.cas).not.toBe(unique)
    expect(second.get(key)?.value).toEqual(value('2'))
  })

  it('gat/gats read and set a new expiry; a miss is none', async () => {
    const key = fresh()
    await run(set(key, value('v'), { exptime: 1000 }))
    expect(await run(gat(key, 0))).toEqual(O.some(value('v')))
    const versioned = await run(gats(key, 500))
    expect(O.isSome(versioned) && versioned.value.value).toEqual(value('v'))
    expect(await run(gat(fresh(), 10))).toEqual(O.none)
    // An exptime in the past expires the item on the spot.
    expect(await run(gat(key, -1))).toEqual(O.some(value('v')))
    expect(await run(get(key))).toEqual(O.none)
  })

  it('gatMany/gatsMany split lines over MAX_GAT_LINE and merge the parts', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `${fresh('gat')}-${i}-`.padEnd(200, 'g'))
    expect(keys.join(' ').length).toBeGreaterThan(MAX_GAT_LINE * 3)
    const stored = keys.filter((_, i) => i % 2 === 0)
    await run(setMany(stored.map((key) => [key, value(key.slice(-12))] as const)))
    const found = await run(gatMany(keys, 300))
    expect([...found.keys()]).toEqual(stored)
    const versioned = await run(gatsMany([...keys].reverse(), 300))
    expect([...versioned.keys()]).toEqual([...stored].reverse())
    expect(new Set([...versioned.values()].map((v) => v.cas)).size).toBe(stored.length)
  })
})

describe('storage', () => {
  it('add stores only a new key; replace only an existing one', async () => {
    const key = fresh()
    expect(await run(replace(key, value('r')))).toBe(false)
    expect(await run(add(key, value('a')))).toBe(true)
    expect(await run(add(key, value('b')))).toBe(false)
    expect(await run(replace(key, value('r')))).toBe(true)
    expect(await run(get(key))).toEqual(O.some(value('r')))
  })

  it('append/prepend add bytes around the value, and the server keeps the original flags', async () => {
    const key = fresh()
    expect(await run(append(key, value('x')))).toBe(false)
    await run(set(key, value('middle', 7)))
    expect(await run(append(key, value(' end', 99)))).toBe(true)
    expect(await run(prepend(key, value('start ', 42)))).toBe(true)
    expect(await run(get(key))).toEqual(O.some(value('start middle end', 7)))
  })

  it('cas: Stored, then Exists for a stale unique, NotFound for a missing key', async () => {
    const key = fresh()
    await run(set(key, value('0')))
    const read = await run(gets(key))
    const unique = O.isSome(read) ? read.value.cas : -1n
    expect(await run(cas(key, value('1'), unique))).toEqual({ _tag: 'Stored' })
    expect(await run(cas(key, value('2'), unique))).toEqual({ _tag: 'Exists' })
    expect(await run(cas(fresh(), value('3'), unique))).toEqual({ _tag: 'NotFound' })
    expect(await run(get(key))).toEqual(O.some(value('1')))
  })

  it('noreply writes land, and the result is true', async () => {
    const key = fresh()
    expect(await run(set(key, value('quiet'), { noreply: true }))).toBe(true)
    expect(await run(get(key))).toEqual(O.some(value('quiet')))
    expect(await run(setMany([[fresh(), value('1')]], { noreply: true }))).toEqual([])
    expect(await run(del(key, { noreply: true }))).toBe(true)
    expect(await run(get(key))).toEqual(O.none)
  })

  it('setMany stores every entry, and a too large one fails the batch with ValueTooLarge', async () => {
    const entries = [fresh(), fresh(), fresh()].map((key, i) => [key, value(String(i))] as const)
    expect(await run(setMany(entries))).toEqual([])
    expect([...(await run(getMany(entries.map(([key]) => key)))).values()].map(textOf)).toEqual(['0', '1', '2'])
    const tooLarge = await runLeft(setMany([[fresh(), value(new Uint8Array(3 * 1024 * 1024))]]))
    expect(tooLarge._tag).toBe('ValueTooLarge')
  })

  it('typed values through commands(text)', async () => {
    const typed = commands(textSerde)
    const key = fresh()
    expect(await run(typed.set(key, 'héllo wörld'))).toBe(true)
    expect(await run(typed.append(key, ' ✓'))).toBe(true)
    expect(await run(typed.get(key))).toEqual(O.some('héllo wörld ✓'))
  })
})

describe('delete, touch, incr, decr', () => {
  it('delete is true for an existing key, false after; deleteMany yields the keys not found', async () => {
    const [a, b] = [fresh(), fresh()]
    await run(set(a, value('1')))
    expect(await run(del(a))).toBe(true)
    expect(await run(del(a))).toBe(false)
    await run(set(b, value('2')))
    expect(await run(deleteMany([a, b, b]))).toEqual([a])
    expect(await run(get(b))).toEqual(O.none)
  })

  it('touch is true for an existing key, false for a missing one', async () => {
    const key = fresh()
    await run(set(key, value('v')))
    expect(await run(touch(key, 100))).toBe(true)
    expect(await run(touch(fresh(), 100))).toBe(false)
  })

  it('incr/decr: some(new value), none when missing, 0 floor, 2^64 wrap, ClientError on text', async () => {
    const key = fresh()
    expect(await run(incr(key, 1))).toEqual(O.none)
    await run(set(key, value('10')))
    expect(await run(incr(key, 5))).toEqual(O.some(15n))
    expect(await run(decr(key, 100n))).toEqual(O.some(0n))
    await run(set(key, value('18446744073709551615')))
    expect(await run(incr(key, 2))).toEqual(O.some(1n))
    const word = fresh()
    await run(set(word, value('ten')))
    expect((await runLeft(incr(word, 1)))._tag).toBe('ClientError')
    expect((await runLeft(incr(key, -1)))._tag).toBe('InvalidArgument')
  })
})

describe('server commands', () => {
  it('version, verbosity, cacheMemlimit', async () => {
    expect(await run(version())).toMatch(/^1\.\d+\.\d+/)
    expect(await run(verbosity(1))).toBeUndefined()
    expect(await run(verbosity(0))).toBeUndefined()
    expect(await run(cacheMemlimit(80))).toBeUndefined()
    expect((await run(stats())).limit_maxbytes).toBe(80n * 1024n * 1024n)
    expect(await run(cacheMemlimit(64))).toBeUndefined()
  })

  it('stats: typed general stats of this very server', async () => {
    const general = await run(stats())
    expect(general.pid).toBe(BigInt(server.pid()))
    expect(general.version).toBe(await run(version()))
    expect(typeof general.rusage_user).toBe('number')
    expect(typeof general.curr_items).toBe('bigint')
    expect(typeof general['libevent']).toBe('string')
  })

  it('stats variants: settings, items, slabs, sizes, conns', async () => {
    await run(set(fresh(), value('v')))
    const settings = await run(statsSettings())
    expect(settings.item_size_max).toBe(2n * 1024n * 1024n)
    expect(settings.tcpport).toBe(BigInt(server.port))
    expect(settings.cas_enabled).toBe('yes')
    const items = await run(statsItems())
    expect(items.size).toBeGreaterThan(0)
    for (const [id, record] of items) {
      expect(Number.isInteger(id)).toBe(true)
      expect(typeof record['number']).toBe('bigint')
    }
    const slabs = await run(statsSlabs())
    expect(typeof slabs.totals['active_slabs']).toBe('bigint')
    expect(slabs.classes.size).toBeGreaterThan(0)
    expect(await run(statsSizes())).toEqual({ enabled: false, sizes: new Map() })
    const conns = await run(statsConns())
    expect([...conns.values()].some((conn) => conn['state'] === 'conn_listening')).toBe(true)
  })

  it('stats reset zeroes the counters', async () => {
    await run(get(fresh()))
    expect((await run(stats())).cmd_get).toBeGreaterThan(0n)
    expect(await run(statsReset())).toBeUndefined()
    expect((await run(stats())).cmd_get).toBe(0n)
  })

  it('raw: a line, stats, and an unknown command as UnknownCommand', async () => {
    const key = fresh()
    expect(await run(raw(`set ${key} 3 0 2`, 'line', new Uint8Array(Buffer.from('hi'))))).toEqual({ _tag: 'Line', line: 'STORED' })
    expect(await run(get(key))).toEqual(O.some(value('hi', 3)))
    const dump = await run(raw('stats settings', 'stats'))
    expect(dump._tag).toBe('Stats')
    expect((await runLeft(raw('no_such_command', 'line')))._tag).toBe('UnknownCommand')
  })

  it('quit: the server closes the connection, and the next command reconnects', async () => {
    expect(await run(quit())).toBeUndefined()
    expect(await run(version())).toMatch(/^1\./)
  })

  it('flushAll empties the cache; with a delay, items go later', async () => {
    const key = fresh()
    await run(set(key, value('v')))
    expect(await run(flushAll({ delay: 1000 }))).toBeUndefined()
    expect(await run(get(key))).toEqual(O.some(value('v')))
    expect(await run(flushAll())).toBeUndefined()
    expect(await run(get(key))).toEqual(O.none)
    await run(set(key, value('after')))
    expect(await run(get(key))).toEqual(O.some(value('after')))
  })
})

describe('shutdown', () => {
  const isRunning = (pid: number): boolean => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  it('without -A: the server refuses, as a ServerError Left, and keeps running', async () => {
    const own = refusing
    const connection = reconnecting({ server: own.server })
    try {
      const error = await runLeft(shutdown(), connection)
      expect(error).toMatchObject({ _tag: 'ServerError', reason: 'shutdown not enabled' })
      expect(await run(version(), connection)).toMatch(/^1\./)
      expect(isRunning(own.pid())).toBe(true)
    } finally {
      await connection.close()
    }
  })

  it('with -A: shutdown is a Right and the server process exits', async () => {
    const own = obeying
    const pid = own.pid()
    const connection = reconnecting({ server: own.server })
    try {
      expect(await run(shutdown(), connection)).toBeUndefined()
      // Bounded wait for the exit itself (not a timing assertion): the process must go away.
      for (let attempt = 0; attempt < 200 && isRunning(pid); attempt++) await new Promise((resolve) => setTimeout(resolve, 25))
      expect(isRunning(pid)).toBe(false)
      expect((await runLeft(version(), connection))._tag).toBe('ConnectError')
    } finally {
      await connection.close()
    }
  })
})
