/**
 * memcached's meta protocol (`mg`, `ms`, `md`, `ma`, `mn`, `me`) as plain data: requests with
 * typed flags (never flag strings), replies with typed returned flags.
 *
 * The grammar (memcached 1.6.10 and later; see `meta-support.ts` for versions):
 *
 * ```
 * mg <key> <flags>*            ms <key> <datalen> <flags>*  +  <data>     md <key> <flags>*
 * ma <key> <flags>*            mn                                        me <key> [b]
 * reply: <code> <flags>*  |  VA <size> <flags>*  +  <data>  |  MN  |  ME <key> <k>=<v>*
 * codes: HD (done) VA (value follows) EN (miss) NF (not found) NS (not stored) EX (cas mismatch)
 * ```
 *
 * Keys are `string | Uint8Array`. A string follows the text protocol's key rules (the key prefix
 * included); a `Uint8Array` is any bytes, sent base64 with the `b` flag: memcached checks the
 * base64 text against its 250-byte limit, so at most 186 raw bytes (base64 is padded: 186 bytes
 * make 248 characters, 187 make 252 — memcached 1.6.18 refuses both 252 padded characters and
 * 250 unpadded ones).
 *
 * `quiet` (`q`) suppresses the nominal reply: `EN` for `mg`, `HD` for `ms`, `md` and `ma` (with
 * `ma`, a `VA` too). A quiet request is sent with an `mn` after it, so that the codec knows when
 * the reply was suppressed; the suppressed reply is then given explicitly, with `implied: true`.
 * A `MetaBatch` is a pipeline of keyed requests, each quiet and numbered with an opaque token,
 * closed by one `mn`: it costs one round trip, and its reply lists one reply per request, in order.
 *
 * @since 0.2.0
 */
import type { ClientError, ServerError, UnknownCommand, ValueTooLarge } from './error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A meta key: a text key (the text key rules), or any bytes (sent base64, at most 186). @category model */
export type MetaKey = string | Uint8Array

/**
 * The longest binary key in bytes: its padded base64 text (248 characters) must fit memcached's
 * 250-byte key limit.
 * @category model
 */
export const MAX_BINARY_KEY_LENGTH = 186

/**
 * The longest opaque token in characters: memcached refuses an `O` token longer than 32 bytes,
 * and the `O` counts.
 * @category model
 */
export const MAX_OPAQUE_LENGTH = 31

/** What every meta request may carry. @category model */
export interface MetaCommon {
  /** `O`: a token (no space, at most 31 characters) the server echoes back with the reply. */
  readonly opaque?: string
  /** `q`: suppress the nominal reply (sent with an `mn` after it; the reply is then `implied`). */
  readonly quiet?: boolean
}

/** Flags of `mg`. @category model */
export interface MetaGetFlags extends MetaCommon {
  /** `v`: return the value (`VA`); without it a hit is `HD`. */
  readonly returnValue?: boolean
  /** `c`: return the cas unique. */
  readonly returnCas?: boolean
  /** `f`: return the client flags. */
  readonly returnFlags?: boolean
  /** `h`: return whether the item was hit before. */
  readonly returnHit?: boolean
  /** `k`: return the key. */
  readonly returnKey?: boolean
  /** `l`: return the seconds since the last access. */
  readonly returnLastAccess?: boolean
  /** `s`: return the value's size. */
  readonly returnSize?: boolean
  /** `t`: return the remaining TTL in seconds (-1 for never). */
  readonly returnTtl?: boolean
  /** `u`: do not bump the item in the LRU. */
  readonly noBump?: boolean
  /** `T`: set a new TTL (seconds) on a hit: get-and-touch. */
  readonly touch?: number
  /** `N`: on a miss, create an empty stub living this many seconds; the caller gets `win`. */
  readonly vivify?: number
  /** `R`: when the remaining TTL is below this many seconds, one caller gets `win` to recache. */
  readonly recache?: number
}

/** `ms` modes (`M`): `E` add, `A` append, `P` prepend, `R` replace, `S` set. @category model */
export type MetaSetMode = 'add' | 'append' | 'prepend' | 'replace' | 'set'

/** Flags of `ms`. @category model */
export interface MetaSetFlags extends MetaCommon {
  /** `c`: return the new cas unique when stored (memcached 1.6.13+). */
  readonly returnCas?: boolean
  /** `k`: return the key. */
  readonly returnKey?: boolean
  /** `F`: client flags (32-bit unsigned), 0 when absent. */
  readonly clientFlags?: number
  /** `T`: seconds to live (0 for never, as `exptime`). */
  readonly ttl?: number
  /** `M`: the storage mode, `set` by default. */
  readonly mode?: MetaSetMode
  /** `C`: store only when the item's cas unique is this one. */
  readonly compareCas?: bigint
  /** `I`: with `compareCas`, an older cas marks the item stale instead of failing. */
  readonly invalidate?: boolean
}

