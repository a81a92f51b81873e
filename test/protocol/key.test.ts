import * as E from 'fp-ts/lib/Either.js'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makeEncoder } from '../../src/protocol/encode.js'
import { keyProblem, MAX_KEY_LENGTH, validateKey, type KeyOptions } from '../../src/protocol/key.js'
import * as R from '../../src/protocol/request.js'

const ascii: KeyOptions = {}
const unicode: KeyOptions = { allowUnicodeKeys: true }

const accepted: ReadonlyArray<readonly [string, string, KeyOptions]> = [
  ['one byte', 'a', ascii],
  ['every printable ASCII byte', Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join(''), ascii],
  ['exactly 250 ASCII bytes', 'k'.repeat(250), ascii],
  ['non-ASCII when allowed', 'clé', unicode],
  ['125 two-byte characters (250 bytes) when allowed', 'é'.repeat(125), unicode],
  ['83 three-byte characters and one byte (250 bytes)', '日'.repeat(83) + 'x', unicode],
  ['a surrogate pair (4 bytes) when allowed', '😀'.repeat(62) + 'ab', unicode],
]

const refused: ReadonlyArray<readonly [string, string, KeyOptions, RegExp]> = [
  ['the empty key', '', ascii, /empty/],
  ['251 ASCII bytes', 'k'.repeat(251), ascii, /251 bytes/],
  ['a space', 'a b', ascii, /space at index 1/],
  ['a tab', 'a\tb', ascii, /tab/],
  ['a CR', 'a\rb', ascii, /CR/],
  ['an LF', 'a\nb', ascii, /LF/],
  ['a NUL', 'a\0', ascii, /NUL/],
  ['another control byte', '\x01a', ascii, /control byte 0x01/],
  ['the unit separator', 'a\x1f', ascii, /control byte 0x1f/],
  ['DEL', 'a\x7fb', ascii, /control byte 0x7f/],
  ['non-ASCII by default', 'clé', ascii, /non-ASCII/],
  ['126 two-byte characters (252 bytes)', 'é'.repeat(126), unicode, /252 bytes/],
  ['84 three-byte characters (252 bytes)', '日'.repeat(84), unicode, /252 bytes/],
  ['a space in a unicode key', 'clé x', unicode, /space/],
  ['a control byte in a unicode key', 'é\x00', unicode, /NUL/],
  ['a lone high surrogate', 'a\ud800b', unicode, /lone surrogate at index 1/],
  ['a lone high surrogate at the end', 'ab\ud83d', unicode, /lone surrogate/],
  ['a lone low surrogate', '\ude00x', unicode, /lone surrogate at index 0/],
  ['two low surrogates', '\ude00\ude00', unicode, /lone surrogate/],
]

describe('key rules', () => {
  it('the limit is 250 bytes', () => expect(MAX_KEY_LENGTH).toBe(250))

  it.each(accepted)('accepts %s', (_name, key, options) => {
    expect(keyProblem(key, options)).toBeUndefined()
    expect(validateKey(options)(key)).toEqual(E.right(key))
  })

  it.each(refused)('refuses %s', (_name, key, options, reason) => {
    expect(keyProblem(key, options)).toMatch(reason)
    const result = validateKey(options)(key)
    expect(result).toMatchObject(E.left({ _tag: 'InvalidKey', key }))
    if (E.isLeft(result)) expect(result.left.reason).toMatch(reason)
  })

  it('the unicode key length counts UTF-8 bytes on the wire', () => {
    const key = 'é'.repeat(125)
    const result = makeEncoder(unicode)(R.get([key]))
    expect(E.isRight(result)).toBe(true)
    if (E.isRight(result)) expect(result.right.reduce((total, chunk) => total + chunk.length, 0)).toBe('get '.length + 250 + 2)
  })
})

// -------------------------------------------------------------------------------------
// property: a forbidden byte anywhere refuses the key, in every command that takes one
// -------------------------------------------------------------------------------------

const forbiddenByte = fc.oneof(fc.integer({ min: 0, max: 0x20 }), fc.constant(0x7f)).map((code) => String.fromCharCode(code))
const printable = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code))
const validAscii = fc.array(printable, { minLength: 1, maxLength: 120 }).map((chars) => chars.join(''))
const keyWithForbidden = fc
  .tuple(validAscii, forbiddenByte, fc.nat())
  .map(([key, bad, at]) => {
    const position = at % (key.length + 1)
    return { key: key.slice(0, position) + bad + key.slice(position), position }
  })

const commandsFor = (key: string): ReadonlyArray<R.Request> => [
  R.get(['ok', key]),
  R.gets([key]),
  R.gat(0, [key, 'ok']),
  R.gats(0, [key]),
  R.set(key, new Uint8Array(1)),
  R.store('append', key, new Uint8Array(1)),
  R.cas(key, new Uint8Array(1), 1n),
  R.del(key),
  R.incr(key, 1n),
  R.decr(key, 1n),
  R.touch(key, 0),
]

describe('key property', () => {
  it('any key with a forbidden byte at any position is refused by encode, with or without unicode keys', () => {
    const encoders = [makeEncoder(), makeEncoder(unicode)]
    fc.assert(
      fc.property(keyWithForbidden, ({ key, position }) => {
        expect(keyProblem(key)).toMatch(new RegExp(`at index ${position}$`))
        for (const encodeWith of encoders) {
          for (const request of commandsFor(key)) {
            const result = encodeWith(request)
            expect(result).toMatchObject(E.left({ _tag: 'InvalidKey', key }))
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('keys of printable ASCII are accepted exactly when 1..250 bytes long', () => {
    fc.assert(
      fc.property(fc.array(printable, { minLength: 1, maxLength: 300 }), (chars) => {
        const key = chars.join('')
        expect(keyProblem(key) === undefined).toBe(key.length <= 250)
      }),
      { numRuns: 200 },
    )
  })

  it('unicode keys are accepted exactly when their UTF-8 form is 1..250 bytes with no forbidden byte', () => {
    const char = fc.oneof(printable, fc.constantFrom('é', 'ß', '日', '本', '😀', 'Ω', '\u00a0'))
    fc.assert(
      fc.property(fc.array(char, { minLength: 1, maxLength: 200 }), (chars) => {
        const key = chars.join('')
        expect(keyProblem(key, unicode) === undefined).toBe(new TextEncoder().encode(key).length <= 250)
      }),
      { numRuns: 200 },
    )
  })
})

describe('keys from plain JavaScript', () => {
  it.each<[string, unknown, string]>([
    ['a number', 5, 'a key must be a string, got the number 5'],
    ['null', null, 'a key must be a string, got null'],
    ['undefined', undefined, 'a key must be a string, got undefined'],
    ['an object', { toString: () => 'k' }, 'a key must be a string, got an object'],
  ])('refuses %s instead of sending or throwing', (_name, key, problem) => {
    expect(keyProblem(key as string)).toBe(problem)
    const encode = makeEncoder({})
    expect(() => encode(R.get([key as string]))).not.toThrow()
    expect(encode(R.get([key as string]))).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey', reason: problem })))
  })
})
