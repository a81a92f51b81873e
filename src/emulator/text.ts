/**
 * memcached's text protocol from the server's side: read command lines and data blocks from a
 * client's bytes, hand them to an `Engine`, and write the replies back as memcached 1.6.18 does.
 *
 * Three layers, each usable alone:
 * - `parseLine`: one command line (pure) into a `LineCommand`: a request for the engine, the
 *   header of a storage command whose data block follows, an answer decided right here (`ERROR`,
 *   `CLIENT_ERROR bad command line format`...), or "close the connection".
 * - `renderReply`: a `Reply` into the bytes memcached writes (values are never copied).
 * - `makeSession`: one connection's state machine over both: pipelining, data blocks read by
 *   their length (a block that does not end in `\r\n` is `CLIENT_ERROR bad data chunk`, and the
 *   bytes after it are read as the next command, like memcached), too large values swallowed
 *   unbuffered, `noreply` silencing, `quit`.
 *
 * Keys are byte strings (one char per byte): whatever bytes a client sent come back the same.
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import { MAX_KEY_LENGTH } from '../protocol/key.js'
import * as Reply from '../protocol/reply.js'
import * as R from '../protocol/request.js'
import type { ConnectionHandle, Engine } from './engine.js'
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
      readonly line: string
      /** `noreply` was on the line: memcached writes nothing, even for an error. */
      readonly silent: boolean
      /** Looked up before the answer, for its effects (a multi-get stopped by a too long key). */
      readonly partial?: R.Request
    }
  | { readonly _tag: 'Close' }

/** What a session writes back after some bytes came in. @category model */
export interface SessionOutput {
  readonly chunks: ReadonlyArray<Uint8Array>
  /** Close the connection once `chunks` are written (`quit`, or memcached's `conn_closing`). */
  readonly close: boolean
}

/** One client connection's state machine. @category model */
export interface Session {
  readonly receive: (bytes: Uint8Array) => SessionOutput
}

/** memcached's `KEY_MAX_LENGTH`: the protocol's `MAX_KEY_LENGTH`. @category model */
export const KEY_MAX_LENGTH = MAX_KEY_LENGTH

/** memcached's `-R`: commands handled before the replies stacked so far are written. @category model */
export const REQUESTS_PER_EVENT = 20

/** Without a newline in this many bytes, memcached closes any connection that is not sending a multi-get. @category model */
export const LINE_LIMIT = 2048

// -------------------------------------------------------------------------------------
// parsing
// -------------------------------------------------------------------------------------

const LF = 10
const CR = 13
/** memcached's `MAX_TOKENS`: counts after this many tokens only see "more". */
const MAX_TOKENS = 24

const execute = (request: R.Request): LineCommand => ({ _tag: 'Execute', request })
const answer = (line: string, silent = false, partial?: R.Request): LineCommand =>
  partial === undefined ? { _tag: 'Answer', line, silent } : { _tag: 'Answer', line, silent, partial }

const ERROR = 'ERROR'
const BAD_FORMAT = 'CLIENT_ERROR bad command line format'
const BAD_EXPTIME = 'CLIENT_ERROR invalid exptime argument'

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
  if (delta === undefined) return answer('CLIENT_ERROR invalid numeric delta argument', noreply)
  return execute(increment ? R.incr(key, delta, noreply) : R.decr(key, delta, noreply))
}

