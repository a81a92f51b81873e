import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { MANY_BATCH } from '../../src/commands/command.js'
import { commands } from '../../src/commands/commands.js'
import { get } from '../../src/commands/retrieval.js'
import { add, append, cas, prepend, replace, set, setMany } from '../../src/commands/storage.js'
import { clientError, serverError, valueTooLarge } from '../../src/protocol/error.js'
import { serdeError } from '../../src/serde/error.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Serde } from '../../src/serde/serde.js'
import type { Transport } from '../../src/transport/transport.js'
import { always, bytes, scripted, storeBacked, text } from './support.js'

const value = (content: string, flags = 0) => ({ bytes: bytes(content), flags })

const tagged: Serde<{ readonly n: number }> = {
  serialize: (v) => (Number.isInteger(v.n) ? E.right({ bytes: bytes(String(v.n)), flags: 2 }) : E.left(serdeError(2, 'not an integer'))),
  deserialize: ({ bytes: raw }) => E.right({ n: Number(text(raw)) }),
}

describe.each([
  ['set', set],
  ['add', add],
  ['replace', replace],
  ['append', append],
  ['prepend', prepend],
] as const)('%s', (name, command) => {
  it('is true on STORED, false on NOT_STORED, with the flags and exptime on the line', async () => {
    const transport = always(Reply.stored)
    expect(await command('k', value('hi', 5), { exptime: 60 })(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual([`${name} k 5 60 2\r\nhi\r\n`])
    expect(await command('k', value('hi'))(always(Reply.notStored))()).toEqual(E.right(false))
  })

  it('with noreply sends "noreply" and is true', async () => {
    const transport = always(Reply.noReply)
    expect(await command('k', value(''), { noreply: true })(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual([`${name} k 0 0 0 noreply\r\n\r\n`])
  })

  it('without noreply, a missing reply is a ProtocolError', async () => {
    const result = await command('k', value('x'))(always(Reply.noReply))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it('turns Failures into their Left', async () => {
    const tooLarge = valueTooLarge('k', 3)
    expect(await command('k', value('abc'))(always(Reply.failure(tooLarge)))()).toEqual(E.left(tooLarge))
    expect(await command('k', value('abc'))(always(Reply.failure(serverError('out of memory storing object'))))()).toEqual(
      E.left(serverError('out of memory storing object')),
    )
  })

  it('an unexpected reply is a ProtocolError', async () => {
    const result = await command('k', value('x'))(always(Reply.deleted))()
    expect(result).toEqual(E.left({ _tag: 'ProtocolError', message: `unexpected Deleted reply to ${name}` }))
  })
})

describe('storage through a serde', () => {
  it('writes the serde bytes and flags', async () => {
    const transport = always(Reply.stored)
    expect(await commands(tagged).set('k', { n: 42 })(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual(['set k 2 0 2\r\n42\r\n'])
  })

  it('a serde refusal is the Left, with nothing written', async () => {
    const transport = always(Reply.stored)
    expect(await commands(tagged).add('k', { n: 1.5 })(transport)()).toEqual(E.left(serdeError(2, 'not an integer')))
    expect(transport.sent).toEqual([])
  })

  it('defaults.noreply applies to set unless the call says otherwise', async () => {
    const quiet = commands(tagged, { noreply: true })
    const transport = scripted((req) => (req._tag === 'Store' && req.noreply ? Reply.noReply : Reply.stored))
    await quiet.set('a', { n: 1 })(transport)()
    await quiet.set('b', { n: 1 }, { noreply: false })(transport)()
    expect(transport.sent.map((req) => req._tag === 'Store' && req.noreply)).toEqual([true, false])
  })

  it('defaults.noreply never applies to cas', async () => {
    const transport = always(Reply.stored)
    await commands(tagged, { noreply: true }).cas('k', { n: 1 }, 3n)(transport)()
    expect(transport.written).toEqual(['cas k 2 0 1 3\r\n1\r\n'])
  })
})

describe('setMany', () => {
  it('does no I/O for no entries', async () => {
    const transport = always(Reply.stored)
    expect(await setMany([])(transport)()).toEqual(E.right([]))
    expect(await setMany(new Map())(transport)()).toEqual(E.right([]))
    expect(transport.sent).toEqual([])
  })

  it('yields the keys not stored, in the order given', async () => {
    const transport = scripted((req) => (req._tag === 'Store' && (req.key === 'b' || req.key === 'd') ? Reply.notStored : Reply.stored))
    const entries = new Map([
      ['d', value('4')],
      ['a', value('1')],
      ['b', value('2')],
    ])
    expect(await setMany(entries)(transport)()).toEqual(E.right(['d', 'b']))
    expect(transport.sent.map((req) => (req._tag === 'Store' ? req.command : ''))).toEqual(['set', 'set', 'set'])
  })

  it('keeps the last value of a repeated key and sends it once', async () => {
    const transport = storeBacked()
    await setMany([
      ['a', value('first')],
      ['a', value('last')],
    ])(transport)()
    expect(transport.sent.length).toBe(1)
    expect(await get('a')(transport)()).toEqual(E.right(O.some(value('last'))))
  })

  it('refuses the whole batch before writing anything when a key is invalid', async () => {
    const transport = always(Reply.stored)
    const result = await setMany([
      ['ok', value('1')],
      ['not ok', value('2')],
    ])(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidKey')
    expect(transport.sent).toEqual([])
  })

  it('fails as a whole on a Failure', async () => {
    const transport = scripted((req) => (req._tag === 'Store' && req.key === 'b' ? Reply.failure(valueTooLarge('b', 2)) : Reply.stored))
    const result = await setMany([
      ['a', value('1')],
      ['b', value('22')],
    ])(transport)()
    expect(result).toEqual(E.left(valueTooLarge('b', 2)))
  })

  it('sends a large batch at most MANY_BATCH at a time, keeping the order of failed keys', async () => {
    let inFlight = 0
    let most = 0
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`)
    const transport: Transport = {
      send: (req) => () => {
        inFlight++
        most = Math.max(most, inFlight)
        return new Promise((resolve) =>
          setImmediate(() => {
            inFlight--
            resolve(E.right(req._tag === 'Store' && Number(req.key.slice(1)) % 1000 === 999 ? Reply.notStored : Reply.stored))
          }),
        )
      },
      close: async () => undefined,
    }
    const result = await setMany(keys.map((key) => [key, value('v')] as const))(transport)()
    expect(result).toEqual(E.right(['k999', 'k1999']))
    expect(most).toBe(MANY_BATCH)
  })

  it('with noreply yields []', async () => {
    const transport = always(Reply.noReply)
    expect(await setMany([['a', value('1')]], { noreply: true })(transport)()).toEqual(E.right([]))
    expect(transport.written).toEqual(['set a 0 0 1 noreply\r\n1\r\n'])
  })
})

describe('cas', () => {
  it.each([
    ['Stored', Reply.stored],
    ['Exists', Reply.exists],
    ['NotFound', Reply.notFound],
  ] as const)('yields the %s tag', async (tag, reply) => {
    const transport = always(reply)
    const result = await cas('k', value('v', 1), 123n, { exptime: 9 })(transport)()
    expect(result).toEqual(E.right({ _tag: tag }))
    expect(transport.written).toEqual(['cas k 1 9 1 123\r\nv\r\n'])
  })

  it('with noreply yields NoReply', async () => {
    const transport = always(Reply.noReply)
    expect(await cas('k', value('v'), 1n, { noreply: true })(transport)()).toEqual(E.right(Reply.noReply))
    expect(transport.written).toEqual(['cas k 0 0 1 1 noreply\r\nv\r\n'])
  })

  it('without noreply, NoReply and NotStored are ProtocolErrors', async () => {
    for (const reply of [Reply.noReply, Reply.notStored]) {
      const result = await cas('k', value('v'), 1n)(always(reply))()
      expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
    }
  })

  it('a Failure is its Left; a negative unique is refused before sending', async () => {
    expect(await cas('k', value('v'), 1n)(always(Reply.failure(clientError('bad data chunk'))))()).toEqual(E.left(clientError('bad data chunk')))
    const transport = always(Reply.stored)
    const result = await cas('k', value('v'), -1n)(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(transport.sent).toEqual([])
  })
})
