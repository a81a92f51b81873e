/**
 * `timerDelay`: the delays a timer is set for, and the ones (zero, negative, not a number,
 * infinite, beyond what `setTimeout` honours) that mean "no deadline" instead of "fire at once".
 */
import { describe, expect, it } from 'vitest'
import { MAX_TIMER_DELAY, timerDelay } from '../../src/transport/timer.js'

describe('timerDelay', () => {
  it('is the largest delay setTimeout honours: 2^31 - 1 ms', () => {
    expect(MAX_TIMER_DELAY).toBe(2 ** 31 - 1)
  })

  it.each([1, 0.5, 250, 60_000, 2 ** 31 - 1])('keeps %s ms', (ms) => {
    expect(timerDelay(ms)).toBe(ms)
  })

  it.each([0, -0, -1, -Infinity, Number.NaN, Infinity, 2 ** 31, Number.MAX_VALUE])('sets no timer for %s ms', (ms) => {
    expect(timerDelay(ms)).toBeUndefined()
  })
})
