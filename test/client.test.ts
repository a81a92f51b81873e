import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { bindCommands } from '../src/client.js'
import { commands } from '../src/commands/commands.js'
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
