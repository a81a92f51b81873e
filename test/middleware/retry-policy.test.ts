/**
 * Retry policies: each combinator's delays and limits over a run of statuses, and the Monoid that
 * combines them.
 */
import { pipe } from 'fp-ts/lib/function.js'
import { concatAll } from 'fp-ts/lib/Monoid.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
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
