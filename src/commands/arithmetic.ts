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
import { describeValue } from '../describe.js'
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
 * toDelta(-1) // left(InvalidArgument: 'invalid delta: must not be negative, got the number -1: incr adds and decr subtracts, ...')
 * toDelta(1.5) // left(InvalidArgument: 'invalid delta: must be a whole number, got the number 1.5: pass an integer such as 1 or 1n')
 * @category utils
 */
export const toDelta = (delta: Delta): E.Either<InvalidArgument, bigint> => {
  const refuse = (reason: string) => E.left(invalidArgument('delta', reason))
  const negative = 'incr adds and decr subtracts, both with a delta of 0 or more'
  if (typeof delta === 'bigint') {
    if (delta < 0n) return refuse(`must not be negative, got ${delta}n: ${negative}`)
    if (delta > MAX_U64) return refuse(`must be at most ${MAX_U64} (memcached counters are unsigned 64-bit), got ${delta}n`)
    return E.right(delta)
  }
  if (typeof delta !== 'number') {
    // Plain JavaScript can pass anything; a string of digits is the likely one.
    return refuse(`must be a number or a bigint, got ${describeValue(delta)}: convert it with Number(value) or BigInt(value) first`)
  }
  if (!Number.isInteger(delta)) return refuse(`must be a whole number, got the number ${delta}: pass an integer such as 1 or 1n`)
  if (delta < 0) return refuse(`must not be negative, got the number ${delta}: ${negative}`)
  if (!Number.isSafeInteger(delta)) {
    return refuse(
      `must be at most Number.MAX_SAFE_INTEGER (2^53-1) as a number, got the number ${delta}, past which numbers lose precision: pass the delta as a bigint`,
    )
  }
  return E.right(BigInt(delta))
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
