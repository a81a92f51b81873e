import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as fc from 'fast-check'
import Keyv from 'keyv'
import { describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { makeEngine } from '../../src/emulator/engine.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { MemcacheException } from '../../src/exception.js'
import { HASHED_KEY_MARKER } from '../../src/keyv/key.js'
import { makeKeyvStore, type KeyvMemcache } from '../../src/keyv/store.js'
import { commandName } from '../../src/protocol/request.js'
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

/**
 * Counts requests, and round trips: answers arrive in a later turn of the event loop, as from a
 * network, and a request sent after an answer arrived starts a new round trip.
 */
const counting = (next: Transport) => {
  const count = { requests: 0, roundTrips: 0 }
  let answered = true
  const transport: Transport = {
    send: (request, context) => async () => {
      count.requests++
      if (answered) count.roundTrips++
      answered = false
      const reply = await next.send(request, context)()
      await new Promise((resolve) => setImmediate(resolve))
      answered = true
      return reply
    },
    close: next.close,
  }
  return { transport, count }
}

describe('makeKeyvStore: round trips', () => {
  /** Two stores ("processes") on one server, each on its own counted connection. */
  const twoProcesses = () => {
    const engine = makeEngine()
    const here = counting(memoryTransport({ engine }))
    const there = counting(memoryTransport({ engine }))
    return {
      here: makeKeyvStore({ client: { transport: here.transport }, namespace: 'keyv' }),
      there: makeKeyvStore({ client: { transport: there.transport }, namespace: 'keyv' }),
      count: here.count,
    }
  }
  const costOf = async (count: { requests: number; roundTrips: number }, operation: () => Promise<unknown>) => {
    const before = { ...count }
    await operation()
    return { requests: count.requests - before.requests, roundTrips: count.roundTrips - before.roundTrips }
  }

  it('get in a namespace: one request once the generation is known', async () => {
    const { here, count } = twoProcesses()
    expect(await costOf(count, () => here.get('keyv:k'))).toEqual({ requests: 3, roundTrips: 3 }) // get and add the generation, then the read
    expect(await costOf(count, () => here.get('keyv:k'))).toEqual({ requests: 1, roundTrips: 1 })
    expect(await costOf(count, () => here.getMany(['keyv:a', 'keyv:b']))).toEqual({ requests: 1, roundTrips: 1 })
    expect(await costOf(count, () => here.has('keyv:k'))).toEqual({ requests: 1, roundTrips: 1 })
    expect(await costOf(count, () => here.hasMany(['keyv:a', 'keyv:b']))).toEqual({ requests: 1, roundTrips: 1 })
  })

  it('a write: the generation get and the write pipelined, one round trip', async () => {
    const { here, count } = twoProcesses()
    await here.get('keyv:k')
    expect(await costOf(count, () => here.set('keyv:k', 'v'))).toEqual({ requests: 2, roundTrips: 1 })
    expect(await costOf(count, () => here.delete('keyv:k'))).toEqual({ requests: 2, roundTrips: 1 })
    expect(await costOf(count, () => here.deleteMany(['keyv:a', 'keyv:b']))).toEqual({ requests: 3, roundTrips: 1 })
    expect(
      await costOf(count, () =>
        here.setMany([
          { key: 'keyv:a', value: '1' },
          { key: 'keyv:b', value: '2', ttl: 5_000 },
        ]),
      ),
    ).toEqual({ requests: 3, roundTrips: 1 })
  })

  it("after another process's clear: two round trips once, then one, and nothing of before", async () => {
    const { here, there, count } = twoProcesses()
    await here.set('keyv:k', 'before')
    expect(await here.get('keyv:k')).toBe('before')
    await there.clear()
    expect(await costOf(count, async () => expect(await here.get('keyv:k')).toBeUndefined())).toEqual({ requests: 2, roundTrips: 2 })
    expect(await costOf(count, () => here.get('keyv:k'))).toEqual({ requests: 1, roundTrips: 1 })
    await there.clear()
    expect(await costOf(count, async () => expect(await here.set('keyv:k', 'after')).toBe(true))).toEqual({ requests: 3, roundTrips: 2 })
    expect(await there.get('keyv:k')).toBe('after')
  })

  it('a delete under an ended generation neither loses a live value nor brings back a deleted one', async () => {
    const { here, there } = twoProcesses()
    await here.set('keyv:k', 'old')
    await there.clear()
    await there.set('keyv:k', 'live')
    await there.set('keyv:gone', 'x')
    await there.delete('keyv:gone')
    // `here` still assumes the generation before the clear, where `keyv:k` is 'old'.
    expect(await here.delete('keyv:gone')).toBe(false)
    expect(await there.get('keyv:k')).toBe('live')
    expect(await here.get('keyv:gone')).toBeUndefined()
    await there.clear()
    expect(await here.delete('keyv:k')).toBe(false)
    await there.set('keyv:k', 'again')
    expect(await here.delete('keyv:k')).toBe(true)
    expect(await there.get('keyv:k')).toBeUndefined()
  })
})

// -------------------------------------------------------------------------------------
// linearizability: interleavings of two processes against a sequential model
// -------------------------------------------------------------------------------------

type Step = { readonly kind: 'get' | 'delete'; readonly key: string } | { readonly kind: 'set'; readonly key: string } | { readonly kind: 'clear' }

interface Done {
  readonly step: Step
  /** The value a set wrote. */
  readonly value: string | undefined
  readonly result: unknown
  readonly invoked: number
  readonly returned: number
}

/** What a step does to the model, and what it answers. */
const applyStep = (state: ReadonlyMap<string, string>, done: Done): { readonly state: ReadonlyMap<string, string>; readonly result: unknown } => {
  const next = new Map(state)
  switch (done.step.kind) {
    case 'get':
      return { state, result: state.get(done.step.key) }
    case 'set':
      next.set(done.step.key, done.value ?? '')
      return { state: next, result: true }
    case 'delete':
      next.delete(done.step.key)
      return { state: next, result: state.has(done.step.key) }
    case 'clear':
      return { state: new Map(), result: undefined }
  }
}

/**
 * Whether some order of `history` respects real time (an operation that returned before another
 * was invoked comes first) and gives every operation its answer in the model (Wing and Gong's
 * search, memoised on what is done and the state).
 */
const isLinearizable = (history: ReadonlyArray<Done>): boolean => {
  const failed = new Set<string>()
  const search = (remaining: ReadonlyArray<number>, state: ReadonlyMap<string, string>): boolean => {
    if (remaining.length === 0) return true
    const memo = `${remaining.join(',')}|${JSON.stringify([...state].sort())}`
    if (failed.has(memo)) return false
    const firstReturn = Math.min(...remaining.map((index) => history[index]?.returned ?? Infinity))
    for (const index of remaining) {
      const done = history[index]
      if (done === undefined || done.invoked > firstReturn) continue
      const applied = applyStep(state, done)
      // A delete's answer is not checked (see the module docs of generation.ts); its effect is, by every get.
      if ((done.step.kind === 'delete' || applied.result === done.result) && search(
        remaining.filter((other) => other !== index),
        applied.state,
      )) return true
    }
    failed.add(memo)
    return false
  }
  return search(history.map((_, index) => index), new Map())
}

/** Delivers a connection's requests in order, each when the scheduler says, and its answer too. */
const scheduledConnection = (scheduler: fc.Scheduler, next: Transport, name: string): Transport => {
  let previous: Promise<unknown> = Promise.resolve()
  return {
    send: (request, context) => () => {
      const served = previous.then(() => scheduler.schedule(Promise.resolve(), `${name} ${commandName(request)}`)).then(() => next.send(request, context)())
      previous = served
      return served.then((reply) => scheduler.schedule(Promise.resolve(reply), `${name} answer`))
    },
    close: next.close,
  }
}

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom('get' as const, 'delete' as const), key: fc.constantFrom('a', 'b') }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom('a', 'b') }),
  fc.constant({ kind: 'clear' as const }),
)

