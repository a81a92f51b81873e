/**
 * pymemcache 3.5.2 (Debian's, run by /usr/bin/python3) and our `pymemcache` serde share one real
 * memcached: Python writes, we read; we write, Python reads; and both write the same bytes and flags.
 */
import * as zlib from 'node:zlib'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePymemcache, parsePythonInt, pymemcache, type PymemcacheValue } from '../../src/serde/pymemcache.js'
import type { Connection } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { everyByte, expectSameBytes, leftOf, MiB, rightOf, utf8, wellFormed } from '../serde/support.js'
import { fetchEncoded, open, runPython, storeEncoded } from '../serde/wire.js'

// pymemcache 3.5.2 reserves FLAG_COMPRESSED but ships no compressing serde; CompressedSerde below
// is pymemcache 4's, line for line in behaviour (python-memcached uses the same bit and format).
const script = String.raw`
import json, sys, zlib
from pymemcache.client.base import Client
from pymemcache import serde

class CompressedSerde(object):
    def __init__(self, inner, min_compress_len):
        self._inner = inner
        self._min_compress_len = min_compress_len
    def serialize(self, key, value):
        value, flags = self._inner.serialize(key, value)
        if len(value) > self._min_compress_len > 0:
            old_value = value
            value = zlib.compress(value)
            if len(old_value) < len(value):
                value = old_value
            else:
                flags |= serde.FLAG_COMPRESSED
        return value, flags
    def deserialize(self, key, value, flags):
        if flags & serde.FLAG_COMPRESSED:
            value = zlib.decompress(value)
        return self._inner.deserialize(key, value, flags)

def build(case):
    kind, value = case['kind'], case.get('value')
    if kind == 'str': return value
    if kind == 'bytes': return bytes.fromhex(value)
    if kind == 'int': return int(value)
    if kind == 'float': return float(value)
    if kind == 'bool': return bool(value)
    if kind == 'dict': return dict(value)
    raise ValueError(kind)

def describe(value):
    kind = type(value)
    if kind is str: return {'kind': 'str', 'value': value}
    if kind is bytes: return {'kind': 'bytes', 'value': value.hex()}
    if kind is int: return {'kind': 'int', 'value': str(value)}
    return {'kind': kind.__name__, 'value': repr(value)}

request = json.load(sys.stdin)
if 'ints' in request:
    results = []
    for source in request['ints']:
        try: results.append(str(int(bytes.fromhex(source))))
        except ValueError: results.append(None)
    json.dump(results, sys.stdout)
    sys.exit(0)
address = (request['host'], request['port'])
clients = {
    'pickle': Client(address, serde=serde.pickle_serde),
    'compressed': Client(address, serde=CompressedSerde(serde.pickle_serde, 400)),
    'none': Client(address),
}
for case in request.get('write', []):
    if not clients[case['client']].set(case['key'], build(case), noreply=False):
        raise SystemExit('set failed: ' + case['key'])
read = {}
for case in request.get('read', []):
    read[case['key']] = describe(clients[case['client']].get(case['key']))
for client in clients.values():
    client.close()
json.dump(read, sys.stdout)
`

type PythonClient = 'pickle' | 'compressed' | 'none'

interface Described {
  readonly kind: string
  readonly value: string
}

/** A value as the Python script builds it and describes it. */
const describe_ = (value: PymemcacheValue): Described =>
  typeof value === 'string'
    ? { kind: 'str', value }
    : value instanceof Uint8Array
      ? { kind: 'bytes', value: Buffer.from(value).toString('hex') }
      : { kind: 'int', value: BigInt(value).toString() }

interface Case {
  readonly key: string
  readonly value: PymemcacheValue
}

const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(40)

