/**
 * The Promise client over `memoryTransport`: plain results, `MemcacheException` rejections, and
 * no synchronous throw whatever plain JavaScript passes (the bad calls are cast through `unknown`,
 * as plain JavaScript would make them).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { createClient, type Client } from '../src/client.js'
import { memoryTransport } from '../src/emulator/memory.js'
import type { MemcacheError } from '../src/error.js'
import { MemcacheException, isMemcacheException } from '../src/exception.js'
import { createPromiseClient, toPromises, type Counter, type PromiseClient } from '../src/promise.js'
import { json } from '../src/serde/json.js'
import type { Serde } from '../src/serde/serde.js'
import { text } from '../src/serde/text.js'
import { connectionClosed } from '../src/transport/error.js'
import type { Transport } from '../src/transport/transport.js'

// -------------------------------------------------------------------------------------
// support
// -------------------------------------------------------------------------------------

interface Fixture<A> {
  readonly cache: PromiseClient<A>
  readonly client: Client<A>
  /** Requests that reached the transport. */
  readonly sent: () => number
}

const clientOver = <A>(serde: Serde<A>, transport: Transport): Client<A> => createClient({ transport, serde })

/** A Promise client over a fresh in-memory server, counting the requests sent. */
const memoryCache = <A = string>(serde: Serde<A> = text as unknown as Serde<A>, base: Transport = memoryTransport()): Fixture<A> => {
  let sent = 0
  const transport: Transport = {
    send: (request, context) => {
      sent++
      return base.send(request, context)
    },
    close: base.close,
  }
  const client = clientOver(serde, transport)
  return { cache: toPromises(client), client, sent: () => sent }
}

/** What a promise settled with: the value, or the reason it was rejected. */
const settled = <T>(promise: Promise<T>): Promise<{ readonly value?: T; readonly reason?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (reason: unknown) => ({ reason }),
  )

const rejection = async (promise: Promise<unknown>): Promise<MemcacheException> => {
  const outcome = await settled(promise)
  if (!('reason' in outcome)) throw new Error(`expected a rejection, got ${String(outcome.value)}`)
  if (!isMemcacheException(outcome.reason)) throw new Error(`expected a MemcacheException, got ${String(outcome.reason)}`)
  return outcome.reason
}

/** Any method called the way plain JavaScript may call it. */
const untyped = <A>(cache: PromiseClient<A>) => cache as unknown as Readonly<Record<string, (...args: ReadonlyArray<unknown>) => unknown>>

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('reading', () => {
  it('a miss is undefined (falsy), a hit the plain value', async () => {
    const { cache } = memoryCache()
    expect(await cache.get('k')).toBeUndefined()
    expect((await cache.get('k')) ? 'hit' : 'miss').toBe('miss')
    await cache.set('k', 'v')
    expect(await cache.get('k')).toBe('v')
    expect(await cache.gat('k', 60)).toBe('v')
    expect(await cache.gat('none', 60)).toBeUndefined()
  })

  it('a stored null (json) is a hit: null, not undefined', async () => {
    const { cache } = memoryCache(json)
    await cache.set('n', null)
    expect(await cache.get('n')).toBeNull()
    expect(await cache.get('missing')).toBeUndefined()
  })

  it('getMany: the keys found, each once, as an object without a prototype', async () => {
    const { cache, sent } = memoryCache()
    await cache.set('a', '1')
    await cache.set('constructor', 'c')
    const found = await cache.getMany(['a', 'b', 'a', 'constructor', '__proto__'])
    expect(found).toEqual({ a: '1', constructor: 'c' })
    expect(Object.getPrototypeOf(found)).toBeNull()
    // Nothing inherited reads as a hit.
    expect(found['__proto__']).toBeUndefined()
    expect(found['toString']).toBeUndefined()
    expect(JSON.stringify(found)).toBe('{"a":"1","constructor":"c"}')
    const before = sent()
    expect(await cache.getMany([])).toEqual({})
    expect(sent()).toBe(before)
    expect(await cache.gatMany(['a', 'b'], 60)).toEqual({ a: '1' })
  })

  it('gets: { value, cas } with a bigint cas, or undefined; JSON writes the cas as a string', async () => {
    const { cache } = memoryCache()
    expect(await cache.gets('k')).toBeUndefined()
    await cache.set('k', 'v')
    const found = await cache.gets('k')
    expect(found).toEqual({ value: 'v', cas: expect.any(BigInt) as unknown })
    expect(Object.keys(found ?? {})).toEqual(['value', 'cas'])
    expect(JSON.parse(JSON.stringify(found))).toEqual({ value: 'v', cas: String(found?.cas) })
    expect(await cache.gats('k', 60)).toEqual({ value: 'v', cas: expect.any(BigInt) as unknown })
    const many = await cache.getsMany(['k', 'nope'])
    expect(Object.keys(many)).toEqual(['k'])
    expect(JSON.parse(JSON.stringify(many))).toEqual({ k: { value: 'v', cas: expect.any(String) as unknown } })
    expect(Object.keys(await cache.gatsMany(['k'], 60))).toEqual(['k'])
  })
})

