/**
 * Pure, resumable decoders: given the request that is waiting, a buffer and an offset, say
 * "need more bytes", give the reply and the offset after it, or refuse the bytes. A refusal means
 * the stream can no longer be trusted: the connection that read it must be destroyed. A
 * server-side refusal that keeps the stream in step is a `Failure` reply instead.
 *
 * Two forms of the same decoders:
 *
 * - `decode(request)(buffer, offset)` / `decodeReply`: from the first byte of the reply every
 *   time; `right(none)` means "need more bytes". Simple, and what a one-shot caller wants.
 * - `decodeStep(request, buffer, offset, from?)`: when the bytes run out it returns `NeedMore`,
 *   which says how many more bytes are needed at least and carries where the decoder stands (the
 *   items read so far, the `VALUE` line of a value still arriving, how far an unfinished line was
 *   searched). Passed back with the same reply bytes plus more, it resumes there: nothing already
 *   read is read again, so a reply costs O(its bytes) however it is chunked.
 *
 * Values are length-prefixed: a value is located by the byte count in its `VALUE` line and is
 * returned as a view on the input, never scanned for `\r\n` and never copied. `VALUE` keys must be
 * keys the request asked for (with the request's key prefix), in the request's order: a reply that
 * names another key is a desync. Items carry the caller's keys, without the prefix.
 *
 * **Caps.** Nothing a server sends can make a decoder wait for unbounded bytes: a line without
 * `\r\n` within `MAX_LINE_LENGTH` bytes, a `VALUE` line announcing more than the limits'
 * `maxValueSize` (default 64 MiB, `DEFAULT_MAX_VALUE_SIZE`) and a `stats` reply longer than
 * `maxStatsSize` (default 4 MiB) are refused (`ProtocolError`) as soon as the line that crosses
 * the limit is read — a value on its header, before any of its bytes are needed.
 *
 * One decoder per request tag, in one table; the reply words come from `words.ts`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { CONFIG_WORD, parseClusterConfig } from './cluster-config.js'
import { clientError, protocolError, serverError, unknownCommand, valueTooLarge } from './error.js'
import { type MemcacheError } from '../error.js'
import * as Reply from './reply.js'
import type * as R from './request.js'
import { REPLY_WORDS, WORDS, type WordReply } from './words.js'
import { isMetaRequest, type MetaRequest } from './meta.js'
import { decodeMetaStep, type MetaProgress } from './meta-decode.js'
import { textOf } from './ascii.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** `left`: the stream is broken. `right(none)`: need more bytes. `right(some([reply, next]))`. @category model */
export type DecodeResult = E.Either<MemcacheError, O.Option<readonly [Reply.Reply, number]>>

/**
 * Reads one reply at `offset`: the reply and the offset after it, `None` when more bytes are needed, or an error.
 * @category model
 */
export type Decoder = (buffer: Uint8Array, offset: number) => DecodeResult

/**
 * A whole reply, from `decodeStep`.
 *
 * @example
 * const decoded: Decoded = { _tag: 'Decoded', reply: Reply.stored, next: 8, headers: 0 }
 * @category model
 */
export interface Decoded {
  readonly _tag: 'Decoded'
  readonly reply: Reply.Reply
  /** The offset just after the reply. */
  readonly next: number
  /** `VALUE` and `STAT` lines parsed for this reply, over every call: one per line, however the bytes came. */
  readonly headers: number
}

/**
 * A `VALUE` line already read whose value has not fully arrived.
 * @category model
 */
export interface PendingValue {
  readonly key: string
  readonly flags: number
  readonly size: number
  readonly cas: bigint | undefined
}

/**
 * The bytes ran out inside a reply. `needed` is the fewest bytes, past the end of the buffer
 * given, before another call can get further; the other fields are where the decoder stands, to
 * be passed back (as `from`) together with the same reply bytes plus more. Positions are counted
 * from the reply's first byte, so the bytes may move to another buffer in between.
 *
 * A `NeedMore` is a value: resuming it twice (with different bytes) gives two independent results.
 *
 * @example
 * const step = decodeStep(Request.get(['a']), bytes('VALUE a 0 1000\r\n'), 0)
 * // right({ _tag: 'NeedMore', needed: 1002, headers: 1, ... })
 * @category model
 */
