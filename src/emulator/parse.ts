/**
 * memcached's text protocol from the server's side, first step: a client's command line into what
 * it asks for (pure, no engine). `parseLine` reads one line into a `LineCommand`: a request for the
 * engine, the header of a storage command whose data block follows, a retrieval whose keys are
 * read from the line as it is answered, a reply decided right here (`ERROR`, `CLIENT_ERROR bad
 * command line format`...), or "close the connection". It follows memcached 1.6.18's
 * `proto_text.c`, tokenizer and argument checks included.
 *
 * A retrieval line is never split into an array of keys: a multi-get line has no length limit in
 * memcached (megabytes of keys), so its keys stay bytes in the line and `nextKey` reads them one
 * at a time, letting the session answer them in slices. Every byte of a line is looked at a fixed
 * number of times.
 *
 * Keys are byte strings (one char per byte): whatever bytes a client sent come back the same.
 *
 * @since 0.2.0
 */
import * as O from 'fp-ts/lib/Option.js'
import { clientError, unknownCommand } from '../protocol/error.js'
import { MAX_KEY_LENGTH } from '../protocol/key.js'
import * as Reply from '../protocol/reply.js'
import * as R from '../protocol/request.js'
import { WORDS } from '../protocol/words.js'
import { parseMeta, type MetaLine } from './meta-parse.js'
import { byteString, strtol32, strtoul32, strtoull } from './numbers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The line of a storage command; its data block (`length` bytes and `\r\n`) comes next. @category model */
export interface StorageHeader {
  readonly command: R.StoreCommand | 'cas'
  readonly key: string
  readonly flags: number
  readonly exptime: number
  readonly length: number
  /** The unique of a `cas` command; `0n` otherwise. */
  readonly cas: bigint
  readonly noreply: boolean
}

/** What one command line asks for. @category model */
export type LineCommand =
  | { readonly _tag: 'Execute'; readonly request: R.Request }
  | { readonly _tag: 'Storage'; readonly header: StorageHeader }
  | {
      readonly _tag: 'Answer'
      /** The reply the line gets without the engine (a malformed line, `stats detail`...). */
      readonly reply: Reply.Reply
      /** `noreply` was on the line: memcached writes nothing, even for an error. */
      readonly silent: boolean
    }
  | Retrieval
  /** A meta command (`mg`, `ms`, `md`, `ma`, `mn`, `me`): see `meta-parse.ts`. */
  | MetaLine
  | { readonly _tag: 'Close' }

/** The commands that read items: `bget` is `get`. @category model */
export type RetrievalCommand = 'get' | 'gets' | 'gat' | 'gats'

/** Where a retrieval line's keys are: bytes `from` to `to` of `line`, separated by spaces. @category model */
export interface KeySpan {
  readonly line: Uint8Array
  readonly from: number
  readonly to: number
}

/**
 * A `get`, `gets`, `gat` or `gats` line, keys unread. When a key is over `KEY_MAX_LENGTH` bytes
 * (see `findTooLongKey`), memcached looks up the keys before it, drops the replies stacked so far,
 * and answers `CLIENT_ERROR bad command line format`.
 * @category model
 */
export interface Retrieval {
  readonly _tag: 'Retrieval'
  readonly command: RetrievalCommand
  /** For `gat` and `gats`; `0` otherwise. */
  readonly exptime: number
  readonly keys: KeySpan
}

/** How far `findTooLongKey` got: a key over `KEY_MAX_LENGTH` starting `at`, or none before `to`. @category model */
export type KeyScan = { readonly _tag: 'TooLong'; readonly at: number } | { readonly _tag: 'Scanned'; readonly to: number }

/** memcached's `KEY_MAX_LENGTH`: the protocol's `MAX_KEY_LENGTH`. @category model */
export const KEY_MAX_LENGTH = MAX_KEY_LENGTH

/** Without a newline in this many bytes, memcached closes any connection that is not sending a multi-get. @category model */
export const LINE_LIMIT = 2048

