/**
 * `withRetry`: which failures and which requests are retried, the waits between attempts, and the
 * request context (deadline, signal, retry permission) and `close` ending the loop.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { clientError, invalidKey, serverError } from '../../src/protocol/error.js'
import { aborted, connectionClosed, timeout } from '../../src/transport/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import type { RequestContext } from '../../src/transport/context.js'
import { concat, constantDelay, exponentialBackoff, limitRetries } from '../../src/middleware/retry-policy.js'
import { fromPymemcacheOptions, withRetry, type Sleep } from '../../src/middleware/retry.js'
import { fakeTransport, heldTransport, settle } from './fake.js'

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
    const requests = [
      Request.incr('n', 1n),
      Request.store('append', 'k', new Uint8Array([1])),
      Request.store('add', 'k', new Uint8Array([1])),
      Request.set('k', new Uint8Array(), { noreply: true }),
    ]
    for (const request of requests) {
      const { transport, sent } = flaky(1)
      const retried = pipe(transport, withRetry({ policy: limitRetries(3), sleep: noSleep }))
      expect(E.isLeft(await retried.send(request)())).toBe(true)
      expect(sent).toHaveLength(1)
    }
    const perRequest = flaky(1)
    await pipe(perRequest.transport, withRetry({ policy: limitRetries(3), sleep: noSleep })).send(Request.incr('n', 1n), { retry: true })()
    expect(perRequest.sent).toHaveLength(2)
    const perTransport = flaky(1)
    await pipe(perTransport.transport, withRetry({ policy: limitRetries(3), retryNonIdempotent: true, sleep: noSleep })).send(Request.decr('n', 1n))()
    expect(perTransport.sent).toHaveLength(2)
  })

  it('context.retry false forbids retrying even an idempotent request on a transport that retries everything', async () => {
    const { transport, sent } = flaky(1)
    const retried = pipe(transport, withRetry({ policy: limitRetries(3), retryNonIdempotent: true, sleep: noSleep }))
    expect(await retried.send(Request.get(['a']), { retry: false })()).toEqual(E.left(closed))
    expect(sent).toHaveLength(1)
  })

  it('the permission travels in the context, so it survives a layer that copies the request', async () => {
    const { transport, sent } = flaky(1)
    const copying = { send: (request: Request.Request, context?: RequestContext) => transport.send({ ...request }, context), close: transport.close }
    const retried = pipe(copying, withRetry({ policy: limitRetries(3), sleep: noSleep }))
    await retried.send(Request.incr('n', 1n), { retry: true })()
    expect(sent).toHaveLength(2)
  })

  it('never retries Aborted, even when asked to', async () => {
    const { transport, sent } = flaky(1, aborted('get', 'gone'))
    const retried = pipe(transport, withRetry({ policy: limitRetries(3), retryFor: ['Aborted'], sleep: noSleep }))
    expect(await retried.send(Request.get(['a']))()).toEqual(E.left(aborted('get', 'gone')))
    expect(sent).toHaveLength(1)
  })

  it('passes the context down to every attempt', async () => {
    const { transport, contexts } = flaky(2)
    const context = { deadline: Date.now() + 60_000, retry: true }
    await pipe(transport, withRetry({ policy: limitRetries(3), sleep: noSleep })).send(Request.get(['a']), context)()
    expect(contexts).toEqual([context, context, context])
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

describe('withRetry within the request context', () => {
  const closed = connectionClosed('a:1', 'closed')
  afterEach(() => {
    vi.useRealTimers()
  })

  /** A sleep that never ends on its own: it ends when its signal fires; `active` counts the pending ones. */
  const stuckSleep = () => {
    const active = new Set<AbortSignal>()
    const sleep: Sleep = (_ms, signal) => () =>
      new Promise((resolve) => {
        active.add(signal)
        signal.addEventListener('abort', () => {
          active.delete(signal)
          resolve()
        })
      })
    return { sleep, active }
  }

  it('makes no attempt after the deadline and does not sleep across it: the last failure comes back at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const sentAt: Array<number> = []
    const { transport, sent } = fakeTransport(() => {
      sentAt.push(Date.now())
      return E.left(closed)
    })
    const retried = pipe(transport, withRetry({ policy: pipe(constantDelay(10), concat(limitRetries(1_000))) }))
    const deadline = Date.now() + 35
    const outcome = retried.send(Request.get(['a']), { deadline })()
    await vi.advanceTimersByTimeAsync(30)
    expect(await outcome).toEqual(E.left(closed)) // answered at 30 ms: a sleep to 40 would pass 35
    expect(sent).toHaveLength(4) // at 0, 10, 20, 30
    expect(sentAt.every((at) => at < deadline)).toBe(true)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(sent).toHaveLength(4)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('makes no attempt at all for a deadline already past or a signal already fired', async () => {
    const { transport, sent } = fakeTransport(() => E.right(Reply.values([])))
    const retried = pipe(transport, withRetry({ policy: limitRetries(3) }))
    expect(await retried.send(Request.get(['a']), { deadline: Date.now() - 1 })()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get' })))
    expect(await retried.send(Request.get(['a']), { signal: AbortSignal.abort('gone') })()).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'gone' })))
    expect(sent).toHaveLength(0)
  })

  it('an abort during a sleep ends the sleep and the send at once, with Aborted', async () => {
    const { sleep, active } = stuckSleep()
    const { transport, sent } = fakeTransport(() => E.left(closed))
    const retried = pipe(transport, withRetry({ policy: pipe(constantDelay(60_000), concat(limitRetries(5))), sleep }))
    const controller = new AbortController()
    const outcome = retried.send(Request.get(['a']), { signal: controller.signal })()
    await settle()
    expect(active.size).toBe(1)
    controller.abort('page closed')
    expect(await outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'page closed' })))
    expect(active.size).toBe(0) // the sleep was told to release its timer
    expect(sent).toHaveLength(1)
  })

  it('a signal fired during an attempt stops the loop before the next one', async () => {
    const held = heldTransport()
    const retried = pipe(held.transport, withRetry({ policy: limitRetries(5) }))
    const controller = new AbortController()
    const outcome = retried.send(Request.get(['a']), { signal: controller.signal })()
    await settle()
    controller.abort()
    held.release(E.left(closed)) // this transport ignores the signal and fails on its own
    expect(await outcome).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(held.sent).toHaveLength(1)
  })

  it('close() during a sleep ends it at once: the caller gets the last failure, no timer is left', async () => {
    const { sleep, active } = stuckSleep()
    const { transport, sent } = fakeTransport(() => E.left(closed))
    const retried = pipe(transport, withRetry({ policy: pipe(constantDelay(60_000), concat(limitRetries(5))), sleep }))
    const outcomes = [retried.send(Request.get(['a']))(), retried.send(Request.get(['b']))()]
    await settle()
    expect(active.size).toBe(2)
    await retried.close()
    expect(active.size).toBe(0)
    expect(await Promise.all(outcomes)).toEqual([E.left(closed), E.left(closed)])
    expect(sent).toHaveLength(2)
  })

  it('close() releases the default sleep timer (counted in the active resources)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const before = timers()
    const { transport } = fakeTransport(() => E.left(closed))
    const retried = pipe(transport, withRetry({ policy: pipe(constantDelay(600_000), concat(limitRetries(5))) }))
    const outcome = retried.send(Request.get(['a']))()
    await settle()
    expect(timers()).toBe(before + 1)
    await retried.close()
    expect(await outcome).toEqual(E.left(closed))
    expect(timers()).toBe(before)
  })
})
