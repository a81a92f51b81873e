/**
 * What a command is: a function of the transport that yields a `TaskEither`.
 *
 * Every command in fp-memcache is a `Command<A>` — fp-ts's `ReaderTaskEither<Transport,
 * MemcacheError, A>` — built by a plain function that takes the command's arguments first and the
 * transport last, so commands compose with `pipe`, `flow` and the `ReaderTaskEither` module.
 *
 * This module also holds the one place where a `Reply` becomes a result: a `Failure` reply (the
 * server refused, the connection is still in step) becomes the `Left` it carries, a reply the
 * command does not expect becomes a `ProtocolError`, and the expected ones are mapped by a table.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as RTE from 'fp-ts/lib/ReaderTaskEither.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { protocolError, type ProtocolError } from '../protocol/error.js'
import { type MemcacheError } from '../error.js'
import { keyError, type KeyOptions } from '../protocol/key.js'
import type { Reply } from '../protocol/reply.js'
import { commandName, type Request } from '../protocol/request.js'
import type { Encoded, Serde } from '../serde/serde.js'
import { toContext, type CallOptions, type RequestContext } from '../transport/context.js'
import type { Transport } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A command waiting for a transport: `(transport) => TaskEither<MemcacheError, A>`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as RTE from 'fp-ts/lib/ReaderTaskEither.js'
 * import * as O from 'fp-ts/lib/Option.js'
 * const zero = { bytes: new TextEncoder().encode('0'), flags: 0 }
 * // Create the counter if it is missing, then count: one Command, run on any transport.
 * const bump: Command<O.Option<bigint>> = pipe(add('hits', zero), RTE.chain(() => incr('hits', 1)))
 * const result = await bump(transport)() // right(some(1n)) the first time
 * @category model
 */
export type Command<A> = RTE.ReaderTaskEither<Transport, MemcacheError, A>

/**
 * The option every writing command takes. With `noreply: true` memcached sends nothing back,
 * so the command cannot know the outcome: it resolves as soon as the request is written, to the
 * command's "nothing went wrong" value (`true` for the boolean commands, `[]` for the `...Many`
 * ones, `none` for `incr`/`decr`, `NoReply` for `cas`). Errors the server reports anyway arrive
 * later on the connection, not here.
 * @category model
 */
export interface NoreplyOption extends CallOptions {
  readonly noreply?: boolean
}

/**
 * Which protocol a command speaks: memcached's classic `'text'` commands (`get`, `set`...) or the
 * `'meta'` commands (`mg`, `ms`, `md`, `ma`; memcached 1.6.10+). Both give the same results; see
 * `ProtocolOption` for what meta changes.
 *
 * @example
 * const protocol: Protocol = 'meta'
 * @category model
 */
export type Protocol = 'text' | 'meta'

/** The protocols a `protocol` option may name. @category model */
export const PROTOCOLS: ReadonlyArray<Protocol> = ['text', 'meta']

/**
 * The per-call choice of protocol of the commands that have a meta path, in `commands(serde)` and
 * on the client (the stand-alone `get`, `set`... are text, `getMeta`, `casMeta`... meta). A call
 * without it uses the commands' default (`CommandDefaults.protocol`, the client's `protocol`
 * option), `'text'` unless told. Results, errors and misses are the same either way; meta adds
 * binary keys (`Uint8Array`) for `get`/`set`/`add`/`replace`/`delete`, and runs the many-key
 * forms as one quiet pipeline per server. A `noreply` write goes through the text protocol
 * whatever this says: a quiet meta request still waits for its `mn`, so only text can write
 * and forget.
 * @category model
 */
export interface ProtocolOption {
  readonly protocol?: Protocol
}

/** Options of the storage commands (`set`, `add`, `replace`, `cas`...). @category model */
export interface StoreOptions extends NoreplyOption {
  /** Seconds to live (up to 30 days), or a unix time; 0 (default) means never expire. */
  readonly exptime?: number
}

