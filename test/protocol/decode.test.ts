import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import {
  decode,
  decodeReply,
  decodeResumable,
  decodeStep,
  decodeUnsolicited,
  decodeUnsolicitedStep,
  DEFAULT_MAX_STATS_SIZE,
  DEFAULT_MAX_VALUE_SIZE,
  defaultReplyLimits,
  MAX_LINE_LENGTH,
  MAX_VALUE_LENGTH,
  replyLimits,
  type DecodeResult,
  type NeedMore,
  type ReplyLimits,
  type Step,
} from '../../src/protocol/decode.js'
import { clientError, serverError, unknownCommand, valueTooLarge } from '../../src/protocol/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { allByteValues, bytes, decodeAll, oneByOne, splitAt, stepAll } from './support.js'

// -------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------

type Refusal = Partial<MemcacheError> & Pick<MemcacheError, '_tag'>

interface Row {
  readonly name: string
  readonly request: R.Request
  readonly wire: Uint8Array
  /** The reply (consuming the whole wire), or the kind of `left` the bytes must give. */
  readonly expected: E.Either<Refusal, Reply.Reply>
}

const row = (name: string, request: R.Request, wire: string | Uint8Array, reply: Reply.Reply): Row => ({
  name,
  request,
  wire: typeof wire === 'string' ? bytes(wire) : wire,
  expected: E.right(reply),
})

const refused = (name: string, request: R.Request, wire: string | Uint8Array, refusal: Refusal): Row => ({
  name,
  request,
  wire: typeof wire === 'string' ? bytes(wire) : wire,
  expected: E.left(refusal),
})

const item = (key: string, value: string | Uint8Array, flags = 0): Reply.Item => ({ key, flags, value: bytes(value) })
const itemCas = (key: string, value: string | Uint8Array, cas: bigint, flags = 0): Reply.Item => ({ key, flags, value: bytes(value), cas })
const failure = (error: Reply.Failure['error']) => Reply.failure(error)

const kib = Uint8Array.from({ length: 1024 }, (_, i) => (i * 31 + 7) & 0xff)
const v = bytes('v')