/** Flags of `md`. @category model */
export interface MetaDeleteFlags extends MetaCommon {
  /** `C`: delete only when the item's cas unique is this one. */
  readonly compareCas?: bigint
  /** `I`: mark the item stale (readers see `stale`, one wins) instead of removing it. */
  readonly invalidate?: boolean
  /** `T`: with `invalidate`, the new TTL of the stale item. */
  readonly ttl?: number
  /** `k`: return the key. */
  readonly returnKey?: boolean
}

/** `ma` modes (`M`): `I` increment, `D` decrement. @category model */
export type MetaArithmeticMode = 'incr' | 'decr'

/** Flags of `ma`. @category model */
export interface MetaArithmeticFlags extends MetaCommon {
  /** `M`: increment (default) or decrement. */
  readonly mode?: MetaArithmeticMode
  /** `D`: the delta, 1 by default. */
  readonly delta?: bigint
  /** `J`: the initial value when `vivify` creates the counter (0 by default). */
  readonly initial?: bigint
  /** `N`: on a miss, create the counter living this many seconds. */
  readonly vivify?: number
  /** `T`: set a new TTL on success. */
  readonly ttl?: number
  /** `C`: apply only when the item's cas unique is this one. */
  readonly compareCas?: bigint
  /** `v`: return the new value (`VA`). */
  readonly returnValue?: boolean
  /** `c`: return the new cas unique. */
  readonly returnCas?: boolean
  /** `t`: return the remaining TTL. */
  readonly returnTtl?: boolean
  /** `k`: return the key. */
  readonly returnKey?: boolean
}

/** `mg`. @category model */
export interface MetaGet {
  readonly _tag: 'MetaGet'
  readonly key: MetaKey
  readonly flags: MetaGetFlags
  /** Sent before the key (`prefixed`); replies still name the key without it. */
  readonly prefix?: string
}

/** `ms`. @category model */
export interface MetaSet {
  readonly _tag: 'MetaSet'
  readonly key: MetaKey
  readonly value: Uint8Array
  readonly flags: MetaSetFlags
  /** Sent before the key (`prefixed`); replies still name the key without it. */
  readonly prefix?: string
}

/** `md`. @category model */
export interface MetaDelete {
  readonly _tag: 'MetaDelete'
  readonly key: MetaKey
  readonly flags: MetaDeleteFlags
  /** Sent before the key (`prefixed`); replies still name the key without it. */
  readonly prefix?: string
}

/** `ma`. @category model */
export interface MetaArithmetic {
  readonly _tag: 'MetaArithmetic'
  readonly key: MetaKey
  readonly flags: MetaArithmeticFlags
  /** Sent before the key (`prefixed`); replies still name the key without it. */
  readonly prefix?: string
}

/** `mn`: answered `MN`. @category model */
export interface MetaNoop {
  readonly _tag: 'MetaNoop'
}

/** `me`: the item's metadata as `key=value` pairs (human-readable; fields vary by version). @category model */
export interface MetaDebug {
  readonly _tag: 'MetaDebug'
  readonly key: MetaKey
  /** Sent before the key (`prefixed`). */
  readonly prefix?: string
}

/** The meta requests about one key. @category model */
export type MetaKeyed = MetaGet | MetaSet | MetaDelete | MetaArithmetic

/**
 * Keyed meta requests sent as one pipeline closed by one `mn`: each member is sent with `q`
 * (unless it says `quiet: false`) and an opaque token (its index; members may not carry their
 * own), and its reply is matched by that token. Costs one round trip whatever the number of
 * members. A member sent with `quiet: false` always answers, so an error line is attributed to it
 * without doubt (see `meta-decode.ts`), at the cost of its nominal reply's bytes.
 * @category model
 */
export interface MetaBatch {
  readonly _tag: 'MetaBatch'
  readonly requests: ReadonlyArray<MetaKeyed>
}

/** @category model */
export type MetaRequest = MetaKeyed | MetaNoop | MetaDebug | MetaBatch

/** Return codes. @category model */
export type MetaCode = 'HD' | 'VA' | 'EN' | 'NF' | 'NS' | 'EX'

