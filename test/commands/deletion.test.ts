/**
 * `delete` and `deleteMany`: the replies they read, noreply, keys sent once, invalid keys refused
 * before anything is written, and the `noreply` default of `commands(serde, defaults)`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { commands } from '../../src/commands/commands.js'
import { del, deleteMany } from '../../src/commands/deletion.js'
import { encodedSerde } from '../../src/commands/command.js'
import { clientError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always, scripted } from './support.js'

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
