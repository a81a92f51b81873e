/**
 * The meta path of the client's commands: `get`, `set`, `cas`, `incr`... over `mg`/`ms`/`md`/`ma`,
 * with the text commands' results, misses and errors, so that `commands(serde)` and the client
 * can run either by the `protocol` option (`ProtocolOption`).
 *
 * What each command sends, and what meta changes:
 *
 * | command | meta request | compared with text |
 * |---|---|---|
 * | `get`, `gets` | `mg <key> v f` (`c`) | as good; a key may be bytes |
 * | `getMany`, `getsMany` | one quiet `mg … q` batch and one `mn` per server | one round trip per server, like a multi-key `get` |
 * | `gat`, `gats`, `gatMany`, `gatsMany` | `mg <key> v f T<exptime>` (`c`) | no 2048-byte line limit for many keys |
 * | `set`, `add`, `replace`, `append`, `prepend` | `ms <key> <size> F T M<mode>` | as good; a key may be bytes |
 * | `setMany` | one `ms` batch and one `mn` per server (members answer `HD`, see below) | one round trip per server instead of one request per key |
 * | `deleteMany` | one quiet `md` batch and one `mn` per server | one round trip per server instead of one request per key |
 * | `cas` | `ms <key> <size> C<cas> F T` | as good (for the new cas unique too, see `casMeta`) |
 * | `delete` | `md <key>` | as good |
 * | `touch` | `mg <key> T<exptime>` | as good (meta has no touch of its own) |
 * | `incr`, `decr` | `ma <key> M<I/D> D<delta> v` | as good; `counter` adds an initial value and a TTL |
 *
 * Arguments are checked as the text commands check them (the same `InvalidKey`, the same
 * `InvalidArgument` naming `exptime`, `cas unique` or `delta`), and a server's refusal is the same
 * `Left` (`ValueTooLarge`, `ClientError`...). A refusal of one member of a batch fails the whole
 * call, as an error line fails a text `get` or one `set` of a text `setMany`. memcached's error
 * lines carry no opaque token, so in a quiet batch a refusal cannot be told apart from its
 * neighbours': `setMany`, whose members may be refused for their values, sends them not quiet
 * (each answers `HD <opaque>`, a few bytes), so a value too large is `ValueTooLarge` as in text.
 *
 * @since 0.3.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { encode } from '../protocol/encode.js'
import { protocolError } from '../protocol/error.js'
import type { MemcacheError } from '../error.js'
import * as Meta from '../protocol/meta.js'
import * as Reply from '../protocol/reply.js'
import * as Request from '../protocol/request.js'
import type { Encoded, Serde } from '../serde/serde.js'
import type { CallOptions } from '../transport/context.js'
import { toDelta, type Delta } from './arithmetic.js'
import { command, distinct, fail, firstInvalidKey, succeed, type Command, type CommandDefaults, type StoreOptions } from './command.js'
import type { Versioned } from './retrieval.js'
import type { CasResult, Entries } from './storage.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The client's commands over meta, values through a serde. Single-key commands take binary keys
 * (`Uint8Array`, at most 186 bytes); `noreply` is not theirs (`ProtocolOption` says why).
 * @category model
 */
