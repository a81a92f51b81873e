/**
 * `incr` and `decr`: the new value as an `Option<bigint>`, deltas outside memcached's u64 refused
 * before sending, and the server's refusal of a non-numeric value.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { decr, incr, toDelta } from '../../src/commands/arithmetic.js'
import { clientError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always } from './support.js'

describe('incr / decr', () => {
  it.each([
    ['incr', incr],
    ['decr', decr],
  ] as const)('%s yields some(new value), none when missing', async (name, command) => {
    const transport = always(Reply.numeric(18_446_744_073_709_551_615n))
    expect(await command('n', 5)(transport)()).toEqual(E.right(O.some(18_446_744_073_709_551_615n)))
    expect(transport.written).toEqual([`${name} n 5\r\n`])
    expect(await command('n', 1n)(always(Reply.notFound))()).toEqual(E.right(O.none))
    expect(await command('n', 1n, { noreply: true })(always(Reply.noReply))()).toEqual(E.right(O.none))
  })

  it('a non-numeric value is the server ClientError', async () => {
    const error = clientError('cannot increment or decrement non-numeric value')
    expect(await incr('n', 1)(always(Reply.failure(error)))()).toEqual(E.left(error))
  })

  it.each([-1, 1.5, Number.NaN, 2 ** 53, -1n, 2n ** 64n])('refuses the delta %s before sending', async (delta) => {
    const transport = always(Reply.numeric(1n))
    const result = await incr('n', delta)(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(transport.sent).toEqual([])
  })

  it.each<[string, unknown, string]>([
    ['a negative number', -1, 'must not be negative, got the number -1: incr adds and decr subtracts, both with a delta of 0 or more'],
    ['a negative bigint', -1n, 'must not be negative, got -1n: incr adds and decr subtracts, both with a delta of 0 or more'],
    ['a fraction', 1.5, 'must be a whole number, got the number 1.5: pass an integer such as 1 or 1n'],
    ['NaN', Number.NaN, 'must be a whole number, got the number NaN: pass an integer such as 1 or 1n'],
    [
      'a number past 2^53',
      2 ** 53,
      'must be at most Number.MAX_SAFE_INTEGER (2^53-1) as a number, got the number 9007199254740992, past which numbers lose precision: pass the delta as a bigint',
    ],
    ['a bigint past 2^64-1', 2n ** 64n, 'must be at most 18446744073709551615 (memcached counters are unsigned 64-bit), got 18446744073709551616n'],
    ['a string (plain JavaScript)', '5', 'must be a number or a bigint, got the string "5": convert it with Number(value) or BigInt(value) first'],
    ['undefined (plain JavaScript)', undefined, 'must be a number or a bigint, got undefined: convert it with Number(value) or BigInt(value) first'],
  ])('names what is wrong with %s and a valid form', (_name, delta, reason) => {
    expect(toDelta(delta as bigint)).toEqual(E.left({ _tag: 'InvalidArgument', argument: 'delta', message: `invalid delta: ${reason}` }))
  })

  it('accepts 0, safe integers and 2^64-1', () => {
    expect(toDelta(0)).toEqual(E.right(0n))
    expect(toDelta(Number.MAX_SAFE_INTEGER)).toEqual(E.right(BigInt(Number.MAX_SAFE_INTEGER)))
    expect(toDelta(2n ** 64n - 1n)).toEqual(E.right(2n ** 64n - 1n))
  })

  it('an unexpected reply is a ProtocolError', async () => {
    const result = await decr('n', 1)(always(Reply.stored))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})
