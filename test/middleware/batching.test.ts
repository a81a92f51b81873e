/**
 * `withBatching`: concurrent gets merged into one request and fanned out, within a window or at
 * maxKeys; waiters released when their signal fires or their deadline passes (one timer per layer);
 * the merged request's context built from its members'; with `protocol: 'meta'`, one quiet `mg`
 * batch answered as the same `Values`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { invalidKey, serverError } from '../../src/protocol/error.js'
import * as Meta from '../../src/protocol/meta.js'
import type { Request as Sent } from '../../src/protocol/request.js'
import * as Request from '../../src/protocol/request.js'
import { withBatching } from '../../src/middleware/batching.js'
import { connectionClosed } from '../../src/transport/error.js'
import type { Transport } from '../../src/transport/transport.js'
import { cacheOf, fakeTransport, heldTransport, keysOfValues, settle, type Outcome } from './fake.js'

/** Four concurrent gets whose keys overlap (`a` twice) and miss (`z`, `y`): their union is a, b, z, c, y. */
const overlappingGets = (batched: Transport): Promise<ReadonlyArray<Outcome>> =>
  Promise.all([
    batched.send(Request.get(['a']))(),
    batched.send(Request.get(['b', 'z']))(),
    batched.send(Request.get(['c', 'a']))(),
    batched.send(Request.get(['y']))(),
  ])

describe('withBatching', () => {
  it('merges concurrent gets into one request for the union of keys and fans the hits out', async () => {
    const inner = fakeTransport(cacheOf({ a: '1', b: '2', c: '3' }))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const outcomes = await overlappingGets(batched)
    expect(outcomes.map(keysOfValues)).toEqual([['a'], ['b'], ['c', 'a'], []])
    expect(inner.sent).toEqual([Request.get(['a', 'b', 'z', 'c', 'y'])])
  })

  it('keeps gets and gets apart, passes other requests through, and sends at maxKeys', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, maxKeys: 2 }))
    await Promise.all([
      batched.send(Request.get(['a']))(),
      batched.send(Request.gets(['a']))(),
      batched.send(Request.get(['b']))(),
      batched.send(Request.get(['c']))(),
      batched.send(Request.set('k', new Uint8Array()))(),
    ])
    expect(inner.sent.map((request) => ('keys' in request ? `${request._tag}:${request.keys.join(',')}` : request._tag))).toEqual([
      'Get:a,b', // sent the moment it reached maxKeys
      'Store',
      'Gets:a',
      'Get:c',
    ])
  })

  it('gives every member the error of a failed batch', async () => {
    const failure = connectionClosed('a:1', 'closed')
    const inner = fakeTransport(() => E.left(failure))
    const batched = pipe(inner.transport, withBatching({ eager: false, window: 1 }))
    const outcomes = await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['b']))()])
    expect(outcomes).toEqual([E.left(failure), E.left(failure)])
  })

  it("does not let one caller's invalid key fail the others", async () => {
    const inner = fakeTransport((request) =>
      request._tag === 'Get' && request.keys.includes('bad key') ? E.left(invalidKey('bad key', 'space at index 3')) : cacheOf({ a: '1' })(request),
    )
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const [good, bad] = await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['bad key']))()])
    expect(keysOfValues(good)).toEqual(['a'])
    expect(bad).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey' })))
  })
})