export interface MetaPath<A> {
  readonly get: (key: Meta.MetaKey, options?: CallOptions) => Command<O.Option<A>>
  readonly getMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, A>>
  readonly gets: (key: Meta.MetaKey, options?: CallOptions) => Command<O.Option<Versioned<A>>>
  readonly getsMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<A>>>
  readonly gat: (key: Meta.MetaKey, exptime: number, options?: CallOptions) => Command<O.Option<A>>
  readonly gatMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, A>>
  readonly gats: (key: Meta.MetaKey, exptime: number, options?: CallOptions) => Command<O.Option<Versioned<A>>>
  readonly gatsMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<A>>>
  readonly set: (key: Meta.MetaKey, value: A, options?: StoreOptions) => Command<boolean>
  readonly add: (key: Meta.MetaKey, value: A, options?: StoreOptions) => Command<boolean>
  readonly replace: (key: Meta.MetaKey, value: A, options?: StoreOptions) => Command<boolean>
  readonly append: (key: Meta.MetaKey, value: A, options?: StoreOptions) => Command<boolean>
  readonly prepend: (key: Meta.MetaKey, value: A, options?: StoreOptions) => Command<boolean>
  readonly setMany: (entries: Entries<A>, options?: StoreOptions) => Command<ReadonlyArray<string>>
  readonly cas: (key: Meta.MetaKey, value: A, unique: bigint, options?: StoreOptions) => Command<CasResult>
  readonly delete: (key: Meta.MetaKey, options?: CallOptions) => Command<boolean>
  readonly deleteMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyArray<string>>
  readonly touch: (key: Meta.MetaKey, exptime: number, options?: CallOptions) => Command<boolean>
  readonly incr: (key: Meta.MetaKey, delta: Delta, options?: CallOptions) => Command<O.Option<bigint>>
  readonly decr: (key: Meta.MetaKey, delta: Delta, options?: CallOptions) => Command<O.Option<bigint>>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const MIN_I32 = -0x8000_0000
const MAX_I32 = 0x7fff_ffff
const MAX_U64 = 0xffff_ffff_ffff_ffffn
const NO_BYTES = new Uint8Array(0)

/**
 * The text encoder's refusal of an argument (its exact `InvalidArgument`), found by encoding the
 * text request with the same numbers: only called once the fast checks below saw a bad value.
 */
const textRefusal = (request: Request.Request): MemcacheError | undefined => {
  const encoded = encode(request)
  return E.isLeft(encoded) ? encoded.left : undefined
}

const isSeconds = (value: number): boolean => Number.isInteger(value) && value >= MIN_I32 && value <= MAX_I32

const exptimeProblem = (exptime: number): MemcacheError | undefined => (isSeconds(exptime) ? undefined : textRefusal(Request.touch('k', exptime)))

const casProblem = (unique: bigint): MemcacheError | undefined =>
  typeof unique === 'bigint' && unique >= 0n && unique <= MAX_U64 ? undefined : textRefusal(Request.cas('k', NO_BYTES, unique))

/** `run`'s command, or the failure with `problem` when there is one. */
const unless = <B>(problem: MemcacheError | undefined, run: () => Command<B>): Command<B> => (problem === undefined ? run() : fail(problem))

const encodedOf = (reply: Meta.MetaReply): Encoded => ({ bytes: reply.value ?? NO_BYTES, flags: reply.returned.clientFlags ?? 0 })

const unexpected = (command: string, reply: Meta.MetaReply): MemcacheError => protocolError(`unexpected ${reply.code} reply to ${command}`)

/** `mg` with a value: `VA` a hit, `EN` a miss. */
const readReply =
  <B>(decode: (reply: Meta.MetaReply) => E.Either<MemcacheError, B>) =>
  (reply: Meta.MetaReply): E.Either<MemcacheError, O.Option<B>> => {
    if (reply.code === 'EN') return E.right(O.none)
    if (reply.code !== 'VA') return E.left(unexpected('mg', reply))
    const decoded = decode(reply)
    return E.isLeft(decoded) ? decoded : E.right(O.some(decoded.right))
  }

const decodeValue =
  <A>(serde: Serde<A>) =>
  (reply: Meta.MetaReply): E.Either<MemcacheError, A> =>
    serde.deserialize(encodedOf(reply))

const decodeVersioned =
  <A>(serde: Serde<A>) =>
  (reply: Meta.MetaReply): E.Either<MemcacheError, Versioned<A>> => {
    const cas = reply.returned.cas
    if (cas === undefined) return E.left(protocolError('mg answered without the cas unique asked for'))
    const value = serde.deserialize(encodedOf(reply))
    return E.isLeft(value) ? value : E.right({ value: value.right, cas })
  }

/** The first member refusal, as the batch's error. */
const firstFailure = (replies: ReadonlyArray<Meta.MetaReply | Meta.MetaFailure>): MemcacheError | undefined => {
  for (const reply of replies) if (reply._tag === 'Failure') return reply.error
  return undefined
}

const batchCommand = <B>(
  requests: ReadonlyArray<Meta.MetaKeyed>,
  interpret: (replies: ReadonlyArray<Meta.MetaReply>) => E.Either<MemcacheError, B>,
  options: CallOptions | undefined,
): Command<B> =>
  command(
    Meta.metaBatch(requests),
    {
      MetaBatchReply: (reply) => {
        const failed = firstFailure(reply.replies)
        if (failed !== undefined) return E.left(failed)
        if (reply.replies.length !== requests.length) return E.left(protocolError(`a meta batch of ${requests.length} answered ${reply.replies.length} replies`))
        return interpret(reply.replies as ReadonlyArray<Meta.MetaReply>)
      },
    },
    options,
  )

const SET_MODES: Readonly<Record<Request.StoreCommand, Meta.MetaSetMode>> = { set: 'set', add: 'add', replace: 'replace', append: 'append', prepend: 'prepend' }

/** `ms` flags for a value: its client flags unless 0, a TTL unless 0 (never), a mode unless `set` (absent is the default). */
const setFlags = (encoded: Encoded, exptime: number, mode: Meta.MetaSetMode): Meta.MetaSetFlags => ({
  ...(encoded.flags === 0 ? {} : { clientFlags: encoded.flags }),
  ...(exptime === 0 ? {} : { ttl: exptime }),
  ...(mode === 'set' ? {} : { mode }),
})

/** `ms`'s answer as the text store commands give it: stored or not. */
const storedCases = {
  MetaReply: (reply: Meta.MetaReply): E.Either<MemcacheError, boolean> =>
    reply.code === 'HD' ? E.right(true) : reply.code === 'NS' || reply.code === 'EX' || reply.code === 'NF' ? E.right(false) : E.left(unexpected('ms', reply)),
}

const numberOf = (reply: Meta.MetaReply): E.Either<MemcacheError, bigint> => {
  const text = Buffer.from(reply.value ?? NO_BYTES).toString('latin1').trim()
  return /^\d{1,20}$/.test(text) ? E.right(BigInt(text)) : E.left(protocolError(`ma value ${JSON.stringify(text)} is not a number`))
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The client's commands over the meta protocol for values through `serde`; `defaults.keys` are
 * the key rules the many-key forms check a whole batch against before sending any of it.
 *
 * @example
 * import { json } from '../serde/index.js'
 * const meta = metaPath(json)
 * await meta.set(new Uint8Array([0xca, 0xfe]), { seen: true }, { exptime: 60 })(transport)() // right(true)
 * await meta.getMany(['a', 'b'])(transport)() // one quiet mg batch per server
 * @category constructors
 */
export const metaPath = <A>(serde: Serde<A>, defaults?: CommandDefaults): MetaPath<A> => {
  const plain = readReply(decodeValue(serde))
  const versioned = readReply(decodeVersioned(serde))
  const valueFlags: Meta.MetaGetFlags = { returnValue: true, returnFlags: true }
  const casFlags: Meta.MetaGetFlags = { returnValue: true, returnFlags: true, returnCas: true }

  const single =
    <B>(flags: Meta.MetaGetFlags, read: (reply: Meta.MetaReply) => E.Either<MemcacheError, O.Option<B>>) =>
    (key: Meta.MetaKey, options?: CallOptions): Command<O.Option<B>> =>
      command(Meta.metaGet(key, flags), { MetaReply: read }, options)

  const many =
    <B>(flags: Meta.MetaGetFlags, read: (reply: Meta.MetaReply) => E.Either<MemcacheError, O.Option<B>>) =>
    (keys: ReadonlyArray<string>, options?: CallOptions): Command<ReadonlyMap<string, B>> => {
      if (keys.length === 0) return succeed(new Map<string, B>())
      const unique = distinct(keys)
      const invalid = firstInvalidKey(unique, defaults?.keys)
      if (invalid !== undefined) return fail(invalid)
      return batchCommand(
        unique.map((key) => Meta.metaGet(key, flags)),
        (replies) => {
          const found = new Map<string, B>()
          for (let index = 0; index < unique.length; index++) {
            const result = read(replies[index] as Meta.MetaReply)
            if (E.isLeft(result)) return result
            if (O.isSome(result.right)) found.set(unique[index] as string, result.right.value)
          }
          return E.right(found)
        },
        options,
      )
    }

  const touching = (flags: Meta.MetaGetFlags, exptime: number): Meta.MetaGetFlags => ({ ...flags, touch: exptime })

  const store =
    (name: Request.StoreCommand) =>
    (key: Meta.MetaKey, value: A, options?: StoreOptions): Command<boolean> => {
      const exptime = options?.exptime ?? 0
      const problem = exptimeProblem(exptime)
      if (problem !== undefined) return fail(problem)
      const encoded = serde.serialize(value)
      if (E.isLeft(encoded)) return fail(encoded.left)
      return command(Meta.metaSet(key, encoded.right.bytes, setFlags(encoded.right, exptime, SET_MODES[name])), storedCases, options)
    }

  const arithmetic =
    (mode: Meta.MetaArithmeticMode) =>
    (key: Meta.MetaKey, delta: Delta, options?: CallOptions): Command<O.Option<bigint>> => {
      const checked = toDelta(delta)
      if (E.isLeft(checked)) return fail(checked.left)
      return command(
        Meta.metaArithmetic(key, { ...(mode === 'incr' ? {} : { mode }), delta: checked.right, returnValue: true }),
        {
          MetaReply: (reply) => {
            if (reply.code === 'NF') return E.right(O.none)
            if (reply.code !== 'VA') return E.left(unexpected('ma', reply))
            return E.map((value: bigint) => O.some(value))(numberOf(reply))
          },
        },
        options,
      )
    }

  return {
    get: single(valueFlags, plain),
    getMany: many(valueFlags, plain),
    gets: single(casFlags, versioned),
    getsMany: many(casFlags, versioned),
    gat: (key, exptime, options) => unless(exptimeProblem(exptime), () => single(touching(valueFlags, exptime), plain)(key, options)),
    gatMany: (keys, exptime, options) => unless(exptimeProblem(exptime), () => many(touching(valueFlags, exptime), plain)(keys, options)),
    gats: (key, exptime, options) => unless(exptimeProblem(exptime), () => single(touching(casFlags, exptime), versioned)(key, options)),
    gatsMany: (keys, exptime, options) => unless(exptimeProblem(exptime), () => many(touching(casFlags, exptime), versioned)(keys, options)),
    set: store('set'),
    add: store('add'),
    replace: store('replace'),
    append: store('append'),
    prepend: store('prepend'),
    setMany: (entries, options) => {
      // A repeated key keeps its last value, as the text setMany.
      const last = new Map<string, A>(entries instanceof Map ? entries : (entries as ReadonlyArray<readonly [string, A]>))
      if (last.size === 0) return succeed([])
      const invalid = firstInvalidKey(last.keys(), defaults?.keys)
      if (invalid !== undefined) return fail(invalid)
      const exptime = options?.exptime ?? 0
      const problem = exptimeProblem(exptime)
      if (problem !== undefined) return fail(problem)
      const keys = [...last.keys()]
      const requests: Array<Meta.MetaSet> = []
      for (const [key, value] of last) {
        const encoded = serde.serialize(value)
        if (E.isLeft(encoded)) return fail(encoded.left)
        // Not quiet: memcached's error lines carry no opaque token, so only a member that always
        // answers has its refusal (a value too large) attributed to it, as text's setMany does.
        requests.push(Meta.metaSet(key, encoded.right.bytes, { ...setFlags(encoded.right, exptime, 'set'), quiet: false }))
      }
      return batchCommand(requests, (replies) => E.right(keys.filter((_, index) => replies[index]?.code !== 'HD')), options)
    },
    cas: (key, value, unique, options) => {
      const exptime = options?.exptime ?? 0
      const problem = exptimeProblem(exptime) ?? casProblem(unique)
      if (problem !== undefined) return fail(problem)
      const encoded = serde.serialize(value)
      if (E.isLeft(encoded)) return fail(encoded.left)
      return command<CasResult>(
        Meta.metaSet(key, encoded.right.bytes, { ...setFlags(encoded.right, exptime, 'set'), compareCas: unique }),
        {
          MetaReply: (reply) => {
            switch (reply.code) {
              case 'HD':
                return E.right(Reply.stored)
              case 'EX':
                return E.right(Reply.exists)
              case 'NF':
                return E.right(Reply.notFound)
              default:
                return E.left(unexpected('ms', reply))
            }
          },
        },
        options,
      )
    },
    delete: (key, options) =>
      command(
        Meta.metaDelete(key),
        { MetaReply: (reply) => (reply.code === 'HD' ? E.right(true) : reply.code === 'NF' ? E.right(false) : E.left(unexpected('md', reply))) },
        options,
      ),
    deleteMany: (keys, options) => {
      if (keys.length === 0) return succeed([])
      const unique = distinct(keys)
      const invalid = firstInvalidKey(unique, defaults?.keys)
      if (invalid !== undefined) return fail(invalid)
      return batchCommand(
        unique.map((key) => Meta.metaDelete(key)),
        (replies) => E.right(unique.filter((_, index) => replies[index]?.code !== 'HD')),
        options,
      )
    },
    touch: (key, exptime, options) => {
      const problem = exptimeProblem(exptime)
      if (problem !== undefined) return fail(problem)
      return command(
        Meta.metaGet(key, { touch: exptime }),
        { MetaReply: (reply) => (reply.code === 'HD' ? E.right(true) : reply.code === 'EN' ? E.right(false) : E.left(unexpected('mg', reply))) },
        options,
      )
    },
    incr: arithmetic('incr'),
    decr: arithmetic('decr'),
  }
}
