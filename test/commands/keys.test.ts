import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { cacheMemlimit, flushAll, quit, shutdown, verbosity, version } from '../../src/commands/admin.js'
import { decr, incr, toDelta } from '../../src/commands/arithmetic.js'
import { commands } from '../../src/commands/commands.js'
import { del, deleteMany } from '../../src/commands/deletion.js'
import { raw } from '../../src/commands/raw.js'
import { touch } from '../../src/commands/touch.js'
import { encodedSerde } from '../../src/commands/command.js'
import { clientError, serverError, unknownCommand } from '../../src/protocol/error.js'
import { connectionClosed } from '../../src/transport/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always, bytes, scripted } from './support.js'

describe('delete', () => {
  it('is true on DELETED, false on NOT_FOUND', async () => {
    const transport = always(Reply.deleted)
    expect(await del('k')(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual(['delete k\r\n'])
    expect(await del('k')(always(Reply.notFound))()).toEqual(E.right(false))
  })

  it('noreply is true; Failure and unexpected replies are Lefts', async () => {
    const quiet = always(Reply.noReply)
    expect(await del('k', { noreply: true })(quiet)()).toEqual(E.right(true))
    expect(quiet.written).toEqual(['delete k noreply\r\n'])
    expect(await del('k')(always(Reply.failure(clientError('bad command line format'))))()).toEqual(E.left(clientError('bad command line format')))
    const unexpected = await del('k')(always(Reply.stored))()
    expect(E.isLeft(unexpected) && unexpected.left._tag).toBe('ProtocolError')
  })

  it('deleteMany yields the keys not found, each distinct key sent once, no I/O for []', async () => {
    const transport = scripted((req) => (req._tag === 'Delete' && req.key === 'b' ? Reply.notFound : Reply.deleted))
    expect(await deleteMany(['a', 'b', 'a', 'c'])(transport)()).toEqual(E.right(['b']))
    expect(transport.written).toEqual(['delete a\r\n', 'delete b\r\n', 'delete c\r\n'])
    const idle = always(Reply.deleted)
    expect(await deleteMany([])(idle)()).toEqual(E.right([]))
    expect(idle.sent).toEqual([])
  })

  it('deleteMany refuses an invalid key before writing any', async () => {
    const transport = always(Reply.deleted)
    const result = await deleteMany(['a', ''])(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidKey')
    expect(transport.sent).toEqual([])
  })

  it('commands(serde, { noreply: true }).delete uses the default', async () => {
    const transport = always(Reply.noReply)
    expect(await commands(encodedSerde, { noreply: true }).delete('k')(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual(['delete k noreply\r\n'])
  })
})

describe('touch', () => {
  it('is true on TOUCHED, false on NOT_FOUND, true with noreply', async () => {
    const transport = always(Reply.touched)
    expect(await touch('k', 100)(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual(['touch k 100\r\n'])
    expect(await touch('k', 100)(always(Reply.notFound))()).toEqual(E.right(false))
    expect(await touch('k', 100, { noreply: true })(always(Reply.noReply))()).toEqual(E.right(true))
  })

  it('a Failure is its Left', async () => {
    expect(await touch('k', 1)(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
  })
})

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

describe('server commands', () => {
  it('flushAll sends flush_all, with a delay and noreply', async () => {
    const transport = always(Reply.ok)
    expect(await flushAll()(transport)()).toEqual(E.right(undefined))
    expect(await flushAll({ delay: 10 })(transport)()).toEqual(E.right(undefined))
    expect(transport.written).toEqual(['flush_all\r\n', 'flush_all 10\r\n'])
    const quiet = always(Reply.noReply)
    expect(await flushAll({ noreply: true })(quiet)()).toEqual(E.right(undefined))
    expect(quiet.written).toEqual(['flush_all noreply\r\n'])
  })

  it('version yields the version text', async () => {
    expect(await version()(always(Reply.versionReply('1.6.18')))()).toEqual(E.right('1.6.18'))
  })

  it('verbosity and cacheMemlimit expect OK', async () => {
    const transport = always(Reply.ok)
    expect(await verbosity(1)(transport)()).toEqual(E.right(undefined))
    expect(await cacheMemlimit(64)(transport)()).toEqual(E.right(undefined))
    expect(transport.written).toEqual(['verbosity 1\r\n', 'cache_memlimit 64\r\n'])
    const refused = await cacheMemlimit(0)(transport)()
    expect(E.isLeft(refused) && refused.left._tag).toBe('InvalidArgument')
    expect(await verbosity(1)(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
    const unexpected = await verbosity(1)(always(Reply.stored))()
    expect(E.isLeft(unexpected) && unexpected.left._tag).toBe('ProtocolError')
  })

  it('quit sends quit and expects nothing back', async () => {
    const transport = always(Reply.noReply)
    expect(await quit()(transport)()).toEqual(E.right(undefined))
    expect(transport.written).toEqual(['quit\r\n'])
  })

  it('shutdown: the connection closing is success, a refusal is its Left', async () => {
    const closing = always(E.left(connectionClosed('n', 'closed by the server')))
    expect(await shutdown()(closing)()).toEqual(E.right(undefined))
    expect(closing.written).toEqual(['shutdown\r\n'])
    const refused = always(Reply.failure(serverError('shutdown not enabled')))
    expect(await shutdown({ graceful: true })(refused)()).toEqual(E.left(serverError('shutdown not enabled')))
    expect(refused.written).toEqual(['shutdown graceful\r\n'])
    const odd = await shutdown()(always(Reply.line('OK')))()
    expect(E.isLeft(odd) && odd.left._tag).toBe('ProtocolError')
  })
})

describe('raw', () => {
  it('yields the reply of the expected shape, data block included', async () => {
    const transport = always(Reply.line('STORED'))
    expect(await raw('set k 0 0 2', 'line', bytes('hi'))(transport)()).toEqual(E.right(Reply.line('STORED')))
    expect(transport.written).toEqual(['set k 0 0 2\r\nhi\r\n'])
    const stats = Reply.statsReply([['a', '1']])
    expect(await raw('stats detail dump', 'stats')(always(stats))()).toEqual(E.right(stats))
  })

  it('an error line is its Left; another shape is a ProtocolError', async () => {
    expect(await raw('bogus', 'line')(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
    const result = await raw('stats', 'values')(always(Reply.statsReply([])))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})
