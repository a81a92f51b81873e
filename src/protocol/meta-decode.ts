/**
 * The meta decoder: resumable like the text decoders (`decodeStep`), O(bytes) over any chunking.
 *
 * - A keyed request that is not quiet has one reply line (and a value after `VA`). Its code must
 *   be one the command answers (`mg`: `VA` with `v`, else `HD`, or `EN`; `ms`: `HD NS EX NF`;
 *   `md`: `HD NF EX`; `ma`: `VA` with `v`, else `HD`, or `NF NS EX`), its opaque token the one sent
 *   (none when none was sent), its `k` key the one sent: anything else is a `ProtocolError`.
 * - A quiet request and a `MetaBatch` read replies until `MN`. Each reply names its request by its
 *   opaque token (a batch member's index): a token that names no request still waiting — unknown,
 *   already answered, or before one already answered (memcached answers in order) — is a
 *   `ProtocolError`, never delivered. Requests without a reply got the suppressed one (`implied`).
 * - An error line (`CLIENT_ERROR`, `SERVER_ERROR`, `ERROR`) carries no token: memcached still
 *   answers in order and goes on (the stream stays in step up to `MN`), so the line belongs to one
 *   of the requests between the two replies around it. When those requests are as many as the
 *   error lines, each gets its line, in order; when the lines are as many as the requests sent
 *   without `q` there (which always answer), they are theirs; otherwise which ones failed cannot
 *   be told, and each of them gets a `Failure` saying so (the others were applied, or missed).
 *   Real memcached keeps the stream in step after such a line (an `ms` refused swallows its
 *   data), so the batch goes on to its `MN` and the connection stays usable.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../error.js'
import { clientError, protocolError, serverError, unknownCommand, valueTooLarge } from './error.js'
import type { Decoded, NeedMore, ReplyLimits, Step } from './decode.js'
import { META_WORDS } from './words.js'
import { textOf } from './ascii.js'
import {
  impliedReply,
  metaBatchReply,
  metaDebugReply,
  metaNoopReply,
  describeMetaKey,
  type MetaCode,
  type MetaFailure,
  type MetaKeyed,
  type MetaReply,
  type MetaReplies,
  type MetaRequest,
  type MetaReturned,
} from './meta.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A meta reply line's header whose value is still to come: which batch member it answers, its code,
 * its returned flags and the value's size.
 * @category model
 */
export interface MetaPendingValue {
  readonly index: number
  readonly code: MetaCode
  readonly returned: MetaReturned
  readonly size: number
}

/**
 * Where a meta reply's decoding stands, kept in a `NeedMore` (`meta`). Positions count from the
 * reply's first byte. `answers` is append-only and shared between a state and its resumption
 * (the first `answerCount` entries are this state's), as the text decoder shares its items.
 * @category model
 */
export interface MetaProgress {
  readonly at: number
  readonly scanned: number
  /** Index of the last request answered (-1 for none). */
  readonly last: number
  readonly answers: ReadonlyArray<readonly [number, MetaReply | MetaFailure]>
  readonly answerCount: number
  /** Error lines read since the last answered request, not attributed yet. */
  readonly errors: ReadonlyArray<MetaFailure>
  readonly pending: MetaPendingValue | undefined
  readonly lines: number
}

/** The longest meta reply line (the text protocol's limit). @category model */
export const MAX_META_LINE = 8192

// -------------------------------------------------------------------------------------
// bytes
// -------------------------------------------------------------------------------------

const CR = 13
const LF = 10
const SPACE = 32

const startsWithText = (buffer: Uint8Array, start: number, end: number, word: string): boolean => {
  if (end - start < word.length) return false
  for (let i = 0; i < word.length; i++) if (buffer[start + i] !== word.charCodeAt(i)) return false
  return true
}

const isWord = (buffer: Uint8Array, start: number, end: number, word: string): boolean =>
  startsWithText(buffer, start, end, word) && (end - start === word.length || buffer[start + word.length] === SPACE)