const parseDelete = (tokens: ReadonlyArray<string>, count: number): LineCommand => {
  let noreply = false
  if (count > 3) {
    const holdIsZero = tokens[2] === '0'
    noreply = isNoreply(tokens, count)
    const valid = (count === 4 && (holdIsZero || noreply)) || (count === 5 && holdIsZero && noreply)
    if (!valid) return answer(`${BAD_FORMAT}.  Usage: delete <key> [noreply]`, noreply)
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
    return mode === 'on' || mode === 'off' ? answer('OK') : mode === 'dump' ? answer('END') : answer('CLIENT_ERROR usage: stats detail on|off|dump')
  }
  if (argument === 'cachedump') {
    if (count < 5) return answer('CLIENT_ERROR bad command line')
    return strtoul32(tokens[2] ?? '') === undefined || strtoul32(tokens[3] ?? '') === undefined ? answer(BAD_FORMAT) : answer('END')
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
    return command === 'mn' ? answer('MN') : answer(ERROR)
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
      return answer('ERROR: shutdown not enabled')
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
  while (start < buffer.length && buffer[start] === 0x20) start++
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
    return buffer.length - offset > LINE_LIMIT && !mayBeLongGet(buffer, offset) ? O.some([{ _tag: 'Close' }, buffer.length] as const) : O.none
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

// -------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------

const CRLF = new Uint8Array([CR, LF])
const END = Buffer.from('END\r\n', 'latin1')

const lineBytes = (text: string): Uint8Array => Buffer.from(text + '\r\n', 'latin1')

const failureLine = (failure: Reply.Failure): string => {
  const error = failure.error
  switch (error._tag) {
    case 'ClientError':
      return `CLIENT_ERROR ${error.reason}`
    case 'ServerError':
      return `SERVER_ERROR ${error.reason}`
    case 'UnknownCommand':
      return error.reason === '' ? ERROR : `ERROR ${error.reason}`
    case 'ValueTooLarge':
      return 'SERVER_ERROR object too large for cache'
  }
}

/**
 * The bytes memcached writes for `reply`. Values are referenced, not copied.
 *
 * @example
 * renderReply(Reply.stored) // [bytes('STORED\r\n')]
 * renderReply(Reply.numeric(7n)) // [bytes('7\r\n')]
 * @category rendering
 */
export const renderReply = (reply: Reply.Reply): ReadonlyArray<Uint8Array> => {
  switch (reply._tag) {
    case 'Values': {
      const chunks: Array<Uint8Array> = []
      for (const item of reply.items) {
        const cas = item.cas === undefined ? '' : ` ${item.cas}`
        chunks.push(lineBytes(`VALUE ${item.key} ${item.flags} ${item.value.length}${cas}`))
        if (item.value.length > 0) chunks.push(item.value)
        chunks.push(CRLF)
      }
      chunks.push(END)
      return chunks
    }
    case 'Stats':
      return [Buffer.from(reply.entries.map(([name, value]) => `STAT ${name} ${value}\r\n`).join('') + 'END\r\n', 'latin1')]
    case 'Stored':
      return [lineBytes('STORED')]
    case 'NotStored':
      return [lineBytes('NOT_STORED')]
    case 'Exists':
      return [lineBytes('EXISTS')]
    case 'NotFound':
      return [lineBytes('NOT_FOUND')]
    case 'Deleted':
      return [lineBytes('DELETED')]
    case 'Touched':
      return [lineBytes('TOUCHED')]
    case 'Ok':
      return [lineBytes('OK')]
    case 'Reset':
      return [lineBytes('RESET')]
    case 'Numeric':
      return [lineBytes(reply.value.toString())]
    case 'Version':
      return [lineBytes(`VERSION ${reply.version}`)]
    case 'Line':
      return [lineBytes(reply.line)]
    case 'NoReply':
      return []
    case 'Failure':
      return [lineBytes(failureLine(reply))]
  }
}

// -------------------------------------------------------------------------------------
// session
// -------------------------------------------------------------------------------------

type Mode =
  | { readonly _tag: 'Lines' }
  /** Reading a data block into `block` (value and its `\r\n`). */
  | { readonly _tag: 'Data'; readonly header: StorageHeader; readonly block: Uint8Array; filled: number }
  /** Discarding a refused data block without buffering it. */
  | { readonly _tag: 'Swallow'; remaining: number }

const LINES: Mode = { _tag: 'Lines' }

const concat = (first: Uint8Array, second: Uint8Array): Uint8Array => {
  if (first.length === 0) return second
  const joined = new Uint8Array(first.length + second.length)
  joined.set(first, 0)
  joined.set(second, first.length)
  return joined
}

/**
 * One connection to `engine`: feed it the client's bytes as they arrive, write back what it returns.
 *
 * @example
 * const session = makeSession(makeEngine())
 * session.receive(new TextEncoder().encode('set k 0 0 1\r\nx\r\nget k\r\n'))
 * // { chunks: ['STORED\r\n', 'VALUE k 0 1\r\n', 'x', '\r\n', 'END\r\n'], close: false }
 * @category session
 */
export const makeSession = (engine: Engine, connection?: ConnectionHandle): Session => {
  let pending: Uint8Array = new Uint8Array(0)
  let mode: Mode = LINES
  let closed = false

  const receive = (bytes: Uint8Array): SessionOutput => {
    if (closed) return { chunks: [], close: true }
    const chunks: Array<Uint8Array> = []
    const reply = (response: Reply.Reply, silent: boolean) => {
      if (!silent) for (const chunk of renderReply(response)) chunks.push(chunk)
    }
    const buffer = concat(pending, bytes)
    let offset = 0
    // memcached writes its stacked replies every `REQUESTS_PER_EVENT` commands and when it needs
    // more bytes (here: when `receive` returns); replies after `sent` are not out yet.
    let sent = 0
    let commands = 0
    // The first command of a read event comes before memcached's first countdown.
    let batch = REQUESTS_PER_EVENT + 1
    while (!closed) {
      if (mode._tag === 'Swallow') {
        const taken = Math.min(mode.remaining, buffer.length - offset)
        mode.remaining -= taken
        offset += taken
        if (mode.remaining > 0) break
        mode = LINES
        continue
      }
      if (mode._tag === 'Data') {
        const taken = Math.min(mode.block.length - mode.filled, buffer.length - offset)
        mode.block.set(buffer.subarray(offset, offset + taken), mode.filled)
        mode.filled += taken
        offset += taken
        if (mode.filled < mode.block.length) break
        const { header, block } = mode
        mode = LINES
        const valid = block[header.length] === CR && block[header.length + 1] === LF
        const request = requestOf(header, block.subarray(0, header.length))
        // Under noreply even `bad data chunk` is silent, as memcached's out_string makes it.
        reply(engine.store(request, valid ? 'valid' : 'bad'), header.noreply)
        continue
      }
      const parsed = parseLine(buffer, offset)
      if (O.isNone(parsed)) break
      const [command, next] = parsed.value
      offset = next
      connection?.commandReceived()
      if (commands === batch) {
        sent = chunks.length
        commands = 0
        batch = REQUESTS_PER_EVENT
      }
      commands++
      switch (command._tag) {
        case 'Close':
          closed = true
          break
        case 'Answer':
          if (command.partial !== undefined) {
            engine.execute(command.partial)
            // memcached's process_get_command releases every stacked reply before its error line.
            chunks.length = sent
          }
          if (!command.silent) chunks.push(lineBytes(command.line))
          break
        case 'Storage': {
          const { header } = command
          const refused = engine.admit(header.command, header.key, header.flags, header.length)
          if (refused !== undefined) {
            reply(refused, header.noreply)
            mode = { _tag: 'Swallow', remaining: header.length + 2 }
          } else {
            mode = { _tag: 'Data', header, block: new Uint8Array(header.length + 2), filled: 0 }
          }
          break
        }
        case 'Execute':
          if (command.request._tag === 'Quit') {
            closed = true
            break
          }
          reply(engine.execute(command.request), R.expectsNoReply(command.request))
          break
      }
    }
    pending = closed ? new Uint8Array(0) : buffer.slice(offset)
    const written = chunks.reduce((total, chunk) => total + chunk.length, 0)
    connection?.traffic(bytes.length, written)
    return { chunks, close: closed }
  }

  return { receive }
}
