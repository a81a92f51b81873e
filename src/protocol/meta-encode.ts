/**
 * The meta encoder: a meta request becomes its chunks, or a `Left` naming what is wrong. Flags
 * are written from the typed record in one fixed order, each at most once (memcached refuses a
 * repeated flag), and every number is range-checked first. A value is never copied.
 *
 * A quiet request is followed by `mn` (the codec must know when its reply was suppressed); a
 * `MetaBatch` writes each member with its index as opaque token — quiet unless the member says
 * `quiet: false` — then one `mn`.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from '../describe.js'
import type { MemcacheError } from '../error.js'
import { invalidArgument, invalidKey, valueTooLarge } from './error.js'
import { keyError, prefixProblem, type KeyOptions } from './key.js'
import {
  describeMetaKey,
  MAX_BINARY_KEY_LENGTH,
  MAX_OPAQUE_LENGTH,
  type MetaArithmetic,
  type MetaCommon,
  type MetaDelete,
  type MetaGet,
  type MetaKey,
  type MetaKeyed,
  type MetaRequest,
  type MetaSet,
} from './meta.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Options of the meta encoder (the text encoder's). @category model */
export interface MetaEncodeOptions extends KeyOptions {
  readonly maxValueSize?: number
}

/**
 * memcached counts at most 20 tokens on a meta line (command, key, data length and flags, plus
 * one it keeps for itself): more is `CLIENT_ERROR options flags are too long`.
 * @category model
 */
export const MAX_META_TOKENS = 19

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const CRLF = new Uint8Array([13, 10])
const MN = new Uint8Array([109, 110, 13, 10])
const MAX_U32 = 0xffff_ffff
const MAX_U64 = 0xffff_ffff_ffff_ffffn
const MIN_I32 = -0x8000_0000
const MAX_I32 = 0x7fff_ffff

type Check = MemcacheError | undefined

const seconds = (name: string, value: number | undefined): Check =>
  value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= MIN_I32 && value <= MAX_I32)
    ? undefined
    : invalidArgument(name, `must be an integer number of seconds in ${MIN_I32}..${MAX_I32}, got ${describeValue(value)}`)

const unsigned64 = (name: string, value: bigint | undefined): Check =>
  value === undefined || (typeof value === 'bigint' && value >= 0n && value <= MAX_U64)
    ? undefined
    : invalidArgument(name, `must be a bigint in 0..${MAX_U64}, got ${describeValue(value)}`)

const opaqueCheck = (opaque: string | undefined): Check => {
  if (opaque === undefined) return undefined
  if (typeof opaque !== 'string' || opaque.length === 0 || opaque.length > MAX_OPAQUE_LENGTH || !/^[\x21-\x7e]+$/.test(opaque)) {
    return invalidArgument('opaque', `must be 1..${MAX_OPAQUE_LENGTH} printable ASCII characters without spaces, got ${describeValue(opaque)}`)
  }
  return undefined
}

/** The key as it goes on the wire (`prefix + key`, base64 for bytes) and whether it needs `b`. */
interface WireKey {
  readonly text: string
  readonly binary: boolean
}

const wireKey = (key: MetaKey, prefix: string, options: KeyOptions): E.Either<MemcacheError, WireKey> => {
  const badPrefix = prefix === '' ? undefined : prefixProblem(prefix, options)
  if (badPrefix !== undefined) return E.left(invalidArgument('keyPrefix', `${JSON.stringify(prefix)}: ${badPrefix}`))
  if (typeof key === 'string') {
    const error = keyError(key, prefix, options)
    return error === undefined ? E.right({ text: prefix + key, binary: false }) : E.left(error)
  }
  if (!(key instanceof Uint8Array)) return E.left(invalidKey(describeValue(key), 'a meta key is a string or a Uint8Array'))
  const prefixBytes = Buffer.from(prefix, 'utf8')
  const total = prefixBytes.length + key.length
  if (key.length === 0) return E.left(invalidKey(describeMetaKey(key), 'empty key'))
  if (total > MAX_BINARY_KEY_LENGTH) {
    return E.left(
      invalidKey(
        describeMetaKey(key),
        `${total} bytes${prefix === '' ? '' : ' with the prefix'}: a binary key is sent base64, and its base64 text must fit memcached's 250-byte limit, so at most ${MAX_BINARY_KEY_LENGTH} bytes`,
      ),
    )
  }
  const bytes = prefix === '' ? Buffer.from(key.buffer, key.byteOffset, key.byteLength) : Buffer.concat([prefixBytes, key])
  return E.right({ text: bytes.toString('base64'), binary: true })
}

const flag = (tokens: Array<string>, on: boolean | undefined, letter: string): void => {
  if (on === true) tokens.push(letter)
}

const numberFlag = (tokens: Array<string>, value: number | bigint | undefined, letter: string): void => {
  if (value !== undefined) tokens.push(letter + String(value))
}