const parseDecimal = (text: string, signed: boolean): number | undefined => {
  if (!(signed ? /^-?\d{1,15}$/ : /^\d{1,15}$/).test(text)) return undefined
  return Number(text)
}

const parseU64 = (text: string): bigint | undefined => {
  if (!/^\d{1,20}$/.test(text)) return undefined
  const value = BigInt(text)
  return value > 0xffff_ffff_ffff_ffffn ? undefined : value
}

/** An error line as a failure, or undefined. */
const errorLine = (buffer: Uint8Array, start: number, end: number): MetaFailure | undefined => {
  // Every error line starts with E, C or S; so do only EN and EX of the codes.
  const first = buffer[start]
  if (first !== 0x45 && first !== 0x43 && first !== 0x53) return undefined
  const rest = (word: string): string => textOf(buffer, Math.min(end, start + word.length + 1), end)
  if (startsWithText(buffer, start, end, 'ERROR')) {
    if (end - start === 5) return { _tag: 'Failure', error: unknownCommand('') }
    const separator = buffer[start + 5]
    return separator === SPACE || separator === 58 ? { _tag: 'Failure', error: serverError(textOf(buffer, start + 6, end).trim()) } : undefined
  }
  if (isWord(buffer, start, end, 'CLIENT_ERROR')) return { _tag: 'Failure', error: clientError(rest('CLIENT_ERROR')) }
  if (isWord(buffer, start, end, 'SERVER_ERROR')) return { _tag: 'Failure', error: serverError(rest('SERVER_ERROR')) }
  return undefined
}

// -------------------------------------------------------------------------------------
// parsing one line
// -------------------------------------------------------------------------------------

type Parsed =
  | {
      readonly _tag: 'Reply'
      readonly code: MetaCode
      readonly size: number
      /** Without `opaque`, kept apart: most opaque tokens are a batch's numbering, none of the caller's business. */
      readonly returned: MetaReturned
      readonly opaque: string | undefined
      readonly wireKey: string | undefined
    }
  | { readonly _tag: 'Noop' }
  | { readonly _tag: 'Debug'; readonly entries: ReadonlyArray<readonly [string, string]> }
  | { readonly _tag: 'Error'; readonly failure: MetaFailure }

const CODES: ReadonlySet<string> = new Set([META_WORDS.done, META_WORDS.value, META_WORDS.miss, META_WORDS.notFound, META_WORDS.notStored, META_WORDS.exists])

const parseLine = (buffer: Uint8Array, start: number, end: number): Parsed | MemcacheError => {
  const failure = errorLine(buffer, start, end)
  if (failure !== undefined) return { _tag: 'Error', failure }
  const line = textOf(buffer, start, end)
  if (line === META_WORDS.noop) return { _tag: 'Noop' }
  const tokens = line.split(' ')
  const code = tokens[0] ?? ''
  if (code === META_WORDS.debug && tokens.length >= 2) {
    const entries: Array<readonly [string, string]> = []
    for (const token of tokens.slice(2)) {
      const equals = token.indexOf('=')
      entries.push(equals < 0 ? [token, ''] : [token.slice(0, equals), token.slice(equals + 1)])
    }
    return { _tag: 'Debug', entries }
  }
  if (!CODES.has(code)) return protocolError(`unexpected meta reply ${JSON.stringify(line.slice(0, 80))}`)
  let from = 1
  let size = -1
  if (code === 'VA') {
    const parsed = parseDecimal(tokens[1] ?? '', false)
    if (parsed === undefined) return protocolError(`VA without a size: ${JSON.stringify(line.slice(0, 80))}`)
    size = parsed
    from = 2
  }
  const returned: { -readonly [K in keyof MetaReturned]: MetaReturned[K] } = {}
  let wireKey: string | undefined
  let opaque: string | undefined
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i] as string
    const letter = token[0]
    const rest = token.slice(1)
    switch (letter) {
      case 'c': {
        const cas = parseU64(rest)
        if (cas === undefined) return badFlag(letter, token, line)
        returned.cas = cas
        break
      }
      case 'f': {
        const flags = parseDecimal(rest, false)
        if (flags === undefined || flags > 0xffff_ffff) return badFlag(letter, token, line)
        returned.clientFlags = flags
        break
      }
      case 'h':
        if (rest !== '0' && rest !== '1') return badFlag(letter, token, line)
        returned.hit = rest === '1'
        break
      case 'k':
        if (rest === '') return badFlag(letter, token, line)
        wireKey = rest
        break
      case 'l':
      case 's':
      case 't': {
        const number = parseDecimal(rest, letter === 't')
        if (number === undefined) return badFlag(letter, token, line)
        if (letter === 'l') returned.lastAccess = number
        else if (letter === 's') returned.size = number
        else returned.ttl = number
        break
      }
      case 'O':
        opaque = rest
        break
      case 'W':
      case 'X':
      case 'Z':
      case 'b':
        if (rest !== '') return badFlag(letter, token, line)
        if (letter === 'W') returned.win = true
        else if (letter === 'X') returned.stale = true
        else if (letter === 'Z') returned.alreadyWon = true
        break
      default:
        // A flag a later server returns and this codec does not know: skipped, not guessed.
        if (letter === undefined) return badFlag(letter, token, line)
    }
  }
  return { _tag: 'Reply', code, size, returned, opaque, wireKey } as Parsed
}

