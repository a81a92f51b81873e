/**
 * memcached's meta commands (`mg`, `ms`, `md`, `ma`, `mn`, `me`) from the server's side, first
 * step: a tokenized command line into a typed command (pure, no engine), following memcached
 * 1.6.18's `proto_text.c`: the checks each command makes and in which order, the error each one
 * answers, and the flags its `_meta_flag_preparse` knows.
 *
 * What a command's flags mean is kept twice, as memcached keeps it: the values read from them
 * (`MetaOptions`: TTLs, delta, cas to compare...) and the tokens themselves in the order they came
 * (`MetaToken`), because replies list the returned flags in request order and some effects depend
 * on it (`mg k t T30` shows the TTL before the touch).
 *
 * Checks memcached makes while it executes (an opaque over 32 bytes is refused only when the reply
 * is written, after `N`, `T` or a delta took effect) are the engine's (`meta-engine.ts`).
 *
 * @since 0.2.0
 */
import { clientError, unknownCommand } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import { decodeBase64 } from './base64.js'
import { strtol32, strtoul32, strtoull } from './numbers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The flags memcached 1.6.18 accepts on a meta command (`P` and `L` are the proxy's, accepted and ignored). @category model */
export type MetaFlag = 'b' | 'c' | 'f' | 'h' | 'k' | 'l' | 'O' | 'q' | 's' | 't' | 'u' | 'v' | 'N' | 'R' | 'T' | 'I' | 'M' | 'C' | 'D' | 'J' | 'F' | 'P' | 'L'

/** One flag token as sent: its flag and the whole token (`O123`, `T30`, `k`). @category model */
export interface MetaToken {
  readonly flag: MetaFlag
  readonly token: string
}

/** What a command's flags ask for, read once (memcached's `struct _meta_flags`). @category model */
export interface MetaOptions {
  /** `b`: the key was sent as base64; `key` is the decoded bytes. */
  readonly base64Key: boolean
  /** `q`: the nominal reply is not written (which one depends on the command). */
  readonly quiet: boolean
  /** `u`: no LRU bump, the item is not marked fetched. */
  readonly noBump: boolean
  /** `v`: the reply carries the value. */
  readonly returnValue: boolean
  /** `N<exptime>`: create the item on a miss, with this exptime. */
  readonly vivify: number | undefined
  /** `T<exptime>`: a new TTL. */
  readonly ttl: number | undefined
  /** `R<exptime>`: win a recache token when the item expires sooner than this. */
  readonly recache: number | undefined
  /** `F<flags>`: the client flags `ms` stores. */
  readonly clientFlags: number
  /** `C<cas>`: compare this cas before changing the item. */
  readonly compareCas: bigint | undefined
  /** `I`: invalidate (`md`), or store over a newer item as stale (`ms` with `C`). */
  readonly invalidate: boolean
  /** `D<delta>` of `ma`; default 1. */
  readonly delta: bigint
  /** `J<initial>` of `ma`: the value `N` creates; default 0. */
  readonly initial: bigint
}

/** How `ms` stores (its `M` flag): `E` add, `A` append, `P` prepend, `R` replace, `S` set. @category model */
export type MetaStoreMode = 'set' | 'add' | 'append' | 'prepend' | 'replace'

/** A meta command the engine answers at once. @category model */
export type MetaRequest =
  | { readonly _tag: 'mg'; readonly key: string; readonly options: MetaOptions; readonly tokens: ReadonlyArray<MetaToken> }
  | { readonly _tag: 'md'; readonly key: string; readonly options: MetaOptions; readonly tokens: ReadonlyArray<MetaToken> }
  | {
      readonly _tag: 'ma'
      readonly key: string
      readonly options: MetaOptions
      readonly tokens: ReadonlyArray<MetaToken>
      /** `MI`/`M+` (the default) or `MD`/`M-`. */
      readonly increment: boolean
    }
  /** `me`, the debug command; `base64Key` when its first flag was `b`. */
  | { readonly _tag: 'me'; readonly key: string; readonly base64Key: boolean }

/** The line of an `ms`; its data block (`length` bytes and `\r\n`) comes next. @category model */
export interface MetaSetHeader {
  readonly key: string
  readonly length: number
  readonly mode: MetaStoreMode
  readonly options: MetaOptions
  readonly tokens: ReadonlyArray<MetaToken>
}

/** What one meta command line asks for. @category model */
export type MetaLine =
  | { readonly _tag: 'MetaRequest'; readonly request: MetaRequest }
  | { readonly _tag: 'MetaSet'; readonly header: MetaSetHeader }
  | {
      readonly _tag: 'MetaAnswer'
      /** Decided without the engine: an error, or `MN`. Meta errors are written even under `q`. */
      readonly reply: Reply.Reply
      /** Bytes of a data block to read and drop after it (an `ms` refused once its length was read), else 0. */
      readonly swallow: number
    }

/** memcached's `MFLAG_MAX_OPT_LENGTH`: a line of more tokens (the terminal one counted) is refused. @category model */
export const META_MAX_TOKENS = 20

