/**
 * `parseLine` alone: lines into requests, storage headers, answers decided without the engine,
 * and the line rules (newline needed, NUL ends a line, over-long lines). The byte-for-byte match
 * with memcached is the session's table (session.test.ts); these pin the values in between.
 */
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { LINE_LIMIT, parseLine, requestOf, type LineCommand } from '../../src/emulator/parse.js'
import { clientError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const parsed = (text: string) => parseLine(bytes(text), 0)
const commandOf = (text: string): LineCommand | undefined => {
  const result = parsed(text)
  return O.isSome(result) ? result.value[0] : undefined
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
    expect(parsed('gats -5 a b\r\n')).toEqual(O.some([{ _tag: 'Execute', request: Request.gats(-5, ['a', 'b']) }, 13]))
    expect(parsed('incr n 18446744073709551615 noreply\r\n')).toEqual(
      O.some([{ _tag: 'Execute', request: Request.incr('n', 18446744073709551615n, true) }, 37]),
    )
    expect(parsed('flush_all 10\r\n')).toEqual(O.some([{ _tag: 'Execute', request: Request.flushAll(10) }, 14]))
    expect(parsed('get a\u0000b c\r\n')).toEqual(O.some([{ _tag: 'Execute', request: Request.get(['a']) }, 11]))
  })

  it('answers what it can decide alone as replies, silent under noreply', () => {
    expect(commandOf('bogus\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')), silent: false })
    expect(commandOf('set k x 0 1 noreply\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(clientError('bad command line format')), silent: true })
    expect(commandOf('touch k x\r\n')).toEqual({ _tag: 'Answer', reply: Reply.failure(clientError('invalid exptime argument')), silent: false })
    expect(commandOf('stats detail on\r\n')).toEqual({ _tag: 'Answer', reply: Reply.ok, silent: false })
    expect(commandOf('stats detail dump\r\n')).toEqual({ _tag: 'Answer', reply: Reply.statsReply([]), silent: false })
    expect(commandOf('shutdown\r\n')).toEqual({ _tag: 'Answer', reply: Reply.line('ERROR: shutdown not enabled'), silent: false })
  })

  it('looks up the keys before a too long one, then answers the error', () => {
    expect(commandOf(`get a b ${'k'.repeat(251)} c\r\n`)).toEqual({
      _tag: 'Answer',
      reply: Reply.failure(clientError('bad command line format')),
      silent: false,
      partial: Request.get(['a', 'b']),
    })
  })

  it('closes a connection sending more than LINE_LIMIT bytes without a newline, unless it is a multi-get', () => {
    const long = 'x'.repeat(LINE_LIMIT + 1)
    expect(parsed(`set ${long}`)).toEqual(O.some([{ _tag: 'Close' }, LINE_LIMIT + 5]))
    expect(parsed(`get ${long}`)).toEqual(O.none)
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
