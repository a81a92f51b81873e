import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { describeValue } from '../src/describe.js'
import { anyValue, revokedProxy } from './serde/support.js'

describe('describeValue', () => {
  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string', 'hi', 'the string "hi"'],
    ['a long string, cut', 'x'.repeat(100), `the string "${'x'.repeat(40)}…"`],
    ['a number', 42, 'the number 42'],
    ['-0', -0, 'the number -0'],
    ['NaN', Number.NaN, 'the number NaN'],
    ['a bigint', 7n, 'the bigint 7n'],
    ['a boolean', false, 'the boolean false'],
    ['a symbol', Symbol('s'), 'a symbol'],
    ['a function', () => 1, 'a function'],
    ['a plain object', { a: 1 }, 'an object'],
    ['an object without a prototype', Object.create(null), 'an object with a null prototype'],
    ['an array', [1, 2, 3], 'an array of 3 items'],
    ['a Uint8Array', new Uint8Array(2), 'a Uint8Array of 2 bytes'],
    ['a Buffer', Buffer.alloc(1), 'a Buffer of 1 bytes'],
    ['a Map', new Map(), 'a Map'],
    ['an Error', new Error('e'), 'an Error'],
    ['a class instance', new (class Point {})(), 'a Point'],
    ['an anonymous class instance', new (class {})(), 'an object'],
    ['a revoked Proxy', revokedProxy(), 'an object'],
    ['a Proxy whose traps throw', new Proxy({}, { getPrototypeOf: () => { throw new Error('trap') } }), 'an object'],
  ])('describes %s', (_name, value, description) => {
    expect(describeValue(value)).toBe(description)
  })

  it('never throws', () => {
    fc.assert(
      fc.property(anyValue(), (value) => {
        expect(describeValue(value).length).toBeGreaterThan(0)
      }),
    )
  })
})
