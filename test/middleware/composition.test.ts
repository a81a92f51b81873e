import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { connectionClosed } from '../../src/transport/error.js'
import { invalidKey, serverError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { withBatching } from '../../src/middleware/batching.js'
import { withFallback } from '../../src/middleware/fallback.js'
import { withObserve, type RequestEvent } from '../../src/middleware/observe.js'
import { withRetry } from '../../src/middleware/retry.js'
import { concat, constantDelay, limitRetries } from '../../src/middleware/retry-policy.js'
import { withTimeout } from '../../src/middleware/timeout.js'
import { cacheOf, fakeTransport, keysOfValues, type Outcome } from './fake.js'

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
  it('bounds every attempt together: the caller gets Timeout while the inner transport keeps failing', async () => {
    const { transport, sent } = fakeTransport(() => E.left(connectionClosed('a:1', 'refused')))
    const bounded = pipe(transport, withRetry({ policy: pipe(constantDelay(5), concat(limitRetries(1_000))) }), withTimeout(40))
    expect(await bounded.send(Request.get(['a']))()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', after: 40 })))
    expect(sent.length).toBeGreaterThan(1)
    await bounded.close()
    const sentWhenClosed = sent.length
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(sent.length).toBe(sentWhenClosed) // closing stops the retries the caller no longer waits for
  })
})

describe('withTimeout without a deadline', () => {
  it.each([Infinity, 0, 2 ** 31])('sets none for %s ms instead of failing at once', async (ms) => {
    const { transport } = fakeTransport(() => new Promise<Outcome>((resolve) => setTimeout(() => resolve(E.right(Reply.stored)), 20)))
    expect(await pipe(transport, withTimeout(ms)).send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.stored))
  })
})