const valueRows: ReadonlyArray<Row> = [
  row('get miss', R.get(['a']), 'END\r\n', Reply.values([])),
  row('get hit', R.get(['a']), 'VALUE a 5 3\r\nabc\r\nEND\r\n', Reply.values([item('a', 'abc', 5)])),
  row('gets hit with cas', R.gets(['a']), 'VALUE a 0 3 42\r\nabc\r\nEND\r\n', Reply.values([itemCas('a', 'abc', 42n)])),
  row(
    'gets with the largest cas unique',
    R.gets(['a']),
    'VALUE a 0 1 18446744073709551615\r\nx\r\nEND\r\n',
    Reply.values([itemCas('a', 'x', 18446744073709551615n)]),
  ),
  row('gets with a 15-digit cas unique', R.gets(['a']), 'VALUE a 0 1 999999999999999\r\nx\r\nEND\r\n', Reply.values([itemCas('a', 'x', 999999999999999n)])),
  row('gat hit', R.gat(60, ['a']), 'VALUE a 1 2\r\nhi\r\nEND\r\n', Reply.values([item('a', 'hi', 1)])),
  row('gat miss', R.gat(60, ['a']), 'END\r\n', Reply.values([])),
  row('gats hit with cas', R.gats(0, ['a', 'b']), 'VALUE b 0 2 9\r\nhi\r\nEND\r\n', Reply.values([itemCas('b', 'hi', 9n)])),
  row(
    'multi-key get with a miss in the middle',
    R.get(['a', 'b', 'c']),
    'VALUE a 0 1\r\n1\r\nVALUE c 0 3\r\n333\r\nEND\r\n',
    Reply.values([item('a', '1'), item('c', '333')]),
  ),
  row(
    'multi-key gets',
    R.gets(['a', 'b']),
    'VALUE a 3 1 1\r\n1\r\nVALUE b 4 1 2\r\n2\r\nEND\r\n',
    Reply.values([itemCas('a', '1', 1n, 3), itemCas('b', '2', 2n, 4)]),
  ),
  row('the same key asked twice, answered twice', R.get(['a', 'a']), 'VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n', Reply.values([item('a', '1'), item('a', '1')])),
  row('empty value', R.get(['a']), 'VALUE a 0 0\r\n\r\nEND\r\n', Reply.values([item('a', '')])),
  row('value holding END', R.get(['a']), 'VALUE a 0 7\r\n\r\nEND\r\n\r\nEND\r\n', Reply.values([item('a', '\r\nEND\r\n')])),
  row(
    'value holding a VALUE line',
    R.get(['a', 'b']),
    'VALUE a 0 16\r\nVALUE b 0 1\r\nx\r\n\r\nEND\r\n',
    Reply.values([item('a', 'VALUE b 0 1\r\nx\r\n')]),
  ),
  row('value that is only CRLF', R.get(['a']), 'VALUE a 0 2\r\n\r\n\r\nEND\r\n', Reply.values([item('a', '\r\n')])),
  row(
    'binary value with every byte value',
    R.get(['bin']),
    bytes('VALUE bin 0 256\r\n', allByteValues, '\r\nEND\r\n'),
    Reply.values([item('bin', allByteValues)]),
  ),
  row('1 KiB value', R.get(['big']), bytes('VALUE big 0 1024\r\n', kib, '\r\nEND\r\n'), Reply.values([item('big', kib)])),
  row('largest flags', R.get(['a']), 'VALUE a 4294967295 1\r\nx\r\nEND\r\n', Reply.values([item('a', 'x', 4294967295)])),
  row(
    'unicode keys',
    R.get(['clé', '日本', '😀']),
    'VALUE clé 0 2\r\nok\r\nVALUE 😀 0 1\r\n!\r\nEND\r\n',
    Reply.values([item('clé', 'ok'), item('😀', '!')]),
  ),
  row('a 250-byte key', R.get(['k'.repeat(250)]), `VALUE ${'k'.repeat(250)} 0 1\r\nx\r\nEND\r\n`, Reply.values([item('k'.repeat(250), 'x')])),
  row('raw values accept any key, with or without cas', R.raw('get a', 'values'), 'VALUE zz 0 1\r\nx\r\nVALUE a 0 1 5\r\ny\r\nEND\r\n', Reply.values([item('zz', 'x'), itemCas('a', 'y', 5n)])),
  row('get answered SERVER_ERROR', R.get(['a']), 'SERVER_ERROR out of memory writing get response\r\n', failure(serverError('out of memory writing get response'))),
  row('get answered CLIENT_ERROR', R.get(['a']), 'CLIENT_ERROR bad command line format\r\n', failure(clientError('bad command line format'))),
  row('get answered ERROR', R.get(['a']), 'ERROR\r\n', failure(unknownCommand(''))),
  row('ERROR Too many open connections is a server error', R.get(['a']), 'ERROR Too many open connections\r\n', failure(serverError('Too many open connections'))),
  refused('VALUE for a key not asked for', R.get(['a']), 'VALUE b 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE keys out of order', R.get(['a', 'b']), 'VALUE b 0 1\r\nx\r\nVALUE a 0 1\r\ny\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('the same key answered twice when asked once', R.get(['a']), 'VALUE a 0 1\r\nx\r\nVALUE a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('a key that is a prefix of the key asked', R.get(['ab']), 'VALUE a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('a cas unique on a get', R.get(['a']), 'VALUE a 0 1 5\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('no cas unique on a gets', R.gets(['a']), 'VALUE a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('no cas unique on a gats', R.gats(0, ['a']), 'VALUE a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('a cas unique above 2^64-1', R.gets(['a']), 'VALUE a 0 1 18446744073709551616\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('flags above 2^32-1', R.get(['a']), 'VALUE a 4294967296 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('non-numeric length', R.get(['a']), 'VALUE a 0 x\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('a length no memcached can hold (over 1 GiB)', R.get(['a']), 'VALUE a 0 1073741825\r\nx', { _tag: 'ProtocolError' }),
  refused('negative length', R.get(['a']), 'VALUE a 0 -1\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE line missing the length', R.get(['a']), 'VALUE a 0\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE line with two spaces', R.get(['a']), 'VALUE  a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('value longer than its length says', R.get(['a']), 'VALUE a 0 2\r\nabc\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('value shorter than its length says', R.get(['a']), 'VALUE a 0 4\r\nab\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('an error line after a value', R.get(['a', 'b']), 'VALUE a 0 1\r\nx\r\nSERVER_ERROR oops\r\n', { _tag: 'ProtocolError' }),
  refused('an unexpected line for a get', R.get(['a']), 'HELLO\r\n', { _tag: 'ProtocolError' }),
  refused('STORED for a get', R.get(['a']), 'STORED\r\n', { _tag: 'ProtocolError' }),
]

const storageRows: ReadonlyArray<Row> = [
  row('set STORED', R.set('k', v), 'STORED\r\n', Reply.stored),
  row('add NOT_STORED', R.store('add', 'k', v), 'NOT_STORED\r\n', Reply.notStored),
  row('replace NOT_STORED', R.store('replace', 'k', v), 'NOT_STORED\r\n', Reply.notStored),
  row('append STORED', R.store('append', 'k', v), 'STORED\r\n', Reply.stored),
  row('prepend NOT_STORED', R.store('prepend', 'k', v), 'NOT_STORED\r\n', Reply.notStored),
  row('cas STORED', R.cas('k', v, 1n), 'STORED\r\n', Reply.stored),
  row('cas EXISTS', R.cas('k', v, 1n), 'EXISTS\r\n', Reply.exists),
  row('cas NOT_FOUND', R.cas('k', v, 1n), 'NOT_FOUND\r\n', Reply.notFound),
  row(
    'set: object too large is ValueTooLarge naming the key and size',
    R.set('big', new Uint8Array(2_000_000)),
    'SERVER_ERROR object too large for cache\r\n',
    failure(valueTooLarge('big', 2_000_000)),
  ),
  row(
    'cas: object too large is ValueTooLarge',
    R.cas('big', new Uint8Array(3), 1n),
    'SERVER_ERROR object too large for cache\r\n',
    failure(valueTooLarge('big', 3)),
  ),
  row('set: out of memory', R.set('k', v), 'SERVER_ERROR out of memory storing object\r\n', failure(serverError('out of memory storing object'))),
  row('set: ERROR with text is a server error', R.set('k', v), 'ERROR Too many open connections\r\n', failure(serverError('Too many open connections'))),
  row('set noreply consumes nothing', R.set('k', v, { noreply: true }), '', Reply.noReply),
  row('cas noreply consumes nothing', R.cas('k', v, 1n, { noreply: true }), '', Reply.noReply),
  refused('set: CLIENT_ERROR is a desync', R.set('k', v), 'CLIENT_ERROR bad data chunk\r\n', { _tag: 'ClientError', reason: 'bad data chunk' }),
  refused('set: ERROR is a desync', R.set('k', v), 'ERROR\r\n', { _tag: 'UnknownCommand' }),
  refused('cas: CLIENT_ERROR is a desync', R.cas('k', v, 1n), 'CLIENT_ERROR bad command line format\r\n', { _tag: 'ClientError' }),
  refused('cas: ERROR is a desync', R.cas('k', v, 1n), 'ERROR\r\n', { _tag: 'UnknownCommand' }),
  refused('DELETED for a set', R.set('k', v), 'DELETED\r\n', { _tag: 'ProtocolError' }),
  refused('NOT_STORED for a cas', R.cas('k', v, 1n), 'NOT_STORED\r\n', { _tag: 'ProtocolError' }),
  refused('HELLO for a set', R.set('k', v), 'HELLO\r\n', { _tag: 'ProtocolError' }),
  refused('STORED with trailing text', R.set('k', v), 'STORED!\r\n', { _tag: 'ProtocolError' }),
  refused('SERVER_ERRORS is not an error line', R.set('k', v), 'SERVER_ERRORS\r\n', { _tag: 'ProtocolError' }),
  refused('a VALUE block for a set', R.set('k', v), 'VALUE k 0 1\r\nv\r\nEND\r\n', { _tag: 'ProtocolError' }),
]

const lineRows: ReadonlyArray<Row> = [
  row('delete DELETED', R.del('k'), 'DELETED\r\n', Reply.deleted),
  row('delete NOT_FOUND', R.del('k'), 'NOT_FOUND\r\n', Reply.notFound),
  row('delete noreply', R.del('k', true), '', Reply.noReply),
  row('delete CLIENT_ERROR keeps the stream in step', R.del('k'), 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n', failure(clientError('bad command line format.  Usage: delete <key> [noreply]'))),
  refused('STORED for a delete', R.del('k'), 'STORED\r\n', { _tag: 'ProtocolError' }),
  row('touch TOUCHED', R.touch('k', 1), 'TOUCHED\r\n', Reply.touched),
  row('touch NOT_FOUND', R.touch('k', 1), 'NOT_FOUND\r\n', Reply.notFound),
  row('touch noreply', R.touch('k', 1, true), '', Reply.noReply),
  refused('DELETED for a touch', R.touch('k', 1), 'DELETED\r\n', { _tag: 'ProtocolError' }),
  row('incr number', R.incr('n', 1n), '5\r\n', Reply.numeric(5n)),
  row('incr zero', R.incr('n', 0n), '0\r\n', Reply.numeric(0n)),
  row('incr to 2^64-1', R.incr('n', 1n), '18446744073709551615\r\n', Reply.numeric(18446744073709551615n)),
  row('a 15-digit number', R.incr('n', 1n), '123456789012345\r\n', Reply.numeric(123456789012345n)),
  row('a 16-digit number', R.incr('n', 1n), '9007199254740993\r\n', Reply.numeric(9007199254740993n)),
  row('decr space-padded', R.decr('n', 1n), '9   \r\n', Reply.numeric(9n)),
  row('decr NOT_FOUND', R.decr('n', 1n), 'NOT_FOUND\r\n', Reply.notFound),
  row(
    'incr of a non-number',
    R.incr('n', 1n),
    'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n',
    failure(clientError('cannot increment or decrement non-numeric value')),
  ),
  row('incr noreply', R.incr('n', 1n, true), '', Reply.noReply),
  row('decr noreply', R.decr('n', 1n, true), '', Reply.noReply),
  refused('a number above 2^64-1', R.incr('n', 1n), '18446744073709551616\r\n', { _tag: 'ProtocolError' }),
  refused('a negative number', R.decr('n', 1n), '-1\r\n', { _tag: 'ProtocolError' }),
  refused('a padded blank number', R.incr('n', 1n), '   \r\n', { _tag: 'ProtocolError' }),
  refused('a number with a leading space', R.incr('n', 1n), ' 5\r\n', { _tag: 'ProtocolError' }),
  refused('STORED for an incr', R.incr('n', 1n), 'STORED\r\n', { _tag: 'ProtocolError' }),
  row('version', R.version, 'VERSION 1.6.18\r\n', Reply.versionReply('1.6.18')),
  row('version with spaces', R.version, 'VERSION 1.6.18 (custom build)\r\n', Reply.versionReply('1.6.18 (custom build)')),
  refused('HELLO for a version', R.version, 'HELLO\r\n', { _tag: 'ProtocolError' }),
  row('flush_all OK', R.flushAll(), 'OK\r\n', Reply.ok),
  row('flush_all not allowed', R.flushAll(), 'CLIENT_ERROR flush_all not allowed\r\n', failure(clientError('flush_all not allowed'))),
  row('flush_all noreply', R.flushAll(5, true), '', Reply.noReply),
  row('verbosity OK', R.verbosity(1), 'OK\r\n', Reply.ok),
  row('verbosity noreply', R.verbosity(1, true), '', Reply.noReply),
  row('cache_memlimit OK', R.cacheMemlimit(64), 'OK\r\n', Reply.ok),
  row(
    'cache_memlimit too small (memcached 1.6.18 says MEMLIMIT_TOO_SMALL)',
    R.cacheMemlimit(2),
    'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n',
    failure(serverError('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m')),
  ),
  row('cache_memlimit noreply', R.cacheMemlimit(64, true), '', Reply.noReply),
  refused('STORED for a flush_all', R.flushAll(), 'STORED\r\n', { _tag: 'ProtocolError' }),
  refused('MEMLIMIT_ lines only for cache_memlimit', R.verbosity(1), 'MEMLIMIT_TOO_SMALL x\r\n', { _tag: 'ProtocolError' }),
  row('quit expects nothing', R.quit, '', Reply.noReply),
  row('shutdown expects nothing', R.shutdown(), '', Reply.noReply),
  row('raw line', R.raw('verbosity 1', 'line'), 'OK\r\n', Reply.line('OK')),
  row('raw line: any text', R.raw('lru_crawler metadump all', 'line'), 'BUSY currently processing crawler request\r\n', Reply.line('BUSY currently processing crawler request')),
  row('raw line: ERROR: shutdown not enabled', R.raw('shutdown', 'line'), 'ERROR: shutdown not enabled\r\n', failure(serverError('shutdown not enabled'))),
  row('raw line: bare ERROR', R.raw('bogus', 'line'), 'ERROR\r\n', failure(unknownCommand(''))),
  row('raw none', R.raw('verbosity 1 noreply', 'none'), '', Reply.noReply),
  row('raw stats', R.raw('stats detail dump', 'stats'), 'STAT a b\r\nEND\r\n', Reply.statsReply([['a', 'b']])),
  refused('a line without LF after its CR', R.del('k'), 'DELETED\rX\r\n', { _tag: 'ProtocolError' }),
  refused('a line longer than MAX_LINE_LENGTH', R.raw('x', 'line'), 'x'.repeat(MAX_LINE_LENGTH + 1), { _tag: 'ProtocolError' }),
]

const statsRows: ReadonlyArray<Row> = [
  row(
    'stats',
    R.stats(),
    'STAT pid 1234\r\nSTAT version 1.6.18\r\nSTAT libevent 2.1.12-stable\r\nSTAT rusage_user 0.001234\r\nEND\r\n',
    Reply.statsReply([
      ['pid', '1234'],
      ['version', '1.6.18'],
      ['libevent', '2.1.12-stable'],
      ['rusage_user', '0.001234'],
    ]),
  ),
  row('stats with nothing to say', R.stats(), 'END\r\n', Reply.statsReply([])),
  row(
    'stats items',
    R.stats('items'),
    'STAT items:1:number 1\r\nSTAT items:1:age 3\r\nEND\r\n',
    Reply.statsReply([
      ['items:1:number', '1'],
      ['items:1:age', '3'],
    ]),
  ),
  row(
    'stats slabs',
    R.stats('slabs'),
    'STAT 1:chunk_size 96\r\nSTAT active_slabs 1\r\nSTAT total_malloced 1048576\r\nEND\r\n',
    Reply.statsReply([
      ['1:chunk_size', '96'],
      ['active_slabs', '1'],
      ['total_malloced', '1048576'],
    ]),
  ),
  row(
    'stats settings',
    R.stats('settings'),
    'STAT maxbytes 67108864\r\nSTAT domain_socket NULL\r\nSTAT evictions on\r\nEND\r\n',
    Reply.statsReply([
      ['maxbytes', '67108864'],
      ['domain_socket', 'NULL'],
      ['evictions', 'on'],
    ]),
  ),
  row('stats sizes', R.stats('sizes'), 'STAT sizes_status disabled\r\nEND\r\n', Reply.statsReply([['sizes_status', 'disabled']])),
  row(
    'stats conns',
    R.stats('conns'),
    'STAT 23:addr unix:/tmp/m.sock\r\nSTAT 24:addr ?:<AF 0>\r\nSTAT 24:state conn_parse_cmd\r\nEND\r\n',
    Reply.statsReply([
      ['23:addr', 'unix:/tmp/m.sock'],
      ['24:addr', '?:<AF 0>'],
      ['24:state', 'conn_parse_cmd'],
    ]),
  ),
  row('stats reset', R.stats('reset'), 'RESET\r\n', Reply.reset),
  row('a STAT with no value', R.stats(), 'STAT lonely\r\nEND\r\n', Reply.statsReply([['lonely', '']])),
  row('stats answered ERROR', R.stats('sizes'), 'ERROR\r\n', failure(unknownCommand(''))),
  refused('RESET after STAT lines', R.stats(), 'STAT a 1\r\nRESET\r\n', { _tag: 'ProtocolError' }),
  refused('an error after STAT lines', R.stats(), 'STAT a 1\r\nSERVER_ERROR x\r\n', { _tag: 'ProtocolError' }),
  refused('HELLO for stats', R.stats(), 'HELLO\r\n', { _tag: 'ProtocolError' }),
]

const app = R.prefixed('app:')

const prefixRows: ReadonlyArray<Row> = [
  row('prefixed get hit: the item names the caller’s key', app(R.get(['a'])), 'VALUE app:a 5 3\r\nabc\r\nEND\r\n', Reply.values([item('a', 'abc', 5)])),
  row(
    'prefixed multi-key gets with a miss',
    app(R.gets(['a', 'b', 'c'])),
    'VALUE app:a 0 1 7\r\n1\r\nVALUE app:c 0 1 8\r\n3\r\nEND\r\n',
    Reply.values([itemCas('a', '1', 7n), itemCas('c', '3', 8n)]),
  ),
  row('prefixed gat', app(R.gat(10, ['k'])), 'VALUE app:k 0 2\r\nhi\r\nEND\r\n', Reply.values([item('k', 'hi')])),
  row('prefixed gats', app(R.gats(10, ['k'])), 'VALUE app:k 0 2 3\r\nhi\r\nEND\r\n', Reply.values([itemCas('k', 'hi', 3n)])),
  row('stacked prefixes', R.prefixed('outer:')(app(R.get(['k']))), 'VALUE outer:app:k 0 1\r\nx\r\nEND\r\n', Reply.values([item('k', 'x')])),
  row('unicode prefix and key', R.prefixed('é:')(R.get(['clé'])), 'VALUE é:clé 0 1\r\nx\r\nEND\r\n', Reply.values([item('clé', 'x')])),
  row('a key that is the prefix of another', app(R.get(['a', 'ab'])), 'VALUE app:ab 0 1\r\nx\r\nEND\r\n', Reply.values([item('ab', 'x')])),
  row('prefixed miss', app(R.get(['a'])), 'END\r\n', Reply.values([])),
  row(
    'prefixed set: object too large names the caller’s key',
    app(R.set('big', new Uint8Array(5))),
    'SERVER_ERROR object too large for cache\r\n',
    failure(valueTooLarge('big', 5)),
  ),
  row('prefixed delete', app(R.del('k')), 'DELETED\r\n', Reply.deleted),
  refused('VALUE naming the key without the prefix', app(R.get(['a'])), 'VALUE a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE naming the prefix alone', app(R.get(['a'])), 'VALUE app: 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE naming another prefix', app(R.get(['a'])), 'VALUE apq:a 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('VALUE naming prefix + key + more', app(R.get(['a'])), 'VALUE app:ab 0 1\r\nx\r\nEND\r\n', { _tag: 'ProtocolError' }),
  refused('prefixed keys out of order', app(R.get(['a', 'b'])), 'VALUE app:b 0 1\r\nx\r\nVALUE app:a 0 1\r\ny\r\nEND\r\n', { _tag: 'ProtocolError' }),
]

const rows: ReadonlyArray<Row> = [...valueRows, ...prefixRows, ...storageRows, ...lineRows, ...statsRows]

// -------------------------------------------------------------------------------------
// each row whole, then byte by byte
// -------------------------------------------------------------------------------------

describe.each(rows)('decode: $name', (row) => {
  const whole = decodeAll(row.request, [row.wire])

  it('whole', () => {
    if (E.isRight(row.expected)) {
      const consumed = row.expected.right._tag === 'NoReply' ? 0 : row.wire.length
      expect(whole.result).toEqual(E.right(O.some([row.expected.right, consumed])))
    } else {
      expect(E.isLeft(whole.result)).toBe(true)
      if (E.isLeft(whole.result)) {
        expect(whole.result.left).toMatchObject(row.expected.left)
        expect(whole.result.left.message).not.toBe('')
      }
    }
  })

  it('resumed byte by byte, the reply moving between calls', () => {
    const resumed = stepAll(row.request, oneByOne(row.wire), { moving: true })
    expect(resumed.result).toEqual(whole.result)
    if (E.isRight(row.expected)) expect(resumed.fed).toBe(row.wire.length)
  })

  it('resumed byte by byte, called only once the bytes it needs are there', () => {
    const resumed = stepAll(row.request, oneByOne(row.wire), { honourNeeded: true })
    expect(resumed.result).toEqual(whole.result)
  })

  it('byte by byte', () => {
    const byByte = decodeAll(row.request, oneByOne(row.wire))
    expect(byByte.result).toEqual(whole.result)
    // A reply only appears once its last byte is there: every shorter prefix needed more.
    if (E.isRight(row.expected)) expect(byByte.fed).toBe(row.wire.length)
    else expect(byByte.fed).toBeLessThanOrEqual(row.wire.length)
  })
})

// -------------------------------------------------------------------------------------
// decoding details the table cannot show
// -------------------------------------------------------------------------------------

describe('decode: details', () => {
  it('values are views on the bytes received, not copies', () => {
    const wire = bytes('VALUE a 0 3\r\nabc\r\nVALUE b 0 2\r\nde\r\nEND\r\n')
    const result = decode(R.get(['a', 'b']))(wire, 0)
    if (E.isLeft(result) || O.isNone(result.right)) throw new Error('expected a reply')
    const [reply] = result.right.value
    if (reply._tag !== 'Values') throw new Error('expected values')
    for (const found of reply.items) expect(found.value.buffer).toBe(wire.buffer)
    expect(reply.items.map((found) => found.value.byteOffset)).toEqual([13, 31])
  })

  it('decodes at an offset and returns the offset after the reply', () => {
    const wire = bytes('junk', 'STORED\r\n', 'more')
    expect(decodeReply(R.set('k', v), wire, 4)).toEqual(E.right(O.some([Reply.stored, 12])))
  })

  it('replies queued in one buffer decode one after the other', () => {
    const wire = bytes('STORED\r\n', 'VALUE k 0 1\r\nv\r\nEND\r\n', 'DELETED\r\n')
    const first = decodeReply(R.set('k', v), wire, 0)
    expect(first).toEqual(E.right(O.some([Reply.stored, 8])))
    const second = decodeReply(R.get(['k']), wire, 8)
    expect(second).toEqual(E.right(O.some([Reply.values([item('k', 'v')]), 29])))
    expect(decodeReply(R.del('k'), wire, 29)).toEqual(E.right(O.some([Reply.deleted, wire.length])))
  })

  it.each([
    ['set', R.set('k', v, { noreply: true })],
    ['cas', R.cas('k', v, 1n, { noreply: true })],
    ['delete', R.del('k', true)],
    ['incr', R.incr('k', 1n, true)],
    ['decr', R.decr('k', 1n, true)],
    ['touch', R.touch('k', 1, true)],
    ['flush_all', R.flushAll(undefined, true)],
    ['verbosity', R.verbosity(0, true)],
    ['cache_memlimit', R.cacheMemlimit(8, true)],
    ['quit', R.quit],
    ['shutdown', R.shutdown(true)],
    ['raw none', R.raw('x', 'none')],
  ])('%s without a reply decodes to NoReply consuming nothing, whatever follows', (_name, request) => {
    const wire = bytes('STORED\r\nHELLO\r\n')
    expect(decodeReply(request, wire, 3)).toEqual(E.right(O.some([Reply.noReply, 3])))
    expect(R.expectsNoReply(request)).toBe(true)
  })

  it('a value is located by its length even when it is longer than the line limit', () => {
    const big = new Uint8Array(MAX_LINE_LENGTH * 3).fill(0x41)
    const wire = bytes('VALUE a 0 ', String(big.length), '\r\n', big, '\r\nEND\r\n')
    const result = decode(R.get(['a']))(wire, 0)
    expect(result).toEqual(E.right(O.some([Reply.values([item('a', big)]), wire.length])))
  })

  it('an unfinished line no longer than MAX_LINE_LENGTH waits for more bytes', () => {
    expect(decode(R.raw('x', 'line'))(bytes('x'.repeat(MAX_LINE_LENGTH)), 0)).toEqual(E.right(O.none))
  })

  it('an ERROR reason keeps its text', () => {
    expect(decode(R.get(['a']))(bytes('ERROR Too many open connections\r\n'), 0)).toMatchObject(
      E.right(O.some([{ _tag: 'Failure', error: { _tag: 'ServerError', reason: 'Too many open connections' } }, 33])),
    )
  })
})

describe('decodeUnsolicited', () => {
  it.each([
    ['SERVER_ERROR out of memory storing object\r\n', serverError('out of memory storing object')],
    ['CLIENT_ERROR bad data chunk\r\n', clientError('bad data chunk')],
    ['ERROR\r\n', unknownCommand('')],
    ['ERROR Too many open connections\r\n', serverError('Too many open connections')],
    ['ERROR: shutdown not enabled\r\n', serverError('shutdown not enabled')],
  ])('%j is a Failure', (wire, error) => {
    const buffer = bytes(wire, 'STORED\r\n')
    expect(decodeUnsolicited(buffer, 0)).toEqual(E.right(O.some([Reply.failure(error), wire.length])))
    for (let end = 0; end < wire.length; end++) expect(decodeUnsolicited(buffer.subarray(0, end), 0)).toEqual(E.right(O.none))
  })

  it.each(['STORED\r\n', 'VALUE a 0 1\r\nx\r\nEND\r\n', 'HELLO\r\n', 'SERVER_ERRORX\r\n'])('%j is a ProtocolError', (wire) => {
    expect(decodeUnsolicited(bytes(wire), 0)).toMatchObject(E.left({ _tag: 'ProtocolError' }))
  })

  it('a line without CRLF beyond MAX_LINE_LENGTH is a ProtocolError', () => {
    expect(decodeUnsolicited(bytes('E'.repeat(MAX_LINE_LENGTH + 1)), 0)).toMatchObject(E.left({ _tag: 'ProtocolError' }))
  })
})

// -------------------------------------------------------------------------------------
// resuming: each byte read once
// -------------------------------------------------------------------------------------

const needMore = (step: Step): NeedMore => {
  if (E.isLeft(step) || step.right._tag !== 'NeedMore') throw new Error(`expected NeedMore, got ${JSON.stringify(step)}`)
  return step.right
}

const chunksOf = (wire: Uint8Array, size: number): ReadonlyArray<Uint8Array> =>
  splitAt(
    wire,
    Array.from({ length: Math.ceil(wire.length / size) - 1 }, (_, i) => (i + 1) * size),
  )

describe('decodeStep: resuming', () => {
  const mib = new Uint8Array(1024 * 1024).map((_, i) => (i * 7 + 3) & 0xff)
  const bigWire = bytes('VALUE big 3 ', String(mib.length), '\r\n', mib, '\r\nEND\r\n')
  /** Compared as bytes: a deep equality over a million elements is slow. */
  const expectBig = (result: DecodeResult): void => {
    if (E.isLeft(result) || O.isNone(result.right)) throw new Error(`expected a reply, got ${JSON.stringify(result)}`)
    const [reply, next] = result.right.value
    expect(next).toBe(bigWire.length)
    if (reply._tag !== 'Values') throw new Error(`expected values, got ${reply._tag}`)
    expect(reply.items).toHaveLength(1)
    const found = reply.items[0]
    expect(found?.key).toBe('big')
    expect(found?.flags).toBe(3)
    expect(Buffer.from(found?.value ?? []).equals(Buffer.from(mib))).toBe(true)
  }

  it('parses the VALUE line of a 1 MiB value once when it comes in 1 KiB chunks', () => {
    const resumed = stepAll(R.get(['big']), chunksOf(bigWire, 1024))
    expectBig(resumed.result)
    expect(resumed.headers).toBe(1)
    // Called on the empty buffer, then once per chunk.
    expect(resumed.calls).toBe(Math.ceil(bigWire.length / 1024) + 1)
  })

  it('is not called again before the value has arrived when the caller honours `needed`', () => {
    const resumed = stepAll(R.get(['big']), chunksOf(bigWire, 1024), { honourNeeded: true })
    expectBig(resumed.result)
    expect(resumed.headers).toBe(1)
    // The first chunk (the VALUE line read), the chunk that completes the value, and at most one
    // more for the END line: not one call per chunk.
    expect(resumed.calls).toBeLessThanOrEqual(4)
  })

  it('parses each VALUE line of a 1000-item multi-get once when it comes byte by byte', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`)
    const reply = Reply.values(keys.map((name, i) => item(name, String(i), i)))
    const wire = bytes(...keys.map((name, i) => `VALUE ${name} ${i} ${String(i).length}\r\n${i}\r\n`), 'END\r\n')
    const resumed = stepAll(R.get(keys), oneByOne(wire))
    expect(resumed.result).toEqual(E.right(O.some([reply, wire.length])))
    expect(resumed.headers).toBe(1000)
  })

  it('parses each STAT line once when stats come byte by byte', () => {
    const entries = Array.from({ length: 300 }, (_, i) => [`stat_${i}`, String(i * 3)] as const)
    const wire = bytes(...entries.map(([name, value]) => `STAT ${name} ${value}\r\n`), 'END\r\n')
    const resumed = stepAll(R.stats(), oneByOne(wire), { moving: true })
    expect(resumed.result).toEqual(E.right(O.some([Reply.statsReply(entries), wire.length])))
    expect(resumed.headers).toBe(300)
  })

  it('says how many bytes a value still needs', () => {
    const first = needMore(decodeStep(R.get(['a']), bytes('VALUE a 0 10\r\nabc'), 0))
    // 7 more value bytes and its CRLF.
    expect(first.needed).toBe(9)
    expect(first.headers).toBe(1)
    expect(first.pendingValue).toEqual({ key: 'a', flags: 0, size: 10, cas: undefined })
  })

  it('says 2 bytes for a line without its CR, 1 for a CR without its LF', () => {
    expect(needMore(decodeStep(R.del('k'), bytes('DELE'), 0)).needed).toBe(2)
    expect(needMore(decodeStep(R.del('k'), bytes('DELETED\r'), 0)).needed).toBe(1)
  })

  it('resumes an unfinished line where the search for its end stopped', () => {
    const first = needMore(decodeStep(R.raw('x', 'line'), bytes('HELLO WOR'), 0))
    expect(first.scanned).toBe(9)
    expect(decodeStep(R.raw('x', 'line'), bytes('HELLO WORLD\r\n'), 0, first)).toEqual(
      E.right({ _tag: 'Decoded', reply: Reply.line('HELLO WORLD'), next: 13, headers: 0 }),
    )
  })

  it('a NeedMore is a value: resuming it twice with different bytes gives independent replies', () => {
    const request = R.get(['a', 'b', 'c'])
    const start = bytes('VALUE a 0 1\r\n1\r\n')
    const state = needMore(decodeStep(request, start, 0))
    const withB = decodeStep(request, bytes(start, 'VALUE b 0 1\r\n2\r\nEND\r\n'), 0, state)
    const withC = decodeStep(request, bytes(start, 'VALUE c 0 1\r\n3\r\nEND\r\n'), 0, state)
    const onlyA = decodeStep(request, bytes(start, 'END\r\n'), 0, state)
    const itemsOf = (step: Step) => (E.isRight(step) && step.right._tag === 'Decoded' && step.right.reply._tag === 'Values' ? step.right.reply.items.map((found) => found.key) : [])
    expect(itemsOf(withB)).toEqual(['a', 'b'])
    expect(itemsOf(withC)).toEqual(['a', 'c'])
    expect(itemsOf(onlyA)).toEqual(['a'])
    expect(itemsOf(withB)).toEqual(['a', 'b'])
    expect(state.count).toBe(1)
  })

  it('values stay views on the bytes they arrived in, across calls', () => {
    const request = R.get(['a', 'b'])
    const first = bytes('VALUE a 0 3\r\nabc\r\nVALUE b 0 2\r\nd')
    const state = needMore(decodeStep(request, first, 0))
    const second = bytes(first, 'e\r\nEND\r\n')
    const step = decodeStep(request, second, 0, state)
    if (E.isLeft(step) || step.right._tag !== 'Decoded' || step.right.reply._tag !== 'Values') throw new Error('expected values')
    const [a, b] = step.right.reply.items
    expect(a?.value.buffer).toBe(first.buffer)
    expect(b?.value.buffer).toBe(second.buffer)
  })

  it('decodeResumable is decodeStep, curried', () => {
    const step = decodeResumable(R.version)
    const state = needMore(step(bytes('VERSION 1.'), 0))
    expect(step(bytes('VERSION 1.6\r\n'), 0, state)).toEqual(E.right({ _tag: 'Decoded', reply: Reply.versionReply('1.6'), next: 13, headers: 0 }))
  })

  it('decodeUnsolicitedStep resumes an error line', () => {
    const state = needMore(decodeUnsolicitedStep(bytes('SERVER_ERROR out of'), 0))
    expect(decodeUnsolicitedStep(bytes('SERVER_ERROR out of memory\r\n'), 0, state)).toEqual(
      E.right({ _tag: 'Decoded', reply: Reply.failure(serverError('out of memory')), next: 28, headers: 0 }),
    )
  })

  it('a line that passes MAX_LINE_LENGTH while resuming is refused', () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH)
    const state = needMore(decodeStep(R.raw('x', 'line'), bytes(long), 0))
    expect(state.needed).toBe(1)
    expect(decodeStep(R.raw('x', 'line'), bytes(long, 'x'), 0, state)).toMatchObject(E.left({ _tag: 'ProtocolError' }))
  })
})

// -------------------------------------------------------------------------------------
// reply caps
// -------------------------------------------------------------------------------------

interface CapRow {
  readonly name: string
  readonly request: R.Request
  readonly wire: Uint8Array
  readonly limits: ReplyLimits
  /** Refused: with a message matching this; accepted: undefined. */
  readonly refusal: RegExp | undefined
  /** For a refusal, how many bytes at most were needed before it (the rest never has to arrive). */
  readonly refusedWithin?: number
}

const small: ReplyLimits = { maxValueSize: 16, maxStatsSize: 64 }
const statLines = (count: number): string => Array.from({ length: count }, (_, i) => `STAT s${i} ${i}\r\n`).join('')

const capRows: ReadonlyArray<CapRow> = [
  { name: 'a value at maxValueSize', request: R.get(['a']), wire: bytes('VALUE a 0 16\r\n', 'x'.repeat(16), '\r\nEND\r\n'), limits: small, refusal: undefined },
  {
    name: 'a value one byte over maxValueSize, refused on its header',
    request: R.get(['a']),
    wire: bytes('VALUE a 0 17\r\n', 'x'.repeat(17), '\r\nEND\r\n'),
    limits: small,
    refusal: /VALUE line for "a" announces 17 bytes, over maxValueSize \(16/,
    refusedWithin: 'VALUE a 0 17\r\n'.length,
  },
  {
    name: 'a hostile 1 GiB header under the default limit (64 MiB)',
    request: R.gets(['a']),
    wire: bytes('VALUE a 0 1073741824 1\r\n', 'x'.repeat(100)),
    limits: defaultReplyLimits,
    refusal: /announces 1073741824 bytes, over maxValueSize \(67108864/,
    refusedWithin: 'VALUE a 0 1073741824 1\r\n'.length,
  },
  {
    name: 'the second value of a multi-get over the limit',
    request: R.get(['a', 'b']),
    wire: bytes('VALUE a 0 2\r\nok\r\nVALUE b 0 999\r\n', 'x'.repeat(40)),
    limits: small,
    refusal: /"b" announces 999 bytes/,
    refusedWithin: 'VALUE a 0 2\r\nok\r\nVALUE b 0 999\r\n'.length,
  },
  {
    name: 'raw values over the limit',
    request: R.raw('get a', 'values'),
    wire: bytes('VALUE a 0 17\r\n', 'x'.repeat(17)),
    limits: small,
    refusal: /over maxValueSize/,
    refusedWithin: 'VALUE a 0 17\r\n'.length,
  },
  {
    name: 'a length over 1 GiB, whatever the limits say',
    request: R.get(['a']),
    wire: bytes('VALUE a 0 1073741825\r\n'),
    limits: replyLimits({ maxValueSize: 2 ** 40 }),
    refusal: /more than memcached can hold/,
    refusedWithin: 'VALUE a 0 1073741825\r\n'.length,
  },
  { name: 'stats within maxStatsSize', request: R.stats(), wire: bytes(statLines(5), 'END\r\n'), limits: small, refusal: undefined },
  {
    name: 'stats over maxStatsSize, refused at the line that crosses it',
    request: R.stats(),
    wire: bytes(statLines(1000), 'END\r\n'),
    limits: small,
    refusal: /stats reply longer than 64 bytes \(maxStatsSize\)/,
    refusedWithin: 64 + 'STAT s99 99\r\n'.length,
  },
  {
    name: 'raw stats over maxStatsSize',
    request: R.raw('stats slabs', 'stats'),
    wire: bytes(statLines(1000), 'END\r\n'),
    limits: small,
    refusal: /maxStatsSize/,
    refusedWithin: 64 + 'STAT s99 99\r\n'.length,
  },
]

describe.each(capRows)('decode caps: $name', (row) => {
  /** `fed`: the bytes given when the answer came, for the chunked runs. */
  const check = (result: DecodeResult, fed?: number): void => {
    if (row.refusal === undefined) {
      expect(result).toEqual(E.right(O.some([expect.anything(), row.wire.length])))
      return
    }
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringMatching(row.refusal) })))
    if (fed !== undefined) expect(fed).toBeLessThanOrEqual(row.refusedWithin ?? Infinity)
  }
  it('whole', () => {
    check(decodeAll(row.request, [row.wire], row.limits).result)
  })
  it('byte by byte', () => {
    const fed = decodeAll(row.request, oneByOne(row.wire), row.limits)
    check(fed.result, fed.fed)
  })
  it('byte by byte, resumed', () => {
    const stepped = stepAll(row.request, oneByOne(row.wire), { limits: row.limits })
    check(stepped.result, stepped.fed)
  })
})

describe('replyLimits', () => {
  it('fills in the defaults: 64 MiB values, 4 MiB stats', () => {
    expect(replyLimits()).toEqual({ maxValueSize: 64 * 1024 * 1024, maxStatsSize: 4 * 1024 * 1024 })
    expect(replyLimits()).toEqual(defaultReplyLimits)
    expect(DEFAULT_MAX_VALUE_SIZE).toBe(64 * 1024 * 1024)
    expect(DEFAULT_MAX_STATS_SIZE).toBe(4 * 1024 * 1024)
  })

  it('keeps values within what memcached can hold, and takes a missing or unusable number as the default', () => {
    expect(replyLimits({ maxValueSize: 2 ** 40, maxStatsSize: 100 })).toEqual({ maxValueSize: MAX_VALUE_LENGTH, maxStatsSize: 100 })
    expect(replyLimits({ maxValueSize: 0, maxStatsSize: Number.NaN })).toEqual(defaultReplyLimits)
    expect(replyLimits({ maxValueSize: 1000.5 })).toEqual({ maxValueSize: 1000, maxStatsSize: DEFAULT_MAX_STATS_SIZE })
  })

  it('decode and decodeResumable take limits too', () => {
    const wire = bytes('VALUE a 0 17\r\n')
    expect(decode(R.get(['a']), small)(wire, 0)).toMatchObject(E.left({ _tag: 'ProtocolError' }))
    expect(decodeResumable(R.get(['a']), small)(wire, 0)).toMatchObject(E.left({ _tag: 'ProtocolError' }))
    expect(decode(R.get(['a']))(wire, 0)).toEqual(E.right(O.none))
  })
})
