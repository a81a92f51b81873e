/**
 * `parseLine` alone: lines into requests, storage headers, answers decided without the engine,
 * and the line rules (newline needed, NUL ends a line, over-long lines). The byte-for-byte match
 * with memcached is the session's table (session.test.ts); these pin the values in between.
 */
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import {
  findTooLongKey,
  LINE_LIMIT,
  lineEnd,
  mayGrowLongLine,
  nextKey,
  parseCommand,
  parseLine,
  requestOf,
  retrievalRequest,
  type KeySpan,
  type LineCommand,
} from '../../src/emulator/parse.js'
import { clientError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const parsed = (text: string) => parseLine(bytes(text), 0)
const commandOf = (text: string): LineCommand | undefined => {
  const result = parsed(text)
  return O.isSome(result) ? result.value[0] : undefined
}
/** A retrieval line's command, exptime and keys as read by `nextKey`. */
const retrievalOf = (text: string) => {
  const command = commandOf(text)
  if (command?._tag !== 'Retrieval') return command
  const keys: Array<string> = []
  for (let next = nextKey(command.keys, command.keys.from); next !== undefined; next = nextKey(command.keys, next[1])) keys.push(next[0])
  return { command: command.command, exptime: command.exptime, keys }
}

describe('parseLine', () => {
  it('needs the newline, and leaves a storage data block to the caller', () => {
    const line = bytes('set k 1 2 3\r\nabc\r\n')
    expect(parseLine(line.subarray(0, 12), 0)).toEqual(O.none)
    expect(parseLine(line, 0)).toEqual(
      O.some([{ _tag: 'Storage', header: { command: 'set', key: 'k', flags: 1, exptime: 2, length: 3, cas: 0n, noreply: false } }, 13]),
    )
  })

  it('turns lines into the protocol requests they mean', () => {
    expect(parsed('incr n 18446744073709551615 noreply\r\n')).toEqual(
      O.some([{ _tag: 'Execute', request: Request.incr('n', 18446744073709551615n, true) }, 37]),
    )
    expect(parsed('flush_all 10\r\n')).toEqual(O.some([{ _tag: 'Execute', request: Request.flushAll(10) }, 14]))
  })

  it('leaves the keys of a retrieval in the line, read one by one: no array of every key', () => {
    expect(retrievalOf('gats -5 a b\r\n')).toEqual({ command: 'gats', exptime: -5, keys: ['a', 'b'] })
    expect(retrievalOf('  bget   a  b \r\n')).toEqual({ command: 'get', exptime: 0, keys: ['a', 'b'] })
    expect(retrievalOf('gets a\u0000b c\r\n')).toEqual({ command: 'gets', exptime: 0, keys: ['a'] })
    expect(retrievalOf('gat 10\r\n')).toEqual({ command: 'gat', exptime: 10, keys: [] })
    expect(commandOf('get\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')), silent: false })
    expect(commandOf('get   \r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')), silent: false })
    expect(commandOf('gat x a\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(clientError('invalid exptime argument')), silent: false })
    expect(commandOf('gett a\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')), silent: false })
  })

  it('answers what it can decide alone as replies, silent under noreply', () => {
    expect(commandOf('bogus\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')), silent: false })
    expect(commandOf('set k x 0 1 noreply\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(clientError('bad command line format')), silent: true })
    expect(commandOf('touch k x\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(clientError('invalid exptime argument')), silent: false })
    expect(commandOf('stats detail on\r\n')).toEqual({ _tag: 'Answer', reply: Reply.ok, silent: false })
    expect(commandOf('stats detail dump\r\n')).toEqual({ _tag: 'Answer', reply: Reply.statsReply([]), silent: false })
    expect(commandOf('shutdown\r\n')).toEqual({ _tag: 'Answer', reply: Reply.line('ERROR: shutdown not enabled'), silent: false })
  })

  it('closes a connection sending more than LINE_LIMIT bytes without a newline, unless it is a multi-get', () => {
    const long = 'x'.repeat(LINE_LIMIT + 1)
    expect(parsed(`set ${long}`)).toEqual(O.some([{ _tag: 'Close' }, LINE_LIMIT + 5]))
    expect(parsed(`get ${long}`)).toEqual(O.none)
  })
})