const fixed: ReadonlyArray<Case> = [
  { key: 'ascii', value: 'hello' },
  { key: 'unicode', value: 'héllo wörld ☃ 😀 日本語 e\u0301 \u0000 \r\n' },
  { key: 'empty-str', value: '' },
  { key: 'every-byte', value: everyByte() },
  { key: 'empty-bytes', value: new Uint8Array(0) },
  { key: 'mebibyte', value: Uint8Array.from({ length: MiB }, (_, i) => (i * 31) & 0xff) },
  { key: 'zero', value: 0 },
  { key: 'minus-one', value: -1 },
  { key: 'above-2-53', value: 2n ** 53n + 1n },
  { key: 'int64-min', value: -(2n ** 63n) },
  { key: 'two-to-100', value: 2n ** 100n },
  { key: 'long-text', value: lorem },
  { key: 'long-bytes', value: utf8(lorem) },
]

// Random values, drawn once per run (the expected results come from Python, not from here).
const sampled: ReadonlyArray<Case> = [
  ...fc.sample(wellFormed(), 30).map((value, i) => ({ key: `random-str-${i}`, value })),
  ...fc.sample(fc.uint8Array({ maxLength: 700 }), 30).map((value, i) => ({ key: `random-bytes-${i}`, value })),
  ...fc.sample(fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }), 30).map((value, i) => ({ key: `random-int-${i}`, value })),
  ...fc.sample(wellFormed().map((s) => s.repeat(80)), 10).map((value, i) => ({ key: `random-long-str-${i}`, value })),
]

const cases = [...fixed, ...sampled]

const asPython = (client: PythonClient, key: string, value: PymemcacheValue) => ({
  client,
  key,
  ...(typeof value === 'string'
    ? { kind: 'str', value }
    : value instanceof Uint8Array
      ? { kind: 'bytes', value: Buffer.from(value).toString('hex') }
      : { kind: 'int', value: value.toString() }),
})

const sameValue = (actual: PymemcacheValue, expected: PymemcacheValue): void => {
  if (expected instanceof Uint8Array) {
    expect(actual).toBeInstanceOf(Uint8Array)
    expectSameBytes(actual as Uint8Array, expected)
  } else if (typeof expected === 'string') expect(actual).toBe(expected)
  else expect(BigInt(actual as number | bigint)).toBe(BigInt(expected))
}

