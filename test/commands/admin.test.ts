/**
 * The server commands: `flush_all`, `version`, `verbosity`, `cache_memlimit`, `quit` and
 * `shutdown` (for which the connection closing is the success).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { cacheMemlimit, flushAll, quit, shutdown, verbosity, version } from '../../src/commands/admin.js'
import { serverError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { connectionClosed } from '../../src/transport/error.js'
import { always } from './support.js'

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
