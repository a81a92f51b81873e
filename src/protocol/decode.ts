/**
 * Pure, incremental decoders: given the request that is waiting, a buffer and an offset, say
 * "need more bytes" (`right(none)`), give the reply and the offset after it (`right(some)`), or
 * refuse the bytes (`left`). A `left` means the stream can no longer be trusted: the connection
 * that read it must be destroyed. A server-side refusal that keeps the stream in step is a
 * `Failure` reply instead.
 *
 * Values are length-prefixed: a value is located by the byte count in its `VALUE` line and is
 * returned as a view on the input, never scanned for `\r\n` and never copied. `VALUE` keys must be
 * keys the request asked for, in the request's order: a reply that names another key is a desync.
 *
 * One decoder per request tag, in one table.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { clientError, protocolError, serverError, unknownCommand, valueTooLarge } from './error.js'
import { type MemcacheError } from '../error.js'
import * as Reply from './reply.js'
import type * as R from './request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** `left`: the stream is broken. `right(none)`: need more bytes. `right(some([reply, next]))`. @category model */
export type DecodeResult = E.Either<MemcacheError, O.Option<readonly [Reply.Reply, number]>>

/** @category model */
export type Decoder = (buffer: Uint8Array, offset: number) => DecodeResult

/**
 * A reply line longer than this without `\r\n` is refused rather than buffered without end.
 * @category model
 */
export const MAX_LINE_LENGTH = 8192

/**
 * memcached's largest possible item (`-I` tops out at 1 GiB): a `VALUE` line announcing more is
 * refused instead of waiting for bytes that will never come.
 * @category model
 */
export const MAX_VALUE_LENGTH = 1024 * 1024 * 1024

// -------------------------------------------------------------------------------------
// bytes
// -------------------------------------------------------------------------------------

const CR = 13
const LF = 10
const SPACE = 32

const NEED_MORE: DecodeResult = E.right(O.none)

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const END = bytesOf('END')
const STORED = bytesOf('STORED')
const NOT_STORED = bytesOf('NOT_STORED')
const EXISTS = bytesOf('EXISTS')
const NOT_FOUND = bytesOf('NOT_FOUND')
const DELETED = bytesOf('DELETED')
const TOUCHED = bytesOf('TOUCHED')
const OK = bytesOf('OK')
const RESET = bytesOf('RESET')
const ERROR = bytesOf('ERROR')
const VALUE_ = bytesOf('VALUE ')
const STAT_ = bytesOf('STAT ')
const VERSION_ = bytesOf('VERSION ')
const CLIENT_ERROR = bytesOf('CLIENT_ERROR')
const SERVER_ERROR = bytesOf('SERVER_ERROR')
const MEMLIMIT_ = bytesOf('MEMLIMIT_')

const utf8 = new TextDecoder('utf-8')

/** Text of `buffer[start, end)`; ASCII (the common case for keys) without a decoder call. */
const textOf = (buffer: Uint8Array, start: number, end: number): string => {
  let text = ''
  for (let i = start; i < end; i++) {
    const byte = buffer[i] as number
    if (byte > 0x7f) return utf8.decode(buffer.subarray(start, end))
    text += String.fromCharCode(byte)
  }
  return text
}