describe('cas', () => {
  it('round trips the cas of gets: true stored, false changed since, undefined gone', async () => {
    const { cache } = memoryCache()
    await cache.set('k', 'v1')
    const first = await cache.gets('k')
    if (first === undefined) throw new Error('expected a hit')
    expect(await cache.cas('k', 'v2', first.cas)).toBe(true)
    expect(await cache.get('k')).toBe('v2')
    expect(await cache.cas('k', 'v3', first.cas)).toBe(false)
    await cache.delete('k')
    expect(await cache.cas('k', 'v4', first.cas)).toBeUndefined()
  })

  it('takes the cas back from JSON (its decimal string) or as a safe integer', async () => {
    const { cache } = memoryCache()
    await cache.set('k', 'v1')
    const parsed = JSON.parse(JSON.stringify(await cache.gets('k'))) as { readonly cas: string }
    expect(await cache.cas('k', 'v2', parsed.cas)).toBe(true)
    const next = await cache.gets('k')
    expect(await cache.cas('k', 'v3', Number(next?.cas))).toBe(true)
  })

  it('refuses a cas that is not one, before any I/O, saying what it wants', async () => {
    const { cache, sent } = memoryCache()
    for (const bad of [1.5, -1, 'abc', 2 ** 64, 2n ** 64n, null]) {
      const exception = await rejection(untyped(cache)['cas']?.('k', 'v', bad) as Promise<unknown>)
      expect(exception).toMatchObject({ _tag: 'InvalidArgument', argument: 'cas' })
      expect(exception.message).toContain('bigint')
    }
    expect(sent()).toBe(0)
  })
})

describe('counters', () => {
  it('a missing counter is undefined; a present one a number', async () => {
    const { cache } = memoryCache()
    expect(await cache.incr('n', 1)).toBeUndefined()
    expect(await cache.decr('n', 1)).toBeUndefined()
    await cache.set('n', '10')
    expect(await cache.incr('n', 5)).toBe(15)
    expect(await cache.decr('n', 20n)).toBe(0)
    expect(JSON.stringify({ n: await cache.incr('n', 1) })).toBe('{"n":1}')
  })

  it('is a number up to 2^53 - 1 and the exact bigint past it', async () => {
    const { cache } = memoryCache()
    await cache.set('n', String(Number.MAX_SAFE_INTEGER - 1))
    const safe: Counter | undefined = await cache.incr('n', 1)
    expect(safe).toBe(Number.MAX_SAFE_INTEGER)
    expect(await cache.incr('n', 1)).toBe(2n ** 53n)
    expect(await cache.incr('n', 2)).toBe(2n ** 53n + 2n)
    // Back under the limit it is a number again.
    expect(await cache.decr('n', 2n ** 53n)).toBe(2)
  })

  it('wraps at 2^64 as memcached does, to a number', async () => {
    const { cache } = memoryCache()
    await cache.set('n', String(2n ** 64n - 1n))
    expect(await cache.get('n')).toBe('18446744073709551615')
    expect(await cache.incr('n', 1)).toBe(0)
  })

  it('rejects a counter that is not a number with the server ClientError', async () => {
    const { cache } = memoryCache()
    await cache.set('n', 'text')
    expect(await rejection(cache.incr('n', 1))).toMatchObject({ _tag: 'ClientError' })
  })
})