describe('withBatching, eager (the default with window 0)', () => {
  it('sends gets one by one while few callers wait, as without batching', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching())
    const outcomes = ['a', 'b', 'c'].map((key) => batched.send(Request.get([key]))())
    expect(held.sent).toEqual([Request.get(['a']), Request.get(['b']), Request.get(['c'])]) // before the loop turned
    for (const request of [...held.sent]) held.release(cacheOf({ b: '2' })(request))
    expect((await Promise.all(outcomes)).map(keysOfValues)).toEqual([[], ['b'], []])
  })

  it('under load, gathers a burst into requests of an eighth of the callers or fewer keys, and of at most maxKeys', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching())
    const keys = Array.from({ length: 200 }, (_, index) => `k${index}`)
    const outcomes = keys.map((key) => batched.send(Request.get([key]))())
    await settle()
    const sizes = held.sent.map((request) => (request._tag === 'Get' ? request.keys.length : 0))
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(200)
    // The first few go alone; the batches grow with the number of callers waiting (k of them: at
    // most k/8 keys, rounded up) up to 16.
    expect(sizes.slice(0, 8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
    expect(Math.max(...sizes)).toBe(16)
    let waiting = 0
    for (const size of sizes) {
      waiting += size
      expect(size).toBeLessThanOrEqual(Math.max(1, Math.ceil(waiting / 8)))
    }
    expect(sizes.length).toBeLessThan(60)
    for (const request of [...held.sent]) held.release(cacheOf({ k7: '7', k199: '199' })(request))
    expect((await Promise.all(outcomes)).flatMap(keysOfValues)).toEqual(['k7', 'k199'])
  })

  it('after a merged request, gathers the next get for the turn; after a lone one, is eager again', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching())
    const burst = Array.from({ length: 40 }, (_, index) => batched.send(Request.get([`k${index}`]))())
    await settle()
    for (const request of [...held.sent]) held.release(cacheOf({})(request))
    await Promise.all(burst)
    const sentBefore = held.sent.length
    const afterBurst = batched.send(Request.get(['d']))()
    expect(held.sent).toHaveLength(sentBefore) // waits for the turn: a burst may follow
    await settle()
    expect(held.sent[sentBefore]).toEqual(Request.get(['d']))
    held.release(cacheOf({})(Request.get(['d'])))
    await afterBurst
    void batched.send(Request.get(['e']))()
    expect(held.sent[sentBefore + 1]).toEqual(Request.get(['e'])) // went alone, at once
  })

  it('sends at most maxKeys (default 16) keys per request', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching({ eager: false }))
    const keys = Array.from({ length: 40 }, (_, index) => `k${index}`)
    const outcomes = keys.map((key) => batched.send(Request.get([key]))())
    await settle()
    expect(held.sent.map((request) => (request._tag === 'Get' ? request.keys.length : 0))).toEqual([16, 16, 8])
    for (const request of [...held.sent]) held.release(cacheOf({ k3: '3', k20: '20' })(request))
    expect((await Promise.all(outcomes)).flatMap(keysOfValues)).toEqual(['k3', 'k20'])
  })

  it('sends a get of maxKeys keys or more as it is when no batch is gathering, and merges it into one that is', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching({ eager: false, maxKeys: 3 }))
    const big = Request.get(['a', 'b', 'c', 'd'])
    const alone = batched.send(big)()
    expect(held.sent).toEqual([big])
    const small = batched.send(Request.get(['x']))()
    const joining = batched.send(Request.get(['y', 'z', 'w']))()
    expect(held.sent).toEqual([big, Request.get(['x', 'y', 'z', 'w'])])
    held.release(cacheOf({ a: '1' })(big))
    held.release(cacheOf({ w: '2' })(Request.get(['x', 'y', 'z', 'w'])))
    expect((await Promise.all([alone, small, joining])).map(keysOfValues)).toEqual([['a'], [], ['w']])
  })

  it('is not eager with a window, unless asked', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const windowed = pipe(inner.transport, withBatching({ window: 60_000 }))
    void windowed.send(Request.get(['a']))()
    await settle()
    expect(inner.sent).toEqual([])
    await windowed.close()
    const eager = pipe(inner.transport, withBatching({ window: 60_000, eager: true }))
    expect(keysOfValues(await eager.send(Request.get(['a']))())).toEqual(['a'])
    expect(inner.sent).toEqual([Request.get(['a'])])
  })

  it("sends a lone meta get as its own quiet batch and answers it as get's Values", async () => {
    const inner = fakeTransport(metaServer({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ protocol: 'meta' }))
    const outcome = await batched.send(Request.gets(['a']))()
    expect(inner.sent).toEqual([Meta.metaBatch([Meta.metaGet('a', { returnValue: true, returnFlags: true, returnCas: true })])])
    expect(outcome).toEqual(E.right({ _tag: 'Values', items: [{ key: 'a', flags: 3, value: new TextEncoder().encode('1'), cas: 9n }] }))
  })
})

