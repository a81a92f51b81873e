/**
 * `thenEither`, the hot path's `TE.chainEitherK`: the same outcomes, and just as lazy.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import { connectionClosed } from '../../src/transport/error.js'
import { protocolError } from '../../src/protocol/error.js'
import { thenEither } from '../../src/transport/transport.js'

const closed = connectionClosed('a:1', 'closed')
const half = (n: number): E.Either<MemcacheError, number> => (n % 2 === 0 ? E.right(n / 2) : E.left(protocolError(`${n} is odd`)))

describe('thenEither', () => {
  it.each([
    ['a Right mapped to a Right', TE.right(8)],
    ['a Right mapped to a Left', TE.right(3)],
    ['a Left, f not called', TE.left(closed)],
  ] as const)('agrees with TE.chainEitherK on %s', async (_name, task) => {
    expect(await thenEither(task, half)()).toEqual(await pipe(task, TE.chainEitherK(half))())
  })

  it('does not call f for a Left, and runs nothing until the task is run', async () => {
    let sent = 0
    let mapped = 0
    const send: TE.TaskEither<MemcacheError, number> = () => {
      sent++
      return Promise.resolve(E.left(closed))
    }
    const task = thenEither(send, (n) => {
      mapped++
      return E.right(n)
    })
    expect(sent).toBe(0)
    expect(await task()).toEqual(E.left(closed))
    expect([sent, mapped]).toEqual([1, 0])
  })
})