const LF = 10
const CR = 13
const SPACE = 0x20
/** memcached's `MAX_TOKENS`: counts after this many tokens only see "more". */
const MAX_TOKENS = 24

const ERROR = Reply.failure(unknownCommand(''))
const BAD_FORMAT_REASON = 'bad command line format'
const BAD_FORMAT = Reply.failure(clientError(BAD_FORMAT_REASON))
const BAD_DELETE = Reply.failure(clientError(`${BAD_FORMAT_REASON}.  Usage: delete <key> [noreply]`))
const BAD_EXPTIME = Reply.failure(clientError('invalid exptime argument'))
const BAD_DELTA = Reply.failure(clientError('invalid numeric delta argument'))
const BAD_STATS_DETAIL = Reply.failure(clientError('usage: stats detail on|off|dump'))
const BAD_COMMAND_LINE = Reply.failure(clientError('bad command line'))
/** A `STAT` list with no rows: the word that ends one. */
const EMPTY_STATS = Reply.statsReply([])
const SHUTDOWN_DISABLED = Reply.line(`${WORDS.error}: shutdown not enabled`)

const CLOSE: LineCommand = { _tag: 'Close' }

// -------------------------------------------------------------------------------------
// parsing
// -------------------------------------------------------------------------------------

const execute = (request: R.Request): LineCommand => ({ _tag: 'Execute', request })
const answer = (reply: Reply.Reply, silent = false): LineCommand => ({ _tag: 'Answer', reply, silent })

/**
 * memcached's tokenizer: split on single spaces (tabs are part of a token). `count` is its
 * `ntokens`, which includes the terminal token and stops growing at `MAX_TOKENS`.
 */
const tokenize = (line: string): { readonly tokens: ReadonlyArray<string>; readonly count: number } => {
  const tokens = line.split(' ').filter((token) => token.length > 0)
  return { tokens, count: Math.min(tokens.length, MAX_TOKENS - 1) + 1 }
}

const isNoreply = (tokens: ReadonlyArray<string>, count: number): boolean => tokens[count - 2] === 'noreply'

/** Where the token at or after `position` starts: `end` when only spaces are left. */
const tokenStart = (line: Uint8Array, position: number, end: number): number => {
  let start = position
  while (start < end && line[start] === SPACE) start++
  return start
}

/** Where the token starting at `start` ends. */
const tokenEnd = (line: Uint8Array, start: number, end: number): number => {
  let stop = start
  while (stop < end && line[stop] !== SPACE) stop++
  return stop
}

const RETRIEVALS: ReadonlyMap<string, RetrievalCommand> = new Map([
  ['get', 'get'],
  ['bget', 'get'],
  ['gets', 'gets'],
  ['gat', 'gat'],
  ['gats', 'gats'],
])

/** memcached's `process_get_command` up to its key loop; `position` is after the command's name. */
const parseRetrieval = (command: RetrievalCommand, line: Uint8Array, position: number, end: number): LineCommand => {
  let from = tokenStart(line, position, end)
  // memcached's `ntokens < 3`: a retrieval needs a token after its name.
  if (from === end) return answer(ERROR)
  let exptime = 0
  if (command === 'gat' || command === 'gats') {
    const stop = tokenEnd(line, from, end)
    const parsed = strtol32(byteString(line.subarray(from, stop)))
    if (parsed === undefined) return answer(BAD_EXPTIME)
    exptime = parsed
    from = stop
  }
  return { _tag: 'Retrieval', command, exptime, keys: { line, from, to: end } }
}

const parseStorage = (command: R.StoreCommand | 'cas', tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  const key = tokens[1] ?? ''
  if (key.length > KEY_MAX_LENGTH) return answer(BAD_FORMAT, noreply)
  const flags = strtoul32(tokens[2] ?? '')
  const exptime = strtol32(tokens[3] ?? '')
  const length = strtol32(tokens[4] ?? '')
  if (flags === undefined || exptime === undefined || length === undefined) return answer(BAD_FORMAT, noreply)
  let cas = 0n
  if (command === 'cas') {
    const unique = strtoull(tokens[5] ?? '')
    if (unique === undefined) return answer(BAD_FORMAT, noreply)
    cas = unique
  }
  if (length < 0 || length > 0x7fff_ffff - 2) return answer(BAD_FORMAT, noreply)
  return { _tag: 'Storage', header: { command, key, flags, exptime, length, cas, noreply } }
}