export interface NeedMore {
  readonly _tag: 'NeedMore'
  readonly needed: number
  /** `VALUE` and `STAT` lines parsed so far. */
  readonly headers: number
  /** Bytes of the reply fully read (whole lines and values). */
  readonly at: number
  /** Bytes of the reply searched for the end of the unfinished line. */
  readonly scanned: number
  /** Index of the next key a `VALUE` line may name. */
  readonly keyIndex: number
  /** Items read so far: the first `count` of `items`. */
  readonly items: ReadonlyArray<Reply.Item>
  /** `STAT` entries read so far: the first `count` of `entries`. */
  readonly entries: ReadonlyArray<readonly [string, string]>
  readonly count: number
  readonly pendingValue: PendingValue | undefined
  /** Where a meta reply stands (meta requests only). */
  readonly meta?: MetaProgress
}

/**
 * One call of the resumable decoder: a whole reply, or where to resume; `left` when the bytes are
 * not the reply.
 * @category model
 */
export type Step = E.Either<MemcacheError, Decoded | NeedMore>

/**
 * A reply line longer than this without `\r\n` is refused rather than buffered without end.
 * @category model
 */
export const MAX_LINE_LENGTH = 8192

/**
 * memcached's largest possible item (`-I` tops out at 1 GiB): a `VALUE` line announcing more is
 * refused whatever the limits say, instead of waiting for bytes that will never come.
 * @category model
 */
export const MAX_VALUE_LENGTH = 1024 * 1024 * 1024

/**
 * The largest value a reply may announce unless told otherwise: 64 MiB. memcached's own default
 * item size is 1 MiB and few servers raise `-I` past a few MiB, so 64 MiB refuses no item a
 * usual server can hold, while a broken or hostile `VALUE` header cannot make a client buffer
 * up to a gibibyte per connection. Servers with larger items: raise `maxValueSize`.
 *
 * @example
 * connect({ server, maxValueSize: 2 * DEFAULT_MAX_VALUE_SIZE }) // a server run with -I 128m
 * @category model
 */
export const DEFAULT_MAX_VALUE_SIZE = 64 * 1024 * 1024

/**
 * The largest `stats` reply read unless told otherwise: 4 MiB. A `stats` reply is a few KiB,
 * `stats slabs` / `stats items` some tens of KiB, and memcached caps `stats cachedump` at 2 MiB.
 *
 * @example
 * replyLimits({ maxStatsSize: 4 * DEFAULT_MAX_STATS_SIZE })
 * @category model
 */
export const DEFAULT_MAX_STATS_SIZE = 4 * 1024 * 1024

/**
 * How large a reply may be before it is refused (a `ProtocolError`: the connection must be
 * dropped) rather than buffered: the bytes a `VALUE` line may announce, and the bytes of a whole
 * `stats` reply (raw `stats` requests included). Lines are bounded by `MAX_LINE_LENGTH`.
 *
 * @example
 * const limits: ReplyLimits = { maxValueSize: 1024 * 1024, maxStatsSize: 64 * 1024 }
 * @category model
 */
export interface ReplyLimits {
  readonly maxValueSize: number
  readonly maxStatsSize: number
}

/**
 * `DEFAULT_MAX_VALUE_SIZE` and `DEFAULT_MAX_STATS_SIZE`: what decoders use when given no limits.
 *
 * @example
 * decodeStep(request, bytes, 0, undefined, defaultReplyLimits)
 * @category model
 */
export const defaultReplyLimits: ReplyLimits = Object.freeze({ maxValueSize: DEFAULT_MAX_VALUE_SIZE, maxStatsSize: DEFAULT_MAX_STATS_SIZE })

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `limits` with every field a usable byte count: missing or not a positive number means the
 * default; `maxValueSize` never above `MAX_VALUE_LENGTH`.
 *
 * @example
 * replyLimits({ maxValueSize: 2 ** 40 }) // { maxValueSize: MAX_VALUE_LENGTH, maxStatsSize: DEFAULT_MAX_STATS_SIZE }
 * @category constructors
 */
export const replyLimits = (limits: Partial<ReplyLimits> = {}): ReplyLimits => {
  const valueSize = limits.maxValueSize
  const statsSize = limits.maxStatsSize
  return {
    maxValueSize: valueSize !== undefined && valueSize > 0 ? Math.min(Math.floor(valueSize), MAX_VALUE_LENGTH) : DEFAULT_MAX_VALUE_SIZE,
    maxStatsSize: statsSize !== undefined && statsSize > 0 ? Math.floor(Math.min(statsSize, Number.MAX_SAFE_INTEGER)) : DEFAULT_MAX_STATS_SIZE,
  }
}

// -------------------------------------------------------------------------------------
// the cursor
// -------------------------------------------------------------------------------------

/**
 * Where the decoding of one reply stands and how it ended. There is one, shared by every call:
 * decoding is synchronous and never re-entered, and a shared cursor costs no allocation per reply.
 * Each public function loads it (fresh, or from a `NeedMore`) and reads the outcome off it.
 */
