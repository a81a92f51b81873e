/**
 * Storage commands: `set`, `add`, `replace`, `append`, `prepend`, `setMany` and `cas`.
 *
 * `set`/`add`/`replace`/`append`/`prepend` yield whether the server stored the value (`false` for
 * `NOT_STORED`: `add` on an existing key, `replace`/`append`/`prepend` on a missing one). `cas`
 * yields a `_tag` union that tells a lost race (`Exists`) from a vanished key (`NotFound`).
 *
 * Values go through a `Serde<A>`, which also chooses the flags. `append`/`prepend` send only the
 * serialized bytes: memcached keeps the flags the item already has, so the result reads back
 * through the serde of the original value — use them with serdes whose bytes concatenate
 * meaningfully (text, raw bytes).
 *
 * With `noreply` nothing comes back: see `NoreplyOption` for what each command then yields.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Exists, NoReply, NotFound, Stored } from '../protocol/reply.js'
import * as Request from '../protocol/request.js'
import type { Encoded, Serde } from '../serde/serde.js'
import {
  commandIn,
  encodedSerde,
  fail,
  inContext,
  firstInvalidKey,
  noreplyOf,
  command,
  succeed,
  traverseInBatches,
  type Command,
  type CommandDefaults,
  type ReplyCases,
  type StoreOptions,
} from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Outcome of `cas`: `Stored`; `Exists` (someone changed the item since your `gets`); `NotFound`
 * (the item is gone). `NoReply` only when the call asked for `noreply`.
 * @category model
 */
export type CasResult = Stored | Exists | NotFound | NoReply

/** Entries for `setMany`: a map, or key/value pairs (a later pair for the same key wins). @category model */
export type Entries<A> = ReadonlyMap<string, A> | ReadonlyArray<readonly [string, A]>