/** Flags a meta reply returned, typed; absent when not returned. @category model */
export interface MetaReturned {
  /** `c`. */
  readonly cas?: bigint
  /** `f`. */
  readonly clientFlags?: number
  /** `h`: hit before. */
  readonly hit?: boolean
  /** `k`: the caller's key (without the prefix). */
  readonly key?: MetaKey
  /** `l`: seconds since the last access. */
  readonly lastAccess?: number
  /** `s`. */
  readonly size?: number
  /** `t`: remaining seconds, -1 for never. */
  readonly ttl?: number
  /** `O`. */
  readonly opaque?: string
  /** `W`: this caller won the right to recompute the item. */
  readonly win?: boolean
  /** `X`: the item is stale (invalidated). */
  readonly stale?: boolean
  /** `Z`: another caller already won. */
  readonly alreadyWon?: boolean
}

/** The reply of a keyed meta request. @category model */
export interface MetaReply {
  readonly _tag: 'MetaReply'
  readonly code: MetaCode
  /** The value of a `VA` reply (a view on the bytes received). */
  readonly value?: Uint8Array
  readonly returned: MetaReturned
  /** The server sent nothing (quiet mode): this is the reply it suppressed. */
  readonly implied?: boolean
}

/** `MN`. @category model */
export interface MetaNoopReply {
  readonly _tag: 'MetaNoopReply'
}

/** `ME <key> <k>=<v>*`. @category model */
export interface MetaDebugReply {
  readonly _tag: 'MetaDebugReply'
  readonly entries: ReadonlyArray<readonly [string, string]>
}

/** A member's server-side refusal inside a batch (the stream stays in step). @category model */
export interface MetaFailure {
  readonly _tag: 'Failure'
  readonly error: ClientError | ServerError | UnknownCommand | ValueTooLarge
}

/** One reply per member of a `MetaBatch`, in the members' order. @category model */
export interface MetaBatchReply {
  readonly _tag: 'MetaBatchReply'
  readonly replies: ReadonlyArray<MetaReply | MetaFailure>
}

/** @category model */
export type MetaReplies = MetaReply | MetaNoopReply | MetaDebugReply | MetaBatchReply

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * metaGet('user:1', { returnValue: true, returnCas: true, touch: 60 }) // mg user:1 v c T60
 * @category constructors
 */
export const metaGet = (key: MetaKey, flags: MetaGetFlags = {}): MetaGet => ({ _tag: 'MetaGet', key, flags })

/**
 * @example
 * metaSet('k', new TextEncoder().encode('v'), { ttl: 60, returnCas: true }) // ms k 1 T60 c
 * @category constructors
 */
export const metaSet = (key: MetaKey, value: Uint8Array, flags: MetaSetFlags = {}): MetaSet => ({ _tag: 'MetaSet', key, value, flags })

/**
 * @example
 * metaDelete('k', { invalidate: true, ttl: 30 }) // md k I T30
 * @category constructors
 */
export const metaDelete = (key: MetaKey, flags: MetaDeleteFlags = {}): MetaDelete => ({ _tag: 'MetaDelete', key, flags })

/**
 * @example
 * metaArithmetic('hits', { vivify: 0, initial: 10n, returnValue: true }) // ma hits N0 J10 v
 * @category constructors
 */
export const metaArithmetic = (key: MetaKey, flags: MetaArithmeticFlags = {}): MetaArithmetic => ({ _tag: 'MetaArithmetic', key, flags })

/**
 * @example
 * metaNoop // mn
 * @category constructors
 */
export const metaNoop: MetaNoop = { _tag: 'MetaNoop' }

/**
 * @example
 * metaDebug('k') // me k
 * @category constructors
 */
export const metaDebug = (key: MetaKey): MetaDebug => ({ _tag: 'MetaDebug', key })

/**
 * @example
 * metaBatch([metaGet('a', { returnValue: true }), metaGet('b', { returnValue: true })])
 * // mg a v O0 q, mg b v O1 q, mn
 * @category constructors
 */
export const metaBatch = (requests: ReadonlyArray<MetaKeyed>): MetaBatch => ({ _tag: 'MetaBatch', requests })

/**
 * @example
 * metaReply('HD', { cas: 7n })
 * @category constructors
 */
export const metaReply = (code: MetaCode, returned: MetaReturned = {}, value?: Uint8Array): MetaReply =>
  value === undefined ? { _tag: 'MetaReply', code, returned } : { _tag: 'MetaReply', code, returned, value }