/** memcached's `MFLAG_MAX_OPAQUE_LENGTH`: the longest `O` token, its `O` included. @category model */
export const META_MAX_OPAQUE = 32

const KEY_MAX_LENGTH = 250
const INT_MAX = 0x7fff_ffff

const ERROR = Reply.failure(unknownCommand(''))
const failure = (reason: string): Reply.Reply => Reply.failure(clientError(reason))
const BAD_FORMAT = 'bad command line format'

/** The reply of `mn`. @category model */
export const META_NOOP: Reply.Reply = Reply.line('MN')

const KNOWN_FLAGS: ReadonlySet<string> = new Set(['b', 'c', 'f', 'h', 'k', 'l', 'O', 'q', 's', 't', 'u', 'v', 'N', 'R', 'T', 'I', 'M', 'C', 'D', 'J', 'F', 'P', 'L'])

const STORE_MODES: ReadonlyMap<string, MetaStoreMode> = new Map([
  ['E', 'add'],
  ['A', 'append'],
  ['P', 'prepend'],
  ['R', 'replace'],
  ['S', 'set'],
])

// -------------------------------------------------------------------------------------
// parsing
// -------------------------------------------------------------------------------------

interface Preparsed {
  readonly key: string
  readonly options: MetaOptions
  readonly tokens: ReadonlyArray<MetaToken>
  /** The `M` token's mode character, when there was one. */
  readonly mode: string | undefined
}

type PreparseResult = { readonly _tag: 'Ok'; readonly value: Preparsed } | { readonly _tag: 'Error'; readonly reason: string }

/**
 * memcached's `_meta_flag_preparse` over the flag tokens from `start`: a duplicate or unknown flag
 * stops it at once; other bad tokens are noted (the last reason wins, `F` leaves the command's
 * default) and parsing goes on.
 */
const preparse = (tokens: ReadonlyArray<string>, start: number, count: number, defaultReason: string): PreparseResult => {
  const seen = new Set<number>()
  let key = tokens[1] ?? ''
  let reason: string | undefined
  let failed = false
  const fail = (why: string | undefined): void => {
    failed = true
    if (why !== undefined) reason = why
  }
  let base64Key = false
  let quiet = false
  let noBump = false
  let returnValue = false
  let vivify: number | undefined
  let ttl: number | undefined
  let recache: number | undefined
  let clientFlags = 0
  let compareCas: bigint | undefined
  let invalidate = false
  let delta = 1n
  let initial = 0n
  let mode: string | undefined
  const flagTokens: Array<MetaToken> = []
  // Tokens past `count - 1` are in memcached's terminal token: never read.
  for (let index = start; index < count - 1; index++) {
    const token = tokens[index] ?? ''
    const code = token.charCodeAt(0)
    if (code >= 127 || seen.has(code)) return { _tag: 'Error', reason: 'duplicate flag' }
    seen.add(code)
    const flag = token[0] ?? ''
    if (!KNOWN_FLAGS.has(flag)) return { _tag: 'Error', reason: 'invalid flag' }
    const argument = token.slice(1)
    const exptime = (): number | undefined => {
      const value = strtol32(argument)
      if (value === undefined) fail('bad token in command line format')
      return value
    }
    switch (flag) {
      case 'b': {
        const decoded = decodeBase64(key)
        if (decoded === undefined) fail('error decoding key')
        key = decoded ?? ''
        base64Key = true
        break
      }
      case 'N':
        vivify = exptime()
        break
      case 'T':
        ttl = exptime()
        break
      case 'R':
        recache = exptime()
        break
      case 'v':
        returnValue = true
        break
      case 'u':
        noBump = true
        break
      case 'q':
        quiet = true
        break
      case 'F': {
        const value = strtoul32(argument)
        if (value === undefined) fail(undefined)
        else clientFlags = value
        break
      }
      case 'C': {
        const value = strtoull(argument)
        if (value === undefined) fail('bad token in command line format')
        else compareCas = value
        break
      }
      case 'M':
        if (token.length !== 2) fail('incorrect length for M token')
        else mode = argument
        break
      case 'J': {
        const value = strtoull(argument)
        if (value === undefined) fail('invalid numeric initial value')
        else initial = value
        break
      }
      case 'D': {
        const value = strtoull(argument)
        if (value === undefined) fail('invalid numeric delta value')
        else delta = value
        break
      }
      case 'I':
        invalidate = true
        break
    }
    flagTokens.push({ flag: flag as MetaFlag, token })
  }
  if (failed) return { _tag: 'Error', reason: reason ?? defaultReason }
  const options: MetaOptions = { base64Key, quiet, noBump, returnValue, vivify, ttl, recache, clientFlags, compareCas, invalidate, delta, initial }
  return { _tag: 'Ok', value: { key, options, tokens: flagTokens, mode } }
}

const answer = (reply: Reply.Reply, swallow = 0): MetaLine => ({ _tag: 'MetaAnswer', reply, swallow })
const request = (value: MetaRequest): MetaLine => ({ _tag: 'MetaRequest', request: value })