const badFlag = (letter: string | undefined, token: string, line: string): MemcacheError =>
  protocolError(`bad ${letter ?? 'empty'} flag ${JSON.stringify(token)} in meta reply ${JSON.stringify(line.slice(0, 80))}`)

// -------------------------------------------------------------------------------------
// what each request accepts
// -------------------------------------------------------------------------------------

/** Whether `request` may be answered with `code` (a switch: this runs for every reply). */
const answersWith = (request: MetaKeyed, code: MetaCode): boolean => {
  switch (request._tag) {
    case 'MetaGet':
      return code === 'EN' || code === (request.flags.returnValue === true ? 'VA' : 'HD')
    case 'MetaSet':
      return code === 'HD' || code === 'NS' || code === 'EX' || code === 'NF'
    case 'MetaDelete':
      return code === 'HD' || code === 'NF' || code === 'EX'
    case 'MetaArithmetic':
      return code === (request.flags.returnValue === true ? 'VA' : 'HD') || code === 'NF' || code === 'NS' || code === 'EX'
  }
}

const wireKeyOf = (request: MetaKeyed | { readonly _tag: 'MetaDebug'; readonly key: string | Uint8Array; readonly prefix?: string }): string => {
  const prefix = request.prefix ?? ''
  const key = request.key
  if (typeof key === 'string') return prefix + key
  const bytes = prefix === '' ? Buffer.from(key.buffer, key.byteOffset, key.byteLength) : Buffer.concat([Buffer.from(prefix, 'utf8'), key])
  return bytes.toString('base64')
}

/** Checks a reply against the request it answers; the reply with the caller's key. */
const accept = (
  request: MetaKeyed,
  parsed: Extract<Parsed, { _tag: 'Reply' }>,
  opaque: string | undefined,
): E.Either<MemcacheError, { readonly code: MetaCode; readonly returned: MetaReturned; readonly size: number }> => {
  const name = request._tag === 'MetaGet' ? 'mg' : request._tag === 'MetaSet' ? 'ms' : request._tag === 'MetaDelete' ? 'md' : 'ma'
  if (!answersWith(request, parsed.code)) return E.left(protocolError(`${name} answered ${parsed.code}, which it does not answer to this request`))
  if (parsed.opaque !== opaque) {
    return E.left(protocolError(`${name} reply carries opaque ${JSON.stringify(parsed.opaque ?? null)}, the request sent ${JSON.stringify(opaque ?? null)}`))
  }
  let returned = parsed.returned
  if (parsed.wireKey !== undefined) {
    if (parsed.wireKey !== wireKeyOf(request)) {
      return E.left(protocolError(`${name} reply names key ${JSON.stringify(parsed.wireKey)}, the request was for ${JSON.stringify(describeMetaKey(request.key))}`))
    }
    returned = { ...returned, key: request.key }
  }
  // The caller's own token is returned; a batch's numbering is not the caller's business.
  if (opaque !== undefined && request.flags.opaque !== undefined) returned = { ...returned, opaque }
  return E.right({ code: parsed.code, returned, size: parsed.size })
}