describe('withBatching, over time', () => {
  it('gathers requests sent in different turns of the event loop within its window', async () => {
    const inner = fakeTransport(cacheOf({ a: '1', b: '2' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, window: 50 }))
    const first = batched.send(Request.get(['a']))()
    await new Promise((resolve) => setImmediate(resolve))
    const second = batched.send(Request.get(['b']))()
    expect((await Promise.all([first, second])).map(keysOfValues)).toEqual([['a'], ['b']])
    expect(inner.sent).toEqual([Request.get(['a', 'b'])])
  })

  it('answers what it gathered ConnectionClosed when closed, sending nothing to the closing transport', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, window: 60_000 }))
    const pending = batched.send(Request.get(['a']))()
    const pendingGets = batched.send(Request.gets(['b']), { deadline: Date.now() + 60_000 })()
    await batched.close()
    expect(await pending).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed', node: 'batching' })))
    expect(await pendingGets).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed', node: 'batching' })))
    expect(inner.sent).toEqual([])
    expect(inner.closedCount()).toBe(1)
  })

  it('gathers nothing once closed: a get goes straight to the transport below, which answers', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, window: 60_000 }))
    await batched.close()
    expect(keysOfValues(await batched.send(Request.get(['a']))())).toEqual(['a'])
    expect(inner.sent).toEqual([Request.get(['a'])])
  })
})

