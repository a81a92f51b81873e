import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { aborted, connectionClosed, timeout } from '../../src/transport/error.js'
import { invalidKey, serverError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { withBatching } from '../../src/middleware/batching.js'
import { withFallback } from '../../src/middleware/fallback.js'
import { withObserve, type RequestEvent } from '../../src/middleware/observe.js'
import { withRetry } from '../../src/middleware/retry.js'
import { concat, constantDelay, limitRetries } from '../../src/middleware/retry-policy.js'
import { withTimeout } from '../../src/middleware/timeout.js'
import { cacheOf, fakeTransport, heldTransport, keysOfValues, settle, type Outcome } from './fake.js'

describe('withTimeout', () => {
  it('answers Timeout when the inner transport is slower, and the real outcome otherwise', async () => {
    let release: (outcome: Outcome) => void = () => undefined
    const { transport } = fakeTransport(() => new Promise<Outcome>((resolve) => (release = resolve)))
    const bounded = pipe(transport, withTimeout(5, 'node-a'))
    const outcome = await bounded.send(Request.get(['a']))()
    expect(outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', after: 5, request: 'get', node: 'node-a' })))
    release(E.right(Reply.values([])))

    const { transport: fast } = fakeTransport(() => E.right(Reply.stored))
    expect(await pipe(fast, withTimeout(1000)).send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.stored))
  })
})

describe('withFallback', () => {
  it('reads missing keys from older clusters in order and returns hits in the caller order', async () => {
    const newer = fakeTransport(cacheOf({ b: 'new-b' }))
    const old = fakeTransport(cacheOf({ a: 'old-a', b: 'old-b' }))
    const oldest = fakeTransport(cacheOf({ c: 'oldest-c', a: 'oldest-a' }))
    const migrating = pipe(newer.transport, withFallback([old.transport, oldest.transport]))
    const outcome = await migrating.send(Request.get(['c', 'b', 'a', 'z']))()
    expect(keysOfValues(outcome)).toEqual(['c', 'b', 'a'])
    const texts = E.isRight(outcome) && outcome.right._tag === 'Values' ? outcome.right.items.map((item) => new TextDecoder().decode(item.value)) : []
    expect(texts).toEqual(['oldest-c', 'new-b', 'old-a'])
    expect(old.sent).toEqual([Request.get(['c', 'a', 'z'])])
    expect(oldest.sent).toEqual([Request.get(['c', 'z'])])
  })

  it('stops at the first cluster that has everything, and writes only to the new cluster', async () => {
    const newer = fakeTransport(cacheOf({ a: '1' }))
    const old = fakeTransport(cacheOf({}))
    const migrating = pipe(newer.transport, withFallback([old.transport]))
    await migrating.send(Request.get(['a']))()
    await migrating.send(Request.set('a', new Uint8Array([1])))()
    expect(old.sent).toEqual([])
    expect(newer.sent.map((request) => request._tag)).toEqual(['Get', 'Store'])
  })

  it('returns an error instead of skipping a failing cluster, and closes every cluster', async () => {
    const failure = connectionClosed('old:1', 'closed')
    const newer = fakeTransport(cacheOf({}))
    const old = fakeTransport(() => E.left(failure))
    const migrating = pipe(newer.transport, withFallback([old.transport]))
    expect(await migrating.send(Request.get(['a']))()).toEqual(E.left(failure))
    await migrating.close()
    expect([newer.closedCount(), old.closedCount()]).toEqual([1, 1])
  })
})

describe('withBatching', () => {
  it('merges concurrent gets into one request for the union of keys and fans the hits out', async () => {
    const inner = fakeTransport(cacheOf({ a: '1', b: '2', c: '3' }))
    const batched = pipe(inner.transport, withBatching())
    const outcomes = await Promise.all([
      batched.send(Request.get(['a']))(),
      batched.send(Request.get(['b', 'z']))(),
      batched.send(Request.get(['c', 'a']))(),
      batched.send(Request.get(['y']))(),
    ])
    expect(outcomes.map(keysOfValues)).toEqual([['a'], ['b'], ['c', 'a'], []])
    expect(inner.sent).toEqual([Request.get(['a', 'b', 'z', 'c', 'y'])])
  })

  it('keeps gets and gets apart, passes other requests through, and sends at maxKeys', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ maxKeys: 2 }))
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
    const batched = pipe(inner.transport, withBatching({ window: 1 }))
    const outcomes = await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['b']))()])
    expect(outcomes).toEqual([E.left(failure), E.left(failure)])
  })

  it("does not let one caller's invalid key fail the others", async () => {
    const inner = fakeTransport((request) =>
      request._tag === 'Get' && request.keys.includes('bad key') ? E.left(invalidKey('bad key', 'space at index 3')) : cacheOf({ a: '1' })(request),
    )
    const batched = pipe(inner.transport, withBatching())
    const [good, bad] = await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['bad key']))()])
    expect(keysOfValues(good)).toEqual(['a'])
    expect(bad).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey' })))
  })
})

