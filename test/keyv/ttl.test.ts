import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_RELATIVE_EXPTIME, toExptime } from '../../src/keyv/ttl.js'

const JAN_2026 = Date.parse('2026-01-01T00:00:00Z')
const DAY = 86_400_000

describe('toExptime', () => {
  it.each([
    { ttl: undefined, exptime: 0, why: 'no TTL: never' },
    { ttl: 0, exptime: 0, why: '0: never (Keyv reads 0 as no TTL)' },
    { ttl: Number.NaN, exptime: 0, why: 'NaN: never, as Keyv (its expires is NaN, never reached)' },
    { ttl: Infinity, exptime: 0, why: 'Infinity: never' },
    { ttl: -5, exptime: -1, why: 'negative: already over' },
    { ttl: -Infinity, exptime: -1, why: '-Infinity: already over' },
    { ttl: 1, exptime: 2, why: '1 ms: 1 s rounded up, plus the tick' },
    { ttl: 200, exptime: 2, why: 'sub-second: 1 s, plus the tick' },
    { ttl: 1000, exptime: 2, why: 'exactly 1 s' },
    { ttl: 1001, exptime: 3, why: 'just over 1 s rounds up' },
    { ttl: 60_000, exptime: 61, why: 'a minute' },
    { ttl: (MAX_RELATIVE_EXPTIME - 1) * 1000, exptime: MAX_RELATIVE_EXPTIME, why: 'the longest relative exptime' },
  ])('$why', ({ ttl, exptime }) => {
    expect(toExptime(ttl, JAN_2026)).toBe(exptime)
  })

  it('sends a TTL over 30 days as the unix time it ends at, plus the tick', () => {
    const ttl = 40 * DAY
    expect(toExptime(ttl, JAN_2026)).toBe((JAN_2026 + ttl) / 1000 + 1)
    expect(toExptime(MAX_RELATIVE_EXPTIME * 1000, JAN_2026)).toBe(JAN_2026 / 1000 + MAX_RELATIVE_EXPTIME + 1)
  })

  it('stores without expiry a TTL ending past what a 32-bit exptime can say', () => {
    expect(toExptime(20 * 365 * DAY, JAN_2026)).toBe(0)
  })

  it('never sends 0 for a positive finite TTL ending before 2038, nor less than the TTL', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 5 * 365 * DAY, noNaN: true }), fc.integer({ min: 0, max: 1_900_000_000_000 }), (ttl, now) => {
        const exptime = toExptime(ttl, now)
        expect(exptime).toBeGreaterThan(0)
        expect(Number.isInteger(exptime)).toBe(true)
        if (exptime <= MAX_RELATIVE_EXPTIME) expect(exptime * 1000).toBeGreaterThanOrEqual(ttl + 1000)
        else expect(exptime * 1000).toBeGreaterThanOrEqual(now + ttl + 1000)
      }),
    )
  })
})
