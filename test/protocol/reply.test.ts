import { describe, expect, it } from 'vitest'
import { collectByKey, valuesFor, type Item } from '../../src/protocol/reply.js'

const item = (key: string, byte: number): Item => ({ key, flags: 0, value: new Uint8Array([byte]) })

describe('collectByKey and valuesFor', () => {
  it('keep the first item seen for a key, across several replies', () => {
    const found = collectByKey([item('a', 1), item('b', 2), item('a', 3)])
    collectByKey([item('b', 4), item('c', 5)], found)
    expect([...found.values()]).toEqual([item('a', 1), item('b', 2), item('c', 5)])
  })

  it("answer in the caller's key order, leaving misses out and repeating a key named twice", () => {
    const found = collectByKey([item('c', 3), item('a', 1)])
    expect(valuesFor(['a', 'z', 'c', 'a'], found)).toEqual({ _tag: 'Values', items: [item('a', 1), item('c', 3), item('a', 1)] })
    expect(valuesFor([], found)).toEqual({ _tag: 'Values', items: [] })
  })
})