/**
 * The reply quiet mode suppressed, made explicit.
 *
 * @example
 * impliedReply(metaGet('a', { quiet: true })) // { _tag: 'MetaReply', code: 'EN', returned: {}, implied: true }
 * @category constructors
 */
export const impliedReply = (request: MetaKeyed): MetaReply => ({
  _tag: 'MetaReply',
  code: request._tag === 'MetaGet' ? 'EN' : 'HD',
  returned: {},
  implied: true,
})

/**
 * @example
 * metaNoopReply // MN
 * @category constructors
 */
export const metaNoopReply: MetaNoopReply = { _tag: 'MetaNoopReply' }

/**
 * @example
 * metaDebugReply([['exp', '-1']])
 * @category constructors
 */
export const metaDebugReply = (entries: ReadonlyArray<readonly [string, string]>): MetaDebugReply => ({ _tag: 'MetaDebugReply', entries })

/**
 * @example
 * metaBatchReply([metaReply('EN')])
 * @category constructors
 */
export const metaBatchReply = (replies: ReadonlyArray<MetaReply | MetaFailure>): MetaBatchReply => ({ _tag: 'MetaBatchReply', replies })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const META_TAGS: ReadonlySet<string> = new Set(['MetaGet', 'MetaSet', 'MetaDelete', 'MetaArithmetic', 'MetaNoop', 'MetaDebug', 'MetaBatch'])

/**
 * @example
 * isMetaRequest(metaNoop) // true
 * @category utils
 */
export const isMetaRequest = (request: { readonly _tag: string }): request is MetaRequest => META_TAGS.has(request._tag)

/**
 * @example
 * isMetaKeyed(metaGet('a')) // true
 * isMetaKeyed(metaNoop) // false
 * @category utils
 */
export const isMetaKeyed = (request: { readonly _tag: string }): request is MetaKeyed =>
  request._tag === 'MetaGet' || request._tag === 'MetaSet' || request._tag === 'MetaDelete' || request._tag === 'MetaArithmetic'

/**
 * The two-letter command of a meta request.
 *
 * @example
 * metaCommandName(metaGet('a')) // 'mg'
 * @category utils
 */
export const metaCommandName = (request: MetaRequest): string => {
  switch (request._tag) {
    case 'MetaGet':
      return 'mg'
    case 'MetaSet':
      return 'ms'
    case 'MetaDelete':
      return 'md'
    case 'MetaArithmetic':
      return 'ma'
    case 'MetaNoop':
      return 'mn'
    case 'MetaDebug':
      return 'me'
    case 'MetaBatch':
      return 'meta batch'
  }
}

const utf8 = new TextDecoder('utf-8')

/**
 * The string a key is placed (routed) by: a text key as it is; a binary key as the string with the
 * same UTF-8 bytes (invalid sequences decoded as U+FFFD), so a binary key lands where the text key
 * with its bytes lands.
 *
 * @example
 * routingString(new TextEncoder().encode('user:1')) // 'user:1'
 * @category utils
 */
export const routingString = (key: MetaKey): string => (typeof key === 'string' ? key : utf8.decode(key))

/**
 * A key as text for errors and logs: a binary key as `base64:<its base64>`.
 *
 * @example
 * describeMetaKey(new Uint8Array([0, 1])) // 'base64:AAE='
 * @category utils
 */
export const describeMetaKey = (key: MetaKey): string => (typeof key === 'string' ? key : `base64:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64')}`)

/**
 * Whether a meta request may be sent again after a failure that does not tell whether it was
 * applied: `mg` without `N`/`R`/`T`... side effects aside, reads, `md` without `C`, `ms` in `set`/`replace`
 * mode without `C`. `ma`, `append`/`prepend`, `add`, compare-and-swap are not.
 *
 * @example
 * isMetaIdempotent(metaGet('a')) // true
 * isMetaIdempotent(metaArithmetic('a')) // false
 * @category utils
 */
export const isMetaIdempotent = (request: MetaRequest): boolean => {
  switch (request._tag) {
    case 'MetaGet':
      // N and R hand out a win token: a retry could take a second one.
      return request.flags.vivify === undefined && request.flags.recache === undefined
    case 'MetaSet':
      return (request.flags.mode === undefined || request.flags.mode === 'set' || request.flags.mode === 'replace') && request.flags.compareCas === undefined
    case 'MetaDelete':
      return request.flags.compareCas === undefined
    case 'MetaArithmetic':
      return false
    case 'MetaNoop':
    case 'MetaDebug':
      return true
    case 'MetaBatch':
      return request.requests.every(isMetaIdempotent)
  }
}