describe('writing', () => {
  it('resolves booleans and key lists', async () => {
    const { cache } = memoryCache()
    expect(await cache.set('k', 'v')).toBe(true)
    expect(await cache.add('k', 'v')).toBe(false)
    expect(await cache.add('new', 'v')).toBe(true)
    expect(await cache.replace('gone', 'v')).toBe(false)
    expect(await cache.replace('k', 'w')).toBe(true)
    expect(await cache.append('k', '!')).toBe(true)
    expect(await cache.prepend('k', '¡')).toBe(true)
    expect(await cache.get('k')).toBe('¡w!')
    expect(await cache.append('gone', '!')).toBe(false)
    expect(await cache.touch('k', 60)).toBe(true)
    expect(await cache.touch('gone', 60)).toBe(false)
    expect(await cache.delete('k')).toBe(true)
    expect(await cache.delete('k')).toBe(false)
    expect(await cache.deleteMany(['new', 'gone'])).toEqual(['gone'])
  })

  it('setMany takes a Map, pairs or a plain object, and resolves the keys not stored', async () => {
    const { cache } = memoryCache()
    expect(await cache.setMany(new Map([['a', '1']]))).toEqual([])
    expect(await cache.setMany([['b', '2']])).toEqual([])
    expect(await cache.setMany({ c: '3', d: '4' }, { exptime: 60 })).toEqual([])
    expect(await cache.getMany(['a', 'b', 'c', 'd'])).toEqual({ a: '1', b: '2', c: '3', d: '4' })
  })

  it('honours the options: exptime, noreply', async () => {
    let now = 1_000_000
    const { cache } = memoryCache(text, memoryTransport({ clock: () => now }))
    expect(await cache.set('k', 'v', { exptime: 10 })).toBe(true)
    expect(await cache.set('q', 'v', { noreply: true })).toBe(true)
    now += 11_000
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.get('q')).toBe('v')
  })
})

