import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { encode, makeEncoder, MAX_GAT_LINE, type EncodeOptions } from '../../src/protocol/encode.js'
import { prefixProblem } from '../../src/protocol/key.js'
import type { MemcacheError } from '../../src/error.js'
import * as R from '../../src/protocol/request.js'
import type { MetaRequest } from '../../src/protocol/meta.js'
import { allByteValues, bytes, wireText } from './support.js'

const value = bytes('hello')
const unicode: EncodeOptions = { allowUnicodeKeys: true }

interface EncodeRow {
  readonly name: string
  readonly request: R.Request
  readonly wire: string
  readonly options?: EncodeOptions
}

const encodeRows: ReadonlyArray<EncodeRow> = [
  { name: 'get one key', request: R.get(['a']), wire: 'get a\r\n' },
  { name: 'get many keys', request: R.get(['a', 'b:1', 'c']), wire: 'get a b:1 c\r\n' },
  { name: 'gets', request: R.gets(['a', 'b']), wire: 'gets a b\r\n' },
  { name: 'gat', request: R.gat(60, ['a', 'b']), wire: 'gat 60 a b\r\n' },
  { name: 'gat with a negative exptime', request: R.gat(-1, ['a']), wire: 'gat -1 a\r\n' },
  { name: 'gats', request: R.gats(0, ['a']), wire: 'gats 0 a\r\n' },
  { name: 'set', request: R.set('k', value), wire: 'set k 0 0 5\r\nhello\r\n' },
  {
    name: 'set with flags, exptime and noreply',
    request: R.set('k', value, { flags: 4294967295, exptime: -2147483648, noreply: true }),
    wire: 'set k 4294967295 -2147483648 5 noreply\r\nhello\r\n',
  },
  { name: 'set an empty value', request: R.set('k', new Uint8Array(0)), wire: 'set k 0 0 0\r\n\r\n' },
  { name: 'add', request: R.store('add', 'k', value, { exptime: 60 }), wire: 'add k 0 60 5\r\nhello\r\n' },
  { name: 'replace', request: R.store('replace', 'k', value, { flags: 2 }), wire: 'replace k 2 0 5\r\nhello\r\n' },
  { name: 'append', request: R.store('append', 'k', value), wire: 'append k 0 0 5\r\nhello\r\n' },
  { name: 'prepend noreply', request: R.store('prepend', 'k', value, { noreply: true }), wire: 'prepend k 0 0 5 noreply\r\nhello\r\n' },
  { name: 'cas', request: R.cas('k', value, 42n), wire: 'cas k 0 0 5 42\r\nhello\r\n' },
  {
    name: 'cas with the largest unique, noreply',
    request: R.cas('k', value, 18446744073709551615n, { flags: 1, exptime: 10, noreply: true }),
    wire: 'cas k 1 10 5 18446744073709551615 noreply\r\nhello\r\n',
  },
  { name: 'delete', request: R.del('k'), wire: 'delete k\r\n' },
  { name: 'delete noreply', request: R.del('k', true), wire: 'delete k noreply\r\n' },
  { name: 'incr', request: R.incr('n', 1n), wire: 'incr n 1\r\n' },
  { name: 'incr by the largest delta', request: R.incr('n', 18446744073709551615n), wire: 'incr n 18446744073709551615\r\n' },
  { name: 'decr noreply', request: R.decr('n', 0n, true), wire: 'decr n 0 noreply\r\n' },
  { name: 'touch', request: R.touch('k', 300), wire: 'touch k 300\r\n' },
  { name: 'touch noreply', request: R.touch('k', -1, true), wire: 'touch k -1 noreply\r\n' },
  { name: 'stats', request: R.stats(), wire: 'stats\r\n' },
  { name: 'stats items', request: R.stats('items'), wire: 'stats items\r\n' },
  { name: 'stats slabs', request: R.stats('slabs'), wire: 'stats slabs\r\n' },
  { name: 'stats settings', request: R.stats('settings'), wire: 'stats settings\r\n' },
  { name: 'stats sizes', request: R.stats('sizes'), wire: 'stats sizes\r\n' },
  { name: 'stats conns', request: R.stats('conns'), wire: 'stats conns\r\n' },
  { name: 'stats reset', request: R.stats('reset'), wire: 'stats reset\r\n' },
  { name: 'flush_all now', request: R.flushAll(), wire: 'flush_all\r\n' },
  { name: 'flush_all with a delay', request: R.flushAll(10), wire: 'flush_all 10\r\n' },
  { name: 'flush_all noreply', request: R.flushAll(undefined, true), wire: 'flush_all noreply\r\n' },
  { name: 'flush_all delay noreply', request: R.flushAll(0, true), wire: 'flush_all 0 noreply\r\n' },
  { name: 'version', request: R.version, wire: 'version\r\n' },
  { name: 'verbosity', request: R.verbosity(1), wire: 'verbosity 1\r\n' },
  { name: 'verbosity noreply', request: R.verbosity(0, true), wire: 'verbosity 0 noreply\r\n' },
  { name: 'cache_memlimit', request: R.cacheMemlimit(128), wire: 'cache_memlimit 128\r\n' },
  { name: 'cache_memlimit noreply', request: R.cacheMemlimit(64, true), wire: 'cache_memlimit 64 noreply\r\n' },
  { name: 'quit', request: R.quit, wire: 'quit\r\n' },
  { name: 'shutdown', request: R.shutdown(), wire: 'shutdown\r\n' },
  { name: 'shutdown graceful', request: R.shutdown(true), wire: 'shutdown graceful\r\n' },
  { name: 'raw line', request: R.raw('stats detail dump', 'line'), wire: 'stats detail dump\r\n' },
  { name: 'raw line with data', request: R.raw('set k 0 0 2', 'line', bytes('ab')), wire: 'set k 0 0 2\r\nab\r\n' },
  { name: 'unicode keys when allowed', request: R.get(['clé', '日本']), wire: 'get clé 日本\r\n', options: unicode },
  { name: 'a 250-byte key', request: R.del('k'.repeat(250)), wire: `delete ${'k'.repeat(250)}\r\n` },
  { name: 'config get cluster', request: R.configGet(), wire: 'config get cluster\r\n' },
]