/** memcached's `SERVER_ERROR object too large for cache` for an `ms`: the typed error. */
const refine = (request: MetaKeyed | undefined, failure: MetaFailure): MetaFailure =>
  request !== undefined &&
  request._tag === 'MetaSet' &&
  failure.error._tag === 'ServerError' &&
  failure.error.reason.startsWith('object too large')
    ? { _tag: 'Failure', error: valueTooLarge(describeMetaKey(request.key), request.value.length) }
    : failure

// -------------------------------------------------------------------------------------
// the decoder
// -------------------------------------------------------------------------------------

/** The members a reply sequence is matched against, with their expected opaque tokens. */
interface Plan {
  readonly members: ReadonlyArray<MetaKeyed>
  /** The opaque token member `i` was sent with (`undefined`: none). */
  readonly opaqueOf: (index: number) => string | undefined
  /** Which member a token names, or -1. */
  readonly indexOf: (opaque: string | undefined) => number
  /** Reads until `MN`. */
  readonly fenced: boolean
  readonly batch: boolean
}

const batchPlan = (members: ReadonlyArray<MetaKeyed>): Plan => ({
  members,
  opaqueOf: (index) => String(index),
  indexOf: (opaque) => {
    if (opaque === undefined || !/^(0|[1-9]\d{0,8})$/.test(opaque)) return -1
    const index = Number(opaque)
    return index < members.length ? index : -1
  },
  fenced: true,
  batch: true,
})

const singlePlan = (request: MetaKeyed): Plan => ({
  members: [request],
  opaqueOf: () => request.flags.opaque,
  indexOf: (opaque) => (opaque === request.flags.opaque ? 0 : -1),
  fenced: request.flags.quiet === true,
  batch: false,
})

const NO_ANSWERS: ReadonlyArray<never> = Object.freeze([])

/** Whether member `index` was sent with `q` (a batch's members are, unless they say `quiet: false`). */
const isQuiet = (plan: Plan, index: number): boolean => {
  const quiet = plan.members[index]?.flags.quiet
  return plan.batch ? quiet !== false : quiet === true
}

const fresh: MetaProgress = { at: 0, scanned: 0, last: -1, answers: NO_ANSWERS, answerCount: 0, errors: NO_ANSWERS, pending: undefined, lines: 0 }

const needMore = (progress: MetaProgress, needed: number): NeedMore => ({
  _tag: 'NeedMore',
  needed,
  headers: progress.lines,
  at: progress.at,
  scanned: progress.scanned,
  keyIndex: 0,
  items: NO_ANSWERS,
  entries: NO_ANSWERS,
  count: 0,
  pendingValue: undefined,
  meta: progress,
})

const decoded = (reply: MetaReplies | MetaFailure, next: number, lines: number): Decoded => ({ _tag: 'Decoded', reply, next, headers: lines })

/** The CR ending the line at `start`, `-1` for more bytes, `-2` for a bad or endless line. */
const findLineEnd = (buffer: Uint8Array, start: number, from: number): number => {
  const limit = Math.min(buffer.length, start + MAX_META_LINE + 1)
  for (let i = Math.max(start, from); i < limit; i++) {
    if (buffer[i] !== CR) continue
    if (i + 1 >= buffer.length) return -1
    return buffer[i + 1] === LF ? i : -2
  }
  return limit - start > MAX_META_LINE ? -2 : -1
}