const SET_MODES = { add: 'E', append: 'A', prepend: 'P', replace: 'R', set: 'S' } as const
const ARITHMETIC_MODES = { incr: 'I', decr: 'D' } as const

/** Checks and tokens of each keyed command, except key, opaque and quiet. */
const getTokens = (request: MetaGet, tokens: Array<string>): Check => {
  const f = request.flags
  const error = seconds('touch', f.touch) ?? seconds('vivify', f.vivify) ?? seconds('recache', f.recache)
  if (error !== undefined) return error
  flag(tokens, f.returnValue, 'v')
  flag(tokens, f.returnCas, 'c')
  flag(tokens, f.returnFlags, 'f')
  flag(tokens, f.returnHit, 'h')
  flag(tokens, f.returnKey, 'k')
  flag(tokens, f.returnLastAccess, 'l')
  flag(tokens, f.returnSize, 's')
  flag(tokens, f.returnTtl, 't')
  flag(tokens, f.noBump, 'u')
  numberFlag(tokens, f.touch, 'T')
  numberFlag(tokens, f.vivify, 'N')
  numberFlag(tokens, f.recache, 'R')
  return undefined
}

const setTokens = (request: MetaSet, tokens: Array<string>, options: MetaEncodeOptions): Check => {
  const f = request.flags
  if (!(request.value instanceof Uint8Array)) return invalidArgument('value', `must be a Uint8Array, got ${describeValue(request.value)}`)
  const error =
    (f.clientFlags === undefined || (Number.isInteger(f.clientFlags) && f.clientFlags >= 0 && f.clientFlags <= MAX_U32)
      ? undefined
      : invalidArgument('clientFlags', `must be an integer in 0..${MAX_U32}, got ${describeValue(f.clientFlags)}`)) ??
    seconds('ttl', f.ttl) ??
    unsigned64('compareCas', f.compareCas) ??
    (f.mode === undefined || Object.hasOwn(SET_MODES, f.mode) ? undefined : invalidArgument('mode', `must be one of ${Object.keys(SET_MODES).join(', ')}, got ${describeValue(f.mode)}`)) ??
    (f.invalidate === true && f.compareCas === undefined ? invalidArgument('invalidate', 'works with compareCas only') : undefined) ??
    (options.maxValueSize !== undefined && request.value.length > options.maxValueSize
      ? valueTooLarge(describeMetaKey(request.key), request.value.length, options.maxValueSize)
      : undefined)
  if (error !== undefined) return error
  tokens.push(String(request.value.length))
  flag(tokens, f.returnCas, 'c')
  flag(tokens, f.returnKey, 'k')
  numberFlag(tokens, f.clientFlags, 'F')
  numberFlag(tokens, f.ttl, 'T')
  if (f.mode !== undefined) tokens.push('M' + SET_MODES[f.mode])
  numberFlag(tokens, f.compareCas, 'C')
  flag(tokens, f.invalidate, 'I')
  return undefined
}

const deleteTokens = (request: MetaDelete, tokens: Array<string>): Check => {
  const f = request.flags
  const error =
    unsigned64('compareCas', f.compareCas) ??
    seconds('ttl', f.ttl) ??
    (f.ttl !== undefined && f.invalidate !== true ? invalidArgument('ttl', 'md takes a TTL only with invalidate') : undefined)
  if (error !== undefined) return error
  numberFlag(tokens, f.compareCas, 'C')
  flag(tokens, f.invalidate, 'I')
  numberFlag(tokens, f.ttl, 'T')
  flag(tokens, f.returnKey, 'k')
  return undefined
}

const arithmeticTokens = (request: MetaArithmetic, tokens: Array<string>): Check => {
  const f = request.flags
  const error =
    (f.mode === undefined || Object.hasOwn(ARITHMETIC_MODES, f.mode) ? undefined : invalidArgument('mode', `must be incr or decr, got ${describeValue(f.mode)}`)) ??
    unsigned64('delta', f.delta) ??
    unsigned64('initial', f.initial) ??
    seconds('vivify', f.vivify) ??
    seconds('ttl', f.ttl) ??
    unsigned64('compareCas', f.compareCas) ??
    (f.initial !== undefined && f.vivify === undefined ? invalidArgument('initial', 'works with vivify only (the counter is created on a miss)') : undefined)
  if (error !== undefined) return error
  if (f.mode !== undefined) tokens.push('M' + ARITHMETIC_MODES[f.mode])
  numberFlag(tokens, f.delta, 'D')
  numberFlag(tokens, f.vivify, 'N')
  numberFlag(tokens, f.initial, 'J')
  numberFlag(tokens, f.ttl, 'T')
  numberFlag(tokens, f.compareCas, 'C')
  flag(tokens, f.returnValue, 'v')
  flag(tokens, f.returnCas, 'c')
  flag(tokens, f.returnTtl, 't')
  flag(tokens, f.returnKey, 'k')
  return undefined
}