const app = R.prefixed('app:')

const prefixRows: ReadonlyArray<EncodeRow> = [
  { name: 'prefixed get', request: app(R.get(['a'])), wire: 'get app:a\r\n' },
  { name: 'prefixed get of many keys', request: app(R.get(['a', 'b', 'c'])), wire: 'get app:a app:b app:c\r\n' },
  { name: 'prefixed gets', request: app(R.gets(['a', 'b'])), wire: 'gets app:a app:b\r\n' },
  { name: 'prefixed gat', request: app(R.gat(60, ['a'])), wire: 'gat 60 app:a\r\n' },
  { name: 'prefixed gats', request: app(R.gats(0, ['a', 'b'])), wire: 'gats 0 app:a app:b\r\n' },
  { name: 'prefixed set', request: app(R.set('k', value, { flags: 1, noreply: true })), wire: 'set app:k 1 0 5 noreply\r\nhello\r\n' },
  { name: 'prefixed add', request: app(R.store('add', 'k', value)), wire: 'add app:k 0 0 5\r\nhello\r\n' },
  { name: 'prefixed cas', request: app(R.cas('k', value, 9n)), wire: 'cas app:k 0 0 5 9\r\nhello\r\n' },
  { name: 'prefixed delete', request: app(R.del('k', true)), wire: 'delete app:k noreply\r\n' },
  { name: 'prefixed incr', request: app(R.incr('n', 2n)), wire: 'incr app:n 2\r\n' },
  { name: 'prefixed decr', request: app(R.decr('n', 2n)), wire: 'decr app:n 2\r\n' },
  { name: 'prefixed touch', request: app(R.touch('k', 30)), wire: 'touch app:k 30\r\n' },
  { name: 'stacked prefixes: the later one in front', request: R.prefixed('outer:')(app(R.get(['k']))), wire: 'get outer:app:k\r\n' },
  { name: 'an empty prefix changes nothing', request: R.prefixed('')(R.get(['k'])), wire: 'get k\r\n' },
  { name: 'a key of 246 bytes after a 4-byte prefix: 250 in all', request: app(R.del('k'.repeat(246))), wire: `delete app:${'k'.repeat(246)}\r\n` },
  { name: 'unicode prefix and key when allowed', request: R.prefixed('é:')(R.get(['clé'])), wire: 'get é:clé\r\n', options: unicode },
  { name: 'a prefix on stats is ignored', request: app(R.stats()), wire: 'stats\r\n' },
  { name: 'a prefix on a raw line is ignored', request: app(R.raw('get k', 'values')), wire: 'get k\r\n' },
]