describe('withBatching and the context', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('answers a waiter that aborts while its batch gathers at once, and leaves its keys out', async () => {
    vi.useFakeTimers()
    const inner = fakeTransport(cacheOf({ a: '1', b: '2' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, window: 60_000 }))
    const controller = new AbortController()
    const kept = batched.send(Request.get(['a']))()
    const leaving = batched.send(Request.get(['b', 'a']), { signal: controller.signal })()
    controller.abort('not needed')
    expect(await leaving).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'not needed' })))
    expect(inner.sent).toEqual([])
    await vi.advanceTimersByTimeAsync(60_000)
    vi.useRealTimers()
    expect(keysOfValues(await kept)).toEqual(['a'])
    expect(inner.sent).toEqual([Request.get(['a'])])
  })

  it('answers a waiter that aborts while the batch is in flight at once; its batch-mates get their values', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching({ eager: false }))
    const controller = new AbortController()
    const first = batched.send(Request.get(['a']))()
    const leaving = batched.send(Request.get(['b']), { signal: controller.signal })()
    const third = batched.send(Request.get(['c']), { deadline: Date.now() + 60_000 })()
    await settle()
    expect(held.sent).toEqual([Request.get(['a', 'b', 'c'])])
    controller.abort()
    expect(await leaving).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    held.release(cacheOf({ a: '1', b: '2', c: '3' })(Request.get(['a', 'b', 'c'])))
    expect([keysOfValues(await first), keysOfValues(await third)]).toEqual([['a'], ['c']])
  })

  it('drops a batch every member left before it was sent', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const controller = new AbortController()
    const outcomes = Promise.all([batched.send(Request.get(['a']), { signal: controller.signal })(), batched.send(Request.get(['b']), { signal: controller.signal })()])
    controller.abort()
    expect((await outcomes).map((outcome) => E.isLeft(outcome) && outcome.left._tag)).toEqual(['Aborted', 'Aborted'])
    await settle()
    expect(inner.sent).toEqual([])
  })

  it('sends the merged request with the latest deadline, and a signal that fires once every member left', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching({ eager: false }))
    const now = Date.now()
    const [first, second] = [new AbortController(), new AbortController()]
    const outcomes = [
      batched.send(Request.get(['a']), { signal: first.signal, deadline: now + 50_000 })(),
      batched.send(Request.get(['b']), { signal: second.signal, deadline: now + 90_000 })(),
    ]
    await settle()
    const merged = held.contexts[0]
    expect(merged?.deadline).toBe(now + 90_000)
    expect(merged?.signal?.aborted).toBe(false)
    first.abort()
    expect(merged?.signal?.aborted).toBe(false)
    second.abort()
    expect(merged?.signal?.aborted).toBe(true) // nobody waits: the layers below may drop it
    expect((await Promise.all(outcomes)).map((outcome) => E.isLeft(outcome) && outcome.left._tag)).toEqual(['Aborted', 'Aborted'])
  })

  it('gives the merged request the latest deadline and no signal when its members have deadlines only', async () => {
    const inner = fakeTransport(cacheOf({}))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const now = Date.now()
    await Promise.all([batched.send(Request.get(['a']), { deadline: now + 50_000 })(), batched.send(Request.get(['b']), { deadline: now + 90_000, retry: true })()])
    expect(inner.contexts).toEqual([{ deadline: now + 90_000 }])
  })

  it('gives the merged request no deadline and no signal when one member has no limit', async () => {
    const inner = fakeTransport(cacheOf({}))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    await Promise.all([batched.send(Request.get(['a']), { deadline: Date.now() + 50_000 })(), batched.send(Request.get(['b']))()])
    expect(inner.contexts).toEqual([{}])
  })

  it('merges retry permission: forbidden if one member forbids it, allowed only if all allow it', async () => {
    const inner = fakeTransport(cacheOf({}))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']), { retry: false })()])
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']), { retry: true })()])
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']))()])
    expect(inner.contexts).toEqual([{ retry: false }, { retry: true }, {}])
  })

  it('sets no timer per waiter for empty contexts, one for a deadline', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['b']))(), batched.send(Request.get(['c']))()])
    expect(timers).toHaveBeenCalledTimes(0)
    await batched.send(Request.get(['a']), { deadline: Date.now() + 60_000 })()
    expect(timers).toHaveBeenCalledTimes(1)
  })

  it('sets one timer for a batch whose members all have deadlines, the earliest first', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const now = Date.now()
    // As a client's default timeout gives them: each a little later than the one before.
    await Promise.all(['a', 'b', 'c', 'd'].map((key, i) => batched.send(Request.get([key]), { deadline: now + 60_000 + i })()))
    expect(timers).toHaveBeenCalledTimes(1)
  })

  it('sets one timer for the layer across batches, and one setImmediate per turn', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const immediates = vi.spyOn(globalThis, 'setImmediate')
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, maxKeys: 2 }))
    const now = Date.now()
    // Eight callers in one turn: four batches of two, each sent as it fills, the last at the turn.
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((key, i) => batched.send(Request.get([key]), { deadline: now + 60_000 + i })()))
    expect(inner.sent).toHaveLength(4)
    expect(timers).toHaveBeenCalledTimes(1)
    expect(immediates).toHaveBeenCalledTimes(1)
    // Later batches reuse the timer already set.
    await Promise.all(['a', 'b'].map((key) => batched.send(Request.get([key]), { deadline: now + 61_000 })()))
    expect(timers).toHaveBeenCalledTimes(1)
  })

  it('answers each member at its own deadline from the one timer, and the others when the batch answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const held = heldTransport()
      const batched = pipe(held.transport, withBatching({ eager: false }))
      const now = Date.now()
      const soon = batched.send(Request.get(['a']), { deadline: now + 10 })()
      const later = batched.send(Request.get(['b']), { deadline: now + 30 })()
      const patient = batched.send(Request.get(['c']), { deadline: now + 60_000 })()
      let laterAnswered = false
      void later.then(() => (laterAnswered = true))
      await vi.advanceTimersByTimeAsync(0)
      await settle()
      await vi.advanceTimersByTimeAsync(10)
      expect(await soon).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get', node: 'batching' })))
      expect(laterAnswered).toBe(false)
      await vi.advanceTimersByTimeAsync(20)
      expect(await later).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get', node: 'batching' })))
      held.release(cacheOf({ a: '1', b: '2', c: '3' })(Request.get(['a', 'b', 'c'])))
      expect(keysOfValues(await patient)).toEqual(['c'])
    } finally {
      vi.useRealTimers()
    }
  })

  it('answers Timeout at once to a caller whose deadline passed before it joined', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false }))
    const [late, onTime] = await Promise.all([batched.send(Request.get(['b']), { deadline: Date.now() - 1 })(), batched.send(Request.get(['a']))()])
    expect(late).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', node: 'batching' })))
    expect(keysOfValues(onTime)).toEqual(['a'])
    expect(inner.sent).toEqual([Request.get(['a'])])
  })

  it('answers Timeout to a waiter whose deadline passes while the batch is in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const held = heldTransport()
      const batched = pipe(held.transport, withBatching({ eager: false }))
      const patient = batched.send(Request.get(['a']))()
      const hurried = batched.send(Request.get(['b']), { deadline: Date.now() + 20 })()
      await vi.advanceTimersByTimeAsync(0)
      await settle()
      await vi.advanceTimersByTimeAsync(20)
      expect(await hurried).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get', node: 'batching' })))
      held.release(cacheOf({ a: '1', b: '2' })(Request.get(['a', 'b'])))
      expect(keysOfValues(await patient)).toEqual(['a'])
    } finally {
      vi.useRealTimers()
    }
  })
})

