import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { makeEncoder } from '../../src/protocol/encode.js'
import * as M from '../../src/protocol/meta.js'
import { encodeMeta, MAX_META_TOKENS } from '../../src/protocol/meta-encode.js'
import * as R from '../../src/protocol/request.js'
import { bytes, wireText } from './support.js'

interface Row {
  readonly name: string
  readonly request: R.Request
  readonly wire: string
}

const value = bytes('hello')
const binary = Uint8Array.of(0, 0xff, 10, 32)

const rows: ReadonlyArray<Row> = [
  { name: 'mg, no flags', request: M.metaGet('a'), wire: 'mg a\r\n' },
  {
    name: 'mg, every return flag in the fixed order',
    request: M.metaGet('a', {
      returnValue: true,
      returnCas: true,
      returnFlags: true,
      returnHit: true,
      returnKey: true,
      returnLastAccess: true,
      returnSize: true,
      returnTtl: true,
      noBump: true,
    }),
    wire: 'mg a v c f h k l s t u\r\n',
  },
  { name: 'mg with touch, vivify, recache', request: M.metaGet('a', { returnValue: true, touch: 60, vivify: 30, recache: 10 }), wire: 'mg a v T60 N30 R10\r\n' },
  { name: 'mg with an opaque', request: M.metaGet('a', { opaque: 'tok' }), wire: 'mg a Otok\r\n' },
  { name: 'mg quiet: followed by mn', request: M.metaGet('a', { returnValue: true, quiet: true }), wire: 'mg a v q\r\nmn\r\n' },
  { name: 'mg with a binary key: base64 and b', request: M.metaGet(binary, { returnValue: true }), wire: 'mg AP8KIA== v b\r\n' },
  { name: 'ms', request: M.metaSet('k', value), wire: 'ms k 5\r\nhello\r\n' },
  { name: 'ms, empty value', request: M.metaSet('k', new Uint8Array(0)), wire: 'ms k 0\r\n\r\n' },
  {
    name: 'ms with every flag',
    request: M.metaSet('k', value, { returnCas: true, returnKey: true, clientFlags: 7, ttl: 60, mode: 'add', compareCas: 12n, invalidate: true, opaque: 'o', quiet: true }),
    wire: 'ms k 5 c k F7 T60 ME C12 I Oo q\r\nhello\r\nmn\r\n',
  },
  { name: 'ms append mode', request: M.metaSet('k', value, { mode: 'append' }), wire: 'ms k 5 MA\r\nhello\r\n' },
  { name: 'ms prepend mode', request: M.metaSet('k', value, { mode: 'prepend' }), wire: 'ms k 5 MP\r\nhello\r\n' },
  { name: 'ms replace mode', request: M.metaSet('k', value, { mode: 'replace' }), wire: 'ms k 5 MR\r\nhello\r\n' },
  { name: 'ms set mode', request: M.metaSet('k', value, { mode: 'set' }), wire: 'ms k 5 MS\r\nhello\r\n' },
  { name: 'md', request: M.metaDelete('k'), wire: 'md k\r\n' },
  { name: 'md invalidate with ttl', request: M.metaDelete('k', { invalidate: true, ttl: 30, compareCas: 5n, returnKey: true }), wire: 'md k C5 I T30 k\r\n' },
  { name: 'ma', request: M.metaArithmetic('n'), wire: 'ma n\r\n' },
  {
    name: 'ma with every flag',
    request: M.metaArithmetic('n', { mode: 'decr', delta: 3n, vivify: 0, initial: 10n, ttl: 60, compareCas: 9n, returnValue: true, returnCas: true, returnTtl: true, returnKey: true }),
    wire: 'ma n MD D3 N0 J10 T60 C9 v c t k\r\n',
  },
  { name: 'ma incr mode', request: M.metaArithmetic('n', { mode: 'incr' }), wire: 'ma n MI\r\n' },
  { name: 'mn', request: M.metaNoop, wire: 'mn\r\n' },
  { name: 'me', request: M.metaDebug('k'), wire: 'me k\r\n' },
  { name: 'me binary', request: M.metaDebug(binary), wire: 'me AP8KIA== b\r\n' },
  {
    name: 'a batch: quiet members numbered by opaque, one mn',
    request: M.metaBatch([M.metaGet('a', { returnValue: true }), M.metaSet('b', value), M.metaDelete('c', { quiet: false })]),
    wire: 'mg a v O0 q\r\nms b 5 O1 q\r\nhello\r\nmd c O2\r\nmn\r\n',
  },
  { name: 'a prefixed text key', request: R.prefixed('app:')(M.metaGet('a')), wire: 'mg app:a\r\n' },
  { name: 'a prefixed binary key: prefix bytes, then base64', request: R.prefixed('p:')(M.metaGet(Uint8Array.of(1))), wire: 'mg cDoB b\r\n' },
  { name: 'a prefixed batch prefixes every member', request: R.prefixed('p:')(M.metaBatch([M.metaGet('a'), M.metaGet('b')])), wire: 'mg p:a O0 q\r\nmg p:b O1 q\r\nmn\r\n' },
]

const encode = makeEncoder()

describe('meta encode: exact bytes', () => {
  it('has a row for every meta request tag', () => {
    expect(new Set(rows.map((row) => row.request._tag))).toEqual(new Set(['MetaGet', 'MetaSet', 'MetaDelete', 'MetaArithmetic', 'MetaNoop', 'MetaDebug', 'MetaBatch']))
  })
  describe.each(rows)('$name', (row) => {
    it('encodes to the exact bytes', () => {
      const chunks = encode(row.request)
      expect(E.isRight(chunks) ? wireText(chunks.right) : chunks.left.message).toBe(row.wire)
    })
  })
  it('never copies a value: the chunk is the caller array', () => {
    const chunks = encode(M.metaSet('k', value))
    expect(E.isRight(chunks) && chunks.right[1]).toBe(value)
  })
})