describe('the pieces of a line', () => {
  it('lineEnd drops the CR before the LF, unless it is the only byte', () => {
    expect(lineEnd(bytes('ab\r\n'), 0, 3)).toBe(2)
    expect(lineEnd(bytes('ab\n'), 0, 2)).toBe(2)
    expect(lineEnd(bytes('\r\n'), 0, 1)).toBe(1)
  })

  it('mayGrowLongLine lets a get or gets line grow after at most 100 spaces, as memcached does', () => {
    expect(mayGrowLongLine(bytes('get a'))).toBe(true)
    expect(mayGrowLongLine(bytes(`${' '.repeat(100)}gets a`))).toBe(true)
    expect(mayGrowLongLine(bytes(`${' '.repeat(101)}get a`))).toBe(false)
    expect(mayGrowLongLine(bytes('gat 1 a'))).toBe(false)
    expect(mayGrowLongLine(bytes('set a 0 0 1'))).toBe(false)
  })

  it('nextKey reads one key at a time, skipping runs of spaces, tabs belonging to keys', () => {
    const line = bytes('get  a\tb   c ')
    const span: KeySpan = { line, from: 3, to: line.length }
    const keys: Array<string> = []
    for (let next = nextKey(span, span.from); next !== undefined; next = nextKey(span, next[1])) keys.push(next[0])
    expect(keys).toEqual(['a\tb', 'c'])
    expect(nextKey({ ...span, to: 6 }, 3)).toEqual(['a', 6])
  })

  it('findTooLongKey finds the first key over 250 bytes, or scans in steps that end on a key', () => {
    const line = bytes(`aa bb ${'k'.repeat(251)} cc`)
    const span: KeySpan = { line, from: 0, to: line.length }
    expect(findTooLongKey(span, 0, 1 << 20)).toEqual({ _tag: 'TooLong', at: 6 })
    expect(findTooLongKey(span, 0, 1)).toEqual({ _tag: 'Scanned', to: 2 })
    expect(findTooLongKey(span, 2, 1)).toEqual({ _tag: 'Scanned', to: 5 })
    expect(findTooLongKey(span, 5, 1)).toEqual({ _tag: 'TooLong', at: 6 })
    expect(findTooLongKey({ ...span, to: 5 }, 0, 1 << 20)).toEqual({ _tag: 'Scanned', to: 5 })
    expect(findTooLongKey({ line: bytes('k'.repeat(250)), from: 0, to: 250 }, 0, 1 << 20)).toEqual({ _tag: 'Scanned', to: 250 })
  })

  it('retrievalRequest builds the request for some keys', () => {
    expect(retrievalRequest('get', 0, ['a'])).toEqual(Request.get(['a']))
    expect(retrievalRequest('gets', 0, ['a'])).toEqual(Request.gets(['a']))
    expect(retrievalRequest('gat', 9, ['a'])).toEqual(Request.gat(9, ['a']))
    expect(retrievalRequest('gats', 9, ['a'])).toEqual(Request.gats(9, ['a']))
  })

  it('parseCommand reads a line already cut from its line ending', () => {
    expect(parseCommand(bytes('version'))).toEqual({ _tag: 'Execute', request: Request.version })
  })
})

describe('requestOf', () => {
  it('makes a store or a cas from a header and its value', () => {
    const value = bytes('abc')
    const header = { command: 'add', key: 'k', flags: 3, exptime: 9, length: 3, cas: 0n, noreply: true } as const
    expect(requestOf(header, value)).toEqual(Request.store('add', 'k', value, { flags: 3, exptime: 9, noreply: true }))
    expect(requestOf({ ...header, command: 'cas', cas: 7n, noreply: false }, value)).toEqual(Request.cas('k', value, 7n, { flags: 3, exptime: 9 }))
  })
})
