/**
 * `withTimeout`: a deadline per request, passed down in the context and never loosened; Aborted
 * when the caller's signal fires; the identity for 0 and Infinity.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { withTimeout } from '../../src/middleware/timeout.js'
import { fakeTransport, heldTransport, type Outcome } from './fake.js'

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

describe('withTimeout and close', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('answers what still waits ConnectionClosed at close, releasing its timer, even when the layer below never answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    // A transport that ignores close: its requests would never settle.
    const { transport, closedCount } = fakeTransport(() => new Promise<Outcome>(() => undefined))
    const bounded = pipe(transport, withTimeout(60_000, 'node-a'))
    const waiting = [bounded.send(Request.get(['a']))(), bounded.send(Request.set('k', new Uint8Array()), { signal: new AbortController().signal })()]
    expect(vi.getTimerCount()).toBe(2)
    await bounded.close()
    expect(await Promise.all(waiting)).toEqual([
      E.left(expect.objectContaining({ _tag: 'ConnectionClosed', node: 'node-a' })),
      E.left(expect.objectContaining({ _tag: 'ConnectionClosed', node: 'node-a' })),
    ])
    expect(vi.getTimerCount()).toBe(0)
    expect(closedCount()).toBe(1)
  })

  it('after close, sets no timer: requests go to the layer below, which answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { transport } = fakeTransport(() => E.right(Reply.stored))
    const bounded = pipe(transport, withTimeout(60_000))
    await bounded.close()
    const late = bounded.send(Request.set('k', new Uint8Array()))()
    expect(vi.getTimerCount()).toBe(0)
    expect(await late).toEqual(E.right(Reply.stored))
  })
})
