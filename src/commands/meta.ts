/**
 * The meta commands: the raw ones (`metaGet`, `metaSet`, `metaDelete`, `metaArithmetic`,
 * `metaNoop`, `metaDebug`, `metaBatch`: a typed reply, a `Failure` reply as its `Left`), and the
 * client's commands where the meta protocol does better:
 *
 * - `casMeta`: compare-and-swap that returns the new cas unique (one round trip, `ms C c`);
 * - `getAndTouchMeta`: get and set a new TTL (`mg v f T`);
 * - `counterMeta`: increment or decrement with an initial value and a TTL in one call (`ma N J D T v`);
 * - `getManyMeta`, `setManyMeta`, `deleteManyMeta`: one quiet batch and one `mn` per node.
 *
 * Values are `Encoded` (bytes and client flags), as the stand-alone text commands' are. Keys are
 * `string | Uint8Array` (binary keys through base64, at most 186 bytes). The server must be
 * memcached 1.6.10 or later (the connection refuses meta requests an older one would not
 * understand, before writing them).
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { protocolError } from '../protocol/error.js'
import type { MemcacheError } from '../error.js'
import * as Meta from '../protocol/meta.js'
import type { Encoded } from '../serde/serde.js'
import type { CallOptions } from '../transport/context.js'
import { command, succeed, type Command } from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A value read through `mg` with its cas unique. @category model */
export interface MetaVersioned {
  readonly value: Encoded
  readonly cas: bigint
}

/** What `casMeta` reports. @category model */
export type MetaCasResult =
  | { readonly _tag: 'Stored'; readonly cas: bigint }
  | { readonly _tag: 'Exists' }
  | { readonly _tag: 'NotFound' }

/** Options of `counterMeta`. @category model */
export interface CounterOptions extends CallOptions {
  /** Decrement instead of increment. */
  readonly mode?: Meta.MetaArithmeticMode
  /** Created with this value on a miss (`N` + `J`); without it a miss is `none`. */
  readonly initial?: bigint
  /** TTL (seconds) of a counter created on a miss, and set on every success. */
  readonly ttl?: number
}

/** Options of `setManyMeta`. @category model */
export interface MetaStoreOptions extends CallOptions {
  readonly ttl?: number
  readonly clientFlags?: number
}

// -------------------------------------------------------------------------------------
// raw commands
// -------------------------------------------------------------------------------------

const asMeta: (reply: Meta.MetaReply) => E.Either<MemcacheError, Meta.MetaReply> = E.right

/**
 * `mg`: the typed reply (`VA`, `HD` or `EN`).
 *
 * @example
 * const reply = await metaGet('user:1', { returnValue: true, returnCas: true })(transport)()
 * @category raw
 */
export const metaGet = (key: Meta.MetaKey, flags?: Meta.MetaGetFlags, options?: CallOptions): Command<Meta.MetaReply> =>
  command(Meta.metaGet(key, flags), { MetaReply: asMeta }, options)

/**
 * `ms`: the typed reply (`HD`, `NS`, `EX` or `NF`).
 *
 * @example
 * await metaSet('k', bytes, { ttl: 60, returnCas: true })(transport)()
 * @category raw
 */
export const metaSet = (key: Meta.MetaKey, value: Uint8Array, flags?: Meta.MetaSetFlags, options?: CallOptions): Command<Meta.MetaReply> =>
  command(Meta.metaSet(key, value, flags), { MetaReply: asMeta }, options)

/**
 * `md`: the typed reply (`HD`, `NF` or `EX`).
 *
 * @example
 * await metaDelete('k', { invalidate: true, ttl: 30 })(transport)()
 * @category raw
 */
export const metaDelete = (key: Meta.MetaKey, flags?: Meta.MetaDeleteFlags, options?: CallOptions): Command<Meta.MetaReply> =>
  command(Meta.metaDelete(key, flags), { MetaReply: asMeta }, options)

/**
 * `ma`: the typed reply (`HD`/`VA`, `NF`, `NS` or `EX`).
 *
 * @example
 * await metaArithmetic('hits', { returnValue: true })(transport)()
 * @category raw
 */
export const metaArithmetic = (key: Meta.MetaKey, flags?: Meta.MetaArithmeticFlags, options?: CallOptions): Command<Meta.MetaReply> =>
  command(Meta.metaArithmetic(key, flags), { MetaReply: asMeta }, options)

/**
 * `mn`: resolves when every request written before it was answered.
 *
 * @example
 * await metaNoop()(transport)() // right(undefined)
 * @category raw
 */
export const metaNoop = (options?: CallOptions): Command<void> => command(Meta.metaNoop, { MetaNoopReply: () => E.right(undefined) }, options)

/**
 * `me`: the item's metadata (`exp`, `la`, `cas`, `fetch`, `cls`, `size`...), `none` on a miss.
 *
 * @example
 * await metaDebug('k')(transport)() // right(some(Map { 'exp' => '-1', ... }))
 * @category raw
 */
