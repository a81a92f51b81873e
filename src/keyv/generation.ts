/**
 * Namespace generations: how `clear` empties one namespace on a server it shares.
 *
 * memcached cannot list or delete keys by prefix. So every key of a namespace carries the
 * namespace's generation, a random token kept in memcached itself (under `generationKey`), and
 * `clear` writes a new token: every key of the old generation becomes unreachable at once, for
 * every process using the namespace, and memcached drops the old items as their TTL ends or its
 * LRU needs the room. Nothing outside the namespace is touched.
 *
 * A generation is read from memcached for each operation (concurrent operations share one read),
 * so a `clear` by one process is seen by the next operation of every other. A missing generation
 * (never written, or evicted) is created with `add`, so racing processes agree on one; since it is
 * a new random token, an evicted generation empties the namespace, as an eviction of its items
 * would have. Tokens are 72 random bits, so generations of different namespaces never meet.
 *
 * @since 0.2.0
 */
import { randomBytes } from 'node:crypto'
import type * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { MemcacheError } from '../error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The three commands generations need, on keys memcached can store, values as text.
 *
 * @example
 * const { get, add, set } = commands(text)
 * const onServer: GenerationCommands = { get: (key) => get(key)(transport), add: (key, value) => add(key, value)(transport), set: (key, value) => set(key, value)(transport) }
 * @category model
 */
export interface GenerationCommands {
  readonly get: (key: string) => TE.TaskEither<MemcacheError, O.Option<string>>
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
  /** The namespace's current generation, created when it has none. */
  readonly current: (namespace: string) => TE.TaskEither<MemcacheError, string>
  /** Starts a new generation: the keys of every earlier one are unreachable. */
  readonly next: (namespace: string) => TE.TaskEither<MemcacheError, void>
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
 * Generations kept by `commands` under `keyOf(namespace)`, new tokens from `fresh`.
 *
 * @example
 * const generations = makeGenerations(commands, (namespace) => sendableKey()(generationKey(namespace)))
 * await generations.current('keyv')() // right('Qm9xT3Vp-w_a'), the same until a clear
 * await generations.next('keyv')() // right(undefined): keyv's keys are gone
 * @category constructors
 */
export const makeGenerations = (commands: GenerationCommands, keyOf: (namespace: string) => string, fresh: () => string = freshGeneration): Generations => {
  const reading = new Map<string, Promise<E.Either<MemcacheError, string>>>()

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

  return {
    current: (namespace) => () => {
      const key = keyOf(namespace)
      const inFlight = reading.get(key)
      if (inFlight !== undefined) return inFlight
      const read = readOrCreate(key)().finally(() => {
        if (reading.get(key) === read) reading.delete(key)
      })
      reading.set(key, read)
      return read
    },
    next: (namespace) => () => {
      const key = keyOf(namespace)
      // A read in flight may return the old generation: later operations must not join it.
      reading.delete(key)
      return pipe(
        commands.set(key, fresh()),
        TE.map(() => undefined),
      )()
    },
  }
}
