/**
 * `incr` and `decr`: 64-bit unsigned counters kept by the server.
 *
 * The result is the new value, or `none` when the key does not exist (memcached does not create
 * it: `add` a starting value first). `decr` stops at 0; `incr` wraps at 2^64. A value that is not
 * a decimal number fails with the server's `ClientError`. The delta is a `bigint` or a safe
 * non-negative integer `number`; anything else is an `InvalidArgument` without I/O.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { invalidArgument, type InvalidArgument } from '../protocol/error.js'
import * as Request from '../protocol/request.js'
import { fail, command, type Command, type NoreplyOption } from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A counter step: a `bigint` in 0..2^64-1, or a non-negative safe integer. @category model */
export type Delta = bigint | number

const MAX_U64 = 0xffff_ffff_ffff_ffffn

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The delta as a `bigint`, or why it is refused.
 *
 * @example
 * toDelta(5) // right(5n)
 * toDelta(-1) // left(InvalidArgument)
 * @category utils
 */
export const toDelta = (delta: Delta): E.Either<InvalidArgument, bigint> => {
  if (typeof delta === 'bigint') {
    return delta >= 0n && delta <= MAX_U64 ? E.right(delta) : E.left(invalidArgument('delta', `must be in 0..${MAX_U64}, got ${delta}`))
  }
  return typeof delta === 'number' && Number.isSafeInteger(delta) && delta >= 0
    ? E.right(BigInt(delta))
    : E.left(invalidArgument('delta', `must be a non-negative safe integer or a bigint, got ${String(delta)}`))
}

const arithmetic =
  (make: (key: string, delta: bigint, noreply: boolean) => Request.Incr | Request.Decr) =>
  (key: string, delta: Delta, options?: NoreplyOption): Command<O.Option<bigint>> => {
    const checked = toDelta(delta)
    if (E.isLeft(checked)) return fail(checked.left)
    const req = make(key, checked.right, options?.noreply ?? false)
    return command(req, {
      Numeric: (reply) => E.right(O.some(reply.value)),
      NotFound: () => E.right(O.none),
      ...(req.noreply ? { NoReply: () => E.right(O.none) } : {}),
    }, options)
  }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `incr <key> <delta>`: the new value, or `none` when the key is missing. With `noreply`: `none`.
 *
 * @example
 * incr('hits', 1)(transport) // right(some(43n))
 * @category constructors
 */
export const incr: (key: string, delta: Delta, options?: NoreplyOption) => Command<O.Option<bigint>> = arithmetic(Request.incr)

/**
 * `decr <key> <delta>`: the new value (never below 0), or `none` when the key is missing.
 *
 * @example
 * decr('stock', 2n)(transport) // right(some(8n))
 * @category constructors
 */
export const decr: (key: string, delta: Delta, options?: NoreplyOption) => Command<O.Option<bigint>> = arithmetic(Request.decr)