describe('server commands', () => {
  it('stats are plain objects of numbers and strings, JSON-serialisable', async () => {
    const { cache } = memoryCache()
    await cache.set('k', 'v')
    const stats = await cache.stats()
    expect(typeof stats.curr_items).toBe('number')
    expect(stats.curr_items).toBe(1)
    expect(typeof stats.version).toBe('string')
    expect(typeof stats.rusage_user).toBe('number')
    expect(JSON.parse(JSON.stringify(stats))).toMatchObject({ curr_items: 1, cmd_set: 1 })
    const settings = await cache.statsSettings()
    expect(typeof settings.item_size_max).toBe('number')
    const slabs = await cache.statsSlabs()
    expect(Object.keys(slabs.classes).length).toBeGreaterThan(0)
    expect(typeof slabs.totals['active_slabs']).toBe('number')
    expect(JSON.stringify(await cache.statsItems())).toContain('"number":1')
    expect(await cache.statsSizes()).toMatchObject({ enabled: expect.any(Boolean) as unknown })
    expect(Object.keys(await cache.statsConns()).length).toBeGreaterThan(0)
    await expect(cache.statsReset()).resolves.toBeUndefined()
  })

  it('version, verbosity, flushAll', async () => {
    const { cache } = memoryCache()
    expect(typeof (await cache.version())).toBe('string')
    await expect(cache.verbosity(1)).resolves.toBeUndefined()
    await cache.set('k', 'v')
    await expect(cache.flushAll()).resolves.toBeUndefined()
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('getOrSet', () => {
  const counting = <A>(value: A) => {
    let runs = 0
    return {
      compute: async () => {
        runs++
        return value
      },
      runs: () => runs,
    }
  }

  it('computes and stores on a miss, then serves the stored value', async () => {
    const { cache } = memoryCache()
    const { compute, runs } = counting('fresh')
    expect(await cache.getOrSet('k', compute, { exptime: 60 })).toBe('fresh')
    expect(await cache.get('k')).toBe('fresh')
    expect(await cache.getOrSet('k', compute)).toBe('fresh')
    expect(runs()).toBe(1)
  })

  it('takes a compute that returns the value itself', async () => {
    const { cache } = memoryCache()
    expect(await cache.getOrSet('k', () => 'now')).toBe('now')
  })

  it('rejects with what compute throws or rejects with, unchanged, and stores nothing', async () => {
    const { cache } = memoryCache()
    const failure = new RangeError('database down')
    await expect(cache.getOrSet('k', () => Promise.reject(failure))).rejects.toBe(failure)
    await expect(
      cache.getOrSet('k', () => {
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('works around a failing cache, reporting each failure as a MemcacheException', async () => {
    const down: Transport = { send: () => () => Promise.resolve(E.left(connectionClosed('memory', 'is closed'))), close: () => Promise.resolve() }
    const { cache } = memoryCache(text, down)
    const reports: Array<readonly [string, string]> = []
    const value = await cache.getOrSet('k', () => 'computed', {
      onCacheError: (error, during) => {
        expect(error).toBeInstanceOf(MemcacheException)
        reports.push([error._tag, during])
      },
    })
    expect(value).toBe('computed')
    expect(reports).toEqual([
      ['ConnectionClosed', 'get'],
      ['ConnectionClosed', 'set'],
    ])
  })

  it('ignores what onCacheError throws', async () => {
    const down: Transport = { send: () => () => Promise.resolve(E.left(connectionClosed('memory', 'is closed'))), close: () => Promise.resolve() }
    const { cache } = memoryCache(text, down)
    const onCacheError = () => {
      throw new Error('logger broke')
    }
    expect(await cache.getOrSet('k', () => 'computed', { onCacheError })).toBe('computed')
  })

  it("rejects the caller's own mistakes without computing: a bad key, a fired signal", async () => {
    const { cache } = memoryCache()
    const { compute, runs } = counting('x')
    expect(await rejection(cache.getOrSet('bad key', compute))).toMatchObject({ _tag: 'InvalidKey' })
    expect(await rejection(cache.getOrSet('k', compute, { signal: AbortSignal.abort() }))).toMatchObject({ _tag: 'Aborted' })
    expect(runs()).toBe(0)
  })
})

describe('errors', () => {
  it('reject with a MemcacheException: an Error with the tag, the fields, error and cause', async () => {
    const { cache } = memoryCache()
    const outcome = await settled(cache.get('bad key'))
    const reason = outcome.reason
    expect(reason).toBeInstanceOf(MemcacheException)
    expect(reason).toBeInstanceOf(Error)
    expect(reason).toMatchObject({ name: 'MemcacheException', _tag: 'InvalidKey', key: 'bad key', message: expect.stringContaining('bad key') as unknown })
    const exception = reason as MemcacheException
    expect(exception.error).toMatchObject({ _tag: 'InvalidKey', key: 'bad key' })
    expect(exception.cause).toBe(exception.error)
    expect(exception.stack?.startsWith('MemcacheException: ')).toBe(true)
  })

  it('a serde that throws is a SerdeError, both ways', async () => {
    const throwing: Serde<string> = {
      serialize: () => {
        throw new TypeError('cannot write')
      },
      deserialize: () => {
        throw new TypeError('cannot read')
      },
    }
    const { cache } = memoryCache(throwing)
    expect(await rejection(cache.set('k', 'v'))).toMatchObject({ _tag: 'SerdeError', message: expect.stringContaining('cannot write') as unknown })
    const { cache: writer } = memoryCache()
    await writer.set('k', 'v')
    const shared = memoryTransport()
    await toPromises(clientOver(text, shared)).set('k', 'v')
    expect(await rejection(toPromises(clientOver(throwing, shared)).get('k'))).toMatchObject({
      _tag: 'SerdeError',
      message: expect.stringContaining('cannot read') as unknown,
    })
  })
})

describe('no synchronous throw, whatever plain JavaScript passes', () => {
  const throwingOptions = Object.defineProperty({}, 'exptime', {
    enumerable: true,
    get: () => {
      throw new Error('getter')
    },
  })
  const rows: ReadonlyArray<{ readonly call: string; readonly method: string; readonly args: ReadonlyArray<unknown>; readonly tag: MemcacheError['_tag'] }> = [
    { call: 'get(123)', method: 'get', args: [123], tag: 'InvalidKey' },
    { call: 'get()', method: 'get', args: [], tag: 'InvalidKey' },
    { call: 'get(null)', method: 'get', args: [null], tag: 'InvalidKey' },
    { call: "get('k', 5)", method: 'get', args: ['k', 5], tag: 'InvalidArgument' },
    { call: "getMany('a')", method: 'getMany', args: ['a'], tag: 'InvalidArgument' },
    { call: 'getMany([1])', method: 'getMany', args: [[1]], tag: 'InvalidKey' },
    { call: "gets({})", method: 'gets', args: [{}], tag: 'InvalidKey' },
    { call: "gat('k')", method: 'gat', args: ['k'], tag: 'InvalidArgument' },
    { call: "set('k')", method: 'set', args: ['k'], tag: 'InvalidArgument' },
    { call: "set('k', undefined)", method: 'set', args: ['k', undefined], tag: 'SerdeError' },
    { call: "set('k', null)", method: 'set', args: ['k', null], tag: 'SerdeError' },
    { call: "set('k', 'v', 60)", method: 'set', args: ['k', 'v', 60], tag: 'InvalidArgument' },
    { call: "set('k', 'v', { expires: 60 })", method: 'set', args: ['k', 'v', { expires: 60 }], tag: 'InvalidArgument' },
    { call: "set('k', 'v', { exptime: '60' })", method: 'set', args: ['k', 'v', { exptime: '60' }], tag: 'InvalidArgument' },
    { call: "set('k', 'v', { signal: 'x' })", method: 'set', args: ['k', 'v', { signal: 'x' }], tag: 'InvalidArgument' },
    { call: "set('k', 'v', options with a throwing getter)", method: 'set', args: ['k', 'v', throwingOptions], tag: 'InvalidArgument' },
    { call: "add(Symbol(), 'v')", method: 'add', args: [Symbol('k'), 'v'], tag: 'InvalidKey' },
    { call: 'setMany(null)', method: 'setMany', args: [null], tag: 'InvalidArgument' },
    { call: "setMany([['a']])", method: 'setMany', args: [[['a']]], tag: 'InvalidArgument' },
    { call: "setMany(new Map([[1, 'v']]))", method: 'setMany', args: [new Map([[1, 'v']])], tag: 'InvalidKey' },
    { call: "cas('k', 'v')", method: 'cas', args: ['k', 'v'], tag: 'InvalidArgument' },
    { call: "incr('k')", method: 'incr', args: ['k'], tag: 'InvalidArgument' },
    { call: "incr('k', -1)", method: 'incr', args: ['k', -1], tag: 'InvalidArgument' },
    { call: "incr('k', '1')", method: 'incr', args: ['k', '1'], tag: 'InvalidArgument' },
    { call: "decr('k', 1.5)", method: 'decr', args: ['k', 1.5], tag: 'InvalidArgument' },
    { call: "touch('k')", method: 'touch', args: ['k'], tag: 'InvalidArgument' },
    { call: "delete(['k'])", method: 'delete', args: [['k']], tag: 'InvalidKey' },
    { call: 'deleteMany(undefined)', method: 'deleteMany', args: [undefined], tag: 'InvalidArgument' },
    { call: "getOrSet('k', 'value')", method: 'getOrSet', args: ['k', 'value'], tag: 'InvalidArgument' },
    { call: "getOrSet('k', f, { ttl: 5 })", method: 'getOrSet', args: ['k', () => 'v', { ttl: 5 }], tag: 'InvalidArgument' },
    { call: "stats('items')", method: 'stats', args: ['items'], tag: 'InvalidArgument' },
    { call: "verbosity('loud')", method: 'verbosity', args: ['loud'], tag: 'InvalidArgument' },
    { call: 'flushAll({ delay: "1" })', method: 'flushAll', args: [{ delay: '1' }], tag: 'InvalidArgument' },
  ]

  it.each(rows)('$call rejects with $tag before any I/O', async ({ method, args, tag }) => {
    const { cache, sent } = memoryCache()
    let returned: unknown
    expect(() => {
      returned = untyped(cache)[method]?.(...args)
    }).not.toThrow()
    expect(returned).toBeInstanceOf(Promise)
    const exception = await rejection(returned as Promise<unknown>)
    expect(exception._tag).toBe(tag)
    expect(exception).toBeInstanceOf(Error)
    expect(sent()).toBe(0)
  })

  it('the option names of other clients point to exptime', async () => {
    const { cache } = memoryCache()
    const exception = await rejection(untyped(cache)['set']?.('k', 'v', { expires: 60 }) as Promise<unknown>)
    expect(exception.message).toContain('exptime')
  })

  it('methods work detached from the client', async () => {
    const { cache } = memoryCache()
    const { get, set } = cache
    await set('k', 'v')
    expect(await get('k')).toBe('v')
  })

  it('toPromises and createPromiseClient given nonsense make a client whose every call rejects', async () => {
    const made = [
      toPromises(undefined as unknown as Client<string>),
      createPromiseClient(undefined as unknown as { servers: string }),
      createPromiseClient('127.0.0.1:11211' as unknown as { servers: string }),
      createPromiseClient({} as unknown as { servers: string }),
    ]
    for (const cache of made) {
      expect(await rejection(cache.get('k'))).toMatchObject({ _tag: 'InvalidArgument' })
      await expect(cache.close()).resolves.toBeUndefined()
    }
  })
})

describe('JSON', () => {
  it('every result kind serialises', async () => {
    const { cache } = memoryCache()
    const results: ReadonlyArray<unknown> = [
      await cache.set('k', 'v'),
      await cache.get('k'),
      await cache.get('none'),
      await cache.getMany(['k', 'none']),
      await cache.gets('k'),
      await cache.getsMany(['k']),
      await cache.add('k', 'v'),
      await cache.setMany({ a: '1' }),
      await cache.set('n', '1'),
      await cache.incr('n', 1),
      await cache.cas('k', 'w', 1n),
      await cache.delete('a'),
      await cache.deleteMany(['a']),
      await cache.touch('k', 1),
      await cache.stats(),
      await cache.statsSettings(),
      await cache.statsSlabs(),
      await cache.version(),
    ]
    // `undefined` (a miss) has no JSON text of its own: it is `null` in an array.
    const written = JSON.stringify(results)
    expect(written).not.toContain('_tag')
    expect((JSON.parse(written) as ReadonlyArray<unknown>).slice(0, 5)).toEqual([true, 'v', null, { k: 'v' }, { value: 'v', cas: expect.any(String) as unknown }])
  })
})

describe('close', () => {
  it('never rejects, even when the transport fails to close; later calls reject', async () => {
    const { cache } = memoryCache()
    await expect(cache.close()).resolves.toBeUndefined()
    expect(await rejection(cache.get('k'))).toMatchObject({ _tag: 'ConnectionClosed' })
    const broken: Transport = {
      send: memoryTransport().send,
      close: () => Promise.reject(new Error('boom')),
    }
    await expect(memoryCache(text, broken).cache.close()).resolves.toBeUndefined()
    const throwing: Transport = {
      send: memoryTransport().send,
      close: () => {
        throw new Error('sync boom')
      },
    }
    await expect(memoryCache(text, throwing).cache.close()).resolves.toBeUndefined()
  })
})

describe('the fp client', () => {
  it('stays as it is beside the Promise client, on the same transport', async () => {
    const { cache, client } = memoryCache()
    await cache.set('k', 'v')
    expect(await client.get('k')()).toEqual(E.right(O.some('v')))
    expect(cache.transport).toBe(client.transport)
  })
})

describe('getOrCompute and invalidate', () => {
  it('compute (a value or a Promise of it) runs once for concurrent callers; later callers are served the stored value', async () => {
    const { cache } = memoryCache()
    let runs = 0
    const compute = async (): Promise<string> => {
      runs++
      return 'page'
    }
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrCompute('page:/', compute, { ttl: 60, backoff: { initialMs: 1, maxMs: 1 } })))
    expect(values).toEqual(Array.from({ length: 20 }, () => 'page'))
    expect(runs).toBe(1)
    expect(await cache.get('page:/')).toBe('page')
    expect(await cache.getOrCompute('other', () => 'plain value', { ttl: 60 })).toBe('plain value')
  })

  it('rejects with what compute throws or rejects with, unchanged', async () => {
    const { cache } = memoryCache()
    const failure = new RangeError('database down')
    await expect(cache.getOrCompute('a', () => Promise.reject(failure), { ttl: 60 })).rejects.toBe(failure)
    await expect(
      cache.getOrCompute('b', () => {
        throw failure
      }, { ttl: 60 }),
    ).rejects.toBe(failure)
  })

  it('a wait for another caller past maxWait rejects with a Timeout exception of getOrCompute', async () => {
    const { cache } = memoryCache()
    // The failed compute keeps the lock until lockTtl: the next caller finds it taken.
    await expect(cache.getOrCompute('k', () => Promise.reject(new Error('down')), { ttl: 60 })).rejects.toThrow('down')
    const exception = await rejection(cache.getOrCompute('k', () => 'v', { ttl: 60, maxWait: 0 }))
    expect(exception).toMatchObject({ _tag: 'Timeout', request: 'getOrCompute' })
    expect(exception.message).toContain('maxWait')
  })

  it('a cache that fails rejects with its MemcacheException, computing nothing', async () => {
    const down: Transport = { send: () => () => Promise.resolve(E.left(connectionClosed('memory', 'is closed'))), close: () => Promise.resolve() }
    const { cache } = memoryCache(text, down)
    let runs = 0
    const exception = await rejection(cache.getOrCompute('k', () => String(++runs), { ttl: 60 }))
    expect(exception._tag).toBe('ConnectionClosed')
    expect(runs).toBe(0)
    expect(await rejection(cache.invalidate('k'))).toMatchObject({ _tag: 'ConnectionClosed' })
  })

  it('invalidate: true when the key was marked stale, false when there was none', async () => {
    const { cache } = memoryCache()
    await cache.set('k', 'v')
    expect(await cache.invalidate('k', { staleFor: 30 })).toBe(true)
    expect(await cache.invalidate('none')).toBe(false)
  })

  const rows: ReadonlyArray<{ readonly call: string; readonly method: string; readonly args: ReadonlyArray<unknown>; readonly tag: MemcacheError['_tag'] }> = [
    { call: "getOrCompute('k', 'value', { ttl: 5 })", method: 'getOrCompute', args: ['k', 'value', { ttl: 5 }], tag: 'InvalidArgument' },
    { call: "getOrCompute('k', f)", method: 'getOrCompute', args: ['k', () => 'v'], tag: 'InvalidArgument' },
    { call: "getOrCompute('k', f, { exptime: 5 })", method: 'getOrCompute', args: ['k', () => 'v', { exptime: 5 }], tag: 'InvalidArgument' },
    { call: "getOrCompute('k', f, { ttl: '5' })", method: 'getOrCompute', args: ['k', () => 'v', { ttl: '5' }], tag: 'InvalidArgument' },
    { call: "getOrCompute('k', f, { ttl: 5, backoff: 10 })", method: 'getOrCompute', args: ['k', () => 'v', { ttl: 5, backoff: 10 }], tag: 'InvalidArgument' },
    { call: "getOrCompute('k', f, { ttl: -1 })", method: 'getOrCompute', args: ['k', () => 'v', { ttl: -1 }], tag: 'InvalidArgument' },
    { call: "getOrCompute(7, f, { ttl: 5 })", method: 'getOrCompute', args: [7, () => 'v', { ttl: 5 }], tag: 'InvalidKey' },
    { call: "invalidate('k', { staleFor: '5' })", method: 'invalidate', args: ['k', { staleFor: '5' }], tag: 'InvalidArgument' },
    { call: "invalidate('k', { staleFor: 0 })", method: 'invalidate', args: ['k', { staleFor: 0 }], tag: 'InvalidArgument' },
    { call: 'invalidate(null)', method: 'invalidate', args: [null], tag: 'InvalidKey' },
  ]

  it.each(rows)('$call rejects with $tag before any I/O', async ({ method, args, tag }) => {
    const { cache, sent } = memoryCache()
    let returned: unknown
    expect(() => {
      returned = untyped(cache)[method]?.(...args)
    }).not.toThrow()
    expect(returned).toBeInstanceOf(Promise)
    expect((await rejection(returned as Promise<unknown>))._tag).toBe(tag)
    expect(sent()).toBe(0)
  })

  it('a client that cannot be made rejects with why', async () => {
    const cache = createPromiseClient(undefined as unknown as { servers: string })
    expect(await rejection(cache.getOrCompute('k', () => 'v', { ttl: 5 }))).toMatchObject({ _tag: 'InvalidArgument' })
    expect(await rejection(cache.invalidate('k'))).toMatchObject({ _tag: 'InvalidArgument' })
  })
})

describe('the protocol option', () => {
  it('passes through createPromiseClient, per call too, with the same plain results', async () => {
    const sent: Array<string> = []
    const inner = memoryTransport()
    const transport: Transport = { send: (request, context) => (sent.push(request._tag), inner.send(request, context)), close: inner.close }
    const cache = createPromiseClient({ transport, protocol: 'meta' })
    expect(await cache.set('k', 'v', { exptime: 60 })).toBe(true)
    expect(await cache.get('k')).toBe('v')
    expect(await cache.get('missing')).toBeUndefined()
    expect(await cache.getMany(['k', 'missing'], { protocol: 'text' })).toEqual(Object.assign(Object.create(null) as object, { k: 'v' }))
    const found = await cache.gets('k')
    expect(found === undefined ? undefined : await cache.cas('k', 'w', found.cas)).toBe(true)
    expect(await cache.delete('k')).toBe(true)
    expect(sent).toEqual(['MetaSet', 'MetaGet', 'MetaGet', 'Get', 'MetaGet', 'MetaSet', 'MetaDelete'])
    await cache.close()
  })

  it('takes binary keys on the meta path and refuses them on the text path', async () => {
    const cache = createPromiseClient({ transport: memoryTransport() })
    const key = Uint8Array.of(1, 2, 0xff)
    expect(await cache.set(key, 'bytes', { protocol: 'meta' })).toBe(true)
    expect(await cache.get(key, { protocol: 'meta' })).toBe('bytes')
    await expect(cache.get(key)).rejects.toMatchObject({ _tag: 'InvalidKey', key: 'base64:AQL/' })
    await expect(cache.getMany([key as unknown as string])).rejects.toMatchObject({ _tag: 'InvalidKey' })
    await cache.close()
  })

  it('refuses a misspelled protocol per call, naming the valid ones', async () => {
    const cache = createPromiseClient({ transport: memoryTransport() })
    await expect(cache.get('k', { protocol: 'metta' } as never)).rejects.toMatchObject({ _tag: 'InvalidArgument', message: 'invalid protocol: must be "text" or "meta", got the string "metta"' })
    await expect(cache.stats({ protocol: 'meta' } as never)).rejects.toMatchObject({ _tag: 'InvalidArgument' })
    await cache.close()
  })

  it('counter: created with an initial value and a TTL, then counted; undefined on a miss', async () => {
    const cache = createPromiseClient({ transport: memoryTransport() })
    expect(await cache.counter('visits', 1, { initial: 100, ttl: 60 })).toBe(100)
    expect(await cache.counter('visits')).toBe(101)
    expect(await cache.counter('visits', 2n, { mode: 'decr' })).toBe(99)
    expect(await cache.counter('none')).toBeUndefined()
    await expect(cache.counter('visits', 1, { initial: -1 })).rejects.toMatchObject({ _tag: 'InvalidArgument', argument: 'initial' })
    await expect(cache.counter('visits', 1, { mode: 'up' } as never)).rejects.toMatchObject({ _tag: 'InvalidArgument', argument: 'mode' })
    await cache.close()
  })
})
