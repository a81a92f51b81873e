/**
 * MurmurHash3 (x86, 32-bit) as pymemcache computes it: the reference vectors, Python's reading of
 * a `str` one code point at a time, and agreement with pymemcache itself.
 */
import { describe, expect, it } from 'vitest'
import { murmur3_32, murmur3_32Python, pythonStrBytes } from '../../src/routing/murmur3.js'
import { randomKeys, runPython } from './support.js'

describe('murmur3_32', () => {
  it("matches pymemcache's test vectors and the reference implementation", () => {
    expect(murmur3_32('6666')).toBe(1361238019)
    expect(murmur3_32('6666', 10)).toBe(2981722772)
    expect(murmur3_32('')).toBe(0)
    expect(murmur3_32('hello')).toBe(0x248bfa47)
    expect(murmur3_32('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
    expect(murmur3_32(new TextEncoder().encode('hello'))).toBe(0x248bfa47)
  })

  it('reads a Python str one code point at a time, keeping the low byte', () => {
    expect([...pythonStrBytes('aé中😀')]).toEqual([0x61, 0xe9, 0x2d, 0x00])
    expect(murmur3_32Python('plain-ascii')).toBe(murmur3_32('plain-ascii'))
  })

  it("agrees with pymemcache's pure-Python murmur3_32 on thousands of strings, unicode included", () => {
    const inputs = randomKeys(7, 3000, { maxLength: 64, unicodeEvery: 3 })
    const expected = runPython<ReadonlyArray<number>>(
      'import json, sys\nfrom pymemcache.client.murmur3 import murmur3_32\nprint(json.dumps([murmur3_32(s) for s in json.load(sys.stdin)]))',
      inputs,
    )
    expect(inputs.map((input) => murmur3_32Python(input))).toEqual(expected)
  })
})