interface Cursor {
  at: number
  scanned: number
  keyIndex: number
  items: Array<Reply.Item> | undefined
  entries: Array<readonly [string, string]> | undefined
  /** `items`/`entries` came from a `NeedMore`, which still holds them: a finished reply gets a copy. */
  shared: boolean
  /** `-1` unless a `VALUE` line was read and its value has not arrived. */
  pendingSize: number
  pendingKey: string
  pendingFlags: number
  pendingCas: bigint | undefined
  headers: number
  needed: number
  reply: Reply.Reply
  error: MemcacheError
  /** The limits of the call in progress. */
  limits: ReplyLimits
}

/** Outcomes besides an offset (`>= 0`, the reply decoded): */
const NEED = -1
const FAIL = -2

const cursor: Cursor = {
  at: 0,
  scanned: 0,
  keyIndex: 0,
  items: undefined,
  entries: undefined,
  shared: false,
  pendingSize: -1,
  pendingKey: '',
  pendingFlags: 0,
  pendingCas: undefined,
  headers: 0,
  needed: 0,
  reply: Reply.noReply,
  error: protocolError(''),
  limits: defaultReplyLimits,
}

/** A fresh start, or a resumption from `from` (its arrays shared as long as nobody else extended them). */
const begin = (from: NeedMore | undefined, limits: ReplyLimits): void => {
  cursor.needed = 0
  cursor.limits = limits
  if (from === undefined) {
    cursor.at = 0
    cursor.scanned = 0
    cursor.keyIndex = 0
    cursor.items = undefined
    cursor.entries = undefined
    cursor.shared = false
    cursor.pendingSize = -1
    cursor.headers = 0
    return
  }
  cursor.at = from.at
  cursor.scanned = from.scanned
  cursor.keyIndex = from.keyIndex
  cursor.headers = from.headers
  // Append-only sharing: a state's items are the first `count` of the array. Pushing onto it is safe
  // while nothing was pushed past `count` (by resuming the same state before); otherwise copy.
  const count = from.count
  cursor.items = count === 0 || from.items.length === 0 ? undefined : adopt(from.items, count)
  cursor.entries = count === 0 || from.entries.length === 0 ? undefined : adopt(from.entries, count)
  cursor.shared = from.items.length === count || from.entries.length === count
  const pending = from.pendingValue
  if (pending === undefined) cursor.pendingSize = -1
  else {
    cursor.pendingSize = pending.size
    cursor.pendingKey = pending.key
    cursor.pendingFlags = pending.flags
    cursor.pendingCas = pending.cas
  }
}

const adopt = <A>(parts: ReadonlyArray<A>, count: number): Array<A> =>
  // The cast is the sharing described in `begin`: only indexes past `count` are ever written.
  parts.length === count ? (parts as Array<A>) : parts.slice(0, count)

/** Drops the cursor's references to the last reply, so that it holds no memory between calls. */
const release = (): void => {
  cursor.items = undefined
  cursor.entries = undefined
  cursor.reply = Reply.noReply
}

const NO_ITEMS: ReadonlyArray<never> = Object.freeze([])

const snapshot = (): NeedMore => {
  const items = cursor.items
  const entries = cursor.entries
  const state: NeedMore = {
    _tag: 'NeedMore',
    needed: cursor.needed,
    headers: cursor.headers,
    at: cursor.at,
    scanned: cursor.scanned,
    keyIndex: cursor.keyIndex,
    items: items ?? NO_ITEMS,
    entries: entries ?? NO_ITEMS,
    count: items !== undefined ? items.length : entries !== undefined ? entries.length : 0,
    pendingValue:
      cursor.pendingSize < 0 ? undefined : { key: cursor.pendingKey, flags: cursor.pendingFlags, size: cursor.pendingSize, cas: cursor.pendingCas },
  }
  release()
  return state
}

/** The array a finished reply gets: its own, unless a `NeedMore` still holds it. */
const finished = <A>(parts: Array<A> | undefined): ReadonlyArray<A> => (parts === undefined ? NO_ITEMS : cursor.shared ? parts.slice() : parts)

const done = (reply: Reply.Reply, next: number): number => {
  cursor.reply = reply
  return next
}

const fail = (error: MemcacheError): number => {
  cursor.error = error
  return FAIL
}

// -------------------------------------------------------------------------------------
// bytes
// -------------------------------------------------------------------------------------

const CR = 13
const LF = 10
const SPACE = 32
const COLON = 58

