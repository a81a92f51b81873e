/**
 * `delete` and `deleteMany`.
 *
 * `delete` yields whether the key existed (`DELETED`) or not (`NOT_FOUND`); `deleteMany` sends one
 * `delete` per distinct key, pipelined, and yields the keys that were not there. With `noreply`
 * they yield `true` and `[]`: nothing comes back to say otherwise.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as Request from '../protocol/request.js'
import {
  command,
  commandIn,
  distinct,
  fail,
  firstInvalidKey,
  inContext,
  noreplyOf,
  succeed,
  traverseInBatches,
  type Command,
  type CommandDefaults,
  type NoreplyOption,
  type ReplyCases,
} from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The delete commands of one client: one key, or many at once.
 * @category model
 */
export interface Deletion {
  readonly delete: (key: string, options?: NoreplyOption) => Command<boolean>
  /** The keys that were not found, in the order given. */
  readonly deleteMany: (keys: ReadonlyArray<string>, options?: NoreplyOption) => Command<ReadonlyArray<string>>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const deleteCases = (req: Request.Delete): ReplyCases<boolean> => ({
  Deleted: () => E.right(true),
  NotFound: () => E.right(false),
  ...(req.noreply ? { NoReply: () => E.right(true) } : {}),
})

/**
 * The delete commands, with `noreply` defaulting to `defaults.noreply`.
 *
 * @example
 * const { delete: remove } = deletion({ noreply: true })
 * @category constructors
 */
export const deletion = (defaults?: CommandDefaults): Deletion => ({
  delete: (key, options) => {
    const request = Request.del(key, noreplyOf(options, defaults))
    return command(request, deleteCases(request), options)
  },
  deleteMany: (keys, options) => {
    if (keys.length === 0) return succeed([])
    const unique = distinct(keys)
    const invalid = firstInvalidKey(unique, defaults?.keys)
    if (invalid !== undefined) return fail(invalid)
    const noreply = noreplyOf(options, defaults)
    return inContext(options, (context) => (transport) =>
      pipe(
        traverseInBatches(unique, (key) => {
          const request = Request.del(key, noreply)
          return commandIn(request, deleteCases(request), context)(transport)
        }),
        TE.map((outcomes) => unique.filter((_, index) => outcomes[index] !== true)),
      ),
    )
  },
})

const standalone = deletion()

/**
 * `delete <key>`: `true` when the key was there. (`delete` is a reserved word, hence `del`.)
 *
 * @example
 * del('session:42')(transport) // right(true)
 * @category constructors
 */
export const del: (key: string, options?: NoreplyOption) => Command<boolean> = standalone.delete

/**
 * One `delete` per distinct key, pipelined; yields the keys that were not found.
 *
 * @example
 * deleteMany(['a', 'b'])(transport) // right(['b']) when only 'a' existed
 * @category constructors
 */
export const deleteMany: (keys: ReadonlyArray<string>, options?: NoreplyOption) => Command<ReadonlyArray<string>> = standalone.deleteMany
