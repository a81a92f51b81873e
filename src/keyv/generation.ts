/**
 * Namespace generations: how `clear` empties one namespace on a server it shares.
 *
 * memcached cannot list or delete keys by prefix. So every key of a namespace carries the
 * namespace's generation, a random token kept in memcached itself (under `generationKey`), and
 * `clear` writes a new token: every key of the old generation becomes unreachable at once, for
 * every process using the namespace, and memcached drops the old items as their TTL ends or its
 * LRU needs the room. Nothing outside the namespace is touched.
 *
 * Every operation checks the generation in memcached, so a `clear` by one process is seen by the
 * next operation of every other, but it does so in the same round trip as the operation, under the
 * generation this process saw last (`read`, `write`):
 * - a read is one multi-key `get` of the keys under that generation, then the generation key; when
 *   the generation read is the one assumed, the values are the answer. The generation key comes
 *   last so that memcached looks it up after the values: since a token never comes back once
 *   replaced, finding it still current proves it was current when the values were read. When it
 *   changed (a clear, an eviction) or none was known yet, the read is done again under the new one:
 *   a second round trip, once per clear;
 * - a write sends the generation `get`, then the write under the assumed generation, in the same
 *   tick. When the generation read is another, the write was applied after that generation ended:
 *   it is unreachable garbage that memcached drops when its TTL ends (or its LRU needs the room),
 *   and the write is done again under the current generation. A `delete` sent under an ended
 *   generation removes only garbage, so it neither loses a live value nor lets a deleted one come
 *   back; its answer is the one of the delete done again. One answer is not exact: when another
 *   process's `clear` lands between a delete's generation read and the delete itself, the delete
 *   (rightly counted as before the clear) may find garbage a stale write left after the clear, and
 *   answer `true` for a key that was not there (or `false`). Its effect is exact all the same.
 *
 * This is exact when memcached serves the requests of one operation in the order they were sent:
 * one connection to the server holding the namespace's keys (one server, no pool, no batching, as
 * `memoryTransport` and `serve` are). Where requests can overtake each other (a pool of
 * connections, the keys on other servers than the generation, retries, batching), a write racing
 * a `clear` may be seen before the clear and again after it, or before the clear took effect.
 *
 * A missing generation (never written, or evicted) is created with `add`, so racing processes
 * agree on one; since it is a new random token, an evicted generation empties the namespace, as an
 * eviction of its items would have. Tokens are 72 random bits, so generations of different
 * namespaces never meet and a replaced token never comes back.
 *
 * @since 0.2.0
 */
import { randomBytes } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { MemcacheError } from '../error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The commands generations need, on keys memcached can store, values as text.
 *
 * @example
 * const { get, getMany, add, set } = commands(text)
 * const onServer: GenerationCommands = {
 *   get: (key) => get(key)(transport),
 *   getMany: (keys) => getMany(keys)(transport),
 *   add: (key, value) => add(key, value)(transport),
 *   set: (key, value) => set(key, value)(transport),
 * }
 * @category model
 */
export interface GenerationCommands {
  readonly get: (key: string) => TE.TaskEither<MemcacheError, O.Option<string>>
  /** One multi-key `get` whose keys memcached looks up in the order given. */
  readonly getMany: (keys: ReadonlyArray<string>) => TE.TaskEither<MemcacheError, ReadonlyMap<string, string>>
  readonly add: (key: string, value: string) => TE.TaskEither<MemcacheError, boolean>
  readonly set: (key: string, value: string) => TE.TaskEither<MemcacheError, boolean>
}

/**
 * The generations of every namespace of one store.
 *
 * @example
 * const generations: Generations = makeGenerations(onServer, generationKey)
 * @category model
 */
export interface Generations {
  /**
   * The namespace's current generation, created when it has none: its own round trip, before the
   * operation that needs it (concurrent calls share one read).
   */
  readonly current: (namespace: string) => TE.TaskEither<MemcacheError, string>
  /** Starts a new generation: the keys of every earlier one are unreachable. */
  readonly next: (namespace: string) => TE.TaskEither<MemcacheError, void>
  /**
   * Reads `keysIn(generation)` and the generation in one multi-key `get`, under the generation last
   * seen; again under the new one when it changed. The values found, and the generation they are in.
   */
  readonly read: (namespace: string, keysIn: (generation: string) => ReadonlyArray<string>) => TE.TaskEither<MemcacheError, GenerationRead>
  /**
   * Sends the generation `get` and `writeIn(generation)` together, under the generation last seen;
   * writes again under the current one when it changed. The answer of the write that counts.
   */
  readonly write: <A>(namespace: string, writeIn: (generation: string) => TE.TaskEither<MemcacheError, A>) => TE.TaskEither<MemcacheError, A>
}

/**
 * What `read` found: the values of the keys asked for (absent when missing) in `generation`.
 *
 * @example
 * const { generation, found }: GenerationRead = { generation: 'Qm9xT3Vp-w_a', found: new Map([['keyv@Qm9xT3Vp-w_a:k', 'v']]) }
 * @category model
 */
