/** The emulator's byte helpers. */
import { describe, expect, it } from 'vitest'
import { asciiBytes, joinBytes } from '../../src/emulator/bytes.js'

describe('joinBytes', () => {
  it('returns a lone chunk itself, and joins several into a new array', () => {
    const only = new Uint8Array([1, 2])
    expect(joinBytes([only])).toBe(only)
    expect(joinBytes([])).toEqual(new Uint8Array(0))
    const first = new Uint8Array([1])
    const joined = joinBytes([first, new Uint8Array(), new Uint8Array([2, 3])])
    expect(joined).toEqual(new Uint8Array([1, 2, 3]))
    first[0] = 9
    expect(joined[0]).toBe(1)
  })
})

describe('asciiBytes', () => {
  it('writes one byte per char', () => {
    expect(asciiBytes('09 ')).toEqual(new Uint8Array([0x30, 0x39, 0x20]))
  })
})
