import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { bindCommands, createClient } from '../src/client.js'
import { commands } from '../src/commands/commands.js'
import { memoryTransport } from '../src/emulator/memory.js'
import * as Reply from '../src/protocol/reply.js'
import { rendezvousRouter } from '../src/routing/router.js'
import { json } from '../src/serde/json.js'
import { text } from '../src/serde/text.js'
import type { Transport } from '../src/transport/transport.js'
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

describe('createClient: getOrCompute and invalidate', () => {
  const counted = <A>(value: A) => {
    let runs = 0
    const compute: TE.TaskEither<never, A> = async () => {
      runs++
      return E.right(value)
    }
    return { compute, runs: () => runs }
  }

  it('go through the client stack: the serde, the key prefix', async () => {
    const server = memoryTransport()
    const client = createClient({ transport: server, keyPrefix: 'app:', serde: json })
    const { compute, runs } = counted({ id: 7, name: 'Ada' })
    expect(await client.getOrCompute('user:7', compute, { ttl: 60 })()).toEqual(E.right({ id: 7, name: 'Ada' }))
    expect(await client.getOrCompute('user:7', compute, { ttl: 60 })()).toEqual(E.right({ id: 7, name: 'Ada' }))
    expect(runs()).toBe(1)
    const stored = server.engine.peek('app:user:7')
    expect(stored === undefined ? undefined : new TextDecoder().decode(stored.value)).toBe('{"id":7,"name":"Ada"}')
    expect(await client.invalidate('user:7', { staleFor: 30 })()).toEqual(E.right(true))
    expect(server.engine.peek('app:user:7')?.stale).toBe(true)
    expect(await client.invalidate('nobody')()).toEqual(E.right(false))
  })

  it('route each key to one node: lookup, write-back and invalidation of a key meet on the same server', async () => {
    const nodes = ['a', 'b'].map((name) => ({ name, transport: memoryTransport({ node: name }) }))
    const client = createClient({ transport: rendezvousRouter(nodes) })
    const writes: Array<unknown> = []
    const keys = Array.from({ length: 20 }, (_, index) => `page:${index}`)
    for (const key of keys) {
      const result = await client.getOrCompute(key, counted(`<${key}>`).compute, { ttl: 60, onOutcome: (outcome) => outcome._tag === 'Computed' && writes.push(outcome.write) })()
      expect(result).toEqual(E.right(`<${key}>`))
    }
    // A write-back sent to another node than its lookup would find no item there (NF: conflict).
    expect(writes).toEqual(keys.map(() => 'stored'))
    const holders = keys.map((key) => nodes.filter((node) => node.transport.engine.peek(key) !== undefined).map((node) => node.name))
    expect(holders.every((names) => names.length === 1)).toBe(true)
    expect(new Set(holders.flat())).toEqual(new Set(['a', 'b']))
    for (const key of keys) expect(await client.invalidate(key)()).toEqual(E.right(true))
  })

  it('a client whose options were refused answers the refusal, computing nothing', async () => {
    const client = createClient({ transport: memoryTransport(), poool: 3 } as unknown as { transport: Transport })
    const { compute, runs } = counted('v')
    const result = await client.getOrCompute('k', compute, { ttl: 60 })()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(E.isLeft(result) && result.left.message).toContain('poool')
    expect(runs()).toBe(0)
    const invalidated = await client.invalidate('k')()
    expect(E.isLeft(invalidated) && invalidated.left.message).toContain('poool')
  })
})