describe('withObserve', () => {
  it('reports command, keys, hits, misses, bytes, errors and OpenTelemetry attributes', async () => {
    const events: Array<RequestEvent> = []
    const inner = fakeTransport((request) =>
      request._tag === 'Delete' ? E.right(Reply.failure(serverError('busy'))) : cacheOf({ a: 'xyz' })(request),
    )
    const observed = pipe(inner.transport, withObserve({ onRequest: (event) => events.push(event) }, { node: '10.0.0.1:11211' }))
    await observed.send(Request.get(['a', 'b', 'c']))()
    await observed.send(Request.set('k', new Uint8Array(10)))()
    await observed.send(Request.del('k'))()
    expect(events.map(({ command, keys, hits, misses, bytesSent, bytesReceived, error }) => ({ command, keys, hits, misses, bytesSent, bytesReceived, error }))).toEqual([
      { command: 'get', keys: 3, hits: 1, misses: 2, bytesSent: 0, bytesReceived: 3, error: undefined },
      { command: 'set', keys: 1, hits: undefined, misses: undefined, bytesSent: 10, bytesReceived: 0, error: undefined },
      { command: 'delete', keys: 1, hits: undefined, misses: undefined, bytesSent: 0, bytesReceived: 0, error: 'ServerError' },
    ])
    expect(events[0]?.attributes).toEqual({
      'db.system': 'memcached',
      'db.system.name': 'memcached',
      'db.operation.name': 'get',
      'server.address': '10.0.0.1:11211',
      'db.operation.batch.size': 3,
    })
    expect(events[2]?.attributes['error.type']).toBe('ServerError')
    expect(events.every((event) => event.durationMs >= 0)).toBe(true)
  })

  it('never lets a throwing hook change the outcome', async () => {
    const inner = fakeTransport(() => E.right(Reply.stored))
    const observed = pipe(
      inner.transport,
      withObserve({
        onRequest: () => {
          throw new Error('observer bug')
        },
      }),
    )
    expect(await observed.send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.stored))
  })
})

describe('withBatching, over time', () => {
  it('gathers requests sent in different turns of the event loop within its window', async () => {
    const inner = fakeTransport(cacheOf({ a: '1', b: '2' }))
    const batched = pipe(inner.transport, withBatching({ window: 50 }))
    const first = batched.send(Request.get(['a']))()
    await new Promise((resolve) => setImmediate(resolve))
    const second = batched.send(Request.get(['b']))()
    expect((await Promise.all([first, second])).map(keysOfValues)).toEqual([['a'], ['b']])
    expect(inner.sent).toEqual([Request.get(['a', 'b'])])
  })

  it('sends what it gathered when closed, so no caller is left waiting', async () => {
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching({ window: 60_000 }))
    const pending = batched.send(Request.get(['a']))()
    await batched.close()
    expect(keysOfValues(await pending)).toEqual(['a'])
    expect(inner.closedCount()).toBe(1)
  })
})

