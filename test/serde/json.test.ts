import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { json, JSON_FLAGS, parseJsonText, toJsonText } from '../../src/serde/json.js'
import { encoded, neverThrows, leftOf, rightOf, roundTrips, utf8 } from './support.js'

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
    ['a bigint', { n: 1n }, 'cannot write a bigint as JSON (at $.n): JSON has no bigints; convert it to a string or a number first, or use the v8 serde'],
    ['a bigint at the top', 1n, 'cannot write a bigint as JSON (at the top level): JSON has no bigints; convert it to a string or a number first, or use the v8 serde'],
    ['a boxed bigint deep inside', { a: [{ b: Object(2n) as unknown }] }, 'cannot write a bigint as JSON (at $.a[0].b): JSON has no bigints; convert it to a string or a number first, or use the v8 serde'],
    ['a bigint from toJSON', { at: { toJSON: () => 1n } }, 'cannot write a bigint as JSON (at $.at): JSON has no bigints; convert it to a string or a number first, or use the v8 serde'],
    ['undefined at the top', undefined, 'cannot write undefined as JSON (at the top level): JSON has no undefined; store null, or use delete to remove a key'],
    ['undefined in an array', [undefined], 'cannot write undefined as JSON (at $[0])'],
    ['a hole in an array', Object.assign(new Array<number>(3), { 0: 1, 2: 3 }), 'cannot write undefined as JSON (at $[1])'],
    ['a function', () => 1, 'cannot write a function as JSON (at the top level)'],
    ['a symbol', Symbol('s'), 'cannot write a symbol as JSON (at the top level)'],
    ['a symbol in an array', [Symbol('s')], 'cannot write a symbol as JSON (at $[0])'],
    ['a toJSON that throws', { at: { toJSON: () => { throw new Error('boom') } } }, 'cannot write the value as JSON: boom'],
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

  it('refuses to write a cycle, naming where it closes', () => {
    const cycle: { self?: unknown } = {}
    cycle.self = cycle
    expect(leftOf(json.serialize(cycle)).message).toBe(
      'cannot write a cyclic value as JSON ($.self refers back to a value that contains it): use the v8 serde, which keeps cycles',
    )
    const deep: { list: Array<unknown> } = { list: [] }
    deep.list.push({ up: deep })
    expect(leftOf(json.serialize(deep)).message).toContain('($.list[0].up refers back')
  })

  it('writes a value shared twice without a cycle', () => {
    const shared = { a: 1 }
    expect(rightOf(json.deserialize(rightOf(json.serialize([shared, shared]))))).toEqual([{ a: 1 }, { a: 1 }])
  })

  it('refuses a value nested deeper than the stack with a Left', () => {
    let nested: unknown = 0
    for (let depth = 0; depth < 100_000; depth++) nested = [nested]
    expect(leftOf(json.serialize(nested)).message).toMatch(/^cannot write the value as JSON: .*call stack/)
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(json.serialize)
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