// Every tag must appear in the table: adding a request tag without a row fails here. The meta
// requests have their own table (meta-encode.test.ts).
const everyTag: Record<Exclude<R.Request, MetaRequest>['_tag'], true> = {
  Get: true,
  Gets: true,
  Gat: true,
  Gats: true,
  Store: true,
  Cas: true,
  Delete: true,
  Incr: true,
  Decr: true,
  Touch: true,
  Stats: true,
  FlushAll: true,
  Version: true,
  Verbosity: true,
  CacheMemlimit: true,
  Quit: true,
  Shutdown: true,
  Raw: true,
  ConfigGet: true,
}

const chunksOf = (request: R.Request, options: EncodeOptions = {}) => {
  const result = makeEncoder(options)(request)
  if (E.isLeft(result)) throw new Error(`expected chunks, got ${result.left.message}`)
  return result.right
}

describe('encode: exact bytes', () => {
  it('has a row for every request tag', () => {
    expect(new Set(encodeRows.map((row) => row.request._tag))).toEqual(new Set(Object.keys(everyTag)))
  })

  describe.each([...encodeRows, ...prefixRows])('$name', (row) => {
    it('encodes to the exact bytes', () => {
      expect(wireText(chunksOf(row.request, row.options))).toBe(row.wire)
    })
  })
})

describe('encode: values are never copied', () => {
  const storage: ReadonlyArray<readonly [string, R.Store | R.Cas]> = [
    ['set', R.set('k', value)],
    ['add', R.store('add', 'k', value)],
    ['replace', R.store('replace', 'k', value)],
    ['append', R.store('append', 'k', value)],
    ['prepend', R.store('prepend', 'k', value, { noreply: true })],
    ['cas', R.cas('k', value, 7n)],
  ]
  it.each(storage)('%s sends [header, the value itself, CRLF]', (_name, request) => {
    const chunks = chunksOf(request)
    expect(chunks).toHaveLength(3)
    expect(chunks[1]).toBe(request.value)
    expect(wireText([chunks[2] as Uint8Array])).toBe('\r\n')
  })

  it('a raw command with data sends the data itself', () => {
    const data = bytes('xyz')
    expect(chunksOf(R.raw('set k 0 0 3', 'line', data))[1]).toBe(data)
  })

  it('a binary value with every byte value goes out untouched, its length in the header', () => {
    const chunks = chunksOf(R.set('bin', allByteValues))
    expect(wireText([chunks[0] as Uint8Array])).toBe('set bin 0 0 256\r\n')
    expect(chunks[1]).toBe(allByteValues)
    expect(Array.from(allByteValues)).toEqual(Array.from({ length: 256 }, (_, i) => i))
  })

  it('a value that is a view on a larger buffer is sent as that view', () => {
    const backing = bytes('xxhelloxx')
    const view = backing.subarray(2, 7)
    const chunks = chunksOf(R.set('k', view))
    expect(chunks[1]).toBe(view)
    expect(wireText(chunks)).toBe('set k 0 0 5\r\nhello\r\n')
  })
})

interface RefusalRow {
  readonly name: string
  readonly request: R.Request
  readonly refusal: Partial<MemcacheError> & Pick<MemcacheError, '_tag'>
  readonly options?: EncodeOptions
}

const keyOf = (length: number) => 'k'.repeat(length)
const gatKeys = (lineBytes: number): ReadonlyArray<string> => {
  // "gat 0 " + keys + "\r\n": fill with 100-byte keys, then one key to reach the exact length.
  const keys: Array<string> = []
  let room = lineBytes - 'gat 0 '.length - 2
  while (room > 101) {
    keys.push(keyOf(100))
    room -= 101
  }
  keys.push(keyOf(room))
  return keys
}