const parseArithmetic = (increment: boolean, tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  const key = tokens[1] ?? ''
  if (key.length > KEY_MAX_LENGTH) return answer(BAD_FORMAT, noreply)
  const delta = strtoull(tokens[2] ?? '')
  if (delta === undefined) return answer(BAD_DELTA, noreply)
  return execute(increment ? R.incr(key, delta, noreply) : R.decr(key, delta, noreply))
}

const parseDelete = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  let noreply = false
  if (count > 3) {
    const holdIsZero = tokens[2] === '0'
    noreply = isNoreply(tokens, count)
    const valid = (count === 4 && (holdIsZero || noreply)) || (count === 5 && holdIsZero && noreply)
    if (!valid) return answer(BAD_DELETE, noreply)
  }
  const key = tokens[1] ?? ''
  return key.length > KEY_MAX_LENGTH ? answer(BAD_FORMAT, noreply) : execute(R.del(key, noreply))
}

const parseTouch = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  const key = tokens[1] ?? ''
  if (key.length > KEY_MAX_LENGTH) return answer(BAD_FORMAT, noreply)
  const exptime = strtol32(tokens[2] ?? '')
  return exptime === undefined ? answer(BAD_EXPTIME, noreply) : execute(R.touch(key, exptime, noreply))
}

const parseFlushAll = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  if (count === (noreply ? 3 : 2)) return execute(R.flushAll(undefined, noreply))
  const delay = strtol32(tokens[1] ?? '')
  return delay === undefined ? answer(BAD_EXPTIME, noreply) : execute(R.flushAll(delay, noreply))
}

const STATS_ARGUMENTS: ReadonlySet<string> = new Set(['items', 'slabs', 'settings', 'sizes', 'conns', 'reset'])

const parseStats = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const argument = tokens[1]
  if (count === 2 || argument === undefined) return execute(R.stats())
  if (STATS_ARGUMENTS.has(argument)) return execute(R.stats(argument as R.StatsArgument))
  if (argument === 'detail') {
    // Prefix stats are not kept: `on`/`off` are accepted and `dump` is always empty.
    const mode = count < 4 ? '' : tokens[2]
    return mode === 'on' || mode === 'off' ? answer(Reply.ok) : mode === 'dump' ? answer(EMPTY_STATS) : answer(BAD_STATS_DETAIL)
  }
  if (argument === 'cachedump') {
    if (count < 5) return answer(BAD_COMMAND_LINE)
    return strtoul32(tokens[2] ?? '') === undefined || strtoul32(tokens[3] ?? '') === undefined ? answer(BAD_FORMAT) : answer(EMPTY_STATS)
  }
  return answer(ERROR)
}

const parseVerbosity = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  const level = strtoul32(tokens[1] ?? '')
  return level === undefined ? answer(BAD_FORMAT, noreply) : execute(R.verbosity(level, noreply))
}

const parseCacheMemlimit = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  const noreply = isNoreply(tokens, count)
  const megabytes = strtoul32(tokens[1] ?? '')
  return megabytes === undefined ? answer(ERROR, noreply) : execute(R.cacheMemlimit(megabytes, noreply))
}