const NEED_MORE: DecodeResult = E.right(O.none)

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const END = bytesOf(WORDS.end)
const VALUE_ = bytesOf(`${WORDS.value} `)
const STAT_ = bytesOf(`${WORDS.stat} `)
const VERSION_ = bytesOf(`${WORDS.version} `)
const ERROR = bytesOf(WORDS.error)
const CLIENT_ERROR = bytesOf(WORDS.clientError)
const SERVER_ERROR = bytesOf(WORDS.serverError)
const MEMLIMIT_ = bytesOf(WORDS.memlimit)
const RESET = bytesOf(REPLY_WORDS.Reset)
const NOT_FOUND = bytesOf(REPLY_WORDS.NotFound)


const startsWith = (buffer: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean => {
  if (end - start < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return false
  return true
}

/** The first space in `buffer[from, end)`, or `end`: never looks past the line into a value's bytes. */
const spaceIn = (buffer: Uint8Array, from: number, end: number): number => {
  for (let i = from; i < end; i++) if (buffer[i] === SPACE) return i
  return end
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
 * Whether `buffer[start, end)` is `prefix + key` in UTF-8, compared byte by byte without building
 * the string (ASCII); a non-ASCII prefix or key is compared as decoded text.
 */
const namesKey = (buffer: Uint8Array, start: number, end: number, prefix: string, key: string): boolean => {
  let at = start
  for (let i = 0; i < prefix.length; i++, at++) {
    const code = prefix.charCodeAt(i)
    if (code > 0x7f) return textOf(buffer, start, end) === prefix + key
    if (at >= end || buffer[at] !== code) return false
  }
  for (let i = 0; i < key.length; i++, at++) {
    const code = key.charCodeAt(i)
    if (code > 0x7f) return textOf(buffer, start, end) === prefix + key
    if (at >= end || buffer[at] !== code) return false
  }
  return at === end
}

const notALine = protocolError(`reply line without CRLF or longer than ${MAX_LINE_LENGTH} bytes`)

/**
 * The index of the CR ending the line that starts at `start` (inside the reply that starts at
 * `offset`), else `NEED` or `FAIL`. The search resumes where the last one stopped and never looks
 * further than one line's limit, so it never runs over value bytes or rescans a line.
 */
const lineEnd = (buffer: Uint8Array, start: number, offset: number): number => {
  const length = buffer.length
  const limit = Math.min(length, start + MAX_LINE_LENGTH + 1)
  let i = offset + cursor.scanned
  if (i < start) i = start
  for (; i < limit; i++) {
    if (buffer[i] !== CR) continue
    if (i + 1 >= length) {
      cursor.scanned = i - offset
      cursor.needed = 1
      return NEED
    }
    return buffer[i + 1] === LF ? i : fail(notALine)
  }
  if (limit - start > MAX_LINE_LENGTH) return fail(notALine)
  cursor.scanned = i - offset
  // A CR and its LF, unless one more byte without a CR already makes the line too long.
  cursor.needed = limit - start === MAX_LINE_LENGTH ? 1 : 2
  return NEED
}

const badLine = (buffer: Uint8Array, start: number, end: number, expected: string): number => {
  const shown = textOf(buffer, start, Math.min(end, start + 80))
  return fail(protocolError(`unexpected reply ${JSON.stringify(shown)} (expected ${expected})`))
}

/** The text after `word` and its separator (space, or `:` in `ERROR: ...`). */
const restAfter = (buffer: Uint8Array, start: number, end: number, word: Uint8Array): string => {
  let from = start + word.length
  while (from < end && (buffer[from] === SPACE || buffer[from] === COLON)) from++
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
    if (separator === SPACE || separator === COLON) return Reply.failure(serverError(restAfter(buffer, start, end, ERROR)))
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

/**
 * The shape every decoder has: the offset after the reply (the reply in the cursor), or `NEED`
 * (how many more bytes, and where to resume, in the cursor), or `FAIL` (the error in the cursor).
 */
type Core = (buffer: Uint8Array, offset: number) => number

/** Which one-word replies a request accepts, besides error lines. */
type LineTable = ReadonlyArray<readonly [Uint8Array, Reply.Reply]>

const wordsFor = (replies: ReadonlyArray<WordReply>): LineTable => replies.map((reply) => [bytesOf(REPLY_WORDS[reply._tag]), reply] as const)

const expectedOf = (replies: ReadonlyArray<WordReply>): string => {
  const words = replies.map((reply) => REPLY_WORDS[reply._tag])
  return words.length === 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`
}

const oneOf = (replies: ReadonlyArray<WordReply>): Core => {
  const table = wordsFor(replies)
  const expected = expectedOf(replies)
  return (buffer, offset) => {
    const end = lineEnd(buffer, offset, offset)
    if (end < 0) return end
    for (const [word, reply] of table) if (lineIs(buffer, offset, end, word)) return done(reply, end + 2)
    const failure = errorLine(buffer, offset, end)
    return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, expected)
  }
}

/** After `CLIENT_ERROR`/`ERROR`, memcached reads a storage command's data block as a command: out of step. */
const storageReply = (replies: ReadonlyArray<WordReply>) => {
  const decodeLine = oneOf(replies)
  return (request: R.Store | R.Cas, buffer: Uint8Array, offset: number): number => {
    const next = decodeLine(buffer, offset)
    if (next < 0) return next
    const reply = cursor.reply
    if (reply._tag !== 'Failure') return next
    const error = reply.error
    if (error._tag === 'ClientError' || error._tag === 'UnknownCommand') return fail(error)
    if (error._tag === 'ServerError' && error.reason.startsWith('object too large')) {
      return done(Reply.failure(valueTooLarge(request.key, request.value.length)), next)
    }
    return next
  }
}

type KeyCheck = 'ordered' | 'any'

const tooLarge = (buffer: Uint8Array, keyStart: number, keyEnd: number, size: number, limit: number): MemcacheError => {
  const key = JSON.stringify(textOf(buffer, keyStart, Math.min(keyEnd, keyStart + 250)))
  const reason = limit === MAX_VALUE_LENGTH ? `more than memcached can hold (${MAX_VALUE_LENGTH})` : `over maxValueSize (${limit}; raise it for larger items)`
  return protocolError(`VALUE line for ${key} announces ${size} bytes, ${reason}`)
}

/**
 * `VALUE <key> <flags> <bytes>[ <cas>]` blocks up to `END`. With `ordered`, each key must be
 * `prefix` + one of `keys` at or after the previous one matched (memcached answers in request
 * order), and the item carries the caller's key; with `any` (raw requests), the key as sent.
 */
const decodeValues = (
  buffer: Uint8Array,
  offset: number,
  keys: ReadonlyArray<string>,
  prefix: string,
  withCas: boolean | undefined,
  check: KeyCheck,
): number => {
  let position = offset + cursor.at
  let items = cursor.items
  let keyIndex = cursor.keyIndex
  let resuming = cursor.pendingSize >= 0
  for (;;) {
    let key: string
    let flags: number
    let size: number
    let cas: bigint | undefined
    if (resuming) {
      resuming = false
      key = cursor.pendingKey
      flags = cursor.pendingFlags
      size = cursor.pendingSize
      cas = cursor.pendingCas
      cursor.pendingSize = -1
    } else {
      const end = lineEnd(buffer, position, offset)
      if (end < 0) {
        cursor.at = position - offset
        cursor.items = items
        cursor.keyIndex = keyIndex
        return end
      }
      if (lineIs(buffer, position, end, END)) return done(Reply.values(finished(items)), end + 2)
      if (!startsWith(buffer, position, end, VALUE_)) {
        const failure = items === undefined ? errorLine(buffer, position, end) : undefined
        return failure !== undefined ? done(failure, end + 2) : badLine(buffer, position, end, `${WORDS.value} or ${WORDS.end}`)
      }
      cursor.headers++
      // Split "VALUE key flags bytes [cas]" on single spaces.
      const keyStart = position + VALUE_.length
      const keyEnd = spaceIn(buffer, keyStart, end)
      if (keyEnd >= end || keyEnd === keyStart) return badLine(buffer, position, end, 'VALUE <key> <flags> <bytes>')
      const flagsEnd = spaceIn(buffer, keyEnd + 1, end)
      if (flagsEnd >= end) return badLine(buffer, position, end, 'VALUE <key> <flags> <bytes>')
      const bytesEnd = spaceIn(buffer, flagsEnd + 1, end)
      flags = parseUint(buffer, keyEnd + 1, flagsEnd)
      size = parseUint(buffer, flagsEnd + 1, bytesEnd)
      if (flags < 0 || flags > 0xffff_ffff || size < 0) return badLine(buffer, position, end, 'numeric flags and length')
      // Refused on its header, before a byte of it is kept: the connection drops it.
      if (size > cursor.limits.maxValueSize) return fail(tooLarge(buffer, keyStart, keyEnd, size, cursor.limits.maxValueSize))
      const hasCas = bytesEnd < end
      if ((withCas === true && !hasCas) || (withCas === false && hasCas)) {
        return badLine(buffer, position, end, withCas ? 'a cas unique' : 'no cas unique')
      }
      cas = undefined
      if (hasCas) {
        cas = parseU64(buffer, bytesEnd + 1, end)
        if (cas < 0n) return badLine(buffer, position, end, 'a numeric cas unique')
      }
      if (check === 'ordered') {
        while (keyIndex < keys.length && !namesKey(buffer, keyStart, keyEnd, prefix, keys[keyIndex] as string)) keyIndex++
        if (keyIndex === keys.length) {
          const named = JSON.stringify(textOf(buffer, keyStart, keyEnd))
          return fail(protocolError(`reply names key ${named} that the request did not ask for, or out of order`))
        }
        key = keys[keyIndex] as string
        keyIndex++
      } else key = textOf(buffer, keyStart, keyEnd)
      position = end + 2
    }
    const valueEnd = position + size
    if (buffer.length < valueEnd + 2) {
      cursor.at = position - offset
      cursor.items = items
      cursor.keyIndex = keyIndex
      cursor.pendingKey = key
      cursor.pendingFlags = flags
      cursor.pendingSize = size
      cursor.pendingCas = cas
      cursor.needed = valueEnd + 2 - buffer.length
      return NEED
    }
    if (buffer[valueEnd] !== CR || buffer[valueEnd + 1] !== LF) {
      return fail(protocolError(`value of ${JSON.stringify(key)} is not followed by CRLF after ${size} bytes`))
    }
    const value = buffer.subarray(position, valueEnd)
    if (items === undefined) items = []
    items.push(cas === undefined ? { key, flags, value } : { key, flags, value, cas })
    position = valueEnd + 2
  }
}

const decodeStats: Core = (buffer, offset) => {
  let position = offset + cursor.at
  let entries = cursor.entries
  for (;;) {
    const end = lineEnd(buffer, position, offset)
    if (end < 0) {
      cursor.at = position - offset
      cursor.entries = entries
      return end
    }
    if (lineIs(buffer, position, end, END)) return done(Reply.statsReply(finished(entries)), end + 2)
    if (entries === undefined && lineIs(buffer, position, end, RESET)) return done(Reply.reset, end + 2)
    if (!startsWith(buffer, position, end, STAT_)) {
      const failure = entries === undefined ? errorLine(buffer, position, end) : undefined
      return failure !== undefined ? done(failure, end + 2) : badLine(buffer, position, end, `${WORDS.stat} or ${WORDS.end}`)
    }
    cursor.headers++
    const nameStart = position + STAT_.length
    const nameEnd = spaceIn(buffer, nameStart, end)
    if (entries === undefined) entries = []
    entries.push([textOf(buffer, nameStart, nameEnd), nameEnd < end ? textOf(buffer, nameEnd + 1, end) : ''])
    position = end + 2
    // Checked line by line (a line is at most MAX_LINE_LENGTH), so at most one line past the limit is ever kept.
    if (position - offset > cursor.limits.maxStatsSize) {
      return fail(protocolError(`stats reply longer than ${cursor.limits.maxStatsSize} bytes (maxStatsSize): refusing the rest`))
    }
  }
}

const decodeNumeric: Core = (buffer, offset) => {
  const end = lineEnd(buffer, offset, offset)
  if (end < 0) return end
  if (lineIs(buffer, offset, end, NOT_FOUND)) return done(Reply.notFound, end + 2)
  const failure = errorLine(buffer, offset, end)
  if (failure !== undefined) return done(failure, end + 2)
  // memcached may pad the reply with spaces when the new value is shorter than the stored one.
  let digitsEnd = end
  while (digitsEnd > offset && buffer[digitsEnd - 1] === SPACE) digitsEnd--
  const value = parseU64(buffer, offset, digitsEnd)
  return value < 0n ? badLine(buffer, offset, end, `a number or ${REPLY_WORDS.NotFound}`) : done(Reply.numeric(value), end + 2)
}

const decodeVersion: Core = (buffer, offset) => {
  const end = lineEnd(buffer, offset, offset)
  if (end < 0) return end
  if (startsWith(buffer, offset, end, VERSION_)) return done(Reply.versionReply(textOf(buffer, offset + VERSION_.length, end)), end + 2)
  const failure = errorLine(buffer, offset, end)
  return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, WORDS.version)
}

const decodeLine: Core = (buffer, offset) => {
  const end = lineEnd(buffer, offset, offset)
  if (end < 0) return end
  return done(errorLine(buffer, offset, end) ?? Reply.line(textOf(buffer, offset, end)), end + 2)
}

const decodeUnsolicitedLine: Core = (buffer, offset) => {
  const end = lineEnd(buffer, offset, offset)
  if (end < 0) return end
  const failure = errorLine(buffer, offset, end)
  return failure !== undefined ? done(failure, end + 2) : badLine(buffer, offset, end, 'no reply at all')
}

const noReplyYet = (offset: number): number => done(Reply.noReply, offset)

const decodeOk = oneOf([Reply.ok])

/**
 * `cache_memlimit` answers `MEMLIMIT_TOO_SMALL ...` or `MEMLIMIT_ADJUST_FAILED ...` when it refuses:
 * a refusal with the stream in step, not a desync.
 */
const decodeMemlimit: Core = (buffer, offset) => {
  const end = lineEnd(buffer, offset, offset)
  if (end < 0) return end
  if (startsWith(buffer, offset, end, MEMLIMIT_)) return done(Reply.failure(serverError(textOf(buffer, offset, end))), end + 2)
  return decodeOk(buffer, offset)
}

const CONFIG_ = bytesOf(`${CONFIG_WORD} `)

/**
 * `CONFIG <key> <flags> <bytes>`, the payload, `\r\n`, `END`: a `VALUE` block by another word,
 * located by its length. The header is read once; while the payload arrives, its length waits in
 * the cursor's pending value. The payload's own format is `cluster-config.ts`'s.
 */
const decodeClusterConfig = (request: R.ConfigGet, buffer: Uint8Array, offset: number): number => {
  let position = offset + cursor.at
  let size = cursor.pendingSize
  if (size < 0) {
    const end = lineEnd(buffer, position, offset)
    if (end < 0) return end
    if (!startsWith(buffer, position, end, CONFIG_)) {
      const failure = errorLine(buffer, position, end)
      return failure !== undefined ? done(failure, end + 2) : badLine(buffer, position, end, `${CONFIG_WORD} ${request.key} <flags> <bytes>`)
    }
    const keyStart = position + CONFIG_.length
    const keyEnd = spaceIn(buffer, keyStart, end)
    const flagsEnd = spaceIn(buffer, keyEnd + 1, end)
    size = flagsEnd < end ? parseUint(buffer, flagsEnd + 1, end) : -1
    if (!namesKey(buffer, keyStart, keyEnd, '', request.key) || keyEnd >= end || parseUint(buffer, keyEnd + 1, flagsEnd) < 0 || size < 0) {
      return badLine(buffer, position, end, `${CONFIG_WORD} ${request.key} <flags> <bytes>`)
    }
    if (size > cursor.limits.maxStatsSize) return fail(protocolError(`${CONFIG_WORD} reply announces ${size} bytes, over maxStatsSize (${cursor.limits.maxStatsSize})`))
    position = end + 2
  }
  const payloadEnd = position + size
  const replyEnd = payloadEnd + 2 + END.length + 2
  if (buffer.length < replyEnd) {
    cursor.at = position - offset
    cursor.pendingKey = request.key
    cursor.pendingFlags = 0
    cursor.pendingCas = undefined
    cursor.pendingSize = size
    cursor.needed = replyEnd - buffer.length
    return NEED
  }
  cursor.pendingSize = -1
  if (buffer[payloadEnd] !== CR || buffer[payloadEnd + 1] !== LF || !lineIs(buffer, payloadEnd + 2, replyEnd - 2, END) || buffer[replyEnd - 2] !== CR || buffer[replyEnd - 1] !== LF) {
    return fail(protocolError(`${CONFIG_WORD} payload of ${size} bytes is not followed by CRLF and END`))
  }
  const config = parseClusterConfig(buffer.subarray(position, payloadEnd))
  return E.isLeft(config) ? fail(config.left) : done(Reply.clusterConfigReply(config.right), replyEnd)
}

const decodeDelete = oneOf([Reply.deleted, Reply.notFound])
const decodeTouch = oneOf([Reply.touched, Reply.notFound])
const decodeStore = storageReply([Reply.stored, Reply.notStored, Reply.exists, Reply.notFound])
const decodeCas = storageReply([Reply.stored, Reply.exists, Reply.notFound])

type Decoders = {
  readonly [K in Exclude<R.Request, MetaRequest>['_tag']]: (request: Extract<R.Request, { _tag: K }>, buffer: Uint8Array, offset: number) => number
}

const decoders: Decoders = {
  Get: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, request.prefix ?? '', false, 'ordered'),
  Gets: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, request.prefix ?? '', true, 'ordered'),
  Gat: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, request.prefix ?? '', false, 'ordered'),
  Gats: (request, buffer, offset) => decodeValues(buffer, offset, request.keys, request.prefix ?? '', true, 'ordered'),
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
        return decodeValues(buffer, offset, [], '', undefined, 'any')
    }
  },
  ConfigGet: decodeClusterConfig,
}

const run = (request: R.Request, buffer: Uint8Array, offset: number): number =>
  (decoders[request._tag as keyof Decoders] as (request: R.Request, buffer: Uint8Array, offset: number) => number)(request, buffer, offset)

/** The cursor's outcome as a `DecodeResult`. */
const asResult = (next: number): DecodeResult => {
  if (next === NEED) {
    release()
    return NEED_MORE
  }
  if (next === FAIL) {
    release()
    return E.left(cursor.error)
  }
  const reply = cursor.reply
  release()
  return E.right(O.some([reply, next] as const))
}

/** A meta decoder's step as a `DecodeResult`. */
const metaResult = (step: Step): DecodeResult =>
  E.isLeft(step) ? step : step.right._tag === 'NeedMore' ? NEED_MORE : E.right(O.some([step.right.reply, step.right.next] as const))

/** The cursor's outcome as a `Step`. */
const asStep = (next: number): Step => {
  if (next === NEED) return E.right(snapshot())
  if (next === FAIL) {
    release()
    return E.left(cursor.error)
  }
  const decoded: Decoded = { _tag: 'Decoded', reply: cursor.reply, next, headers: cursor.headers }
  release()
  return E.right(decoded)
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Decodes the reply to `request` found at `offset`, from its first byte (uncurried), within
 * `limits` (default `defaultReplyLimits`).
 *
 * @example
 * import { get } from './request.js'
 * decodeReply(get(['a']), new TextEncoder().encode('END\r\n'), 0) // right(some([values([]), 5]))
 * @category utils
 */
export const decodeReply = (request: R.Request, buffer: Uint8Array, offset: number, limits: ReplyLimits = defaultReplyLimits): DecodeResult => {
  if (isMetaRequest(request)) return metaResult(decodeMetaStep(request, buffer, offset, undefined, limits))
  begin(undefined, limits)
  return asResult(run(request, buffer, offset))
}

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
  (request: R.Request, limits: ReplyLimits = defaultReplyLimits): Decoder =>
  (buffer, offset) =>
    decodeReply(request, buffer, offset, limits)

/**
 * Decodes the reply to `request` that starts at `offset`, resuming from `from` (the `NeedMore` of
 * the previous call on the same reply) when given: `buffer[offset...]` must hold the same reply
 * bytes as before, plus more. Each line and value is read once over all the calls. A reply over
 * `limits` (default `defaultReplyLimits`) is a `ProtocolError`; pass the same limits to every call.
 *
 * @example
 * import { get } from './request.js'
 * const request = get(['a'])
 * const first = decodeStep(request, bytes('VALUE a 0 3\r\nab'), 0) // right(NeedMore, needed: 3)
 * if (E.isRight(first) && first.right._tag === 'NeedMore') {
 *   decodeStep(request, bytes('VALUE a 0 3\r\nabc\r\nEND\r\n'), 0, first.right) // right(Decoded)
 * }
 * @category utils
 */
export const decodeStep = (request: R.Request, buffer: Uint8Array, offset: number, from?: NeedMore, limits: ReplyLimits = defaultReplyLimits): Step => {
  if (isMetaRequest(request)) return decodeMetaStep(request, buffer, offset, from, limits)
  begin(from, limits)
  return asStep(run(request, buffer, offset))
}

/**
 * `decodeStep` for one request, curried like `decode`.
 *
 * @example
 * const step = decodeResumable(Request.stats())
 * const first = step(buffer, 0) // right(NeedMore) while the reply is incomplete
 * @category utils
 */
export const decodeResumable =
  (request: R.Request, limits: ReplyLimits = defaultReplyLimits) =>
  (buffer: Uint8Array, offset: number, from?: NeedMore): Step =>
    decodeStep(request, buffer, offset, from, limits)

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
  begin(undefined, defaultReplyLimits)
  return asResult(decodeUnsolicitedLine(buffer, offset))
}

/**
 * `decodeUnsolicited`, resumable as `decodeStep` is.
 *
 * @example
 * const first = decodeUnsolicitedStep(bytes('SERVER_ERROR out of'), 0) // right(NeedMore)
 * @category utils
 */
export const decodeUnsolicitedStep = (buffer: Uint8Array, offset: number, from?: NeedMore): Step => {
  begin(from, defaultReplyLimits)
  return asStep(decodeUnsolicitedLine(buffer, offset))
}