export interface GenerationRead {
  readonly generation: string
  readonly found: ReadonlyMap<string, string>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * A new generation token: 72 random bits in 12 base64url characters (no `:`, `#` or `@`).
 *
 * @example
 * freshGeneration() // e.g. 'Qm9xT3Vp-w_a'
 * @category utils
 */
export const freshGeneration = (): string => randomBytes(9).toString('base64url')

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Generations kept by `commands` under `keyOf(namespace)`, new tokens from `fresh`. The last
 * generation seen of each namespace is remembered, only as a guess that the next operation checks.
 *
 * @example
 * const generations = makeGenerations(commands, (namespace) => sendableKey()(generationKey(namespace)))
 * await generations.current('keyv')() // right('Qm9xT3Vp-w_a'), the same until a clear
 * await generations.read('keyv', (generation) => [`keyv@${generation}:k`])() // right({ generation: 'Qm9xT3Vp-w_a', found: Map { ... } }): one round trip
 * await generations.write('keyv', (generation) => set(`keyv@${generation}:k`, 'v')(transport))() // right(true): one round trip
 * await generations.next('keyv')() // right(undefined): keyv's keys are gone
 * @category constructors
 */
export const makeGenerations = (commands: GenerationCommands, keyOf: (namespace: string) => string, fresh: () => string = freshGeneration): Generations => {
  const reading = new Map<string, Promise<E.Either<MemcacheError, string>>>()
  // By generation key. A guess only: every operation checks it against memcached.
  const lastSeen = new Map<string, string>()
  const remember = (key: string, generation: string): void => {
    lastSeen.set(key, generation)
  }

  const readOrCreate = (key: string): TE.TaskEither<MemcacheError, string> =>
    pipe(
      commands.get(key),
      TE.chain(
        O.match(
          () => {
            const token = fresh()
            return pipe(
              commands.add(key, token),
              // Another process created it first: theirs is the generation.
              TE.chain((added) => (added ? TE.right(token) : pipe(commands.get(key), TE.chain(O.match(() => createAnyway(key, token), TE.right))))),
            )
          },
          TE.right,
        ),
      ),
    )

  // Evicted again between the add and the get: rare enough to settle with a plain set.
  const createAnyway = (key: string, token: string): TE.TaskEither<MemcacheError, string> =>
    pipe(
      commands.set(key, token),
      TE.map(() => token),
    )

  const current =
    (namespace: string): TE.TaskEither<MemcacheError, string> =>
    () => {
      const key = keyOf(namespace)
      const inFlight = reading.get(key)
      if (inFlight !== undefined) return inFlight
      const read = readOrCreate(key)().finally(() => {
        if (reading.get(key) === read) reading.delete(key)
      })
      reading.set(key, read)
      return read
    }

  const read =
    (namespace: string, keysIn: (generation: string) => ReadonlyArray<string>): TE.TaskEither<MemcacheError, GenerationRead> =>
    async () => {
      const key = keyOf(namespace)
      let guess = lastSeen.get(key)
      for (;;) {
        const generation = guess !== undefined ? E.right(guess) : await current(namespace)()
        if (E.isLeft(generation)) return generation
        // The generation key last: memcached looks it up after the values (see the module's docs).
        const found = await commands.getMany([...keysIn(generation.right), key])()
        if (E.isLeft(found)) return found
        const seen = found.right.get(key)
        if (seen === generation.right) {
          remember(key, seen)
          return E.right({ generation: seen, found: found.right })
        }
        // A clear or an eviction since: read again under the generation of now (created if missing).
        guess = seen
        if (seen === undefined) lastSeen.delete(key)
        else remember(key, seen)
      }
    }

  const write =
    <A>(namespace: string, writeIn: (generation: string) => TE.TaskEither<MemcacheError, A>): TE.TaskEither<MemcacheError, A> =>
    async () => {
      const key = keyOf(namespace)
      const known = lastSeen.get(key)
      // Nothing seen yet: the current generation first, a round trip of its own.
      const generation = known !== undefined ? E.right(known) : await current(namespace)()
      if (E.isLeft(generation)) return generation
      // Started in this order, so sent in this order: memcached reads the generation first.
      const seenRead = commands.get(key)()
      const written = writeIn(generation.right)()
      const seen = await seenRead
      const result = await written
      if (E.isLeft(seen)) return seen
      if (O.isSome(seen.right) && seen.right.value === generation.right) return result
      // Written after its generation ended: unreachable garbage (its TTL ends it). Write it again
      // under the generation of now; a clear after that read is one this write overlaps.
      const now = O.isSome(seen.right) ? E.right(seen.right.value) : await readOrCreate(key)()
      if (E.isLeft(now)) return now
      remember(key, now.right)
      return writeIn(now.right)()
    }

  return {
    current: (namespace) => pipe(current(namespace), TE.tap((generation) => TE.fromIO(() => remember(keyOf(namespace), generation)))),
    next: (namespace) => () => {
      const key = keyOf(namespace)
      // A read in flight may return the old generation: later operations must not join it.
      reading.delete(key)
      const token = fresh()
      return pipe(
        commands.set(key, token),
        TE.map(() => remember(key, token)),
      )()
    },
    read,
    write,
  }
}
