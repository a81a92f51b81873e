/**
 * The request context's helpers: deadlines that only tighten, call options turned into a context
 * when a command runs, interruptions named, and `watch` firing once (or never costing a timer).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { emptyContext, interruption, remainingMs, toContext, watch, withinMs } from '../../src/transport/context.js'

describe('withinMs', () => {
  it('sets a deadline ms from the time it is applied', () => {
    expect(withinMs(250)({}, 1000)).toEqual({ deadline: 1250 })
  })

  it('keeps an earlier deadline: a context is tightened, never loosened', () => {
    expect(withinMs(250)({ deadline: 1100 }, 1000)).toEqual({ deadline: 1100 })
    expect(withinMs(250)({ deadline: 9000 }, 1000)).toEqual({ deadline: 1250 })
  })

  it('leaves the context as it is for no limit (0, Infinity, NaN, past the timer range)', () => {
    const context = { retry: true }
    for (const ms of [0, -5, Infinity, Number.NaN, 2 ** 31]) expect(withinMs(ms)(context, 1000)).toBe(context)
  })

  it('reads the clock when applied, not when made', () => {
    const within = withinMs(10)
    expect(within({}, 100).deadline).toBe(110)
    expect(within({}, 500).deadline).toBe(510)
  })
})

describe('toContext', () => {
  it('is the base itself without options', () => {
    expect(toContext(undefined)).toBe(emptyContext)
    const base = { retry: false }
    expect(toContext(undefined, base)).toBe(base)
  })

  it('carries the signal and retry permission, and the timeout as a deadline from now', () => {
    const signal = new AbortController().signal
    expect(toContext({ signal, retry: true, timeout: 40 }, emptyContext, 2000)).toEqual({ signal, retry: true, deadline: 2040 })
  })

  it('keeps a base deadline that comes first', () => {
    expect(toContext({ timeout: 500 }, { deadline: 2100 }, 2000)).toEqual({ deadline: 2100 })
  })

  it('reads the clock only for a timeout', () => {
    const clock = vi.spyOn(Date, 'now').mockReturnValue(3000)
    try {
      toContext(undefined)
      toContext({ retry: true })
      expect(clock).not.toHaveBeenCalled()
      expect(toContext({ timeout: 50 })).toEqual({ deadline: 3050 })
      expect(clock).toHaveBeenCalledTimes(1)
    } finally {
      clock.mockRestore()
    }
  })
})

describe('remainingMs and interruption', () => {
  it('counts down to the deadline, Infinity without one', () => {
    expect(remainingMs({ deadline: 1500 }, 1200)).toBe(300)
    expect(remainingMs({}, 1200)).toBe(Infinity)
  })

  it('is nothing while the request may go on', () => {
    expect(interruption({ deadline: 1500 }, 'get', 'pool', 1200)).toBeUndefined()
    expect(interruption(emptyContext, 'get', 'pool')).toBeUndefined()
  })

  it('is Timeout once the deadline passed, naming the request and where it waited', () => {
    expect(interruption({ deadline: 1000 }, 'get', 'pool', 1000)).toMatchObject({ _tag: 'Timeout', request: 'get', node: 'pool' })
  })

  it('is Aborted once the signal fired, with its reason, before a passed deadline', () => {
    const controller = new AbortController()
    controller.abort(new Error('the page was closed'))
    expect(interruption({ signal: controller.signal, deadline: 0 }, 'set', 'a:1', 10)).toMatchObject({
      _tag: 'Aborted',
      request: 'set',
      reason: 'the page was closed',
    })
  })
})

describe('watch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sets no timer and no listener for an empty context', () => {
    const interrupt = vi.fn()
    const stop = watch(emptyContext, 'get', 'node', interrupt)
    expect(vi.getTimerCount()).toBe(0)
    stop()
    expect(interrupt).not.toHaveBeenCalled()
  })

  it('fires Timeout once at the deadline, then holds no timer', () => {
    const interrupt = vi.fn()
    watch({ deadline: 10_050 }, 'get', 'node', interrupt)
    vi.advanceTimersByTime(49)
    expect(interrupt).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(interrupt).toHaveBeenCalledTimes(1)
    expect(interrupt.mock.calls[0]?.[0]).toMatchObject({ _tag: 'Timeout' })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('fires Aborted when the signal fires, and lets go of the signal and the timer', () => {
    const controller = new AbortController()
    const interrupt = vi.fn()
    watch({ signal: controller.signal, deadline: 20_000 }, 'get', 'node', interrupt)
    controller.abort()
    expect(interrupt).toHaveBeenCalledTimes(1)
    expect(interrupt.mock.calls[0]?.[0]).toMatchObject({ _tag: 'Aborted', reason: expect.any(String) })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('fires at once for a signal already fired or a deadline already past', () => {
    const controller = new AbortController()
    controller.abort()
    const onAbort = vi.fn()
    const onDeadline = vi.fn()
    watch({ signal: controller.signal }, 'get', 'node', onAbort)
    watch({ deadline: 9_000 }, 'get', 'node', onDeadline)
    expect(onAbort).toHaveBeenCalledTimes(1)
    expect(onDeadline).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never fires after stop, and releases what it held', () => {
    const controller = new AbortController()
    const interrupt = vi.fn()
    const stop = watch({ signal: controller.signal, deadline: 10_100 }, 'get', 'node', interrupt)
    expect(vi.getTimerCount()).toBe(1)
    stop()
    expect(vi.getTimerCount()).toBe(0)
    controller.abort()
    vi.advanceTimersByTime(1000)
    expect(interrupt).not.toHaveBeenCalled()
  })
})