/**
 * Defaults shared by a set of commands (see `commands`).
 * @category model
 */
export interface CommandDefaults {
  /**
   * `noreply` for set/add/replace/append/prepend/setMany/delete/deleteMany/touch when a call does
   * not say. Default `false`. Never applied to `cas`, `incr` and `decr`, whose result is the point.
   */
  readonly noreply?: boolean
  /**
   * The key rules of the transport the commands run on, for the many-key writes (`setMany`,
   * `deleteMany`), which refuse a whole batch before writing any of it: whether unicode keys are
   * allowed, and the key prefix the transport adds (its bytes count toward the 250). Default:
   * unicode allowed and no prefix (the connection then refuses what it must, one request at a
   * time). `createClient` passes its own.
   */
  readonly keys?: KeyRules
  /** The protocol of a call that does not say (`ProtocolOption`). Default `'text'`. */
  readonly protocol?: Protocol
}

/** The key rules a set of commands checks a batch against. @category model */
export interface KeyRules extends KeyOptions {
  /** The prefix the transport adds to every key. */
  readonly prefix?: string
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** How each expected reply tag becomes a result. */
export type ReplyCases<A> = {
  readonly [K in Reply['_tag']]?: (reply: Extract<Reply, { readonly _tag: K }>) => E.Either<MemcacheError, A>
}

/**
 * The `ProtocolError` for a reply a command did not expect.
 *
 * @example
 * unexpectedReply(Request.version, Reply.stored).message // 'unexpected Stored reply to version'
 * @category constructors
 */
export const unexpectedReply = (request: Request, reply: Reply): ProtocolError =>
  protocolError(`unexpected ${reply._tag} reply to ${commandName(request)}`)

/**
 * Turns a reply into a result: `Failure` becomes its error, a tag without a case a `ProtocolError`.
 *
 * @example
 * interpret(Request.del('k'), { Deleted: () => E.right(true), NotFound: () => E.right(false) })(Reply.deleted) // right(true)
 * @category constructors
 */
export const interpret =
  <A>(request: Request, cases: ReplyCases<A>) =>
  (reply: Reply): E.Either<MemcacheError, A> => {
    if (reply._tag === 'Failure') return E.left(reply.error)
    const handle = cases[reply._tag] as ((reply: Reply) => E.Either<MemcacheError, A>) | undefined
    return handle === undefined ? E.left(unexpectedReply(request, reply)) : handle(reply)
  }

/**
 * The command that sends one request under `context` and maps its reply with `cases`: the form
 * for commands that send several requests under one context (one deadline for all of them).
 *
 * @example
 * const context = toContext({ timeout: 100 })
 * const both = (transport: Transport) => [commandIn(Request.version, cases, context)(transport), commandIn(Request.stats(), cases, context)(transport)]
 * @category constructors
 */
export const commandIn =
  <A>(request: Request, cases: ReplyCases<A>, context?: RequestContext): Command<A> =>
  (transport) =>
  () =>
    transport
      .send(request, context)()
      .then((result) => (E.isLeft(result) ? result : interpret(request, cases)(result.right)))

/**
 * The command that sends one request and maps its reply with `cases`: how every command here is
 * built, and how to build one of your own. `options` (`signal`, `timeout`, `retry`) become the
 * request's context when the command runs, so a timeout counts from the run, not from the call.
 *
 * @example
 * const version: Command<string> = command(Request.version, { Version: (reply) => E.right(reply.version) }, { timeout: 100 })
 * @category constructors
 */
export const command =
  <A>(request: Request, cases: ReplyCases<A>, options?: CallOptions): Command<A> =>
  (transport) =>
    options === undefined ? commandIn(request, cases)(transport) : () => commandIn(request, cases, toContext(options))(transport)()

/**
 * A command that builds its work from the request context of `options`, made when it runs: how
 * a command that sends several requests gives them one deadline and one signal.
 *
 * @example
 * inContext(options, (context) => (transport) => commandIn(Request.version, cases, context)(transport))
 * @category constructors
 */
export const inContext =
  <A>(options: CallOptions | undefined, f: (context: RequestContext) => Command<A>): Command<A> =>
  (transport) =>
  () =>
    f(toContext(options))(transport)()

/**
 * A command that fails with `error` without touching the transport.
 *
 * @example
 * fail(invalidArgument('delta', 'must be a non-negative integer'))
 * @category constructors
 */
export const fail =
  <A = never>(error: MemcacheError): Command<A> =>
  () =>
    TE.left(error)

/**
 * A command that succeeds with `value` without touching the transport.
 *
 * @example
 * succeed(new Map()) // what `getMany([])` is
 * @category constructors
 */
export const succeed =
  <A>(value: A): Command<A> =>
  () =>
    TE.right(value)

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * The serde the stand-alone commands use: values are `Encoded` (bytes and flags) as stored,
 * unchanged both ways. Lossless, so tools and other serdes can build on it.
 *
 * @example
 * encodedSerde.serialize({ bytes: new Uint8Array([1]), flags: 2 }) // right({ bytes, flags: 2 })
 * @category instances
 */
export const encodedSerde: Serde<Encoded> = {
  serialize: (value) => E.right(value),
  deserialize: (encoded) => E.right(encoded),
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The first key that cannot be sent under `rules`, as an `InvalidKey`, or `undefined`. Used by the
 * multi-request commands (`setMany`, `deleteMany`) to refuse a batch before writing any of it.
 * Without rules unicode is allowed: whether it is accepted is then the connection's rule, checked
 * again there.
 *
 * @example
 * firstInvalidKey(['a', 'b c']) // InvalidKey for 'b c'
 * firstInvalidKey(['é'], { allowUnicodeKeys: false }) // InvalidKey for 'é'
 * @category utils
 */
export const firstInvalidKey = (keys: Iterable<string>, rules: KeyRules = { allowUnicodeKeys: true }): MemcacheError | undefined => {
  const prefix = rules.prefix ?? ''
  for (const key of keys) {
    const error = keyError(key, prefix, rules)
    if (error !== undefined) return error
  }
  return undefined
}

/**
 * Each key once, in the order first seen.
 *
 * @example
 * distinct(['a', 'b', 'a']) // ['a', 'b']
 * @category utils
 */
export const distinct = (keys: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Set(keys)
  return seen.size === keys.length ? keys : [...seen]
}

/** Requests in flight at once for the `...Many` commands that send one request per key. */
export const MANY_BATCH = 1000

/**
 * Runs `f` over `items`: up to `MANY_BATCH` at once (pipelined on one connection), batch after
 * batch, so a large `setMany` does not pass a connection's `maxPending`. Results keep the order
 * of `items`; the first error (in order) is the result of the whole.
 *
 * @example
 * traverseInBatches(keys, (key) => del(key)(transport))
 * @category utils
 */
export const traverseInBatches = <T, B>(
  items: ReadonlyArray<T>,
  f: (item: T) => TE.TaskEither<MemcacheError, B>,
): TE.TaskEither<MemcacheError, ReadonlyArray<B>> => {
  if (items.length <= MANY_BATCH) return TE.traverseArray(f)(items)
  const batches: Array<ReadonlyArray<T>> = []
  for (let start = 0; start < items.length; start += MANY_BATCH) batches.push(items.slice(start, start + MANY_BATCH))
  return pipe(
    batches,
    TE.traverseSeqArray(TE.traverseArray(f)),
    TE.map((parts) => parts.flat()),
  )
}

/**
 * `noreply` for a call: the call's own option, else the defaults'.
 *
 * @example
 * noreplyOf({}, { noreply: true }) // true
 * @category utils
 */
export const noreplyOf = (options: NoreplyOption | undefined, defaults: CommandDefaults | undefined): boolean =>
  options?.noreply ?? defaults?.noreply ?? false
