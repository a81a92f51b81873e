import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { concatAll } from 'fp-ts/lib/Monoid.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { clientError, invalidKey, serverError } from '../../src/protocol/error.js'
import { connectionClosed, timeout } from '../../src/transport/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import {
  capDelay,
  concat,
  constantDelay,
  exponentialBackoff,
  fullJitter,
  initialStatus,
  limitCumulativeDelay,
  limitRetries,
  Monoid,
  next,
} from '../../src/middleware/retry-policy.js'
import { allowRetry, fromPymemcacheOptions, withRetry } from '../../src/middleware/retry.js'
import { fakeTransport } from './fake.js'

const statusAt = (iteration: number) => {
  let status = initialStatus
  for (let i = 0; i < iteration; i++) status = next(status, 0)
  return status
}

describe('retry policies', () => {
  it('limitRetries allows exactly n retries', () => {
    const policy = limitRetries(2)
    expect([0, 1, 2, 3].map((i) => policy(statusAt(i)))).toEqual([O.some(0), O.some(0), O.none, O.none])
  })

  it('exponentialBackoff doubles and capDelay bounds it', () => {
    const policy = pipe(exponentialBackoff(10), capDelay(50))
    expect([0, 1, 2, 3, 4].map((i) => policy(statusAt(i)))).toEqual([O.some(10), O.some(20), O.some(40), O.some(50), O.some(50)])
  })

  it('concat needs both policies to agree and takes the longer delay', () => {
    const policy = pipe(constantDelay(5), concat(pipe(exponentialBackoff(1), concat(limitRetries(4)))))
    expect([0, 3, 4].map((i) => policy(statusAt(i)))).toEqual([O.some(5), O.some(8), O.none])
  })

  it('fullJitter stays between 0 and the delay', () => {
    const low = pipe(constantDelay(100), fullJitter(() => 0))
    const high = pipe(constantDelay(100), fullJitter(() => 0.999999))
    expect(low(initialStatus)).toEqual(O.some(0))
    expect(high(initialStatus)).toEqual(O.some(100))
  })

  it('limitCumulativeDelay stops once the budget would be passed', () => {
    const policy = pipe(constantDelay(40), limitCumulativeDelay(100))
    expect(policy(next(next(initialStatus, 40), 40))).toEqual(O.none)
    expect(policy(next(initialStatus, 40))).toEqual(O.some(40))
  })

  it('the monoid combines a list of policies', () => {
    const policy = concatAll(Monoid)([constantDelay(7), limitRetries(1)])
    expect([policy(statusAt(0)), policy(statusAt(1))]).toEqual([O.some(7), O.none])
    expect(Monoid.empty(statusAt(1000))).toEqual(O.some(0))
  })
})

describe('withRetry', () => {
  const closed = connectionClosed('a:1', 'closed')
  const flaky = (failures: number, error: MemcacheError = closed) =>
    fakeTransport((_request, attempt) => (attempt <= failures ? E.left(error) : E.right(Reply.values([]))))
  const noSleep = () => async () => undefined

  it('retries connection-level failures until the policy gives up', async () => {
    const { transport, sent } = flaky(2)
    const retried = pipe(transport, withRetry({ policy: limitRetries(2), sleep: noSleep }))
    expect(await retried.send(Request.get(['a']))()).toEqual(E.right(Reply.values([])))
    expect(sent).toHaveLength(3)

    const { transport: worse, sent: sentToWorse } = flaky(5)
    const givesUp = pipe(worse, withRetry({ policy: limitRetries(2), sleep: noSleep }))
    expect(await givesUp.send(Request.get(['a']))()).toEqual(E.left(closed))
    expect(sentToWorse).toHaveLength(3)
  })

  it('waits what the policy says between attempts and reports each retry', async () => {
    const waits: Array<number> = []
    const retries: Array<string> = []
    const { transport } = flaky(3, timeout(5, 'get', 'a:1'))
    const retried = pipe(
      transport,
      withRetry({
        policy: pipe(exponentialBackoff(10), concat(limitRetries(5))),
        sleep: (ms) => async () => void waits.push(ms),
        onRetry: (error, status, delay) => retries.push(`${error._tag}#${status.iteration}:${delay}`),
      }),
    )
    await retried.send(Request.get(['a']))()
    expect(waits).toEqual([10, 20, 40])
    expect(retries).toEqual(['Timeout#0:10', 'Timeout#1:20', 'Timeout#2:40'])
  })

  it('never retries errors about the request itself, even when asked to', async () => {
    for (const error of [invalidKey('a b', 'space'), clientError('bad')]) {
      const { transport, sent } = flaky(1, error)
      const retried = pipe(transport, withRetry({ policy: limitRetries(3), retryFor: ['InvalidKey', 'ClientError'], sleep: noSleep }))
      expect(await retried.send(Request.get(['a']))()).toEqual(E.left(error))
      expect(sent).toHaveLength(1)
    }
  })

  it('does not retry non-idempotent requests unless the caller opts in', async () => {
    const requests = [Request.incr('n', 1n), Request.store('append', 'k', new Uint8Array([1])), Request.set('k', new Uint8Array(), { noreply: true })]
    for (const request of requests) {
      const { transport, sent } = flaky(1)
      const retried = pipe(transport, withRetry({ policy: limitRetries(3), sleep: noSleep }))
      expect(E.isLeft(await retried.send(request)())).toBe(true)
      expect(sent).toHaveLength(1)
    }
    const perRequest = flaky(1)
    await pipe(perRequest.transport, withRetry({ policy: limitRetries(3), sleep: noSleep })).send(allowRetry(Request.incr('n', 1n)))()
    expect(perRequest.sent).toHaveLength(2)
    const perTransport = flaky(1)
    await pipe(perTransport.transport, withRetry({ policy: limitRetries(3), retryNonIdempotent: true, sleep: noSleep })).send(Request.decr('n', 1n))()
    expect(perTransport.sent).toHaveLength(2)
  })

  it('retries Failure replies only when their tag is listed, and doNotRetryFor wins', async () => {
    const busy = fakeTransport((_request, attempt) => (attempt === 1 ? E.right(Reply.failure(serverError('busy'))) : E.right(Reply.stored)))
    const byDefault = pipe(busy.transport, withRetry({ policy: limitRetries(1), sleep: noSleep }))
    expect(await byDefault.send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.failure(serverError('busy'))))
    const listed = fakeTransport((_request, attempt) => (attempt === 1 ? E.right(Reply.failure(serverError('busy'))) : E.right(Reply.stored)))
    const withServerError = pipe(listed.transport, withRetry({ policy: limitRetries(1), retryFor: ['ServerError'], sleep: noSleep }))
    expect(await withServerError.send(Request.set('k', new Uint8Array()))()).toEqual(E.right(Reply.stored))
    const excluded = flaky(1)
    const notTimeouts = pipe(excluded.transport, withRetry({ policy: limitRetries(3), doNotRetryFor: ['ConnectionClosed'], sleep: noSleep }))
    expect(E.isLeft(await notTimeouts.send(Request.get(['a']))())).toBe(true)
    expect(excluded.sent).toHaveLength(1)
  })

  it("maps pymemcache's RetryingClient options: attempts counts the first try", async () => {
    const { transport, sent } = flaky(10)
    const waits: Array<number> = []
    const retried = pipe(transport, withRetry({ ...fromPymemcacheOptions({ attempts: 3, retryDelay: 25 }), sleep: (ms) => async () => void waits.push(ms) }))
    await retried.send(Request.get(['a']))()
    expect(sent).toHaveLength(3)
    expect(waits).toEqual([25, 25])
  })
})