const refusalRows: ReadonlyArray<RefusalRow> = [
  { name: 'flags below 0', request: R.set('k', value, { flags: -1 }), refusal: { _tag: 'InvalidArgument', argument: 'flags' } },
  { name: 'flags above 2^32-1', request: R.set('k', value, { flags: 4294967296 }), refusal: { _tag: 'InvalidArgument', argument: 'flags' } },
  { name: 'flags not an integer', request: R.set('k', value, { flags: 1.5 }), refusal: { _tag: 'InvalidArgument', argument: 'flags' } },
  { name: 'flags NaN on cas', request: R.cas('k', value, 1n, { flags: Number.NaN }), refusal: { _tag: 'InvalidArgument', argument: 'flags' } },
  { name: 'exptime above int32', request: R.set('k', value, { exptime: 2147483648 }), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'exptime below int32', request: R.set('k', value, { exptime: -2147483649 }), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'exptime not an integer (touch)', request: R.touch('k', 0.5), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'exptime infinite (gat)', request: R.gat(Number.POSITIVE_INFINITY, ['a']), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'exptime above int32 (gats)', request: R.gats(2 ** 31, ['a']), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'exptime above int32 (cas)', request: R.cas('k', value, 1n, { exptime: 2 ** 31 }), refusal: { _tag: 'InvalidArgument', argument: 'exptime' } },
  { name: 'negative cas unique', request: R.cas('k', value, -1n), refusal: { _tag: 'InvalidArgument', argument: 'cas unique' } },
  { name: 'cas unique above 2^64-1', request: R.cas('k', value, 2n ** 64n), refusal: { _tag: 'InvalidArgument', argument: 'cas unique' } },
  { name: 'negative incr delta', request: R.incr('n', -1n), refusal: { _tag: 'InvalidArgument', argument: 'delta' } },
  { name: 'decr delta above 2^64-1', request: R.decr('n', 2n ** 64n), refusal: { _tag: 'InvalidArgument', argument: 'delta' } },
  { name: 'negative verbosity', request: R.verbosity(-1), refusal: { _tag: 'InvalidArgument', argument: 'verbosity level' } },
  { name: 'fractional verbosity', request: R.verbosity(1.5), refusal: { _tag: 'InvalidArgument', argument: 'verbosity level' } },
  { name: 'cache_memlimit of 0', request: R.cacheMemlimit(0), refusal: { _tag: 'InvalidArgument', argument: 'cache_memlimit megabytes' } },
  { name: 'fractional cache_memlimit', request: R.cacheMemlimit(8.5), refusal: { _tag: 'InvalidArgument', argument: 'cache_memlimit megabytes' } },
  { name: 'negative flush_all delay', request: R.flushAll(-1), refusal: { _tag: 'InvalidArgument', argument: 'delay' } },
  { name: 'fractional flush_all delay', request: R.flushAll(0.1), refusal: { _tag: 'InvalidArgument', argument: 'delay' } },
  { name: 'empty key list (get)', request: R.get([]), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  { name: 'empty key list (gets)', request: R.gets([]), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  { name: 'empty key list (gat)', request: R.gat(0, []), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  { name: 'empty key list (gats)', request: R.gats(0, []), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  { name: 'gat line one byte over the limit', request: R.gat(0, gatKeys(MAX_GAT_LINE + 1)), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  { name: 'gats line far over the limit', request: R.gats(0, Array.from({ length: 100 }, (_, i) => `key-${i}-${keyOf(40)}`)), refusal: { _tag: 'InvalidArgument', argument: 'keys' } },
  {
    name: 'gat line over the limit in UTF-8 bytes though not in characters',
    request: R.gat(0, Array.from({ length: 9 }, () => 'é'.repeat(125))), // 1,139 characters, 2,264 bytes
    refusal: { _tag: 'InvalidArgument', argument: 'keys' },
    options: unicode,
  },
  { name: 'raw line with LF', request: R.raw('get a\nflush_all', 'line'), refusal: { _tag: 'InvalidArgument', argument: 'raw line' } },
  { name: 'raw line with CR', request: R.raw('get a\rx', 'values'), refusal: { _tag: 'InvalidArgument', argument: 'raw line' } },
  { name: 'raw line ending in CRLF', request: R.raw('version\r\n', 'line'), refusal: { _tag: 'InvalidArgument', argument: 'raw line' } },
  { name: 'empty raw line', request: R.raw('', 'none'), refusal: { _tag: 'InvalidArgument', argument: 'raw line' } },
  {
    name: 'value over maxValueSize (set)',
    request: R.set('big', new Uint8Array(11)),
    refusal: { _tag: 'ValueTooLarge', key: 'big', size: 11 },
    options: { maxValueSize: 10 },
  },
  {
    name: 'value over maxValueSize (cas)',
    request: R.cas('big', new Uint8Array(1025), 1n),
    refusal: { _tag: 'ValueTooLarge', key: 'big', size: 1025 },
    options: { maxValueSize: 1024 },
  },
  {
    name: 'value over maxValueSize (append)',
    request: R.store('append', 'big', new Uint8Array(2)),
    refusal: { _tag: 'ValueTooLarge', key: 'big', size: 2 },
    options: { maxValueSize: 1 },
  },
  { name: 'bad key on set', request: R.set('a b', value), refusal: { _tag: 'InvalidKey', key: 'a b' } },
  { name: 'bad key on cas', request: R.cas('a\nb', value, 1n), refusal: { _tag: 'InvalidKey', key: 'a\nb' } },
  { name: 'bad key among many (get)', request: R.get(['a', 'b c', 'd']), refusal: { _tag: 'InvalidKey', key: 'b c' } },
  { name: 'bad key on gets', request: R.gets(['']), refusal: { _tag: 'InvalidKey', key: '' } },
  { name: 'bad key on gat', request: R.gat(0, ['a\tb']), refusal: { _tag: 'InvalidKey' } },
  { name: 'bad key on gats', request: R.gats(0, ['a\0']), refusal: { _tag: 'InvalidKey' } },
  { name: 'bad key on delete', request: R.del('a\r\nflush_all'), refusal: { _tag: 'InvalidKey' } },
  { name: 'bad key on incr', request: R.incr(keyOf(251), 1n), refusal: { _tag: 'InvalidKey' } },
  { name: 'bad key on decr', request: R.decr('\x7f', 1n), refusal: { _tag: 'InvalidKey' } },
  { name: 'bad key on touch', request: R.touch('clé', 1), refusal: { _tag: 'InvalidKey', key: 'clé' } },
  {
    name: 'a key that fits alone but not after the prefix names the caller’s key and the prefix',
    request: app(R.get(['a', 'k'.repeat(247)])),
    refusal: { _tag: 'InvalidKey', key: 'k'.repeat(247), reason: '251 bytes long with the prefix "app:": the 250-byte limit includes the prefix' },
  },
  { name: 'a prefixed set too long', request: app(R.set('k'.repeat(250), value)), refusal: { _tag: 'InvalidKey', key: 'k'.repeat(250) } },
  { name: 'a prefixed key with a space', request: app(R.del('a b')), refusal: { _tag: 'InvalidKey', key: 'a b', reason: 'space at index 1' } },
  { name: 'a prefixed empty key', request: app(R.incr('', 1n)), refusal: { _tag: 'InvalidKey', key: '' } },
  { name: 'a prefix with a space', request: R.prefixed('my app:')(R.get(['a'])), refusal: { _tag: 'InvalidArgument', argument: 'keyPrefix' } },
  { name: 'a prefix with a space (single key)', request: R.prefixed('my app:')(R.touch('a', 1)), refusal: { _tag: 'InvalidArgument', argument: 'keyPrefix' } },
  { name: 'a prefix taking all 250 bytes', request: R.prefixed('p'.repeat(250))(R.get(['a'])), refusal: { _tag: 'InvalidArgument', argument: 'keyPrefix' } },
  { name: 'a non-ASCII prefix when unicode keys are not allowed', request: R.prefixed('é:')(R.get(['a'])), refusal: { _tag: 'InvalidArgument', argument: 'keyPrefix' } },
  {
    name: 'a unicode key that fits alone but not in UTF-8 bytes after the prefix',
    request: app(R.get(['é'.repeat(124)])),
    refusal: { _tag: 'InvalidKey', key: 'é'.repeat(124) },
    options: unicode,
  },
  {
    name: 'a prefixed value over maxValueSize names the caller’s key',
    request: app(R.set('big', new Uint8Array(11))),
    refusal: { _tag: 'ValueTooLarge', key: 'big', size: 11 },
    options: { maxValueSize: 10 },
  },
  {
    name: 'a prefixed gat line over the limit counts the prefixes',
    request: R.prefixed('p'.repeat(100))(R.gat(0, Array.from({ length: 20 }, (_, i) => `k${i}`))),
    refusal: { _tag: 'InvalidArgument', argument: 'keys' },
  },
]

describe('encode: refusals are typed lefts', () => {
  describe.each(refusalRows)('$name', (row) => {
    it(`is a left ${row.refusal._tag}`, () => {
      const result = makeEncoder(row.options ?? {})(row.request)
      expect(E.isLeft(result)).toBe(true)
      if (E.isLeft(result)) {
        expect(result.left).toMatchObject(row.refusal)
        expect(result.left.message.length).toBeGreaterThan(0)
      }
    })
  })
})

// Plain JavaScript (or a cast) can put a value of any type where the request type says bigint or number.
const loose = <A>(value: unknown): A => value as A

interface MessageRow {
  readonly name: string
  readonly request: R.Request
  readonly message: string
  readonly options?: EncodeOptions
}

const row = (name: string, request: R.Request, message: string, options?: EncodeOptions): MessageRow =>
  options === undefined ? { name, request, message } : { name, request, message, options }

const messageRows: ReadonlyArray<MessageRow> = [
  row(
    'a cas unique given as a number',
    R.cas('k', value, loose(123)),
    'invalid cas unique: must be a bigint (as gets returned it), got the number 123: pass the cas that gets or gats returned, unchanged ' +
      '(a number cannot hold every cas unique: they pass 2^53, where numbers lose precision)',
  ),
  row(
    'a cas unique given as a string',
    R.cas('k', value, loose('123')),
    'invalid cas unique: must be a bigint (as gets returned it), got the string "123": pass the cas that gets or gats returned, unchanged',
  ),
  row(
    'a negative cas unique',
    R.cas('k', value, -1n),
    'invalid cas unique: must be in 0..18446744073709551615 (a cas unique is an unsigned 64-bit number), got -1n: pass the cas that gets or gats returned, unchanged',
  ),
  row('an incr delta given as a number', R.incr('n', loose(5)), 'invalid delta: incr takes a bigint delta in 0..18446744073709551615, got the number 5: pass 5n'),
  row('a decr delta given as a string', R.decr('n', loose('5')), 'invalid delta: decr takes a bigint delta in 0..18446744073709551615, got the string "5"'),
  row('a negative incr delta', R.incr('n', -1n), 'invalid delta: must not be negative, got -1n: incr adds and decr subtracts, both with a delta of 0 or more'),
  row(
    'a decr delta above 2^64-1',
    R.decr('n', 2n ** 64n),
    'invalid delta: must be at most 18446744073709551615 (memcached counters are unsigned 64-bit), got 18446744073709551616n',
  ),
  row(
    'an exptime given as a string',
    R.touch('k', loose('60')),
    'invalid exptime: must be an integer in -2147483648..2147483647 (seconds from now up to 30 days, a Unix time in seconds after that, ' +
      '0 for never, negative to expire at once), got the string "60"',
  ),
  row('fractional flags', R.set('k', value, { flags: 1.5 }), 'invalid flags: must be an integer in 0..4294967295, got the number 1.5'),
  row(
    'a value over maxValueSize',
    R.set('big', new Uint8Array(11)),
    'value for "big" is 11 bytes, over maxValueSize (10 bytes): refused before sending; store less (the compressed serde can help), ' +
      "or raise maxValueSize together with the server's -I (memcached's default item size is 1 MiB)",
    { maxValueSize: 10 },
  ),
]

describe('encode: refusal messages name what was wrong and a valid form', () => {
  it.each(messageRows)('$name', (messageRow) => {
    const result = makeEncoder(messageRow.options ?? {})(messageRow.request)
    expect(E.isLeft(result) && result.left.message).toBe(messageRow.message)
  })

  it('a value over maxValueSize carries the limit, so a program can tell the client refused', () => {
    const result = makeEncoder({ maxValueSize: 10 })(R.set('big', new Uint8Array(11)))
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ValueTooLarge', key: 'big', size: 11, maxValueSize: 10 })))
  })
})

describe('encode: boundaries that pass', () => {
  it('a gat line of exactly MAX_GAT_LINE bytes is accepted', () => {
    const keys = gatKeys(MAX_GAT_LINE)
    const chunks = chunksOf(R.gat(0, keys))
    expect(bytes(...chunks).length).toBe(MAX_GAT_LINE)
  })

  it('a get line far longer than MAX_GAT_LINE is accepted (memcached reads long gets)', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}-${keyOf(40)}`)
    expect(bytes(...chunksOf(R.get(keys))).length).toBeGreaterThan(MAX_GAT_LINE * 4)
  })

  it('a value of exactly maxValueSize is accepted', () => {
    expect(E.isRight(makeEncoder({ maxValueSize: 10 })(R.set('k', new Uint8Array(10))))).toBe(true)
  })

  it('maxValueSize does not apply to a raw data block', () => {
    expect(E.isRight(makeEncoder({ maxValueSize: 1 })(R.raw('set k 0 0 3', 'line', bytes('abc'))))).toBe(true)
  })

  it.each([
    ['flags 0', R.set('k', value, { flags: 0 })],
    ['exptime int32 min', R.touch('k', -2147483648)],
    ['exptime int32 max', R.gats(2147483647, ['k'])],
    ['cas unique 0', R.cas('k', value, 0n)],
    ['delta 0', R.incr('k', 0n)],
    ['verbosity int32 max', R.verbosity(2147483647)],
    ['flush_all delay int32 max', R.flushAll(2147483647)],
    ['cache_memlimit 1', R.cacheMemlimit(1)],
  ])('%s is accepted', (_name, request) => {
    expect(E.isRight(encode(request))).toBe(true)
  })
})

describe('prefixed', () => {
  it('sets the prefix on a shallow copy of every keyed request, keys untouched', () => {
    const keyed: ReadonlyArray<R.Request> = [
      R.get(['a']),
      R.gets(['a']),
      R.gat(1, ['a']),
      R.gats(1, ['a']),
      R.set('a', value),
      R.cas('a', value, 1n),
      R.del('a'),
      R.incr('a', 1n),
      R.decr('a', 1n),
      R.touch('a', 1),
    ]
    for (const request of keyed) {
      const prefixed = R.prefixed('p:')(request)
      expect(prefixed).toEqual({ ...request, prefix: 'p:' })
      expect(prefixed).not.toBe(request)
      expect(request).not.toHaveProperty('prefix')
      expect(R.keysOf(prefixed)).toEqual(R.keysOf(request))
    }
  })

  it('leaves requests without keys, and the empty prefix, as they are', () => {
    for (const request of [R.stats(), R.version, R.raw('get a', 'values'), R.flushAll(), R.quit]) expect(R.prefixed('p:')(request)).toBe(request)
    const get = R.get(['a'])
    expect(R.prefixed('')(get)).toBe(get)
  })

  it('puts a new prefix before one already there', () => {
    expect(R.prefixed('a:')(R.prefixed('b:')(R.del('k'))).prefix).toBe('a:b:')
  })

  it('keeps the request type', () => {
    const prefixed: R.Get = R.prefixed('p:')(R.get(['a']))
    expect(prefixed._tag).toBe('Get')
  })
})

describe('prefixProblem', () => {
  it.each([
    ['', undefined],
    ['app:', undefined],
    ['my app', 'space at index 2'],
    ['p'.repeat(249), undefined],
    ['p'.repeat(250), '250 bytes long, leaving no room for a key'],
  ])('%j: %s', (prefix, problem) => {
    expect(prefixProblem(prefix)).toBe(problem)
  })
})
