/**
 * Middlewares composed: a timeout outside a retry bounds every attempt together, so no attempt
 * starts after the caller was answered.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Request from '../../src/protocol/request.js'
import { withRetry } from '../../src/middleware/retry.js'
import { concat, constantDelay, limitRetries } from '../../src/middleware/retry-policy.js'
import { withTimeout } from '../../src/middleware/timeout.js'
import { connectionClosed } from '../../src/transport/error.js'
import { fakeTransport, heldTransport } from './fake.js'

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