/** memcached's `process_mget_command` up to the lookup. */
const parseGet = (tokens: ReadonlyArray<string>, count: number): MetaLine => {
  if ((tokens[1] ?? '').length > KEY_MAX_LENGTH) return answer(failure(BAD_FORMAT))
  if (count > META_MAX_TOKENS) return answer(failure('options flags are too long'))
  const parsed = preparse(tokens, 2, count, BAD_FORMAT)
  if (parsed._tag === 'Error') return answer(failure(parsed.reason))
  const { key, options, tokens: flags } = parsed.value
  return request({ _tag: 'mg', key, options, tokens: flags })
}

/** memcached's `process_mset_command` up to the allocation. */
const parseSet = (tokens: ReadonlyArray<string>, count: number): MetaLine => {
  if ((tokens[1] ?? '').length > KEY_MAX_LENGTH || count === 3) return answer(failure(BAD_FORMAT))
  if (count > META_MAX_TOKENS) return answer(failure('options flags too long'))
  const length = strtol32(tokens[2] ?? '')
  if (length === undefined || length < 0 || length > INT_MAX - 2) return answer(failure(BAD_FORMAT))
  // From here on the data block is known and read past after an error.
  const swallow = length + 2
  const parsed = preparse(tokens, 3, count, BAD_FORMAT)
  if (parsed._tag === 'Error') return answer(failure(parsed.reason), swallow)
  const { key, options, tokens: flags } = parsed.value
  const opaqueTooLong = flags.some((token) => token.flag === 'O' && token.token.length > META_MAX_OPAQUE)
  const mode = parsed.value.mode === undefined ? 'set' : STORE_MODES.get(parsed.value.mode)
  if (mode === undefined) return answer(failure('invalid mode for ms M token'), swallow)
  if (opaqueTooLong) return answer(failure('opaque token too long'), swallow)
  return { _tag: 'MetaSet', header: { key, length, mode, options, tokens: flags } }
}

/** memcached's `process_mdelete_command` and `process_marithmetic_command` up to the lookup. */
const parseChange = (command: 'md' | 'ma', tokens: ReadonlyArray<string>, count: number): MetaLine => {
  if ((tokens[1] ?? '').length > KEY_MAX_LENGTH) return answer(failure(BAD_FORMAT))
  if (count > META_MAX_TOKENS) return answer(failure('options flags too long'))
  const parsed = preparse(tokens, 2, count, BAD_FORMAT)
  // Both commands answer this one reason for any flag error.
  if (parsed._tag === 'Error') return answer(failure('invalid or duplicate flag'))
  const { key, options, tokens: flags, mode } = parsed.value
  if (command === 'md') {
    // md refuses a long opaque before it looks the key up.
    const tooLong = flags.some((token) => token.flag === 'O' && token.token.length > META_MAX_OPAQUE)
    return tooLong ? answer(failure('opaque token too long')) : request({ _tag: 'md', key, options, tokens: flags })
  }
  const increment = mode === undefined || mode === 'I' || mode === '+' ? true : mode === 'D' || mode === '-' ? false : undefined
  if (increment === undefined) return answer(failure('invalid mode for ma M token'))
  return request({ _tag: 'ma', key, options, tokens: flags, increment })
}

/** memcached's `process_meta_command` (`me`): only `b` as the first flag means anything. */
const parseDebug = (tokens: ReadonlyArray<string>, count: number): MetaLine => {
  const raw = tokens[1] ?? ''
  if (count < 3 || raw.length > KEY_MAX_LENGTH) return answer(failure(BAD_FORMAT))
  if (count >= 4 && tokens[2] === 'b') {
    const decoded = decodeBase64(raw)
    return decoded === undefined ? answer(failure(BAD_FORMAT)) : request({ _tag: 'me', key: decoded, base64Key: true })
  }
  return request({ _tag: 'me', key: raw, base64Key: false })
}

/**
 * A meta command line, tokenized as memcached does (`tokens` split on single spaces, `count` its
 * `ntokens`: the tokens, at most 23, plus the terminal one). `tokens[0]` is a two-character name
 * starting with `m`.
 *
 * @example
 * parseMeta(['mg', 'k', 'v', 'c'], 5) // a MetaRequest for mg of 'k' returning value and cas
 * parseMeta(['mn'], 2) // MetaAnswer MN
 * parseMeta(['mg', 'k', 'v', 'v'], 5) // MetaAnswer CLIENT_ERROR duplicate flag
 * @category parsing
 */
export const parseMeta = (tokens: ReadonlyArray<string>, count: number): MetaLine => {
  const command = tokens[0] ?? ''
  switch (command) {
    case 'mn':
      return answer(META_NOOP)
    case 'me':
      return parseDebug(tokens, count)
    case 'mg':
    case 'ms':
    case 'md':
    case 'ma':
      // memcached's WANT_TOKENS_MIN(ntokens, 3): a key is needed.
      if (count < 3) return answer(ERROR)
      return command === 'mg' ? parseGet(tokens, count) : command === 'ms' ? parseSet(tokens, count) : parseChange(command, tokens, count)
    default:
      return answer(ERROR)
  }
}