/** memcached's `process_command_ascii`, for one line without its line ending. */
const parseTokens = (line: string): LineCommand => {
  const { tokens, count } = tokenize(line)
  const command = tokens[0] ?? ''
  if (count < 2 || command.length < 2) return answer(ERROR)
  const between = (min: number, max: number) => count >= min && count <= max
  const either = (a: number, b: number) => count === a || count === b
  // Meta commands are all two characters long, as memcached dispatches them.
  if (command.length === 2 && command.startsWith('m')) return parseMeta(tokens, count)
  switch (command) {
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
      return either(6, 7) ? parseStorage(command as R.StoreCommand, tokens, count) : answer(ERROR)
    case 'cas':
      return either(7, 8) ? parseStorage('cas', tokens, count) : answer(ERROR)
    case 'incr':
    case 'decr':
      return either(4, 5) ? parseArithmetic(command === 'incr', tokens, count) : answer(ERROR)
    case 'delete':
      return between(3, 5) ? parseDelete(tokens, count) : answer(ERROR)
    case 'touch':
      return either(4, 5) ? parseTouch(tokens, count) : answer(ERROR)
    case 'flush_all':
      return between(2, 4) ? parseFlushAll(tokens, count) : answer(ERROR)
    case 'stats':
      return parseStats(tokens, count)
    case 'version':
      return execute(R.version)
    case 'quit':
      return execute(R.quit)
    case 'shutdown':
      return answer(SHUTDOWN_DISABLED)
    case 'verbosity':
      return either(3, 4) ? parseVerbosity(tokens, count) : answer(ERROR)
    case 'cache_memlimit':
      return either(3, 4) ? parseCacheMemlimit(tokens, count) : answer(ERROR)
    case 'config':
      return count === 4 && tokens[1] === 'get' ? execute(R.configGet(tokens[2])) : answer(ERROR)
    default:
      return answer(ERROR)
  }
}

/**
 * Whether a line with no newline in its first `LINE_LIMIT` bytes may keep growing: memcached
 * keeps reading a multi-get (`get ` or `gets ` after at most 100 spaces) and closes any other
 * connection. `head` is the line's start; its first 106 bytes are enough.
 *
 * @example
 * mayGrowLongLine(new TextEncoder().encode('get a b c')) // true
 * mayGrowLongLine(new TextEncoder().encode('set a 0 0 1')) // false
 * @category parsing
 */
export const mayGrowLongLine = (head: Uint8Array): boolean => {
  const start = tokenStart(head, 0, head.length)
  if (start > 100) return false
  const name = byteString(head.subarray(start, start + 5))
  return name.startsWith('get ') || name.startsWith('gets ')
}

/**
 * One command line, without its line ending, into what it asks for. A NUL byte ends the line
 * early, as in memcached.
 *
 * @example
 * parseCommand(new TextEncoder().encode('incr n 1')) // execute(incr('n', 1n))
 * parseCommand(new TextEncoder().encode('get a b')) // a Retrieval over the bytes of 'a b'
 * @category parsing
 */
export const parseCommand = (line: Uint8Array): LineCommand => {
  const nul = line.indexOf(0)
  const end = nul < 0 ? line.length : nul
  const start = tokenStart(line, 0, end)
  const stop = tokenEnd(line, start, end)
  if (stop - start <= 4) {
    const retrieval = RETRIEVALS.get(byteString(line.subarray(start, stop)))
    if (retrieval !== undefined) return parseRetrieval(retrieval, line, stop, end)
  }
  return parseTokens(byteString(line.subarray(0, end)))
}

/**
 * The next key of a retrieval at or after `position`: the key and where to look for the one after
 * it, or `undefined` when the keys are done.
 *
 * @example
 * const span = { line: new TextEncoder().encode('get a  bc'), from: 3, to: 9 }
 * nextKey(span, 3) // ['a', 5]
 * nextKey(span, 5) // ['bc', 9]
 * nextKey(span, 9) // undefined
 * @category parsing
 */
export const nextKey = (span: KeySpan, position: number): readonly [key: string, next: number] | undefined => {
  const start = tokenStart(span.line, position, span.to)
  if (start >= span.to) return undefined
  const stop = tokenEnd(span.line, start, span.to)
  return [byteString(span.line.subarray(start, stop)), stop]
}