const badLineError = protocolError(`meta reply line without CRLF or longer than ${MAX_META_LINE} bytes`)

/**
 * Decodes the reply to a meta request at `offset`, resuming from `from` (see `decodeStep`).
 *
 * @example
 * decodeMetaStep(metaGet('a', { returnValue: true }), bytes('VA 2\r\nhi\r\n'), 0, undefined, defaultReplyLimits)
 * // right({ _tag: 'Decoded', reply: metaReply('VA', {}, bytes('hi')), next: 10, headers: 1 })
 * @category utils
 */
export const decodeMetaStep = (request: MetaRequest, buffer: Uint8Array, offset: number, from: NeedMore | undefined, limits: ReplyLimits): Step => {
  const progress = from?.meta ?? fresh
  if (request._tag === 'MetaNoop' || request._tag === 'MetaDebug') {
    const start = offset + progress.at
    const end = findLineEnd(buffer, start, offset + progress.scanned)
    if (end === -2) return E.left(badLineError)
    if (end === -1) return E.right(needMore({ ...progress, scanned: Math.max(buffer.length - 1, start) - offset }, 1))
    const parsed = parseLine(buffer, start, end)
    if ('message' in parsed) return E.left(parsed)
    if (parsed._tag === 'Error') return E.right(decoded(parsed.failure, end + 2, 1))
    if (request._tag === 'MetaNoop') {
      return parsed._tag === 'Noop' ? E.right(decoded(metaNoopReply, end + 2, 1)) : E.left(protocolError('mn answered something other than MN'))
    }
    if (parsed._tag === 'Debug') return E.right(decoded(metaDebugReply(parsed.entries), end + 2, 1))
    if (parsed._tag === 'Reply' && parsed.code === 'EN' && parsed.size < 0) return E.right(decoded({ _tag: 'MetaReply', code: 'EN', returned: {} }, end + 2, 1))
    return E.left(protocolError('me answered something other than ME or EN'))
  }
  const plan = request._tag === 'MetaBatch' ? batchPlan(request.requests) : singlePlan(request)
  return run(plan, buffer, offset, progress, limits)
}