interface Refusal {
  readonly name: string
  readonly request: R.Request
  readonly tag: string
  readonly mentions: string
}

const refusals: ReadonlyArray<Refusal> = [
  { name: 'a key with a space', request: M.metaGet('a b'), tag: 'InvalidKey', mentions: 'space' },
  { name: 'an empty binary key', request: M.metaGet(new Uint8Array(0)), tag: 'InvalidKey', mentions: 'empty' },
  { name: 'a binary key of 187 bytes', request: M.metaGet(new Uint8Array(187)), tag: 'InvalidKey', mentions: '186' },
  { name: 'a binary key of 185 bytes after a 2-byte prefix', request: R.prefixed('p:')(M.metaGet(new Uint8Array(185))), tag: 'InvalidKey', mentions: 'prefix' },
  { name: 'a text key of 251 bytes', request: M.metaGet('k'.repeat(251)), tag: 'InvalidKey', mentions: '250' },
  { name: 'an opaque of 32 characters', request: M.metaGet('a', { opaque: 'o'.repeat(32) }), tag: 'InvalidArgument', mentions: 'opaque' },
  { name: 'an opaque with a space', request: M.metaGet('a', { opaque: 'a b' }), tag: 'InvalidArgument', mentions: 'opaque' },
  { name: 'an empty opaque', request: M.metaGet('a', { opaque: '' }), tag: 'InvalidArgument', mentions: 'opaque' },
  { name: 'a batch member with its own opaque', request: M.metaBatch([M.metaGet('a', { opaque: 'x' })]), tag: 'InvalidArgument', mentions: 'numbers its requests' },
  { name: 'an empty batch', request: M.metaBatch([]), tag: 'InvalidArgument', mentions: 'at least one' },
  { name: 'a fractional ttl', request: M.metaSet('k', value, { ttl: 1.5 }), tag: 'InvalidArgument', mentions: 'ttl' },
  { name: 'client flags past 32 bits', request: M.metaSet('k', value, { clientFlags: 2 ** 32 }), tag: 'InvalidArgument', mentions: 'clientFlags' },
  { name: 'a negative compare cas', request: M.metaSet('k', value, { compareCas: -1n }), tag: 'InvalidArgument', mentions: 'compareCas' },
  { name: 'invalidate without compare cas on ms', request: M.metaSet('k', value, { invalidate: true }), tag: 'InvalidArgument', mentions: 'compareCas' },
  { name: 'an unknown ms mode', request: M.metaSet('k', value, { mode: 'cas' as M.MetaSetMode }), tag: 'InvalidArgument', mentions: 'mode' },
  { name: 'md ttl without invalidate', request: M.metaDelete('k', { ttl: 5 }), tag: 'InvalidArgument', mentions: 'invalidate' },
  { name: 'a delta past 64 bits', request: M.metaArithmetic('n', { delta: 2n ** 64n }), tag: 'InvalidArgument', mentions: 'delta' },
  { name: 'an initial value without vivify', request: M.metaArithmetic('n', { initial: 1n }), tag: 'InvalidArgument', mentions: 'vivify' },
  { name: 'a bad touch', request: M.metaGet('a', { touch: Number.NaN }), tag: 'InvalidArgument', mentions: 'touch' },
  { name: 'a bad prefix', request: R.prefixed('a b')(M.metaGet('a')), tag: 'InvalidArgument', mentions: 'keyPrefix' },
]

describe('meta encode: refusals before anything is written', () => {
  describe.each(refusals)('$name', (row) => {
    it(`is ${row.tag}`, () => {
      const result = encode(row.request)
      expect(E.isLeft(result) && result.left._tag).toBe(row.tag)
      expect(E.isLeft(result) ? result.left.message : '').toContain(row.mentions)
    })
  })
  it('a binary key of 186 bytes fits: 248 base64 characters', () => {
    const result = encodeMeta(M.metaGet(new Uint8Array(186).fill(0xab)), {})
    expect(E.isRight(result) && wireText(result.right).length).toBe('mg '.length + 248 + ' b\r\n'.length)
  })
  it('a client value size limit refuses a large ms value', () => {
    const result = makeEncoder({ maxValueSize: 4 })(M.metaSet('k', value))
    expect(E.isLeft(result) && result.left._tag).toBe('ValueTooLarge')
  })
  it('a unicode text key needs allowUnicodeKeys', () => {
    expect(E.isLeft(encode(M.metaGet('clé')))).toBe(true)
    const result = makeEncoder({ allowUnicodeKeys: true })(M.metaGet('clé'))
    expect(E.isRight(result) && wireText(result.right)).toBe('mg clé\r\n')
  })
  it('no keyed line can pass memcached token limit', () => {
    // The most flags one request can carry: ma with every flag, a binary key, an opaque and q.
    const everything = M.metaArithmetic(Uint8Array.of(1), {
      mode: 'decr', delta: 1n, vivify: 0, initial: 1n, ttl: 1, compareCas: 1n, returnValue: true, returnCas: true, returnTtl: true, returnKey: true, opaque: 'o', quiet: true,
    })
    const result = encode(everything)
    expect(E.isRight(result) && wireText(result.right).split('\r\n')[0]?.split(' ').length).toBeLessThanOrEqual(MAX_META_TOKENS)
  })
})
