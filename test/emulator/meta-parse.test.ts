/**
 * Meta command lines into typed commands (`parseMeta`, reached through `parseLine`): the checks
 * memcached 1.6.18 makes and their order, the values read from flags, the tokens kept in request
 * order. Each row runs on the whole line and on the line growing byte by byte. What the replies
 * look like on the wire is the conformance test's (test/conformance/meta-bytes.test.ts).
 */
import fc from 'fast-check'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { META_NOOP, parseMeta, type MetaFlag, type MetaLine, type MetaOptions, type MetaToken } from '../../src/emulator/meta-parse.js'
import { parseLine, type LineCommand } from '../../src/emulator/parse.js'
import { clientError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const defaults: MetaOptions = {
  base64Key: false,
  quiet: false,
  noBump: false,
  returnValue: false,
  vivify: undefined,
  ttl: undefined,
  recache: undefined,
  clientFlags: 0,
  compareCas: undefined,
  invalidate: false,
  delta: 1n,
  initial: 0n,
}

const tokens = (...texts: ReadonlyArray<string>): ReadonlyArray<MetaToken> => texts.map((token) => ({ flag: token[0] as MetaFlag, token }))
const error = (reason: string, swallow = 0): MetaLine => ({ _tag: 'MetaAnswer', reply: Reply.failure(clientError(reason)), swallow })
const ERROR: MetaLine = { _tag: 'MetaAnswer', reply: Reply.failure(unknownCommand('')), swallow: 0 }

interface Row {
  readonly line: string
  readonly parsed: LineCommand
}

const rows: ReadonlyArray<Row> = [
  { line: 'mn', parsed: { _tag: 'MetaAnswer', reply: META_NOOP, swallow: 0 } },
  { line: 'mn anything', parsed: { _tag: 'MetaAnswer', reply: META_NOOP, swallow: 0 } },
  { line: 'mz k', parsed: ERROR },
  { line: 'mg', parsed: ERROR },
  { line: 'mg k', parsed: { _tag: 'MetaRequest', request: { _tag: 'mg', key: 'k', options: defaults, tokens: [] } } },
  {
    line: 'mg k v c t k O99 q u',
    parsed: { _tag: 'MetaRequest', request: { _tag: 'mg', key: 'k', options: { ...defaults, returnValue: true, quiet: true, noBump: true }, tokens: tokens('v', 'c', 't', 'k', 'O99', 'q', 'u') } },
  },
  {
    line: 'mg k N30 R-5 T4294967297',
    parsed: { _tag: 'MetaRequest', request: { _tag: 'mg', key: 'k', options: { ...defaults, vivify: 30, recache: -5, ttl: 1 }, tokens: tokens('N30', 'R-5', 'T4294967297') } },
  },
  { line: 'mg a2V5 b k', parsed: { _tag: 'MetaRequest', request: { _tag: 'mg', key: 'key', options: { ...defaults, base64Key: true }, tokens: tokens('b', 'k') } } },
  { line: 'mg k v v', parsed: error('duplicate flag') },
  { line: 'mg k \u00e9', parsed: error('duplicate flag') },
  { line: 'mg k zz', parsed: error('invalid flag') },
  { line: 'mg k N', parsed: error('bad token in command line format') },
  // The reason of the last bad token is answered.
  { line: 'mg a2V b Nx', parsed: error('bad token in command line format') },
  { line: 'mg k Nx b', parsed: error('error decoding key') },
  { line: 'mg k Fx', parsed: error('bad command line format') },
  { line: `mg ${'k'.repeat(251)} v`, parsed: error('bad command line format') },
  { line: `mg k ${'abcdefghijklmnopqr'.split('').join(' ')}`, parsed: error('options flags are too long') },
  { line: 'ms', parsed: ERROR },
  { line: 'ms k', parsed: error('bad command line format') },
  { line: 'ms k 2', parsed: { _tag: 'MetaSet', header: { key: 'k', length: 2, mode: 'set', options: defaults, tokens: [] } } },
  {
    line: 'ms a2V5 5 b MA F4294967297 T-1 C7 I q c',
    parsed: {
      _tag: 'MetaSet',
      header: {
        key: 'key',
        length: 5,
        mode: 'append',
        options: { ...defaults, base64Key: true, clientFlags: 1, ttl: -1, compareCas: 7n, invalidate: true, quiet: true },
        tokens: tokens('b', 'MA', 'F4294967297', 'T-1', 'C7', 'I', 'q', 'c'),
      },
    },
  },
  { line: 'ms k 1 ME', parsed: { _tag: 'MetaSet', header: { key: 'k', length: 1, mode: 'add', options: defaults, tokens: tokens('ME') } } },
  { line: 'ms k 1 MR', parsed: { _tag: 'MetaSet', header: { key: 'k', length: 1, mode: 'replace', options: defaults, tokens: tokens('MR') } } },
  { line: 'ms k 1 MP', parsed: { _tag: 'MetaSet', header: { key: 'k', length: 1, mode: 'prepend', options: defaults, tokens: tokens('MP') } } },
  { line: 'ms k 1 MS', parsed: { _tag: 'MetaSet', header: { key: 'k', length: 1, mode: 'set', options: defaults, tokens: tokens('MS') } } },
  // Before the length is read nothing is swallowed; after, the data block is.
  { line: 'ms k x', parsed: error('bad command line format') },
  { line: 'ms k -1', parsed: error('bad command line format') },
  { line: `ms ${'k'.repeat(251)} 1`, parsed: error('bad command line format') },
  { line: `ms k 1 ${'abcdefghijklmnopq'.split('').join(' ')}`, parsed: error('options flags too long') },
  { line: 'ms k 3 MX', parsed: error('invalid mode for ms M token', 5) },
  { line: 'ms k 3 Mxx', parsed: error('incorrect length for M token', 5) },
  { line: 'ms k 3 S3', parsed: error('invalid flag', 5) },
  { line: `ms k 3 O${'7'.repeat(32)}`, parsed: error('opaque token too long', 5) },
  { line: 'ms k 3 b', parsed: error('error decoding key', 5) },
  { line: 'md k I T30 C5 q', parsed: { _tag: 'MetaRequest', request: { _tag: 'md', key: 'k', options: { ...defaults, invalidate: true, ttl: 30, compareCas: 5n, quiet: true }, tokens: tokens('I', 'T30', 'C5', 'q') } } },
  { line: 'md k v v', parsed: error('invalid or duplicate flag') },
  { line: 'md k Cx', parsed: error('invalid or duplicate flag') },
  { line: `md k O${'7'.repeat(32)}`, parsed: error('opaque token too long') },
  { line: `md k ${'abcdefghijklmnopqr'.split('').join(' ')}`, parsed: error('options flags too long') },
  { line: 'ma k', parsed: { _tag: 'MetaRequest', request: { _tag: 'ma', key: 'k', options: defaults, tokens: [], increment: true } } },
  { line: 'ma k M- D5 J9 N0', parsed: { _tag: 'MetaRequest', request: { _tag: 'ma', key: 'k', options: { ...defaults, delta: 5n, initial: 9n, vivify: 0 }, tokens: tokens('M-', 'D5', 'J9', 'N0'), increment: false } } },
  { line: 'ma k MD', parsed: { _tag: 'MetaRequest', request: { _tag: 'ma', key: 'k', options: defaults, tokens: tokens('MD'), increment: false } } },
  { line: 'ma k M+', parsed: { _tag: 'MetaRequest', request: { _tag: 'ma', key: 'k', options: defaults, tokens: tokens('M+'), increment: true } } },
  { line: 'ma k MX', parsed: error('invalid mode for ma M token') },
  { line: 'ma k Dx', parsed: error('invalid or duplicate flag') },
  // A long opaque on ma is refused only after the delta took effect: the engine's.
  { line: `ma k O${'7'.repeat(32)}`, parsed: { _tag: 'MetaRequest', request: { _tag: 'ma', key: 'k', options: defaults, tokens: tokens(`O${'7'.repeat(32)}`), increment: true } } },
  { line: 'me', parsed: error('bad command line format') },
  { line: 'me k', parsed: { _tag: 'MetaRequest', request: { _tag: 'me', key: 'k', base64Key: false } } },
  { line: 'me k x y', parsed: { _tag: 'MetaRequest', request: { _tag: 'me', key: 'k', base64Key: false } } },
  { line: 'me a2V5 b', parsed: { _tag: 'MetaRequest', request: { _tag: 'me', key: 'key', base64Key: true } } },
  { line: 'me k b', parsed: error('bad command line format') },
  { line: `me ${'k'.repeat(251)}`, parsed: error('bad command line format') },
]

describe.each(rows)('$line', (row) => {
  const wire = bytes(`${row.line}\r\n`)
  it('whole', () => {
    expect(parseLine(wire, 0)).toEqual(O.some([row.parsed, wire.length]))
  })
  it('byte by byte: nothing until the newline, then the same command', () => {
    for (let end = 0; end < wire.length; end++) expect(parseLine(wire.subarray(0, end), 0)).toEqual(O.none)
    expect(parseLine(wire.subarray(0, wire.length), 0)).toEqual(O.some([row.parsed, wire.length]))
  })
})

describe('parseMeta', () => {
  it('reads no token past the count memcached tokenized', () => {
    expect(parseMeta(['mg', 'k', 'v', 'zz'], 4)).toEqual({ _tag: 'MetaRequest', request: { _tag: 'mg', key: 'k', options: { ...defaults, returnValue: true }, tokens: tokens('v') } })
  })

  it('never throws on garbage, and answers one of its cases', () => {
    const token = fc.string({ minLength: 1, maxLength: 6 }).map((text) => [...text].map((char) => (' \r\n\u0000'.includes(char) ? 'x' : char)).join(''))
    fc.assert(
      fc.property(fc.constantFrom('mg', 'ms', 'md', 'ma', 'me', 'mn', 'mx'), fc.array(token, { maxLength: 30 }), (command, rest) => {
        const line = [command, ...rest].join(' ')
        const parsed = parseLine(bytes(`${line}\r\n`), 0)
        expect(O.isSome(parsed) && ['MetaRequest', 'MetaSet', 'MetaAnswer'].includes(parsed.value[0]._tag)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on random bytes after a meta name', () => {
    fc.assert(
      fc.property(fc.constantFrom('mg ', 'ms ', 'md ', 'ma ', 'me '), fc.uint8Array({ maxLength: 120 }), (name, tail) => {
        const line = new Uint8Array([...bytes(name), ...tail.filter((byte) => byte !== 10), 10])
        expect(O.isSome(parseLine(line, 0))).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