describe('makeKeyvStore: linearizable per operation', () => {
  it('the checker refuses a stale read', () => {
    const set: Done = { step: { kind: 'set', key: 'a' }, value: '1', result: true, invoked: 0, returned: 1 }
    const clear: Done = { step: { kind: 'clear' }, value: undefined, result: undefined, invoked: 2, returned: 3 }
    const staleGet: Done = { step: { kind: 'get', key: 'a' }, value: undefined, result: '1', invoked: 4, returned: 5 }
    expect(isLinearizable([set, clear, staleGet])).toBe(false)
    expect(isLinearizable([set, clear, { ...staleGet, invoked: 2 }])).toBe(true)
    expect(isLinearizable([set, clear, { ...staleGet, result: undefined }])).toBe(true)
    const lostSet: Done = { step: { kind: 'set', key: 'a' }, value: '2', result: true, invoked: 4, returned: 5 }
    expect(isLinearizable([set, clear, lostSet, { ...staleGet, invoked: 6, returned: 7, result: undefined }])).toBe(false)
  })

  it('two processes, two callers each, on one server: every get answers what a sequential run allows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(stepArbitrary, { maxLength: 4 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        async (scheduler, lanes, warm) => {
          const engine = makeEngine()
          const stores = ['here', 'there'].map((name) => makeKeyvStore({ client: { transport: scheduledConnection(scheduler, memoryTransport({ engine }), name) }, namespace: 'keyv' }))
          const history: Array<Done> = []
          let clock = 0
          let written = 0
          if (warm) {
            // Both know a generation, which the first clear makes stale for the other.
            for (const store of stores) await scheduler.waitFor(store.get('keyv:a'))
          }
          const run = async (store: KeyvMemcache, steps: ReadonlyArray<Step>): Promise<void> => {
            for (const step of steps) {
              const value = step.kind === 'set' ? `v${++written}` : undefined
              const invoked = clock++
              const result =
                step.kind === 'get' ? await store.get(`keyv:${step.key}`)
                : step.kind === 'set' ? await store.set(`keyv:${step.key}`, value ?? '')
                : step.kind === 'delete' ? await store.delete(`keyv:${step.key}`)
                : await store.clear()
              history.push({ step, value, result, invoked, returned: clock++ })
            }
          }
          const [here, there] = stores
          if (here === undefined || there === undefined) throw new Error('two stores')
          await scheduler.waitFor(Promise.all(lanes.map((steps, lane) => run(lane % 2 === 0 ? here : there, steps))))
          expect(isLinearizable(history), JSON.stringify(history)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  }, 60_000)
})
