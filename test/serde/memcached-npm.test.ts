import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  escapeLineBreaks,
  MEMCACHED_NPM_FLAGS,
  memcachedNpm,
  unescapeLineBreaks,
  type MemcachedNpmValue,
} from '../../src/serde/memcached-npm.js'
import { ascii, encoded, everyByte, leftOf, neverThrows, plain, rightOf, roundTrips, utf8, wellFormed } from './support.js'

const hexOf = (value: MemcachedNpmValue): string => Buffer.from(rightOf(memcachedNpm.serialize(value)).bytes).toString('hex')
const flagsOf = (value: MemcachedNpmValue): number => rightOf(memcachedNpm.serialize(value)).flags
const normalise = (value: MemcachedNpmValue): unknown =>
  value instanceof Uint8Array ? plain(value) : Object.is(value, -0) ? 0 : value

describe('memcachedNpm flags', () => {
  it('are the ones in memcached/lib/memcached.js', () => {
    expect(MEMCACHED_NPM_FLAGS).toEqual({ string: 0, json: 2, binary: 4, numeric: 8 })
  })
})

describe('memcachedNpm: writing, as the package does', () => {
  it('strings: UTF-8, flags 0', () => {
    expect(flagsOf('héllo')).toBe(0)
    expect(hexOf('héllo')).toBe(Buffer.from('héllo').toString('hex'))
  })

  it('numbers: String(n), flags 8', () => {
    expect(flagsOf(1.5)).toBe(8)
    for (const n of [1.5, -3, 1e21, Number.NaN, Number.NEGATIVE_INFINITY, -0]) expect(hexOf(n)).toBe(Buffer.from(n.toString()).toString('hex'))
  })

  it('objects, arrays, booleans, null: JSON, flags 2', () => {
    for (const value of [{ a: [1, 'b'] }, [1, 2], true, null]) {
      expect(flagsOf(value)).toBe(2)
      expect(hexOf(value)).toBe(Buffer.from(JSON.stringify(value)).toString('hex'))
    }
  })

  it('bytes: each byte as U+00XX in UTF-8, flags 4 (as Buffer#toString("binary") then a UTF-8 write)', () => {
    const bytes = everyByte()
    expect(flagsOf(bytes)).toBe(4)
    expect(hexOf(bytes)).toBe(Buffer.from(escapeLineBreaks(Buffer.from(bytes).toString('binary')), 'utf8').toString('hex'))
    expect(hexOf(new Uint8Array([0x7f, 0x80, 0xff]))).toBe('7fc280c3bf')
  })

  it('puts a backslash before every \\r and \\n, in every kind of value', () => {
    expect(ascii(rightOf(memcachedNpm.serialize('a\r\nb')).bytes)).toBe('a\\\r\\\nb')
    expect(ascii(rightOf(memcachedNpm.serialize(new Uint8Array([13, 10]))).bytes)).toBe('\\\r\\\n')
    expect(ascii(rightOf(memcachedNpm.serialize({ s: 'a\nb' })).bytes)).toBe('{"s":"a\\nb"}')
  })

  it.each<[string, MemcachedNpmValue | undefined, string]>([
    ['undefined', undefined, 'cannot write undefined as JSON'],
    ['NaN inside an object', { n: Number.NaN }, 'cannot write NaN as JSON (at $.n)'],
    ['a lone surrogate', 'a\uDC00', 'lone surrogate'],
  ])('refuses %s', (_name, value, message) => {
    expect(leftOf(memcachedNpm.serialize(value as MemcachedNpmValue)).message).toContain(message)
  })

  it.each<[string, unknown, string]>([
    ['a function', () => 1, 'cannot write a function as JSON (at the top level)'],
    ['a symbol', Symbol('s'), 'cannot write a symbol as JSON (at the top level)'],
    ['a bigint', 1n, 'cannot write a bigint as JSON (at the top level)'],
    ['a cycle', (() => { const cycle: { self?: unknown } = {}; cycle.self = cycle; return cycle })(), 'cannot write a cyclic value as JSON'],
  ])('refuses %s from plain JavaScript with a JSON Left', (_name, value, message) => {
    const error = leftOf(memcachedNpm.serialize(value as MemcachedNpmValue))
    expect(error.flags).toBe(MEMCACHED_NPM_FLAGS.json)
    expect(error.message).toContain(message)
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(memcachedNpm.serialize)
  })
})

describe('memcachedNpm: reading, as the package does', () => {
  it.each<[string, string | Uint8Array, number, MemcachedNpmValue]>([
    ['flags 0: string', 'héllo', 0, 'héllo'],
    ['flags 2: JSON', '{"a":[1]}', 2, { a: [1] }],
    ['flags 8: +text', '1.5', 8, 1.5],
    ['flags 8: junk is NaN, as +text', 'abc', 8, Number.NaN],
    ['flags 4: low byte of each character', 'a\u00ff\u0100', 4, new Uint8Array([0x61, 0xff, 0x00])],
    ['other flags exactly (6): string', '{"a":1}', 6, '{"a":1}'],
    ['other flags (16): string', 'x', 16, 'x'],
    ['backslash before line breaks removed', 'a\\\r\\\nb', 0, 'a\r\nb'],
    ['a lone backslash kept', 'a\\b\\', 0, 'a\\b\\'],
    ['empty, flags 0', '', 0, ''],
    ['empty, flags 8: 0', '', 8, 0],
    ['empty, flags 4: no bytes', '', 4, new Uint8Array(0)],
    ['empty, flags 16: empty string', '', 16, ''],
  ])('%s', (_name, bytes, flags, expected) => {
    expect(normalise(rightOf(memcachedNpm.deserialize(encoded(bytes, flags))))).toEqual(normalise(expected))
  })

  it.each<[string, Uint8Array, number, string]>([
    ['invalid JSON', utf8('{"a":'), 2, 'invalid JSON'],
    ['empty JSON', new Uint8Array(0), 2, 'invalid JSON: the value is empty'],
    ['text that is not UTF-8', new Uint8Array([0x61, 0xff]), 0, 'not valid UTF-8'],
    ['binary that is not UTF-8', new Uint8Array([0xff]), 4, 'not valid UTF-8'],
  ])('reads %s as a Left', (_name, bytes, flags, message) => {
    const error = leftOf(memcachedNpm.deserialize(encoded(bytes, flags)))
    expect(error.flags).toBe(flags)
    expect(error.message).toContain(message)
  })
})

describe('memcachedNpm: round trips', () => {
  it('strings, including line breaks and backslashes', () => {
    roundTrips(memcachedNpm, fc.oneof(wellFormed(), fc.stringMatching(/^[a\\\r\n]*$/)))
  })

  it('numbers (-0 comes back as 0, as in the package)', () => {
    roundTrips(memcachedNpm, fc.double(), normalise)
  })

  it('bytes', () => {
    roundTrips(memcachedNpm, fc.uint8Array({ maxLength: 600 }), normalise)
  })

  it('JSON values other than strings and numbers', () => {
    const values = fc.oneof(fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), fc.constant(null))
    roundTrips(memcachedNpm, values as fc.Arbitrary<MemcachedNpmValue>, (value) => JSON.parse(JSON.stringify(value)))
  })
})

describe('escapeLineBreaks / unescapeLineBreaks', () => {
  it('undo each other on any string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab\\\r\n]*$/), (value) => {
        const escaped = escapeLineBreaks(value)
        expect(escaped.includes('\r\n')).toBe(false)
        expect(unescapeLineBreaks(escaped)).toBe(value)
      }),
    )
  })
})
