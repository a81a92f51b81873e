/**
 * Empty values, a mebibyte, every byte value and invalid UTF-8, through every serde.
 */
import { describe, expect, it } from 'vitest'
import { bytes } from '../../src/serde/bytes.js'
import { compressed } from '../../src/serde/compressed.js'
import { bigint, number } from '../../src/serde/decimal.js'
import { json } from '../../src/serde/json.js'
import { memcachedNpm } from '../../src/serde/memcached-npm.js'
import { makePymemcache, pymemcache } from '../../src/serde/pymemcache.js'
import type { Serde } from '../../src/serde/serde.js'
import { text } from '../../src/serde/text.js'
import { v8 } from '../../src/serde/v8.js'
import { encoded, everyByte, expectSameBytes, leftOf, mebibyte, MiB, rightOf } from './support.js'

interface Row {
  readonly name: string
  readonly serde: Serde<never>
  readonly value: unknown
}

const row = <A>(name: string, serde: Serde<A>, value: A): Row => ({ name, serde: serde as unknown as Serde<never>, value })

const expectSame = (actual: unknown, expected: unknown): void => {
  if (expected instanceof Uint8Array && actual instanceof Uint8Array) expectSameBytes(actual, expected)
  else expect(actual).toEqual(expected)
}

const bigText = 'é☃😀 ab\r\n'.repeat(MiB / 16)
const empty = new Uint8Array(0)

const rows: ReadonlyArray<Row> = [
  row('bytes: empty', bytes, empty),
  row('bytes: every byte value', bytes, everyByte()),
  row('bytes: a mebibyte', bytes, mebibyte()),
  row('text: empty', text, ''),
  row('text: a mebibyte of mixed scripts', text, bigText),
  row('json: empty string', json, ''),
  row('json: a mebibyte inside an object', json, { text: bigText }),
  row('number: 0', number, 0),
  row('bigint: 2^1024', bigint, 2n ** 1024n),
  row('v8: empty string', v8, ''),
  row('v8: every byte value', v8, everyByte()),
  row('v8: a mebibyte', v8, mebibyte()),
  row('compressed: empty', compressed(bytes, { threshold: 0 }), empty),
  row('compressed: every byte value', compressed(bytes, { threshold: 0 }), everyByte()),
  row('compressed deflate: a mebibyte', compressed(bytes, { algorithm: 'deflate' }), mebibyte()),
  row('compressed brotli: a mebibyte of text', compressed(text, { algorithm: 'brotli' }), bigText),
  row('pymemcache: empty bytes', pymemcache, empty),
  row('pymemcache: empty str', pymemcache, ''),
  row('pymemcache: every byte value', pymemcache, everyByte()),
  row('pymemcache: a mebibyte', pymemcache, mebibyte()),
  row('pymemcache compressed: a mebibyte of text', makePymemcache({ minCompressLength: 400 }), bigText),
  row('memcachedNpm: empty string', memcachedNpm, ''),
  row('memcachedNpm: empty bytes', memcachedNpm, empty),
  row('memcachedNpm: every byte value', memcachedNpm, everyByte()),
  row('memcachedNpm: a mebibyte', memcachedNpm, mebibyte()),
  row('memcachedNpm: a mebibyte of text', memcachedNpm, bigText),
]

describe.each(rows)('$name', ({ serde, value }) => {
  it('round-trips', () => {
    const written = rightOf(serde.serialize(value as never))
    expectSame(rightOf(serde.deserialize(written)), value)
  })
})

const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0xc0, 0x80, 0x22, 0x7d])

describe.each([
  ['text', text as Serde<unknown>, 0],
  ['json', json, 2],
  ['pymemcache text', pymemcache as Serde<unknown>, 16],
  ['memcachedNpm string', memcachedNpm as Serde<unknown>, 0],
  ['memcachedNpm JSON', memcachedNpm as Serde<unknown>, 2],
  ['memcachedNpm binary', memcachedNpm as Serde<unknown>, 4],
  ['compressed text', compressed(text) as Serde<unknown>, 0],
])('%s', (_name, serde, flags) => {
  it('reads invalid UTF-8 as a Left', () => {
    expect(leftOf(serde.deserialize(encoded(invalidUtf8, flags))).message).toContain('not valid UTF-8')
  })
})

describe.each([
  ['number', number as Serde<unknown>, 0],
  ['bigint', bigint as Serde<unknown>, 0],
  ['json', json, 2],
  ['v8', v8, 32],
  ['pymemcache int', pymemcache as Serde<unknown>, 2],
  ['memcachedNpm JSON', memcachedNpm as Serde<unknown>, 2],
])('%s', (_name, serde, flags) => {
  it('reads an empty value as a Left', () => {
    expect(leftOf(serde.deserialize(encoded(empty, flags))).flags).toBe(flags)
  })
})
