/**
 * memcached's text protocol from the server's side, first step: a client's command line into what
 * it asks for (pure, no engine). `parseLine` reads one line into a `LineCommand`: a request for the
 * engine, the header of a storage command whose data block follows, a reply decided right here
 * (`ERROR`, `CLIENT_ERROR bad command line format`...), or "close the connection". It follows
 * memcached 1.6.18's `proto_text.c`, tokenizer and argument checks included.
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
      /** Looked up before the answer, for its effects (a multi-get stopped by a too long key). */
      readonly partial?: R.Request
    }
  | { readonly _tag: 'Close' }

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
/** The meta no-op's reply; meta commands are a later addition, and so are their words in the shared table. */
const META_NOOP = Reply.line('MN')

const CLOSE: LineCommand = { _tag: 'Close' }

// -------------------------------------------------------------------------------------
// parsing
// -------------------------------------------------------------------------------------

const execute = (request: R.Request): LineCommand => ({ _tag: 'Execute', request })
const answer = (reply: Reply.Reply, silent = false, partial?: R.Request): LineCommand =>
  partial === undefined ? { _tag: 'Answer', reply, silent } : { _tag: 'Answer', reply, silent, partial }

/**
 * memcached's tokenizer: split on single spaces (tabs are part of a token). `count` is its
 * `ntokens`, which includes the terminal token and stops growing at `MAX_TOKENS`.
 */
const tokenize = (line: string): { readonly tokens: ReadonlyArray<string>; readonly count: number } => {
  const tokens = line.split(' ').filter((token) => token.length > 0)
  return { tokens, count: Math.min(tokens.length, MAX_TOKENS - 1) + 1 }
}

const isNoreply = (tokens: ReadonlyArray<string>, count: number): boolean => tokens[count - 2] === 'noreply'

const parseRetrieval = (command: string, tokens: ReadonlyArray<string>): LineCommand => {
  const touching = command === 'gat' || command === 'gats'
  let exptime = 0
  if (touching) {
    const parsed = strtol32(tokens[1] ?? '')
    if (parsed === undefined) return answer(BAD_EXPTIME)
    exptime = parsed
  }
  const keys = tokens.slice(touching ? 2 : 1)
  const tooLong = keys.findIndex((key) => key.length > KEY_MAX_LENGTH)
  const build = (list: ReadonlyArray<string>): R.Request =>
    command === 'gets' ? R.gets(list) : command === 'gat' ? R.gat(exptime, list) : command === 'gats' ? R.gats(exptime, list) : R.get(list)
  return tooLong < 0 ? execute(build(keys)) : answer(BAD_FORMAT, false, build(keys.slice(0, tooLong)))
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
  if (command.length === 2 && command.startsWith('m')) {
    // Meta commands are a later addition to the emulator; `mn` needs no engine.
    return command === 'mn' ? answer(META_NOOP) : answer(ERROR)
  }
  switch (command) {
    case 'get':
    case 'gets':
    case 'gat':
    case 'gats':
    case 'bget':
      return count < 3 ? answer(ERROR) : parseRetrieval(command === 'bget' ? 'get' : command, tokens)
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
    default:
      return answer(ERROR)
  }
}

/** A multi-get may be longer than `LINE_LIMIT`; memcached keeps reading those (after at most 100 spaces). */
const mayBeLongGet = (buffer: Uint8Array, offset: number): boolean => {
  let start = offset
  while (start < buffer.length && buffer[start] === SPACE) start++
  if (start - offset > 100) return false
  const head = byteString(buffer.subarray(start, start + 5))
  return head.startsWith('get ') || head.startsWith('gets ')
}

/**
 * Reads the command line at `offset`: `none` when its newline has not arrived, else the command
 * and the offset after the line. A storage command's data block is not consumed: the caller
 * reads `header.length + 2` more bytes.
 *
 * Like memcached, a line ends at `\n` (a `\r` before it is dropped), stops at a NUL byte, and a
 * connection that sends more than `LINE_LIMIT` bytes without a newline is closed unless it is a
 * multi-get.
 *
 * @example
 * parseLine(new TextEncoder().encode('get a b\r\n'), 0) // some([execute(get(['a', 'b'])), 9])
 * parseLine(new TextEncoder().encode('get a'), 0) // none: need more bytes
 * @category parsing
 */
export const parseLine = (buffer: Uint8Array, offset: number): O.Option<readonly [LineCommand, number]> => {
  const newline = buffer.indexOf(LF, offset)
  if (newline < 0) {
    return buffer.length - offset > LINE_LIMIT && !mayBeLongGet(buffer, offset) ? O.some([CLOSE, buffer.length] as const) : O.none
  }
  let end = newline
  if (end - offset > 1 && buffer[end - 1] === CR) end--
  let line = byteString(buffer.subarray(offset, end))
  const nul = line.indexOf('\0')
  if (nul >= 0) line = line.slice(0, nul)
  return O.some([parseTokens(line), newline + 1] as const)
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