describe('withTimeout around withRetry', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('bounds every attempt together: once the caller got Timeout, no further attempt starts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const held = heldTransport() // ignores the context, as a custom transport may
    const bounded = pipe(held.transport, withRetry({ policy: pipe(constantDelay(5), concat(limitRetries(1_000))) }), withTimeout(40))
    const outcome = bounded.send(Request.get(['a']))()
    await vi.advanceTimersByTimeAsync(0)
    held.release(E.left(connectionClosed('a:1', 'refused')))
    await vi.advanceTimersByTimeAsync(5) // the retry's sleep, then a second attempt that hangs
    expect(held.sent).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(35)
    expect(await outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', after: 40 })))
    held.release(E.left(connectionClosed('a:1', 'refused'))) // the late failure: the loop must stop here
    await vi.advanceTimersByTimeAsync(1_000)
    expect(held.sent).toHaveLength(2)
    expect(held.waiting()).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a failure whose next retry cannot start before the deadline comes back before it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { transport, sent } = fakeTransport(() => E.left(connectionClosed('a:1', 'refused')))
    const bounded = pipe(transport, withRetry({ policy: pipe(constantDelay(30), concat(limitRetries(1_000))) }), withTimeout(40))
    const outcome = bounded.send(Request.get(['a']))()
    await vi.advanceTimersByTimeAsync(30)
    expect(await outcome).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    expect(sent).toHaveLength(2)
  })
})

describe('withTimeout and the context', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('passes down a deadline ms from now, keeping an earlier one and the rest of the context', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { transport, contexts } = fakeTransport(() => E.right(Reply.stored))
    const bounded = pipe(transport, withTimeout(250))
    const signal = new AbortController().signal
    const now = Date.now()
    await bounded.send(Request.set('k', new Uint8Array()), { signal, retry: true })()
    await bounded.send(Request.set('k', new Uint8Array()), { deadline: now + 100 })()
    await bounded.send(Request.set('k', new Uint8Array()), { deadline: now + 900 })()
    expect(contexts).toEqual([{ signal, retry: true, deadline: now + 250 }, { deadline: now + 100 }, { deadline: now + 250 }])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('answers at the earlier deadline of the caller, and Aborted when the signal fires; the late reply is dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const held = heldTransport()
    const bounded = pipe(held.transport, withTimeout(1_000, 'node-a'))
    const early = bounded.send(Request.get(['a']), { deadline: Date.now() + 10 })()
    await vi.advanceTimersByTimeAsync(10)
    expect(await early).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', after: 10, node: 'node-a' })))
    held.release(E.right(Reply.values([])))

    const controller = new AbortController()
    const abandoned = bounded.send(Request.get(['a']), { signal: controller.signal })()
    await vi.advanceTimersByTimeAsync(0)
    controller.abort('user left')
    expect(await abandoned).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'user left' })))
    held.release(E.right(Reply.values([])))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('sends nothing for a request whose signal already fired', async () => {
    const { transport, sent } = fakeTransport(() => E.right(Reply.stored))
    const outcome = await pipe(transport, withTimeout(100)).send(Request.set('k', new Uint8Array()), { signal: AbortSignal.abort() })()
    expect(outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(sent).toHaveLength(0)
  })

  it('is the identity, with no timer, for 0 and Infinity', () => {
    const { transport } = fakeTransport(() => E.right(Reply.stored))
    expect(withTimeout(0)(transport)).toBe(transport)
    expect(withTimeout(Infinity)(transport)).toBe(transport)
  })
})

describe('withTimeout without a deadline', () => {
  it.each([Infinity, 0, 2 ** 31])('sets none for %s ms instead of failing at once', async (ms) => {
    const { transport } = fakeTransport(() => new Promise<Outcome>((resolve) => setTimeout(() => resolve(E.right(Reply.stored)), 20)))
    expect(await pipe(transport, withTimeout(ms)).send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.stored))
  })
})

