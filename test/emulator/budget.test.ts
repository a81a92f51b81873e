/**
 * The byte budget sessions share for the lines they hold: takes what fits, refuses what does not
 * (taking nothing), and never goes below zero.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makeBudget } from '../../src/emulator/budget.js'

describe('makeBudget', () => {
  it('takes bytes up to its limit and refuses what would go over it, taking nothing', () => {
    const budget = makeBudget(100)
    expect(budget.take(60)).toBe(true)
    expect(budget.take(41)).toBe(false)
    expect(budget.used()).toBe(60)
    expect(budget.take(40)).toBe(true)
    expect(budget.used()).toBe(100)
    budget.give(100)
    expect([budget.used(), budget.limit]).toEqual([0, 100])
  })

  it('stays between zero and its limit whatever is taken and given', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(200))), (steps) => {
        const budget = makeBudget(150)
        for (const [taking, bytes] of steps) {
          if (taking) budget.take(bytes)
          else budget.give(bytes)
          expect(budget.used()).toBeGreaterThanOrEqual(0)
          expect(budget.used()).toBeLessThanOrEqual(150)
        }
      }),
    )
  })
})
