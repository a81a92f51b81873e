/**
 * A small piece of application code that uses memcached: a fixed-window rate limiter.
 * `examples/testing-with-memory.test.ts` tests it with no server at all.
 */
import * as O from 'fp-ts/lib/Option.js'
import * as RTE from 'fp-ts/lib/ReaderTaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { add, incr, type Command } from 'fp-memcache'

export interface Limit {
  readonly requests: number
  readonly perSeconds: number
}

const one = { bytes: new TextEncoder().encode('1'), flags: 0 }

/**
 * Whether one more request of `who` fits the limit. The first request of a window creates the
 * counter with the window's expiry (`add` is atomic: of two racing requests, one creates it and
 * the other increments); later ones increment it.
 */
export const allowRequest = (who: string, limit: Limit): Command<boolean> =>
  pipe(
    add(`rate:${who}`, one, { exptime: limit.perSeconds }),
    RTE.chain((created) =>
      created ? RTE.right(1n) : pipe(incr(`rate:${who}`, 1), RTE.map(O.getOrElse(() => 1n))),
    ),
    RTE.map((count) => count <= BigInt(limit.requests)),
  )
