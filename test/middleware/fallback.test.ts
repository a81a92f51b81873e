/**
 * `withFallback`: reads of missing keys go on to older clusters in order, writes go to the new one
 * only, errors are not skipped, and the context reaches every cluster asked.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Request from '../../src/protocol/request.js'
import { withFallback } from '../../src/middleware/fallback.js'
import { connectionClosed } from '../../src/transport/error.js'
import { cacheOf, fakeTransport, keysOfValues } from './fake.js'

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

describe('withFallback passes the context on', () => {
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
})
