import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clearBits, hasBits, isSingleBit, isValidFlags, MAX_FLAGS, setBits } from '../../src/serde/flags.js'

const flags = fc.integer({ min: 0, max: MAX_FLAGS })
const bit = fc.integer({ min: 0, max: 31 }).map((n) => 2 ** n)

describe('flags', () => {
  it('set and clear stay unsigned 32-bit and undo each other', () => {
    fc.assert(
      fc.property(flags, bit, (word, b) => {
        const set = setBits(word, b)
        const cleared = clearBits(word, b)
        expect(isValidFlags(set) && isValidFlags(cleared)).toBe(true)
        expect(hasBits(set, b)).toBe(true)
        expect(hasBits(cleared, b)).toBe(false)
        expect(setBits(cleared, b)).toBe(set)
        expect(set - cleared).toBe(b)
      }),
    )
  })

  it('knows single bits', () => {
    fc.assert(fc.property(bit, (b) => isSingleBit(b)))
    for (const notOne of [0, 3, 6, 2 ** 32, -1, 0.5, Number.NaN]) expect(isSingleBit(notOne)).toBe(false)
  })

  it('knows valid flags', () => {
    expect([0, MAX_FLAGS, 2 ** 31].every(isValidFlags)).toBe(true)
    expect([-1, MAX_FLAGS + 1, 1.5, Number.NaN].some(isValidFlags)).toBe(false)
  })
})
