import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { bindCommands, toException, toPromises } from '../src/client.js'
import { commands } from '../src/commands/commands.js'
import { invalidKey } from '../src/protocol/error.js'
import { timeout } from '../src/transport/error.js'
import { type MemcacheError } from '../src/error.js'
import * as Reply from '../src/protocol/reply.js'
import { text } from '../src/serde/text.js'
import { always, bytes, scripted } from './commands/support.js'

describe('bindCommands', () => {
  it('binds every command to the transport, arguments unchanged', async () => {
    const transport = scripted((req) => (req._tag === 'Get' ? Reply.values([{ key: 'k', flags: 0, value: bytes('v') }]) : Reply.stored))
    const bound = bindCommands(commands(text), transport)
    expect(await bound.get('k')()).toEqual(E.right(O.some('v')))
    expect(await bound.set('k', 'v', { exptime: 5 })()).toEqual(E.right(true))
    expect(transport.written).toEqual(['get k\r\n', 'set k 0 5 1\r\nv\r\n'])
    expect(Object.keys(bound).sort()).toEqual(Object.keys(commands(text)).sort())
  })

  it('does nothing until the TaskEither runs', () => {
    const transport = always(Reply.stored)
    const bound = bindCommands(commands(text), transport)
    const pending = bound.set('k', 'v')
    expect(transport.sent).toEqual([])
    expect(typeof pending).toBe('function')
  })
})

describe('toPromises', () => {
  const fake = (result: E.Either<MemcacheError, number>) => {
    let closed = 0
    return {
      client: {
        answer: (n: number) => TE.fromEither(E.map((value: number) => value + n)(result)),
        label: 'kept',
        close: async () => {
          closed++
        },
      },
      closed: () => closed,
    }
  }

  it('resolves to the Right value', async () => {
    const { client } = fake(E.right(40))
    await expect(toPromises(client).answer(2)).resolves.toBe(42)
  })

  it('rejects with an Error carrying the Left, its _tag and fields', async () => {
    const error = timeout(50, 'get', '127.0.0.1:11211')
    const { client } = fake(E.left(error))
    const rejection = await toPromises(client)
      .answer(1)
      .then(
        () => undefined,
        (reason: unknown) => reason,
      )
    expect(rejection).toBeInstanceOf(Error)
    expect(rejection).toMatchObject({ name: 'MemcacheError', message: error.message, _tag: 'Timeout', after: 50, node: '127.0.0.1:11211', error })
    expect((rejection as Error).cause).toBe(error)
  })

  it('keeps non-function members and closes once per call', async () => {
    const { client, closed } = fake(E.right(0))
    const promised = toPromises(client)
    expect(promised.label).toBe('kept')
    await expect(promised.close()).resolves.toBeUndefined()
    expect(closed()).toBe(1)
  })

  it('close never rejects', async () => {
    const promised = toPromises({ close: () => Promise.reject(new Error('boom')) })
    await expect(promised.close()).resolves.toBeUndefined()
  })

  it('toException keeps the message', () => {
    const exception = toException(invalidKey('a b', 'space at index 1'))
    expect(exception.message).toBe('invalid key "a b": space at index 1')
    expect(exception._tag).toBe('InvalidKey')
  })
})