export const metaDebug = (key: Meta.MetaKey, options?: CallOptions): Command<O.Option<ReadonlyMap<string, string>>> =>
  command(
    Meta.metaDebug(key),
    { MetaDebugReply: (reply) => E.right(O.some(new Map(reply.entries))), MetaReply: (reply) => (reply.code === 'EN' ? E.right(O.none) : E.left(protocolError(`me answered ${reply.code}`))) },
    options,
  )

/**
 * A quiet batch closed by one `mn`: one reply per request, in order (a `Failure` for a request
 * the server refused; a suppressed reply made explicit, `implied: true`).
 *
 * @example
 * await metaBatch([Meta.metaGet('a', { returnValue: true }), Meta.metaDelete('b')])(transport)()
 * @category raw
 */
export const metaBatch = (requests: ReadonlyArray<Meta.MetaKeyed>, options?: CallOptions): Command<ReadonlyArray<Meta.MetaReply | Meta.MetaFailure>> =>
  requests.length === 0 ? succeed([]) : command(Meta.metaBatch(requests), { MetaBatchReply: (reply) => E.right(reply.replies) }, options)

// -------------------------------------------------------------------------------------
// client commands over meta
// -------------------------------------------------------------------------------------

const encodedOf = (reply: Meta.MetaReply): Encoded => ({ bytes: reply.value ?? new Uint8Array(0), flags: reply.returned.clientFlags ?? 0 })

const expectCas = (reply: Meta.MetaReply): E.Either<MemcacheError, bigint> =>
  reply.returned.cas === undefined ? E.left(protocolError(`meta reply ${reply.code} without the cas asked for`)) : E.right(reply.returned.cas)

/**
 * `get` over meta: the value and its client flags, `none` on a miss.
 *
 * @example
 * await getMeta('k')(transport)() // right(some({ bytes, flags }))
 * @category commands
 */
export const getMeta = (key: Meta.MetaKey, options?: CallOptions): Command<O.Option<Encoded>> =>
  command(Meta.metaGet(key, { returnValue: true, returnFlags: true }), { MetaReply: (reply) => E.right(reply.code === 'VA' ? O.some(encodedOf(reply)) : O.none) }, options)

/**
 * `gets` over meta: the value and its cas unique, `none` on a miss.
 *
 * @example
 * await getsMeta('k')(transport)() // right(some({ value, cas }))
 * @category commands
 */
export const getsMeta = (key: Meta.MetaKey, options?: CallOptions): Command<O.Option<MetaVersioned>> =>
  command(
    Meta.metaGet(key, { returnValue: true, returnFlags: true, returnCas: true }),
    {
      MetaReply: (reply) =>
        reply.code !== 'VA'
          ? E.right(O.none)
          : E.map((cas: bigint) => O.some({ value: encodedOf(reply), cas }))(expectCas(reply)),
    },
    options,
  )

/**
 * Get and touch in one request (`mg v f T`): the value, with its TTL set to `ttl`; `none` on a miss.
 *
 * @example
 * await getAndTouchMeta('session', 1800)(transport)()
 * @category commands
 */
export const getAndTouchMeta = (key: Meta.MetaKey, ttl: number, options?: CallOptions): Command<O.Option<Encoded>> =>
  command(
    Meta.metaGet(key, { returnValue: true, returnFlags: true, touch: ttl }),
    { MetaReply: (reply) => E.right(reply.code === 'VA' ? O.some(encodedOf(reply)) : O.none) },
    options,
  )

/**
 * Compare-and-swap in one round trip that also returns the new cas unique (`ms C c`), so a
 * caller can swap again without reading. Needs memcached 1.6.13+ (the connection refuses it
 * before writing on an older server).
 *
 * @example
 * const result = await casMeta('k', { bytes, flags: 0 }, cas, { ttl: 60 })(transport)()
 * // right({ _tag: 'Stored', cas: 43n }) | right({ _tag: 'Exists' }) | right({ _tag: 'NotFound' })
 * @category commands
 */
export const casMeta = (key: Meta.MetaKey, value: Encoded, cas: bigint, options?: MetaStoreOptions): Command<MetaCasResult> =>
  command(
    Meta.metaSet(key, value.bytes, {
      compareCas: cas,
      returnCas: true,
      clientFlags: options?.clientFlags ?? value.flags,
      ...(options?.ttl === undefined ? {} : { ttl: options.ttl }),
    }),
    {
      MetaReply: (reply): E.Either<MemcacheError, MetaCasResult> => {
        switch (reply.code) {
          case 'HD':
            return E.map((next: bigint): MetaCasResult => ({ _tag: 'Stored', cas: next }))(expectCas(reply))
          case 'EX':
            return E.right({ _tag: 'Exists' })
          case 'NF':
            return E.right({ _tag: 'NotFound' })
          default:
            return E.left(protocolError(`ms answered ${reply.code} to a compare-and-swap`))
        }
      },
    },
    options,
  )