const run = (plan: Plan, buffer: Uint8Array, offset: number, progress: MetaProgress, limits: ReplyLimits): Step => {
  let at = progress.at
  let scanned = progress.scanned
  let last = progress.last
  let lines = progress.lines
  let errors = progress.errors
  let pending = progress.pending
  // Append-only sharing (see MetaProgress): copy only when another resumption extended the array.
  const answers: Array<readonly [number, MetaReply | MetaFailure]> =
    progress.answerCount === 0
      ? []
      : progress.answers.length === progress.answerCount
        ? (progress.answers as Array<readonly [number, MetaReply | MetaFailure]>)
        : progress.answers.slice(0, progress.answerCount)
  const snapshot = (needed: number): Step =>
    E.right(needMore({ at, scanned, last, answers, answerCount: answers.length, errors, pending, lines }, needed))

  /** Settles the members after `last` and before `upTo` (exclusive) with the errors read in between. */
  const settleGap = (upTo: number): MemcacheError | undefined => {
    const count = upTo - last - 1
    if (errors.length > count) return protocolError(`${errors.length} error line(s) arrived for ${count} request(s): the stream is out of step`)
    let loud = 0
    for (let i = last + 1; i < upTo; i++) if (!isQuiet(plan, i)) loud++
    if (errors.length < loud) return protocolError(`${count - errors.length} request(s) sent without q got no reply: the stream is out of step`)
    if (errors.length === count) {
      for (let i = 0; i < count; i++) answers.push([last + 1 + i, refine(plan.members[last + 1 + i], errors[i] as MetaFailure)])
    } else if (errors.length === loud) {
      // A loud request always answers and none did: the error lines are theirs, in order.
      let next = 0
      for (let i = last + 1; i < upTo; i++) {
        const member = plan.members[i] as MetaKeyed
        answers.push([i, isQuiet(plan, i) ? impliedReply(member) : refine(member, errors[next++] as MetaFailure)])
      }
    } else if (errors.length > 0) {
      const shown = errors.map((failure) => failure.error.message).join('; ')
      for (let i = last + 1; i < upTo; i++) {
        answers.push([
          i,
          {
            _tag: 'Failure',
            error: serverError(`one or more of ${count} quiet requests (this one among them) failed, which ones cannot be told: ${shown}`),
          },
        ])
      }
    } else for (let i = last + 1; i < upTo; i++) answers.push([i, impliedReply(plan.members[i] as MetaKeyed)])
    errors = NO_ANSWERS
    return undefined
  }

  const finish = (next: number): Step => {
    const replies: Array<MetaReply | MetaFailure> = new Array(plan.members.length)
    for (const [index, reply] of answers) replies[index] = reply
    if (plan.batch) return E.right(decoded(metaBatchReply(replies), next, lines))
    return E.right(decoded(replies[0] as MetaReply | MetaFailure, next, lines))
  }

  for (;;) {
    if (pending !== undefined) {
      const start = offset + at
      const valueEnd = start + pending.size
      if (buffer.length < valueEnd + 2) return snapshot(valueEnd + 2 - buffer.length)
      if (buffer[valueEnd] !== CR || buffer[valueEnd + 1] !== LF) return E.left(protocolError(`meta value is not followed by CRLF after ${pending.size} bytes`))
      const value = buffer.subarray(start, valueEnd)
      answers.push([pending.index, { _tag: 'MetaReply', code: pending.code, returned: pending.returned, value }])
      last = pending.index
      pending = undefined
      at = valueEnd + 2 - offset
      scanned = at
      if (!plan.fenced) return finish(offset + at)
      continue
    }
    const start = offset + at
    const end = findLineEnd(buffer, start, offset + scanned)
    if (end === -2) return E.left(badLineError)
    if (end === -1) {
      scanned = Math.max(buffer.length - 1, start) - offset
      return snapshot(1)
    }
    lines++
    const parsed = parseLine(buffer, start, end)
    if ('message' in parsed) return E.left(parsed)
    at = end + 2 - offset
    scanned = at
    switch (parsed._tag) {
      case 'Error':
        if (!plan.fenced) return E.right(decoded(refine(plan.members[0], parsed.failure), offset + at, lines))
        errors = [...errors, parsed.failure]
        continue
      case 'Noop': {
        if (!plan.fenced) return E.left(protocolError('MN arrived where a meta reply was awaited'))
        const error = settleGap(plan.members.length)
        if (error !== undefined) return E.left(error)
        return finish(offset + at)
      }
      case 'Debug':
        return E.left(protocolError('ME arrived where a meta reply was awaited'))
      case 'Reply': {
        const index = plan.indexOf(parsed.opaque)
        if (index < 0 || index <= last) {
          return E.left(
            protocolError(
              `meta reply with opaque ${JSON.stringify(parsed.opaque ?? null)} matches no request waiting for its reply${index >= 0 ? ' (answered already, or out of order)' : ''}`,
            ),
          )
        }
        const member = plan.members[index] as MetaKeyed
        const accepted = accept(member, parsed, plan.opaqueOf(index))
        if (E.isLeft(accepted)) return accepted
        const gapError = settleGap(index)
        if (gapError !== undefined) return E.left(gapError)
        const { code, returned, size } = accepted.right
        if (code === 'VA') {
          if (size > limits.maxValueSize) {
            return E.left(protocolError(`VA for ${JSON.stringify(describeMetaKey(member.key))} announces ${size} bytes, over maxValueSize (${limits.maxValueSize}; raise it for larger items)`))
          }
          pending = { index, code, returned, size }
          continue
        }
        answers.push([index, { _tag: 'MetaReply', code, returned }])
        last = index
        if (!plan.fenced) return finish(offset + at)
        continue
      }
    }
  }
}