describe('withBatching and the context', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('answers a waiter that aborts while its batch gathers at once, and leaves its keys out', async () => {
    const inner = fakeTransport(cacheOf({ a: '1', b: '2' }))
    const batched = pipe(inner.transport, withBatching({ window: 60_000 }))
    const controller = new AbortController()
    const kept = batched.send(Request.get(['a']))()
    const leaving = batched.send(Request.get(['b', 'a']), { signal: controller.signal })()
    controller.abort('not needed')
    expect(await leaving).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'not needed' })))
    expect(inner.sent).toEqual([])
    await batched.close() // sends the batch now instead of after its window
    expect(keysOfValues(await kept)).toEqual(['a'])
    expect(inner.sent).toEqual([Request.get(['a'])])
  })

  it('answers a waiter that aborts while the batch is in flight at once; its batch-mates get their values', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching())
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
    const batched = pipe(inner.transport, withBatching())
    const controller = new AbortController()
    const outcomes = Promise.all([batched.send(Request.get(['a']), { signal: controller.signal })(), batched.send(Request.get(['b']), { signal: controller.signal })()])
    controller.abort()
    expect((await outcomes).map((outcome) => E.isLeft(outcome) && outcome.left._tag)).toEqual(['Aborted', 'Aborted'])
    await settle()
    expect(inner.sent).toEqual([])
  })

  it('sends the merged request with the latest deadline, and a signal that fires once every member left', async () => {
    const held = heldTransport()
    const batched = pipe(held.transport, withBatching())
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

  it('gives the merged request no deadline and no signal when one member has no limit', async () => {
    const inner = fakeTransport(cacheOf({}))
    const batched = pipe(inner.transport, withBatching())
    await Promise.all([batched.send(Request.get(['a']), { deadline: Date.now() + 50_000 })(), batched.send(Request.get(['b']))()])
    expect(inner.contexts).toEqual([{}])
  })

  it('merges retry permission: forbidden if one member forbids it, allowed only if all allow it', async () => {
    const inner = fakeTransport(cacheOf({}))
    const batched = pipe(inner.transport, withBatching())
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']), { retry: false })()])
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']), { retry: true })()])
    await Promise.all([batched.send(Request.get(['a']), { retry: true })(), batched.send(Request.get(['b']))()])
    expect(inner.contexts).toEqual([{ retry: false }, { retry: true }, {}])
  })

  it('sets no timer per waiter for empty contexts, one for a deadline', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const inner = fakeTransport(cacheOf({ a: '1' }))
    const batched = pipe(inner.transport, withBatching())
    await Promise.all([batched.send(Request.get(['a']))(), batched.send(Request.get(['b']))(), batched.send(Request.get(['c']))()])
    expect(timers).toHaveBeenCalledTimes(0)
    await batched.send(Request.get(['a']), { deadline: Date.now() + 60_000 })()
    expect(timers).toHaveBeenCalledTimes(1)
  })

  it('answers Timeout to a waiter whose deadline passes while the batch is in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const held = heldTransport()
      const batched = pipe(held.transport, withBatching())
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

describe('withFallback and withObserve pass the context on', () => {
  it('withFallback sends the context to every cluster and asks no older one after an abort', async () => {
    const controller = new AbortController()
    const newer = fakeTransport((request) => {
      controller.abort()
      return cacheOf({})(request)
    })
    const old = fakeTransport(cacheOf({ a: '1' }))
    const migrating = pipe(newer.transport, withFallback([old.transport]))
    const context = { signal: controller.signal }
    expect(await migrating.send(Request.get(['a']), context)()).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(newer.contexts).toEqual([context])
    expect(old.sent).toEqual([])
    await migrating.send(Request.set('k', new Uint8Array()), { retry: false })()
    expect(newer.contexts[1]).toEqual({ retry: false })
  })

  it('withObserve passes the context and flags aborted and timed-out outcomes', async () => {
    const events: Array<RequestEvent> = []
    const inner = fakeTransport((_request, attempt) =>
      attempt === 1 ? E.left(aborted('get', 'gone')) : attempt === 2 ? E.left(timeout(5, 'get', 'n')) : E.left(connectionClosed('n', 'closed')),
    )
    const observed = pipe(inner.transport, withObserve({ onRequest: (event) => events.push(event) }))
    const context = { deadline: Date.now() + 1_000 }
    for (let i = 0; i < 3; i++) await observed.send(Request.get(['a']), context)()
    expect(inner.contexts).toEqual([context, context, context])
    expect(events.map((event) => [event.error, event.interrupted, event.attributes['error.type']])).toEqual([
      ['Aborted', true, 'Aborted'],
      ['Timeout', true, 'Timeout'],
      ['ConnectionClosed', false, 'ConnectionClosed'],
    ])
  })
})