/** A server of `entries` answering quiet `mg` batches as memcached does: hits, misses implied, `refused` keys failed. */
const metaServer =
  (entries: Record<string, string>, refused: ReadonlyArray<string> = []) =>
  (request: Sent): Outcome => {
    if (request._tag !== 'MetaBatch') return E.right({ _tag: 'Values', items: [] })
    return E.right(
      Meta.metaBatchReply(
        request.requests.map((member): Meta.MetaReply | Meta.MetaFailure => {
          const key = String(member.key)
          if (refused.includes(key)) return { _tag: 'Failure', error: serverError('out of memory') }
          const value = entries[key]
          const returnCas = member._tag === 'MetaGet' && member.flags.returnCas === true
          return value === undefined
            ? { ...Meta.metaReply('EN'), implied: true }
            : Meta.metaReply('VA', { clientFlags: 3, ...(returnCas ? { cas: 9n } : {}) }, new TextEncoder().encode(value))
        }),
      ),
    )
  }

describe("withBatching({ eager: false, protocol: 'meta' })", () => {
  it('sends one quiet mg batch for the union of keys and fans the hits out as Values', async () => {
    const inner = fakeTransport(metaServer({ a: '1', b: '2', c: '3' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, protocol: 'meta' }))
    const outcomes = await overlappingGets(batched)
    expect(outcomes.map(keysOfValues)).toEqual([['a'], ['b'], ['c', 'a'], []])
    expect(inner.sent).toEqual([Meta.metaBatch(['a', 'b', 'z', 'c', 'y'].map((key) => Meta.metaGet(key, { returnValue: true, returnFlags: true })))])
    expect(outcomes[0]).toEqual(E.right({ _tag: 'Values', items: [{ key: 'a', flags: 3, value: new TextEncoder().encode('1') }] }))
  })

  it('asks for the cas of gets and returns it', async () => {
    const inner = fakeTransport(metaServer({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ eager: false, protocol: 'meta' }))
    const [outcome] = await Promise.all([batched.send(Request.gets(['a']))(), batched.send(Request.gets(['b']))()])
    expect(inner.sent).toEqual([Meta.metaBatch(['a', 'b'].map((key) => Meta.metaGet(key, { returnValue: true, returnFlags: true, returnCas: true })))])
    expect(outcome).toEqual(E.right({ _tag: 'Values', items: [{ key: 'a', flags: 3, value: new TextEncoder().encode('1'), cas: 9n }] }))
  })

  it('fails only the callers who asked for a key the server refused', async () => {
    const inner = fakeTransport(metaServer({ a: '1', b: '2' }, ['b']))
    const batched = pipe(inner.transport, withBatching({ eager: false, protocol: 'meta' }))
    const [good, bad, both] = await Promise.all([
      batched.send(Request.get(['a']))(),
      batched.send(Request.get(['b']))(),
      batched.send(Request.get(['a', 'b']))(),
    ])
    expect(keysOfValues(good)).toEqual(['a'])
    expect(bad).toEqual(E.left(serverError('out of memory')))
    expect(both).toEqual(E.left(serverError('out of memory')))
  })

  it("resends each caller's own batch when one caller's key is invalid", async () => {
    const inner = fakeTransport((request) =>
      request._tag === 'MetaBatch' && request.requests.some((member) => member.key === 'bad key') ? E.left(invalidKey('bad key', 'space at index 3')) : metaServer({ a: '1' })(request),
    )
    const batched = pipe(inner.transport, withBatching({ eager: false, protocol: 'meta' }))
    const [good, bad] = await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['bad key']))()])
    expect(keysOfValues(good)).toEqual(['a'])
    expect(bad).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey' })))
  })
})