/**
 * A counter in one call (`ma`): by `delta` (default 1), created at `initial` with `ttl` on a miss
 * when `initial` is given. The new value, or `none` on a miss without `initial`.
 *
 * @example
 * await counterMeta('hits', 1n, { initial: 0n, ttl: 3600 })(transport)() // right(some(0n)) when created, right(some(1n)) next
 * @category commands
 */
export const counterMeta = (key: Meta.MetaKey, delta: bigint = 1n, options?: CounterOptions): Command<O.Option<bigint>> =>
  command(
    Meta.metaArithmetic(key, {
      delta,
      returnValue: true,
      ...(options?.mode === undefined ? {} : { mode: options.mode }),
      ...(options?.initial === undefined ? {} : { initial: options.initial, vivify: options.ttl ?? 0 }),
      ...(options?.ttl === undefined ? {} : { ttl: options.ttl }),
    }),
    {
      MetaReply: (reply) => {
        if (reply.code === 'NF') return E.right(O.none)
        if (reply.code !== 'VA' || reply.value === undefined) return E.left(protocolError(`ma answered ${reply.code}`))
        const text = Buffer.from(reply.value).toString('latin1').trim()
        return /^\d{1,20}$/.test(text) ? E.right(O.some(BigInt(text))) : E.left(protocolError(`ma value ${JSON.stringify(text)} is not a number`))
      },
    },
    options,
  )

/** The first member failure as the batch's error (as an error line fails a text `get`). */
const firstFailure = (replies: ReadonlyArray<Meta.MetaReply | Meta.MetaFailure>): MemcacheError | undefined => {
  for (const reply of replies) if (reply._tag === 'Failure') return reply.error
  return undefined
}

const dedupe = <K>(keys: ReadonlyArray<K>): ReadonlyArray<K> => [...new Set(keys)]

/**
 * `getMany` over meta: one quiet `mg` batch and one `mn` per node; hits by key (misses absent).
 * A server-side refusal of any key fails the call, as an error line fails a text `get`.
 *
 * @example
 * await getManyMeta(['a', 'b'])(transport)() // right(Map { 'a' => { bytes, flags } })
 * @category commands
 */
export const getManyMeta = <K extends Meta.MetaKey>(keys: ReadonlyArray<K>, options?: CallOptions): Command<ReadonlyMap<K, Encoded>> => {
  const unique = dedupe(keys)
  if (unique.length === 0) return succeed(new Map())
  return command(
    Meta.metaBatch(unique.map((key) => Meta.metaGet(key, { returnValue: true, returnFlags: true }))),
    {
      MetaBatchReply: (reply) => {
        const failed = firstFailure(reply.replies)
        if (failed !== undefined) return E.left(failed)
        const found = new Map<K, Encoded>()
        reply.replies.forEach((member, index) => {
          if (member._tag === 'MetaReply' && member.code === 'VA') found.set(unique[index] as K, encodedOf(member))
        })
        return E.right(found)
      },
    },
    options,
  )
}

/**
 * `setMany` over meta: one quiet `ms` batch and one `mn` per node. The keys not stored (a refusal
 * such as a value too large); `[]` when every one was.
 *
 * @example
 * await setManyMeta(new Map([['a', { bytes, flags: 0 }]]), { ttl: 60 })(transport)() // right([])
 * @category commands
 */
export const setManyMeta = <K extends Meta.MetaKey>(entries: ReadonlyMap<K, Encoded>, options?: MetaStoreOptions): Command<ReadonlyArray<K>> => {
  const keys = [...entries.keys()]
  if (keys.length === 0) return succeed([])
  const requests = keys.map((key) => {
    const value = entries.get(key) as Encoded
    return Meta.metaSet(key, value.bytes, { clientFlags: options?.clientFlags ?? value.flags, ...(options?.ttl === undefined ? {} : { ttl: options.ttl }) })
  })
  return command(
    Meta.metaBatch(requests),
    { MetaBatchReply: (reply) => E.right(keys.filter((_key, index) => { const member = reply.replies[index]; return member === undefined || member._tag === 'Failure' || member.code !== 'HD' })) },
    options,
  )
}

/**
 * `deleteMany` over meta: one quiet `md` batch and one `mn` per node. The keys that were not
 * found (as the text `deleteMany`).
 *
 * @example
 * await deleteManyMeta(['a', 'b'])(transport)() // right(['b']) when only a existed
 * @category commands
 */
export const deleteManyMeta = <K extends Meta.MetaKey>(keys: ReadonlyArray<K>, options?: CallOptions): Command<ReadonlyArray<K>> => {
  const unique = dedupe(keys)
  if (unique.length === 0) return succeed([])
  return command(
    Meta.metaBatch(unique.map((key) => Meta.metaDelete(key))),
    {
      MetaBatchReply: (reply) => {
        const failed = firstFailure(reply.replies)
        if (failed !== undefined) return E.left(failed)
        return E.right(unique.filter((_key, index) => { const member = reply.replies[index]; return member !== undefined && member._tag === 'MetaReply' && member.code === 'NF' }))
      },
    },
    options,
  )
}
