import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { json, JSON_FLAGS, parseJsonText, toJsonText } from '../../src/serde/json.js'
import { encoded, leftOf, rightOf, roundTrips, utf8 } from './support.js'

describe('json', () => {
  it('writes compact JSON as UTF-8 with flags 2', () => {
    const written = rightOf(json.serialize({ a: [1, 'é', null, true] }))
    expect(written.flags).toBe(JSON_FLAGS)
    expect(written.flags).toBe(2)
    expect(new TextDecoder().decode(written.bytes)).toBe(JSON.stringify({ a: [1, 'é', null, true] }))
  })

  it('round-trips any JSON value', () => {
    // JSON has no -0: it reads back as 0, which is the same JSON value.
    roundTrips(json, fc.jsonValue({ noUnicodeString: false }), (value) => JSON.parse(JSON.stringify(value)))
  })

  it('reads whatever the flags: the bytes decide', () => {
    expect(rightOf(json.deserialize(encoded('[1,2]', 0)))).toEqual([1, 2])
  })

  it('drops undefined object properties, as JSON does, so optional fields work', () => {
    expect(rightOf(json.deserialize(rightOf(json.serialize({ a: undefined, b: 1, '': undefined }))))).toEqual({ b: 1 })
  })

  it('honours toJSON', () => {
    const at = new Date(Date.UTC(2024, 0, 2))
    expect(rightOf(json.deserialize(rightOf(json.serialize({ at }))))).toEqual({ at: at.toISOString() })
  })

  it.each([
    ['NaN in an object', { a: Number.NaN }, 'cannot write NaN as JSON (at $.a)'],
    ['Infinity in an array', [1, Number.POSITIVE_INFINITY], 'cannot write Infinity as JSON (at $[1])'],
    ['-Infinity at the top', Number.NEGATIVE_INFINITY, 'cannot write -Infinity as JSON (at the top level)'],
    ['NaN deep inside', { list: [{ 'odd key': [0, Number.NaN] }] }, 'cannot write NaN as JSON (at $.list[0]["odd key"][1])'],
    ['a boxed NaN', { n: Object(Number.NaN) as unknown }, 'cannot write NaN as JSON (at $.n)'],
    ['NaN from toJSON', { at: { toJSON: () => Number.NaN } }, 'cannot write NaN as JSON (at $.at)'],
    ['a bigint', { n: 1n }, 'cannot write the value as JSON: Do not know how to serialize a BigInt'],
    ['undefined at the top', undefined, 'cannot write undefined as JSON (at the top level)'],
    ['undefined in an array', [undefined], 'cannot write undefined as JSON (at $[0])'],
    ['a hole in an array', Object.assign(new Array<number>(3), { 0: 1, 2: 3 }), 'cannot write undefined as JSON (at $[1])'],
    ['a function', () => 1, 'cannot write function as JSON (at the top level)'],
    ['a symbol in an array', [Symbol('s')], 'cannot write symbol as JSON (at $[0])'],
    ['a lone surrogate key', { '\uD800': 1 }, undefined],
  ])('refuses to write %s', (_name, value, message) => {
    if (message === undefined) {
      // Well-formed JSON.stringify escapes lone surrogates, so this one is written faithfully.
      expect(rightOf(json.deserialize(rightOf(json.serialize(value))))).toEqual(value)
      return
    }
    const error = leftOf(json.serialize(value))
    expect(error.flags).toBe(JSON_FLAGS)
    expect(error.message).toBe(message)
  })

  it('refuses to write a cycle', () => {
    const cycle: { self?: unknown } = {}
    cycle.self = cycle
    expect(leftOf(json.serialize(cycle)).message).toMatch(/^cannot write the value as JSON: .*circular/i)
  })

  it.each([
    ['truncated JSON', utf8('{"a":'), 'invalid JSON'],
    ['plain text', utf8('hello'), 'invalid JSON'],
    ['empty bytes', new Uint8Array(0), 'invalid JSON'],
    ['invalid UTF-8', new Uint8Array([0x22, 0xff, 0x22]), 'not valid UTF-8'],
  ])('reads %s as a Left', (_name, bytes, message) => {
    const error = leftOf(json.deserialize(encoded(bytes, 2)))
    expect(error.flags).toBe(2)
    expect(error.message).toContain(message)
  })
})

describe('toJsonText / parseJsonText', () => {
  it('agree with JSON on JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = toJsonText(value)
        if (result._tag === 'Left') return expect.fail(result.left)
        const written = result.right
        expect(written).toBe(JSON.stringify(value))
        expect(parseJsonText(written)).toEqual({ _tag: 'Right', right: JSON.parse(written) })
      }),
    )
  })
})