const COMMANDS = { MetaGet: 'mg', MetaSet: 'ms', MetaDelete: 'md', MetaArithmetic: 'ma' } as const

/** The line of one keyed request (without CRLF), opaque and quiet as given. */
const keyedLine = (request: MetaKeyed, opaque: string | undefined, quiet: boolean, options: MetaEncodeOptions): E.Either<MemcacheError, string> => {
  if (typeof request.flags !== 'object' || request.flags === null) return E.left(invalidArgument('flags', `must be an object, got ${describeValue(request.flags)}`))
  const key = wireKey(request.key, request.prefix ?? '', options)
  if (E.isLeft(key)) return key
  const tokens: Array<string> = [COMMANDS[request._tag], key.right.text]
  const error =
    request._tag === 'MetaGet'
      ? getTokens(request, tokens)
      : request._tag === 'MetaSet'
        ? setTokens(request, tokens, options)
        : request._tag === 'MetaDelete'
          ? deleteTokens(request, tokens)
          : arithmeticTokens(request, tokens)
  if (error !== undefined) return E.left(error)
  if (key.right.binary) tokens.push('b')
  if (opaque !== undefined) tokens.push('O' + opaque)
  if (quiet) tokens.push('q')
  if (tokens.length > MAX_META_TOKENS) return E.left(invalidArgument('flags', `${tokens.length} tokens on one line, memcached reads at most ${MAX_META_TOKENS}`))
  return E.right(tokens.join(' '))
}

const fromString = (text: string): Uint8Array => Buffer.from(text, 'utf8')

/** Appends the chunks of one keyed request. */
const pushKeyed = (chunks: Array<Uint8Array>, request: MetaKeyed, line: string): void => {
  if (request._tag === 'MetaSet') {
    chunks.push(fromString(line + '\r\n'))
    if (request.value.length > 0) chunks.push(request.value)
    chunks.push(CRLF)
  } else chunks.push(fromString(line + '\r\n'))
}

const commonCheck = (flags: MetaCommon): Check => opaqueCheck(flags.opaque)

// -------------------------------------------------------------------------------------
// encoder
// -------------------------------------------------------------------------------------

/**
 * Encodes a meta request.
 *
 * @example
 * encodeMeta(metaGet('a', { returnValue: true }), {}) // right([bytes('mg a v\r\n')])
 * encodeMeta(metaGet(new Uint8Array([0xff]), { returnValue: true }), {}) // right([bytes('mg /w== v b\r\n')])
 * @category utils
 */
export const encodeMeta = (request: MetaRequest, options: MetaEncodeOptions): E.Either<MemcacheError, ReadonlyArray<Uint8Array>> => {
  switch (request._tag) {
    case 'MetaNoop':
      return E.right([MN])
    case 'MetaDebug': {
      const key = wireKey(request.key, request.prefix ?? '', options)
      if (E.isLeft(key)) return key
      return E.right([fromString(`me ${key.right.text}${key.right.binary ? ' b' : ''}\r\n`)])
    }
    case 'MetaBatch': {
      if (!Array.isArray(request.requests) || request.requests.length === 0) return E.left(invalidArgument('requests', 'a meta batch needs at least one request'))
      // The lines are gathered into one string, encoded once: one buffer for a batch of gets, not
      // one per member. A set's value goes between as it is.
      const chunks: Array<Uint8Array> = []
      let lines = ''
      for (let i = 0; i < request.requests.length; i++) {
        const member = request.requests[i] as MetaKeyed
        if (member.flags?.opaque !== undefined) {
          return E.left(invalidArgument('opaque', 'a meta batch numbers its requests with opaque tokens itself: leave opaque out of its members'))
        }
        const line = keyedLine(member, String(i), member.flags?.quiet !== false, options)
        if (E.isLeft(line)) return line
        lines += line.right + '\r\n'
        if (member._tag === 'MetaSet') {
          chunks.push(fromString(lines))
          lines = ''
          if (member.value.length > 0) chunks.push(member.value)
          chunks.push(CRLF)
        }
      }
      if (lines === '') chunks.push(MN)
      else chunks.push(fromString(lines + 'mn\r\n'))
      return E.right(chunks)
    }
    default: {
      const error = commonCheck(request.flags ?? {})
      if (error !== undefined) return E.left(error)
      const quiet = request.flags.quiet === true
      const line = keyedLine(request, request.flags.opaque, quiet, options)
      if (E.isLeft(line)) return line
      const chunks: Array<Uint8Array> = []
      pushKeyed(chunks, request, line.right)
      if (quiet) chunks.push(MN)
      return E.right(chunks)
    }
  }
}