/**
 * Looks for a key over `KEY_MAX_LENGTH` bytes from `position` (a key's start or the space before
 * one), stopping at the first key that ends `bytes` or more after `position`, so a long line can
 * be scanned in slices: go on from `to` while it is before `span.to`.
 *
 * @example
 * const span = { line: new TextEncoder().encode(`a ${'k'.repeat(251)} b`), from: 0, to: 255 }
 * findTooLongKey(span, 0, 1 << 20) // { _tag: 'TooLong', at: 2 }
 * findTooLongKey({ ...span, to: 1 }, 0, 1 << 20) // { _tag: 'Scanned', to: 1 }
 * @category parsing
 */
export const findTooLongKey = (span: KeySpan, position: number, bytes: number): KeyScan => {
  const { line, to: end } = span
  const stopAt = position + bytes
  let start = tokenStart(line, position, end)
  while (start < end) {
    const stop = tokenEnd(line, start, end)
    if (stop - start > KEY_MAX_LENGTH) return { _tag: 'TooLong', at: start }
    if (stop >= stopAt) return { _tag: 'Scanned', to: stop }
    start = tokenStart(line, stop, end)
  }
  return { _tag: 'Scanned', to: end }
}

/**
 * The protocol request for some keys of a retrieval.
 *
 * @example
 * retrievalRequest('gat', 60, ['a', 'b']) // gat(60, ['a', 'b'])
 * @category parsing
 */
export const retrievalRequest = (command: RetrievalCommand, exptime: number, keys: ReadonlyArray<string>): R.Request => {
  switch (command) {
    case 'get':
      return R.get(keys)
    case 'gets':
      return R.gets(keys)
    case 'gat':
      return R.gat(exptime, keys)
    case 'gats':
      return R.gats(exptime, keys)
  }
}

/**
 * The end of the line running from `start` to the `\n` at `newline`: a `\r` before the `\n` is
 * dropped, unless it is the line's only byte (as memcached does).
 *
 * @example
 * lineEnd(new TextEncoder().encode('get a\r\n'), 0, 6) // 5
 * @category parsing
 */
export const lineEnd = (buffer: Uint8Array, start: number, newline: number): number =>
  newline - start > 1 && buffer[newline - 1] === CR ? newline - 1 : newline

/**
 * Reads the command line at `offset`: `none` when its newline has not arrived, else the command
 * and the offset after the line. A storage command's data block is not consumed: the caller
 * reads `header.length + 2` more bytes.
 *
 * Like memcached, a line ends at `\n` (a `\r` before it is dropped), stops at a NUL byte, and a
 * connection that sends more than `LINE_LIMIT` bytes without a newline is closed unless it is a
 * multi-get. (A caller that gets its bytes in pieces should not call this again on a growing
 * buffer: it searches from `offset` each time. The session keeps its own place.)
 *
 * @example
 * parseLine(new TextEncoder().encode('incr n 1\r\n'), 0) // some([execute(incr('n', 1n)), 10])
 * parseLine(new TextEncoder().encode('get a'), 0) // none: need more bytes
 * @category parsing
 */
export const parseLine = (buffer: Uint8Array, offset: number): O.Option<readonly [LineCommand, number]> => {
  const newline = buffer.indexOf(LF, offset)
  if (newline < 0) {
    return buffer.length - offset > LINE_LIMIT && !mayGrowLongLine(buffer.subarray(offset, offset + 106)) ? O.some([CLOSE, buffer.length] as const) : O.none
  }
  return O.some([parseCommand(buffer.subarray(offset, lineEnd(buffer, offset, newline))), newline + 1] as const)
}

/**
 * The request a storage header and its value make.
 *
 * @example
 * requestOf({ command: 'set', key: 'k', flags: 0, exptime: 0, length: 1, cas: 0n, noreply: false }, new Uint8Array([120]))
 * @category parsing
 */
export const requestOf = (header: StorageHeader, value: Uint8Array): R.Store | R.Cas => {
  const options = { flags: header.flags, exptime: header.exptime, noreply: header.noreply }
  return header.command === 'cas' ? R.cas(header.key, value, header.cas, options) : R.store(header.command, header.key, value, options)
}
