/**
 * `withObserve`: one event per request with its counts and OpenTelemetry attributes, interruptions
 * flagged, the context passed on, and a throwing hook never changing the outcome.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { serverError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { withObserve, type RequestEvent } from '../../src/middleware/observe.js'
import { aborted, connectionClosed, timeout } from '../../src/transport/error.js'
import { cacheOf, fakeTransport } from './fake.js'

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

describe('withObserve passes the context on', () => {
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