describe('pymemcache interop', () => {
  let server: MemcachedServer
  let connection: Connection
  const compressing = makePymemcache({ minCompressLength: 400 })
  const python = (request: object): Promise<string> =>
    runPython(script, JSON.stringify({ host: server.host, port: server.port, ...request }))

  beforeAll(async () => {
    server = await startMemcached({ itemSizeMax: '2m' })
    connection = await open(server.server)
  })

  afterAll(async () => {
    await connection?.close()
    await server?.stop()
  })

  describe('Python writes, we read', () => {
    beforeAll(async () => {
      await python({
        write: [
          ...cases.map((c) => asPython('pickle', `py:${c.key}`, c.value)),
          ...cases.map((c) => asPython('compressed', `py-z:${c.key}`, c.value)),
          { client: 'pickle', key: 'py:float', kind: 'float', value: '1.5' },
          { client: 'pickle', key: 'py:bool', kind: 'bool', value: true },
          { client: 'pickle', key: 'py:dict', kind: 'dict', value: { a: 1 } },
          { client: 'compressed', key: 'py-z:dict', kind: 'dict', value: { a: 'x'.repeat(1000) } },
          { client: 'none', key: 'py-none:str', kind: 'str', value: 'plain' },
        ],
      })
    })

    it.each(cases)('$key, with python_memcache_serializer', async ({ key, value }) => {
      const stored = await fetchEncoded(connection, `py:${key}`)
      if (stored === undefined) return expect.fail(`py:${key} is missing`)
      sameValue(rightOf(pymemcache.deserialize(stored)), value)
      // Same flags and the same bytes as our serde writes for the same value.
      const ours = rightOf(pymemcache.serialize(value))
      expect(stored.flags).toBe(ours.flags)
      expectSameBytes(stored.bytes, ours.bytes)
    })

    it.each(cases)('$key, with CompressedSerde', async ({ key, value }) => {
      const stored = await fetchEncoded(connection, `py-z:${key}`)
      if (stored === undefined) return expect.fail(`py-z:${key} is missing`)
      sameValue(rightOf(pymemcache.deserialize(stored)), value)
      // Compressed or not, decided by the same rule on both sides.
      const ours = rightOf(compressing.serialize(value))
      expect(stored.flags).toBe(ours.flags)
      if (stored.flags & 8) expectSameBytes(zlib.inflateSync(stored.bytes), zlib.inflateSync(ours.bytes))
      else expectSameBytes(stored.bytes, ours.bytes)
    })

    it('compressed values really are compressed (flag 8 with text and bytes)', async () => {
      expect((await fetchEncoded(connection, 'py-z:long-text'))?.flags).toBe(16 | 8)
      expect((await fetchEncoded(connection, 'py-z:long-bytes'))?.flags).toBe(8)
      expect((await fetchEncoded(connection, 'py-z:mebibyte'))?.flags).toBe(8)
    })

    it.each(['py:float', 'py:bool', 'py:dict', 'py-z:dict'])('%s was pickled: a SerdeError, not a guess', async (key) => {
      const stored = await fetchEncoded(connection, key)
      if (stored === undefined) return expect.fail(`${key} is missing`)
      expect(stored.flags & 1).toBe(1)
      expect(leftOf(pymemcache.deserialize(stored)).message).toContain('pickled by Python')
    })

    it('a Client without a serde writes (ASCII-only) str as flag-0 bytes, which we read as bytes', async () => {
      const stored = await fetchEncoded(connection, 'py-none:str')
      if (stored === undefined) return expect.fail('py-none:str is missing')
      expect(stored.flags).toBe(0)
      expectSameBytes(rightOf(pymemcache.deserialize(stored)) as Uint8Array, utf8('plain'))
    })
  })

  describe('we write, Python reads', () => {
    let read: Record<string, Described>

    beforeAll(async () => {
      for (const { key, value } of cases) {
        await storeEncoded(connection, `ts:${key}`, rightOf(pymemcache.serialize(value)))
        await storeEncoded(connection, `ts-z:${key}`, rightOf(compressing.serialize(value)))
      }
      const output = await python({
        read: cases.flatMap(({ key }) => [
          { client: 'pickle', key: `ts:${key}` },
          { client: 'compressed', key: `ts-z:${key}` },
        ]),
      })
      read = JSON.parse(output) as Record<string, Described>
    })

    it.each(cases)('$key, read by python_memcache_deserializer', ({ key, value }) => {
      expect(read[`ts:${key}`]).toEqual(describe_(value))
    })

    it.each(cases)('$key, read by CompressedSerde', ({ key, value }) => {
      expect(read[`ts-z:${key}`]).toEqual(describe_(value))
    })
  })

  it('parses integers exactly as Python\'s int() does', async () => {
    const candidates = fc.sample(
      fc.oneof(
        fc.stringMatching(/^[ \t\n\v\f\r]{0,2}[+-]?[0-9_]{0,8}[ \t\n\v\f\r]{0,2}$/),
        fc.stringMatching(/^[0-9_+\-. exa]{0,6}$/),
        fc.bigInt().map(String),
      ),
      400,
    )
    const output = await python({ ints: candidates.map((source) => Buffer.from(source, 'latin1').toString('hex')) })
    const expected = JSON.parse(output) as ReadonlyArray<string | null>
    candidates.forEach((source, index) => {
      const ours = parsePythonInt(Buffer.from(source, 'latin1'))
      expect({ source, parsed: ours._tag === 'Right' ? ours.right.toString() : null }).toEqual({ source, parsed: expected[index] })
    })
  })
})