const startsWith = (buffer: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean => {
  if (end - start < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return false
  return true
}

const lineIs = (buffer: Uint8Array, start: number, end: number, word: Uint8Array): boolean =>
  end - start === word.length && startsWith(buffer, start, end, word)

/** A decimal number that fits a double exactly, or -1. */
const parseUint = (buffer: Uint8Array, start: number, end: number): number => {
  if (start >= end || end - start > 15) return -1
  let value = 0
  for (let i = start; i < end; i++) {
    const digit = (buffer[i] as number) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** A decimal unsigned 64-bit number, or -1n. */
const parseU64 = (buffer: Uint8Array, start: number, end: number): bigint => {
  if (start >= end || end - start > 20) return -1n
  if (end - start <= 15) {
    const small = parseUint(buffer, start, end)
    return small < 0 ? -1n : BigInt(small)
  }
  for (let i = start; i < end; i++) {
    const byte = buffer[i] as number
    if (byte < 48 || byte > 57) return -1n
  }
  const value = BigInt(textOf(buffer, start, end))
  return value > 0xffff_ffff_ffff_ffffn ? -1n : value
}

/**
 * End of the line starting at `offset` (the index of its CR), -1 when more bytes are needed,
 * or -2 when the bytes cannot be a line.
 */
const lineEnd = (buffer: Uint8Array, offset: number): number => {
  const cr = buffer.indexOf(CR, offset)
  if (cr < 0) return buffer.length - offset > MAX_LINE_LENGTH ? -2 : -1
  if (cr + 1 >= buffer.length) return -1
  return buffer[cr + 1] === LF && cr - offset <= MAX_LINE_LENGTH ? cr : -2
}

const badLine = (buffer: Uint8Array, start: number, end: number, expected: string): DecodeResult => {
  const shown = textOf(buffer, start, Math.min(end, start + 80))
  return E.left(protocolError(`unexpected reply ${JSON.stringify(shown)} (expected ${expected})`))
}

const notALine: DecodeResult = E.left(protocolError(`reply line without CRLF or longer than ${MAX_LINE_LENGTH} bytes`))

const done = (reply: Reply.Reply, next: number): DecodeResult => E.right(O.some([reply, next] as const))

/** The text after `word` and its separator (space, or `:` in `ERROR: ...`). */
const restAfter = (buffer: Uint8Array, start: number, end: number, word: Uint8Array): string => {
  let from = start + word.length
  while (from < end && (buffer[from] === SPACE || buffer[from] === 58)) from++
  return textOf(buffer, from, end)
}

/** `word` alone or followed by a space: `SERVER_ERRORS` is not an error line. */
const isWord = (buffer: Uint8Array, start: number, end: number, word: Uint8Array): boolean =>
  startsWith(buffer, start, end, word) && (end - start === word.length || buffer[start + word.length] === SPACE)

/**
 * `ERROR`, `ERROR <text>`, `CLIENT_ERROR <text>`, `SERVER_ERROR <text>`, or undefined.
 * A bare `ERROR` is an unknown command; `ERROR` with text (`ERROR Too many open connections`,
 * `ERROR: shutdown not enabled`) is the server refusing, not a command it does not know.
 */
const errorLine = (buffer: Uint8Array, start: number, end: number): Reply.Failure | undefined => {
  const first = buffer[start]
  if (first === 69 /* E */ && startsWith(buffer, start, end, ERROR)) {
    if (end - start === ERROR.length) return Reply.failure(unknownCommand(''))
    const separator = buffer[start + ERROR.length]
    if (separator === SPACE || separator === 58) return Reply.failure(serverError(restAfter(buffer, start, end, ERROR)))
    return undefined
  }
  if (first === 67 /* C */ && isWord(buffer, start, end, CLIENT_ERROR)) {
    return Reply.failure(clientError(restAfter(buffer, start, end, CLIENT_ERROR)))
  }
  if (first === 83 /* S */ && isWord(buffer, start, end, SERVER_ERROR)) {
    return Reply.failure(serverError(restAfter(buffer, start, end, SERVER_ERROR)))
  }
  return undefined
}

// -------------------------------------------------------------------------------------
// decoders by reply shape
// -------------------------------------------------------------------------------------

/** Which single-line replies a request accepts, besides error lines. */
type LineTable = ReadonlyArray<readonly [Uint8Array, Reply.Reply]>

const oneOf =
  (table: LineTable, expected: string) =>
  (buffer: Uint8Array, offset: number): DecodeResult => {
    const end = lineEnd(buffer, offset)
    if (end === -1) return NEED_MORE
    if (end === -2) return notALine
    for (const [word, reply] of table) if (lineIs(buffer, offset, end, word)) return done(reply, end + 2)
    const failure = errorLine(buffer, offset, end)
    return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, expected)
  }

/** After `CLIENT_ERROR`/`ERROR`, memcached reads a storage command's data block as a command: out of step. */
const storageReply = (table: LineTable, expected: string) => {
  const decodeLine = oneOf(table, expected)
  return (request: R.Store | R.Cas, buffer: Uint8Array, offset: number): DecodeResult => {
    const result = decodeLine(buffer, offset)
    if (E.isLeft(result) || O.isNone(result.right)) return result
    const [reply, next] = result.right.value
    if (reply._tag !== 'Failure') return result
    const error = reply.error
    if (error._tag === 'ClientError' || error._tag === 'UnknownCommand') return E.left(error)
    if (error._tag === 'ServerError' && error.reason.startsWith('object too large')) {
      return done(Reply.failure(valueTooLarge(request.key, request.value.length)), next)
    }
    return result
  }
}

type KeyCheck = 'ordered' | 'any'

/**
 * `VALUE <key> <flags> <bytes>[ <cas>]` blocks up to `END`. With `ordered`, each key must be one
 * of `keys` at or after the previous one matched (memcached answers in request order).
 */
const decodeValues = (
  buffer: Uint8Array,
  offset: number,
  keys: ReadonlyArray<string>,
  withCas: boolean | undefined,
  check: KeyCheck,
): DecodeResult => {
  const items: Array<Reply.Item> = []
  let position = offset
  let keyIndex = 0
  for (;;) {
    const end = lineEnd(buffer, position)
    if (end === -1) return NEED_MORE
    if (end === -2) return notALine
    if (lineIs(buffer, position, end, END)) return done(Reply.values(items), end + 2)
    if (!startsWith(buffer, position, end, VALUE_)) {
      const failure = items.length === 0 ? errorLine(buffer, position, end) : undefined
      return failure !== undefined ? done(failure, end + 2) : badLine(buffer, position, end, 'VALUE or END')
    }
    // Split "VALUE key flags bytes [cas]" on single spaces.
    const keyStart = position + VALUE_.length
    const keyEnd = buffer.indexOf(SPACE, keyStart)
    if (keyEnd < 0 || keyEnd >= end || keyEnd === keyStart) return badLine(buffer, position, end, 'VALUE <key> <flags> <bytes>')
    const flagsEnd = buffer.indexOf(SPACE, keyEnd + 1)
    if (flagsEnd < 0 || flagsEnd >= end) return badLine(buffer, position, end, 'VALUE <key> <flags> <bytes>')
    let bytesEnd = buffer.indexOf(SPACE, flagsEnd + 1)
    if (bytesEnd < 0 || bytesEnd > end) bytesEnd = end
    const flags = parseUint(buffer, keyEnd + 1, flagsEnd)
    const size = parseUint(buffer, flagsEnd + 1, bytesEnd)
    if (flags < 0 || flags > 0xffff_ffff || size < 0 || size > MAX_VALUE_LENGTH) {
      return badLine(buffer, position, end, `numeric flags and a length up to ${MAX_VALUE_LENGTH}`)
    }
    const hasCas = bytesEnd < end
    if ((withCas === true && !hasCas) || (withCas === false && hasCas)) {
      return badLine(buffer, position, end, withCas ? 'a cas unique' : 'no cas unique')
    }
    let cas: bigint | undefined
    if (hasCas) {
      cas = parseU64(buffer, bytesEnd + 1, end)
      if (cas < 0n) return badLine(buffer, position, end, 'a numeric cas unique')
    }
    const key = textOf(buffer, keyStart, keyEnd)
    if (check === 'ordered') {
      while (keyIndex < keys.length && keys[keyIndex] !== key) keyIndex++
      if (keyIndex === keys.length) {
        return E.left(protocolError(`reply names key ${JSON.stringify(key)} that the request did not ask for, or out of order`))
      }
      keyIndex++
    }
    const valueStart = end + 2
    const valueEnd = valueStart + size
    if (buffer.length < valueEnd + 2) return NEED_MORE
    if (buffer[valueEnd] !== CR || buffer[valueEnd + 1] !== LF) {
      return E.left(protocolError(`value of ${JSON.stringify(key)} is not followed by CRLF after ${size} bytes`))
    }
    const value = buffer.subarray(valueStart, valueEnd)
    items.push(cas === undefined ? { key, flags, value } : { key, flags, value, cas })
    position = valueEnd + 2
  }
}

const decodeStats = (buffer: Uint8Array, offset: number): DecodeResult => {
  const entries: Array<readonly [string, string]> = []
  let position = offset
  for (;;) {
    const end = lineEnd(buffer, position)
    if (end === -1) return NEED_MORE
    if (end === -2) return notALine
    if (lineIs(buffer, position, end, END)) return done(Reply.statsReply(entries), end + 2)
    if (entries.length === 0 && lineIs(buffer, position, end, RESET)) return done(Reply.reset, end + 2)
    if (!startsWith(buffer, position, end, STAT_)) {
      const failure = entries.length === 0 ? errorLine(buffer, position, end) : undefined
      return failure !== undefined ? done(failure, end + 2) : badLine(buffer, position, end, 'STAT or END')
    }
    const nameStart = position + STAT_.length
    let nameEnd = buffer.indexOf(SPACE, nameStart)
    if (nameEnd < 0 || nameEnd > end) nameEnd = end
    entries.push([textOf(buffer, nameStart, nameEnd), nameEnd < end ? textOf(buffer, nameEnd + 1, end) : ''])
    position = end + 2
  }
}

const decodeNumeric = (buffer: Uint8Array, offset: number): DecodeResult => {
  const end = lineEnd(buffer, offset)
  if (end === -1) return NEED_MORE
  if (end === -2) return notALine
  if (lineIs(buffer, offset, end, NOT_FOUND)) return done(Reply.notFound, end + 2)
  const failure = errorLine(buffer, offset, end)
  if (failure !== undefined) return done(failure, end + 2)
  // memcached may pad the reply with spaces when the new value is shorter than the stored one.
  let digitsEnd = end
  while (digitsEnd > offset && buffer[digitsEnd - 1] === SPACE) digitsEnd--
  const value = parseU64(buffer, offset, digitsEnd)
  return value < 0n ? badLine(buffer, offset, end, 'a number or NOT_FOUND') : done(Reply.numeric(value), end + 2)
}

const decodeVersion = (buffer: Uint8Array, offset: number): DecodeResult => {
  const end = lineEnd(buffer, offset)
  if (end === -1) return NEED_MORE
  if (end === -2) return notALine
  if (startsWith(buffer, offset, end, VERSION_)) return done(Reply.versionReply(textOf(buffer, offset + VERSION_.length, end)), end + 2)
  const failure = errorLine(buffer, offset, end)
  return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, 'VERSION')
}

const decodeLine = (buffer: Uint8Array, offset: number): DecodeResult => {
  const end = lineEnd(buffer, offset)
  if (end === -1) return NEED_MORE
  if (end === -2) return notALine
  return done(errorLine(buffer, offset, end) ?? Reply.line(textOf(buffer, offset, end)), end + 2)
}

const noReplyYet = (offset: number): DecodeResult => done(Reply.noReply, offset)

const decodeOk = oneOf([[OK, Reply.ok]], 'OK')

/**
 * `cache_memlimit` answers `MEMLIMIT_TOO_SMALL ...` or `MEMLIMIT_ADJUST_FAILED ...` when it refuses:
 * a refusal with the stream in step, not a desync.
 */
const decodeMemlimit = (buffer: Uint8Array, offset: number): DecodeResult => {
  const end = lineEnd(buffer, offset)
  if (end >= 0 && startsWith(buffer, offset, end, MEMLIMIT_)) return done(Reply.failure(serverError(textOf(buffer, offset, end))), end + 2)
  return decodeOk(buffer, offset)
}

const decodeDelete = oneOf(
  [
    [DELETED, Reply.deleted],
    [NOT_FOUND, Reply.notFound],
  ],
  'DELETED or NOT_FOUND',
)
const decodeTouch = oneOf(
  [
    [TOUCHED, Reply.touched],
    [NOT_FOUND, Reply.notFound],
  ],
  'TOUCHED or NOT_FOUND',
)
const decodeStore = storageReply(
  [
    [STORED, Reply.stored],
    [NOT_STORED, Reply.notStored],
    [EXISTS, Reply.exists],
    [NOT_FOUND, Reply.notFound],
  ],
  'STORED or NOT_STORED',
)
const decodeCas = storageReply(
  [
    [STORED, Reply.stored],
    [EXISTS, Reply.exists],
    [NOT_FOUND, Reply.notFound],
  ],
  'STORED, EXISTS or NOT_FOUND',
)

type Decoders = {
  readonly [K in R.Request['_tag']]: (request: Extract<R.Request, { _tag: K }>, buffer: Uint8Array, offset: number) => DecodeResult
}

const decoders: Decoders = {
  Get: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, false, 'ordered'),
  Gets: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, true, 'ordered'),
  Gat: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, false, 'ordered'),
  Gats: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, true, 'ordered'),
  Store: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeStore(request, buffer, offset)),
  Cas: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeCas(request, buffer, offset)),
  Delete: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeDelete(buffer, offset)),
  Incr: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeNumeric(buffer, offset)),
  Decr: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeNumeric(buffer, offset)),
  Touch: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeTouch(buffer, offset)),
  Stats: (_request, buffer, offset) => decodeStats(buffer, offset),
  FlushAll: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeOk(buffer, offset)),
  Version: (_request, buffer, offset) => decodeVersion(buffer, offset),
  Verbosity: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeOk(buffer, offset)),
  CacheMemlimit: (request, buffer, offset) => (request.noreply ? noReplyYet(offset) : decodeMemlimit(buffer, offset)),
  Quit: (_request, _buffer, offset) => noReplyYet(offset),
  Shutdown: (_request, _buffer, offset) => noReplyYet(offset),
  Raw: (request, buffer, offset) => {
    switch (request.expect) {
      case 'none':
        return noReplyYet(offset)
      case 'line':
        return decodeLine(buffer, offset)
      case 'stats':
        return decodeStats(buffer, offset)
      case 'values':
        return decodeValues(buffer, offset, [], undefined, 'any')
    }
  },
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Decodes the reply to `request` found at `offset` (uncurried, for the connection's hot path).
 *
 * @example
 * import { get } from './request.js'
 * decodeReply(get(['a']), new TextEncoder().encode('END\r\n'), 0) // right(some([values([]), 5]))
 * @category utils
 */
export const decodeReply = (request: R.Request, buffer: Uint8Array, offset: number): DecodeResult =>
  (decoders[request._tag] as (request: R.Request, buffer: Uint8Array, offset: number) => DecodeResult)(request, buffer, offset)

/**
 * The decoder for the reply to `request`. Requests that expect no reply (`noreply`, `quit`)
 * decode to `NoReply` without consuming anything.
 *
 * @example
 * import { del } from './request.js'
 * decode(del('k'))(new TextEncoder().encode('DELETED\r\n'), 0) // right(some([deleted, 9]))
 * decode(del('k'))(new TextEncoder().encode('DELE'), 0) // right(none): need more bytes
 * @category utils
 */
export const decode =
  (request: R.Request): Decoder =>
  (buffer, offset) =>
    decodeReply(request, buffer, offset)

/**
 * Decodes a line that arrives when no reply is awaited: an error the server still sends for a
 * `noreply` request (or `ERROR Too many open connections` before closing). Anything other than an
 * error line is a `left`.
 *
 * @example
 * decodeUnsolicited(new TextEncoder().encode('SERVER_ERROR out of memory\r\n'), 0)
 * @category utils
 */
export const decodeUnsolicited = (buffer: Uint8Array, offset: number): DecodeResult => {
  const end = lineEnd(buffer, offset)
  if (end === -1) return NEED_MORE
  if (end === -2) return notALine
  const failure = errorLine(buffer, offset, end)
  return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, 'no reply at all')
}
