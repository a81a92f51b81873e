/**
 * The `memcached` npm package and our `memcachedNpm` serde share one real memcached: the package
 * writes, we read; we write, the package reads; and both write the same bytes and flags.
 */
import fc from 'fast-check'
import Memcached from 'memcached'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memcachedNpm, type MemcachedNpmValue } from '../../src/serde/memcached-npm.js'
import type { Connection } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { everyByte, expectSameBytes, rightOf, wellFormed } from '../serde/support.js'
import { fetchEncoded, open, storeEncoded } from '../serde/wire.js'

interface Case {
  readonly key: string
  /** What the package is given (a Buffer for bytes, as its users pass). */
  readonly value: string | number | Buffer | object | boolean | null
}

const fixed: ReadonlyArray<Case> = [
  { key: 'ascii', value: 'hello' },
  { key: 'unicode', value: 'héllo wörld ☃ 😀 日本語' },
  { key: 'line-breaks', value: 'one\r\ntwo\nthree\r four \\n \\\r\n end\\' },
  { key: 'empty-string', value: '' },
  { key: 'object', value: { a: 1, b: [true, null, 'x'], c: { d: 'line\nbreak' } } },
  { key: 'array', value: [1, 2.5, 'three'] },
  { key: 'true', value: true },
  { key: 'false', value: false },
  { key: 'null', value: null },
  { key: 'integer', value: 42 },
  { key: 'negative-float', value: -1.5 },
  { key: 'large-number', value: 1e21 },
  { key: 'nan', value: Number.NaN },
  { key: 'infinity', value: Number.POSITIVE_INFINITY },
  { key: 'every-byte', value: Buffer.from(everyByte()) },
  { key: 'empty-buffer', value: Buffer.alloc(0) },
  { key: 'crlf-buffer', value: Buffer.from('\r\n\r\n', 'latin1') },
]

// Random values, drawn once per run; strings avoid "END" alone, which the package's parser trips on.
const sampled: ReadonlyArray<Case> = [
  ...fc.sample(wellFormed().filter((s) => s !== 'END'), 25).map((value, i) => ({ key: `random-string-${i}`, value })),
  ...fc.sample(fc.double(), 25).map((value, i) => ({ key: `random-number-${i}`, value: Object.is(value, -0) ? 0 : value })),
  ...fc.sample(fc.uint8Array({ maxLength: 600 }), 25).map((value, i) => ({ key: `random-buffer-${i}`, value: Buffer.from(value) })),
  ...fc
    .sample(fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 })), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))), 25)
    .map((value, i) => ({ key: `random-json-${i}`, value: JSON.parse(JSON.stringify(value)) as object })),
]

const cases = [...fixed, ...sampled]

/** What our serde reads should equal: a Buffer compares as its bytes. */
const ours = (value: Case['value']): MemcachedNpmValue =>
  Buffer.isBuffer(value) ? new Uint8Array(value) : (value as MemcachedNpmValue)

const sameValue = (actual: unknown, expected: unknown): void => {
  if (expected instanceof Uint8Array) {
    expect(actual).toBeInstanceOf(Uint8Array)
    expectSameBytes(actual as Uint8Array, expected)
  } else expect(actual).toEqual(expected)
}

describe('memcached npm interop', () => {
  let server: MemcachedServer
  let connection: Connection
  let client: Memcached

  const npmSet = (key: string, value: unknown): Promise<void> =>
    new Promise((resolve, reject) => client.set(key, value, 0, (error: unknown) => (error ? reject(error) : resolve())))
  const npmGet = (key: string): Promise<unknown> =>
    new Promise((resolve, reject) => client.get(key, (error: unknown, data: unknown) => (error ? reject(error) : resolve(data))))

  beforeAll(async () => {
    server = await startMemcached()
    connection = await open(server.server)
    client = new Memcached(server.server, { retries: 0, timeout: 5000, poolSize: 1 })
  })

  afterAll(async () => {
    client?.end()
    await connection?.close()
    await server?.stop()
  })

  describe('the package writes, we read', () => {
    beforeAll(async () => {
      for (const { key, value } of cases) await npmSet(`npm:${key}`, value)
    })

    it.each(cases)('$key', async ({ key, value }) => {
      const stored = await fetchEncoded(connection, `npm:${key}`)
      if (stored === undefined) return expect.fail(`npm:${key} is missing`)
      sameValue(rightOf(memcachedNpm.deserialize(stored)), ours(value))
      // The same flags and bytes as our serde writes for the same value.
      const written = rightOf(memcachedNpm.serialize(ours(value)))
      expect(stored.flags).toBe(written.flags)
      expectSameBytes(stored.bytes, written.bytes)
    })
  })

  describe('we write, the package reads', () => {
    beforeAll(async () => {
      for (const { key, value } of cases) await storeEncoded(connection, `ts:${key}`, rightOf(memcachedNpm.serialize(ours(value))))
    })

    it.each(cases)('$key', async ({ key, value }) => {
      const read = await npmGet(`ts:${key}`)
      if (Buffer.isBuffer(value)) {
        expect(Buffer.isBuffer(read)).toBe(true)
        expectSameBytes(read as Buffer, value)
      } else expect(read).toEqual(value)
    })
  })
})
