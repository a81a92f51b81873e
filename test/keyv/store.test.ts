import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import Keyv from 'keyv'
import { describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { MemcacheException } from '../../src/exception.js'
import { HASHED_KEY_MARKER } from '../../src/keyv/key.js'
import { makeKeyvStore, type KeyvMemcache } from '../../src/keyv/store.js'
import type { Transport } from '../../src/transport/transport.js'
import { connectionClosed } from '../../src/transport/error.js'

/** The transport, noting every key sent (with its prefix), as memcached will see it. */
const recording = (next: Transport) => {
  const sent = new Set<string>()
  const transport: Transport = {
    send: (request, context) => {
      const prefix = 'prefix' in request ? (request.prefix ?? '') : ''
      if ('key' in request) sent.add(prefix + request.key)
      if ('keys' in request) for (const key of request.keys) sent.add(prefix + key)
      return next.send(request, context)
    },
    close: next.close,
  }
  return { transport, sent }
}

/** One in-memory server with a clock the test moves; a raw client to look at what memcached holds. */
const setup = (start = 10_000) => {
  let now = start
  const clock = () => now
  const { transport, sent } = recording(memoryTransport({ clock }))
  const raw = createClient({ transport })
  return {
    clock,
    advance: (ms: number) => {
      now += ms
    },
    transport,
    raw,
    store: (options: Partial<Parameters<typeof makeKeyvStore>[0]> = {}) => makeKeyvStore({ client: raw, clock, ...options } as Parameters<typeof makeKeyvStore>[0]),
    keys: () => [...sent],
  }
}

const errorsOf = (store: KeyvMemcache): Array<MemcacheException> => {
  const errors: Array<MemcacheException> = []
  store.on('error', (error) => errors.push(error))
  return errors
}

const failing = (): Transport => ({ send: () => TE.left(connectionClosed('memory', 'the server went away')), close: async () => undefined })

describe('makeKeyvStore: values', () => {
  it.each([
    { name: 'empty', value: '' },
    { name: 'the text protocol inside', value: 'VALUE k 0 3\r\nabc\r\nEND\r\n' },
    { name: 'NUL and control characters', value: '\u0000\u0001\u007f\r\n\t' },
    { name: 'non-ASCII', value: 'clé 日本 🔑' },
    { name: 'a byte-order mark', value: '\ufeffbom' },
    { name: 'large', value: 'x'.repeat(512 * 1024) },
  ])('stores and reads back $name strings unchanged', async ({ value }) => {
    const { store } = setup()
    const s = store({ namespace: undefined })
    expect(await s.set('k', value)).toBe(true)
    expect(await s.get('k')).toBe(value)
  })

  it('refuses (emits) a string with a lone surrogate, which UTF-8 cannot carry', async () => {
    const { store } = setup()
    const s = store()
    const errors = errorsOf(s)
    expect(await s.set('k', 'a\ud800b')).toBe(false)
    expect(errors.map((error) => error._tag)).toEqual(['SerdeError'])
  })

  it('round-trips Buffers and binary-ish data through Keyv (its serialiser writes them as text)', async () => {
    const { store } = setup()
    const keyv = new Keyv({ store: store() })
    const bytes = Buffer.from([0, 255, 13, 10, 128, 0xc3])
    await keyv.set('bin', { bytes, text: '\r\nEND\r\n' })
    expect(await keyv.get('bin')).toEqual({ bytes, text: '\r\nEND\r\n' })
  })
})

describe('makeKeyvStore: TTLs', () => {
  it('keeps a sub-second TTL in memcached for at least the TTL (1 s plus the tick), never forever', async () => {
    const { store, raw, advance } = setup(10_900)
    const s = store({ namespace: undefined })
    await s.set('short', 'v', 200)
    advance(1_099)
    expect(await raw.get('short')()).toEqual(E.right(O.some('v')))
    advance(2_000)
    expect(await raw.get('short')()).toEqual(E.right(O.none))
  })

  it('sends a TTL over 30 days as a unix time, by the store clock', async () => {
    const day = 86_400_000
    const { store, raw, advance } = setup(Date.parse('2026-01-01T00:00:00Z'))
    const s = store({ namespace: undefined })
    await s.set('long', 'v', 40 * day)
    advance(40 * day - 1_000)
    expect(await raw.get('long')()).toEqual(E.right(O.some('v')))
    advance(3_000)
    expect(await raw.get('long')()).toEqual(E.right(O.none))
  })

  it('setMany batches entries by TTL', async () => {
    const { store, raw, advance } = setup()
    const s = store({ namespace: undefined })
    await s.setMany([
      { key: 'a', value: '1', ttl: 1_000 },
      { key: 'b', value: '2' },
      { key: 'c', value: '3', ttl: 1_000 },
    ])
    expect(await s.getMany(['a', 'b', 'c'])).toEqual(['1', '2', '3'])
    advance(5_000)
    expect(await raw.getMany(['a', 'b', 'c'])()).toEqual(E.right(new Map([['b', '2']])))
  })

  it("has and hasMany read Keyv's expires: a value memcached still holds is gone once it passed", async () => {
    const { store, advance } = setup()
    const s = store()
    await s.set('keyv:k', JSON.stringify({ value: 'v', expires: 10_500 }), 500)
    await s.set('keyv:forever', JSON.stringify({ value: 'v' }))
    await s.set('keyv:plain', 'not an envelope')
    expect(await s.has('keyv:k')).toBe(true)
    advance(501)
    expect(await s.has('keyv:k')).toBe(false)
    expect(await s.get('keyv:k')).toBeDefined()
    expect(await s.hasMany(['keyv:k', 'keyv:forever', 'keyv:plain', 'keyv:missing'])).toEqual([false, true, true, false])
  })

  it("has reads expires with opts.deserialize when Keyv's serialiser is not JSON", async () => {
    const { store } = setup()
    const s = store()
    s.opts.deserialize = (data) => ({ expires: Number(data.split('|')[1]) })
    await s.set('keyv:k', 'v|5000')
    expect(await s.has('keyv:k')).toBe(false)
  })
})

describe('makeKeyvStore: keys', () => {
  it.each([
    { name: 'over 250 bytes', key: 'k'.repeat(400) },
    { name: 'with spaces', key: 'a key with spaces' },
    { name: 'with a newline', key: 'a\r\nflush_all' },
    { name: 'non-ASCII', key: 'clé:日本' },
  ])('stores keys $name under a hash, and reads them back under the key', async ({ key }) => {
    const { store, keys } = setup()
    const keyv = new Keyv({ store: store() })
    expect(await keyv.set(key, 'v')).toBe(true)
    expect(await keyv.get(key)).toBe('v')
    expect(await keyv.has(key)).toBe(true)
    expect(keys().some((stored) => stored.startsWith(HASHED_KEY_MARKER))).toBe(true)
    expect(await keyv.delete(key)).toBe(true)
    expect(await keyv.get(key)).toBeUndefined()
  })

  it('leaves room for the key prefix of the client it makes', async () => {
    const { transport, sent } = recording(memoryTransport())
    const s = makeKeyvStore({ transport, keyPrefix: 'p'.repeat(20), namespace: undefined })
    const errors = errorsOf(s)
    expect(await s.set('k'.repeat(240), 'v')).toBe(true)
    expect(await s.get('k'.repeat(240))).toBe('v')
    expect(errors).toEqual([])
    expect([...sent].every((key) => key.startsWith('p'.repeat(20) + HASHED_KEY_MARKER))).toBe(true)
  })

  it('getMany answers in the order asked, undefined where missing, repeated keys included', async () => {
    const { store } = setup()
    const s = store()
    await s.set('keyv:a', '1')
    await s.set('keyv:b', '2')
    expect(await s.getMany(['keyv:b', 'keyv:x', 'keyv:a', 'keyv:b'])).toEqual(['2', undefined, '1', '2'])
    expect(await s.getMany([])).toEqual([])
  })

  it('deleteMany is true when every key existed, as Keyv answers without it', async () => {
    const { store } = setup()
    const s = store()
    await s.setMany([
      { key: 'keyv:a', value: '1' },
      { key: 'keyv:b', value: '2' },
    ])
    expect(await s.deleteMany(['keyv:a', 'keyv:x'])).toBe(false)
    expect(await s.get('keyv:a')).toBeUndefined()
    expect(await s.deleteMany(['keyv:b'])).toBe(true)
    expect(await s.deleteMany(['keyv:b'])).toBe(false)
  })
})

describe('makeKeyvStore: namespaces and clear', () => {
  it('keeps namespaces apart, each on its own store over one client', async () => {
    const { store } = setup()
    const a = new Keyv({ store: store(), namespace: 'a' })
    const b = new Keyv({ store: store(), namespace: 'b' })
    await a.set('k', 'from a')
    await b.set('k', 'from b')
    expect(await a.get('k')).toBe('from a')
    expect(await b.get('k')).toBe('from b')
    await a.delete('k')
    expect(await b.get('k')).toBe('from b')
  })

  it("clears one namespace only: other namespaces and other programs' keys stay", async () => {
    const { store, raw } = setup()
    const a = new Keyv({ store: store(), namespace: 'a' })
    const b = new Keyv({ store: store(), namespace: 'b' })
    await raw.set('someone-else', 'theirs')()
    await a.set('k', 'from a')
    await b.set('k', 'from b')
    await a.clear()
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBe('from b')
    expect(await raw.get('someone-else')()).toEqual(E.right(O.some('theirs')))
    await a.set('k', 'again')
    expect(await a.get('k')).toBe('again')
  })

  it("sees another process's clear at its next operation (the generation lives in memcached)", async () => {
    const { store } = setup()
    const here = new Keyv({ store: store(), namespace: 'shared' })
    const there = new Keyv({ store: store(), namespace: 'shared' })
    await here.set('k', 'v')
    expect(await there.get('k')).toBe('v')
    await there.clear()
    expect(await here.get('k')).toBeUndefined()
  })

  it('treats an evicted generation as a clear, never as an older generation', async () => {
    const { store, raw } = setup()
    const keyv = new Keyv({ store: store(), namespace: 'n' })
    await keyv.set('k', 'v')
    await raw.delete('n@generation')()
    expect(await keyv.get('k')).toBeUndefined()
  })

  it('refuses clear without a namespace unless flush_all is allowed, and says why', async () => {
    const { store, raw } = setup()
    const s = store({ namespace: undefined })
    const errors = errorsOf(s)
    await raw.set('someone-else', 'theirs')()
    await s.set('k', 'v')
    await s.clear()
    expect(errors.map((error) => [error._tag, error.message])).toEqual([['InvalidArgument', expect.stringContaining('allowFlushAll')]])
    expect(await s.get('k')).toBe('v')

    const flushing = store({ namespace: undefined, allowFlushAll: true })
    await flushing.clear()
    expect(await s.get('k')).toBeUndefined()
    expect(await raw.get('someone-else')()).toEqual(E.right(O.none))
  })

  it('follows a namespace Keyv changes at run time', async () => {
    const { store } = setup()
    const keyv = new Keyv({ store: store(), namespace: 'first' })
    await keyv.set('k', 'v1')
    keyv.namespace = 'second'
    expect(await keyv.get('k')).toBeUndefined()
    await keyv.set('k', 'v2')
    keyv.namespace = 'first'
    expect(await keyv.get('k')).toBe('v1')
  })
})

describe('makeKeyvStore: errors', () => {
  it('emits a failure and resolves to the "nothing" value of each call', async () => {
    const s = makeKeyvStore({ client: { transport: failing() }, namespace: 'keyv' })
    const errors = errorsOf(s)
    expect(await s.get('keyv:k')).toBeUndefined()
    expect(await s.getMany(['keyv:a', 'keyv:b'])).toEqual([undefined, undefined])
    expect(await s.set('keyv:k', 'v')).toBe(false)
    expect(await s.setMany([{ key: 'keyv:k', value: 'v' }])).toBeUndefined()
    expect(await s.delete('keyv:k')).toBe(false)
    expect(await s.deleteMany(['keyv:k'])).toBe(false)
    expect(await s.has('keyv:k')).toBe(false)
    expect(await s.hasMany(['keyv:k'])).toEqual([false])
    expect(await s.clear()).toBeUndefined()
    expect(errors).toHaveLength(9)
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error)
      expect(error._tag).toBe('ConnectionClosed')
    }
  })

  it('drops an error nobody listens to, and forwards it through Keyv to its listeners', async () => {
    const s = makeKeyvStore({ client: { transport: failing() } })
    expect(await s.get('keyv:k')).toBeUndefined()
    const keyv = new Keyv({ store: s })
    const seen: Array<unknown> = []
    keyv.on('error', (error) => seen.push(error))
    expect(await keyv.set('k', 'v')).toBe(false)
    expect(seen).toHaveLength(1)
  })

  it('also rejects with throwOnErrors', async () => {
    const s = makeKeyvStore({ client: { transport: failing() }, throwOnErrors: true })
    const errors = errorsOf(s)
    await expect(s.get('keyv:k')).rejects.toMatchObject({ name: 'MemcacheException', _tag: 'ConnectionClosed' })
    expect(errors).toHaveLength(1)
  })

  it('once and off manage listeners', async () => {
    const s = makeKeyvStore({ client: { transport: failing() } })
    const once: Array<unknown> = []
    const removed: Array<unknown> = []
    const listener = (error: unknown) => removed.push(error)
    s.once('error', (error) => once.push(error)).on('error', listener).off('error', listener)
    await s.get('keyv:a')
    await s.get('keyv:b')
    expect(once).toHaveLength(1)
    expect(removed).toEqual([])
  })

  it.each([
    { name: 'a client and servers', options: { client: { transport: failing() }, servers: '127.0.0.1:11211' }, argument: 'servers' },
    { name: 'a serde', options: { transport: memoryTransport(), serde: { serialize: () => E.right(undefined), deserialize: () => E.right('') } }, argument: 'serde' },
    { name: "a misspelled client option", options: { transport: memoryTransport(), timout: 5 }, argument: 'timout' },
  ])('refuses $name: every call emits why', async ({ options, argument }) => {
    const s = makeKeyvStore(options as unknown as Parameters<typeof makeKeyvStore>[0])
    const errors = errorsOf(s)
    expect(await s.set('keyv:k', 'v')).toBe(false)
    expect(errors.map((error) => error._tag)).toEqual(['InvalidArgument'])
    expect(errors[0]?.message).toContain(argument)
  })
})

describe('makeKeyvStore: disconnect', () => {
  it('closes the client it made', async () => {
    const transport = memoryTransport()
    const s = makeKeyvStore({ transport })
    await s.disconnect()
    const errors = errorsOf(s)
    expect(await s.get('keyv:k')).toBeUndefined()
    expect(errors.map((error) => error._tag)).toEqual(['ConnectionClosed'])
  })

  it('leaves a client of yours open', async () => {
    const { raw, store } = setup()
    await store().disconnect()
    expect(await raw.set('k', 'still open')()).toEqual(E.right(true))
  })
})