/** The storage commands over values of type `A`. @category model */
export interface Storage<A> {
  readonly set: (key: string, value: A, options?: StoreOptions) => Command<boolean>
  readonly add: (key: string, value: A, options?: StoreOptions) => Command<boolean>
  readonly replace: (key: string, value: A, options?: StoreOptions) => Command<boolean>
  readonly append: (key: string, value: A, options?: StoreOptions) => Command<boolean>
  readonly prepend: (key: string, value: A, options?: StoreOptions) => Command<boolean>
  /** The keys that were not stored, in the order given; `[]` when all were (or with `noreply`). */
  readonly setMany: (entries: Entries<A>, options?: StoreOptions) => Command<ReadonlyArray<string>>
  readonly cas: (key: string, value: A, unique: bigint, options?: StoreOptions) => Command<CasResult>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const writeOptions = (encoded: Encoded, options: StoreOptions | undefined, noreply: boolean): Request.WriteOptions => ({
  flags: encoded.flags,
  exptime: options?.exptime ?? 0,
  noreply,
})

const storedOrNot: ReplyCases<boolean> = {
  Stored: () => E.right(true),
  NotStored: () => E.right(false),
  // memcached answers these only to cas, but a proxy may relay them: the value was not stored.
  Exists: () => E.right(false),
  NotFound: () => E.right(false),
}

const storedOrNotNoreply: ReplyCases<boolean> = { ...storedOrNot, NoReply: () => E.right(true) }

/** One table per `noreply` setting, made once: every `set` goes through here. */
const storeCases = (req: Request.Store): ReplyCases<boolean> => (req.noreply ? storedOrNotNoreply : storedOrNot)

const storeWith =
  <A>(serde: Serde<A>, defaults: CommandDefaults | undefined) =>
  (name: Request.StoreCommand) =>
  (key: string, value: A, options?: StoreOptions): Command<boolean> => {
    const encoded = serde.serialize(value)
    if (E.isLeft(encoded)) return fail(encoded.left)
    const request = Request.store(name, key, encoded.right.bytes, writeOptions(encoded.right, options, noreplyOf(options, defaults)))
    return command(request, storeCases(request), options)
  }

const toPairs = <A>(entries: Entries<A>): ReadonlyArray<readonly [string, A]> => {
  // A repeated key keeps its last value: writing both could land in either order on a pool.
  const last = new Map<string, A>(entries instanceof Map ? entries : (entries as ReadonlyArray<readonly [string, A]>))
  return [...last]
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The storage commands for values written through `serde`.
 *
 * @example
 * import { json } from '../serde/index.js'
 * const { set, add } = storage(json)
 * await set('user:1', { name: 'Ada' }, { exptime: 3600 })(transport)() // right(true)
 * @category constructors
 */
export const storage = <A>(serde: Serde<A>, defaults?: CommandDefaults): Storage<A> => {
  const store = storeWith(serde, defaults)
  const set = store('set')
  return {
    set,
    add: store('add'),
    replace: store('replace'),
    append: store('append'),
    prepend: store('prepend'),
    setMany: (entries, options) => {
      const pairs = toPairs(entries)
      if (pairs.length === 0) return succeed([])
      const invalid = firstInvalidKey(pairs.map(([key]) => key), defaults?.keys)
      if (invalid !== undefined) return fail(invalid)
      const requests: Array<Request.Store> = []
      const noreply = noreplyOf(options, defaults)
      for (const [key, value] of pairs) {
        const encoded = serde.serialize(value)
        if (E.isLeft(encoded)) return fail(encoded.left)
        requests.push(Request.set(key, encoded.right.bytes, writeOptions(encoded.right, options, noreply)))
      }
      return inContext(options, (context) => (transport) =>
        pipe(
          traverseInBatches(requests, (req) => commandIn(req, storeCases(req), context)(transport)),
          TE.map((outcomes) => requests.filter((_, index) => outcomes[index] !== true).map((req) => req.key)),
        ),
      )
    },
    cas: (key, value, unique, options) => {
      const encoded = serde.serialize(value)
      if (E.isLeft(encoded)) return fail(encoded.left)
      const noreply = options?.noreply ?? false
      const req = Request.cas(key, encoded.right.bytes, unique, writeOptions(encoded.right, options, noreply))
      return command<CasResult>(req, {
        Stored: E.right,
        Exists: E.right,
        NotFound: E.right,
        ...(noreply ? { NoReply: E.right } : {}),
      }, options)
    },
  }
}

const encoded = storage(encodedSerde)

/**
 * `set`: store the value whatever is there.
 *
 * @example
 * set('greeting', { bytes: new TextEncoder().encode('hi'), flags: 0 }, { exptime: 60 })(transport)
 * @category constructors
 */
export const set: (key: string, value: Encoded, options?: StoreOptions) => Command<boolean> = encoded.set

/**
 * `add`: store only if the key is absent; `false` when it exists.
 *
 * @example
 * add('lock:job', { bytes: new Uint8Array([1]), flags: 0 }, { exptime: 30 })(transport) // right(true) for the winner
 * @category constructors
 */
export const add: (key: string, value: Encoded, options?: StoreOptions) => Command<boolean> = encoded.add

/**
 * `replace`: store only if the key exists; `false` when it is absent.
 *
 * @example
 * replace('k', value)(transport)
 * @category constructors
 */
export const replace: (key: string, value: Encoded, options?: StoreOptions) => Command<boolean> = encoded.replace

/**
 * `append`: add bytes after the stored value (the item keeps its flags and expiry); `false` when absent.
 *
 * @example
 * append('log', { bytes: new TextEncoder().encode(' more'), flags: 0 })(transport)
 * @category constructors
 */
export const append: (key: string, value: Encoded, options?: StoreOptions) => Command<boolean> = encoded.append

/**
 * `prepend`: add bytes before the stored value (flags kept); `false` when absent.
 *
 * @example
 * prepend('log', { bytes: new TextEncoder().encode('first '), flags: 0 })(transport)
 * @category constructors
 */
export const prepend: (key: string, value: Encoded, options?: StoreOptions) => Command<boolean> = encoded.prepend

/**
 * Several `set`s sent together (pipelined); yields the keys not stored. Keys are all checked
 * before anything is written; an error of any request (timeout, server error) fails the whole.
 *
 * @example
 * setMany(new Map([['a', va], ['b', vb]]))(transport) // right([])
 * @category constructors
 */
export const setMany: (entries: Entries<Encoded>, options?: StoreOptions) => Command<ReadonlyArray<string>> = encoded.setMany

/**
 * `cas`: store only if the item is unchanged since the `gets` that returned `unique`.
 *
 * @example
 * import * as O from 'fp-ts/lib/Option.js'
 * const result = await cas('counter', next, 12n)(transport)() // right({ _tag: 'Exists' }) when someone was faster
 * @category constructors
 */
export const cas: (key: string, value: Encoded, unique: bigint, options?: StoreOptions) => Command<CasResult> = encoded.cas
