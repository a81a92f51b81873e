/**
 * The meta path gives what the text path gives: one table of scenarios, each run through the
 * client with `protocol: 'text'` and with `protocol: 'meta'`, against the emulator
 * (`memoryTransport`) and a real memcached. Every row states its expected outcome, so both paths
 * are checked against it, not only against each other.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import type { Protocol } from '../../src/commands/command.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { MemcacheError } from '../../src/error.js'
import type { Request } from '../../src/protocol/request.js'
import type { Transport } from '../../src/transport/transport.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

/** An outcome as plain data: the value, or the error's tag and the fields a program branches on. */
type Outcome = unknown

const outcome = async <A>(task: TE.TaskEither<MemcacheError, A>): Promise<Outcome> => {
  const result = await task()
  if (E.isRight(result)) return result.right
  const error = result.left as MemcacheError & { readonly key?: string; readonly argument?: string; readonly reason?: string }
  return { error: error._tag, ...(error.key === undefined ? {} : { key: error.key }), ...(error.argument === undefined ? {} : { argument: error.argument }), ...(error.reason === undefined ? {} : { reason: error.reason }) }
}

interface Row {
  readonly name: string
  /** `key(name)` gives a key of this run's own (the two protocols never share one). */
  readonly run: (client: Client<string>, key: (name: string) => string, protocol: Protocol) => Promise<ReadonlyArray<Outcome>>
  readonly expected: ReadonlyArray<Outcome>
}

const big = 'x'.repeat(2 * 1024 * 1024)

const rows: ReadonlyArray<Row> = [
  {
    name: 'get: a miss, then a hit',
    run: async (c, k, protocol) => [await outcome(c.get(k('g'), { protocol })), await outcome(c.set(k('g'), 'v', { protocol })), await outcome(c.get(k('g'), { protocol }))],
    expected: [O.none, true, O.some('v')],
  },
  {
    name: 'add only when absent, replace only when present',
    run: async (c, k, protocol) => [
      await outcome(c.replace(k('ar'), 'r0', { protocol })),
      await outcome(c.add(k('ar'), 'a1', { protocol })),
      await outcome(c.add(k('ar'), 'a2', { protocol })),
      await outcome(c.replace(k('ar'), 'r1', { protocol })),
      await outcome(c.get(k('ar'), { protocol })),
    ],
    expected: [false, true, false, true, O.some('r1')],
  },
  {
    name: 'append and prepend need the item',
    run: async (c, k, protocol) => [
      await outcome(c.append(k('ap'), 'x', { protocol })),
      await outcome(c.set(k('ap'), 'mid', { protocol })),
      await outcome(c.append(k('ap'), '>', { protocol })),
      await outcome(c.prepend(k('ap'), '<', { protocol })),
      await outcome(c.get(k('ap'), { protocol })),
    ],
    expected: [false, true, true, true, O.some('<mid>')],
  },
  {
    name: 'gets then cas: stored, then exists with the old unique, 0 and a missing key',
    run: async (c, k, protocol) => {
      await c.set(k('cas'), 'v1', { protocol })()
      const read = await c.gets(k('cas'), { protocol })()
      const unique = E.isRight(read) && O.isSome(read.right) ? read.right.value.cas : -1n
      const again = await c.gets(k('cas'), { protocol })()
      return [
        E.isRight(read) && O.isSome(read.right) && read.right.value.value,
        E.isRight(again) && O.isSome(again.right) && again.right.value.cas === unique,
        await outcome(c.cas(k('cas'), 'v2', unique, { protocol })),
        await outcome(c.cas(k('cas'), 'v3', unique, { protocol })),
        await outcome(c.cas(k('cas'), 'v3', 0n, { protocol })),
        await outcome(c.cas(k('cas-none'), 'v', 1n, { protocol })),
        await outcome(c.get(k('cas'), { protocol })),
        await outcome(c.gets(k('cas-none'), { protocol })),
      ]
    },
    expected: ['v1', true, { _tag: 'Stored' }, { _tag: 'Exists' }, { _tag: 'Exists' }, { _tag: 'NotFound' }, O.some('v2'), O.none],
  },
  {
    name: 'getMany: found keys in the order asked, each once, misses absent; [] costs nothing',
    run: async (c, k, protocol) => {
      await c.set(k('m1'), 'one', { protocol })()
      await c.set(k('m3'), 'three', { protocol })()
      const found = await c.getMany([k('m3'), k('m2'), k('m1'), k('m3')], { protocol })()
      return [E.isRight(found) && [...found.right.entries()].map(([key, value]) => [key.replace(/^.*:/, ''), value]), await outcome(c.getMany([], { protocol }))]
    },
    expected: [
      [
        ['m3', 'three'],
        ['m1', 'one'],
      ],
      { map: [] },
    ],
  },
  {
    name: 'getsMany: values with their uniques',
    run: async (c, k, protocol) => {
      await c.set(k('gm'), 'a', { protocol })()
      const found = await c.getsMany([k('gm'), k('gm-none')], { protocol })()
      return [E.isRight(found) && [...found.right.values()].map((each) => [each.value, typeof each.cas])]
    },
    expected: [[['a', 'bigint']]],
  },
  {
    name: 'gat, gats and touch: hit and miss; a negative exptime expires at once',
    run: async (c, k, protocol) => {
      await c.set(k('t'), 'tv', { protocol })()
      const gats = await c.gats(k('t'), 3600, { protocol })()
      return [
        await outcome(c.gat(k('t'), 3600, { protocol })),
        await outcome(c.gat(k('t-none'), 3600, { protocol })),
        E.isRight(gats) && O.isSome(gats.right) && gats.right.value.value,
        await outcome(c.gats(k('t-none'), 3600, { protocol })),
        await outcome(c.gatMany([k('t'), k('t-none')], 3600, { protocol })),
        await outcome(c.touch(k('t'), 3600, { protocol })),
        await outcome(c.touch(k('t-none'), 3600, { protocol })),
        await outcome(c.touch(k('t'), -1, { protocol })),
        await outcome(c.get(k('t'), { protocol })),
      ]
    },
    expected: [O.some('tv'), O.none, 'tv', O.none, { map: [['KEY', 'tv']] }, true, false, true, O.none],
  },
  {
    name: 'set with a negative exptime stores nothing readable',
    run: async (c, k, protocol) => [await outcome(c.set(k('neg'), 'x', { protocol, exptime: -1 })), await outcome(c.get(k('neg'), { protocol }))],
    expected: [true, O.none],
  },
  {
    name: 'setMany and deleteMany: the keys not stored, the keys not found',
    run: async (c, k, protocol) => [
      await outcome(c.setMany([[k('s1'), '1'], [k('s2'), '2'], [k('s1'), 'last']], { protocol })),
      await outcome(c.getMany([k('s1'), k('s2')], { protocol })),
      await outcome(c.deleteMany([k('s1'), k('s-none'), k('s1')], { protocol })),
      await outcome(c.setMany([], { protocol })),
      await outcome(c.deleteMany([], { protocol })),
    ],
    expected: [[], { map: [['KEY', 'last'], ['KEY', '2']] }, ['KEY'], [], []],
  },
  {
    name: 'delete: true once, then false',
    run: async (c, k, protocol) => [await outcome(c.set(k('d'), 'x', { protocol })), await outcome(c.delete(k('d'), { protocol })), await outcome(c.delete(k('d'), { protocol }))],
    expected: [true, true, false],
  },
  {
    name: 'incr and decr: count, stop at 0, none on a miss, ClientError on a non-number',
    run: async (c, k, protocol) => [
      await outcome(c.incr(k('n'), 1, { protocol })),
      await outcome(c.set(k('n'), '10', { protocol })),
      await outcome(c.incr(k('n'), 5, { protocol })),
      await outcome(c.decr(k('n'), 100n, { protocol })),
      await outcome(c.decr(k('n-none'), 1, { protocol })),
      await outcome(c.set(k('nan'), 'abc', { protocol })),
      await outcome(c.incr(k('nan'), 1, { protocol })),
    ],
    expected: [O.none, true, O.some(15n), O.some(0n), O.none, true, { error: 'ClientError', reason: 'cannot increment or decrement non-numeric value' }],
  },
  {
    name: 'bad keys are the same InvalidKey, before anything is sent',
    run: async (c, _k, protocol) => [
      await outcome(c.get('a b', { protocol })),
      await outcome(c.set('k'.repeat(251), 'x', { protocol })),
      await outcome(c.delete('tab\there', { protocol })),
      await outcome(c.getMany(['fine', 'not fine'], { protocol })),
      await outcome(c.setMany([['fine', 'x'], ['', 'x']], { protocol })),
      await outcome(c.deleteMany(['é'], { protocol })),
    ],
    expected: [
      { error: 'InvalidKey', key: 'a b', reason: 'space at index 1' },
      { error: 'InvalidKey', key: 'k'.repeat(251), reason: '251 bytes long, the limit is 250' },
      { error: 'InvalidKey', key: 'tab\there', reason: 'tab at index 3' },
      { error: 'InvalidKey', key: 'not fine', reason: 'space at index 3' },
      { error: 'InvalidKey', key: '', reason: 'empty key' },
      { error: 'InvalidKey', key: 'é', reason: 'non-ASCII character at index 0 (allow unicode keys to send it as UTF-8)' },
    ],
  },
  {
    name: 'bad arguments are the same InvalidArgument',
    run: async (c, k, protocol) => [
      await outcome(c.set(k('arg'), 'x', { protocol, exptime: 1.5 })),
      await outcome(c.gat(k('arg'), 2 ** 40, { protocol })),
      await outcome(c.touch(k('arg'), Number.NaN, { protocol })),
      await outcome(c.incr(k('arg'), -1, { protocol })),
      await outcome(c.cas(k('arg'), 'x', -1n, { protocol })),
    ],
    expected: [
      { error: 'InvalidArgument', argument: 'exptime' },
      { error: 'InvalidArgument', argument: 'exptime' },
      { error: 'InvalidArgument', argument: 'exptime' },
      { error: 'InvalidArgument', argument: 'delta' },
      { error: 'InvalidArgument', argument: 'cas unique' },
    ],
  },
  {
    name: 'a value the server refuses is ValueTooLarge, alone or in a batch, and the old value is gone',
    run: async (c, k, protocol) => [
      await outcome(c.set(k('big'), 'small', { protocol })),
      await outcome(c.set(k('big'), big, { protocol })),
      await outcome(c.get(k('big'), { protocol })),
      await outcome(c.setMany([[k('big1'), 'fits'], [k('big2'), big]], { protocol })),
      await outcome(c.get(k('big1'), { protocol })),
    ],
    expected: [true, { error: 'ValueTooLarge' }, O.none, { error: 'ValueTooLarge' }, O.some('fits')],
  },
]

/** Outcomes as JSON: bigints as `12n`, maps as `{ map: entries }`, this run's keys as `KEY`. */
const comparable = (outcomes: ReadonlyArray<Outcome>, prefix: string): ReadonlyArray<Outcome> =>
  JSON.parse(
    JSON.stringify(outcomes, (_name, value: unknown) => {
      if (typeof value === 'bigint') return `${value}n`
      if (value instanceof Map) return { map: [...(value as Map<unknown, unknown>).entries()] }
      if (typeof value === 'string' && value.startsWith(prefix)) return 'KEY'
      return value
    }),
  ) as ReadonlyArray<Outcome>

/** The error fields the table names; a ValueTooLarge's reason holds sizes, so only its tag is kept. */
const trimmed = (outcomes: ReadonlyArray<Outcome>): ReadonlyArray<Outcome> =>
  outcomes.map((each) => {
    if (typeof each !== 'object' || each === null || !('error' in each)) return each
    const error = each as { readonly error: string; readonly reason?: string; readonly argument?: string }
    if (error.error === 'ValueTooLarge') return { error: error.error }
    if (error.error === 'InvalidArgument') return { error: error.error, argument: error.argument }
    return each
  })

let run = 0

const parity = (target: string, open: () => Promise<{ readonly transport?: Transport; readonly servers?: string; readonly close: () => Promise<void> }>): void => {
  describe(`text and meta give the same results: ${target}`, () => {
    let close: () => Promise<void> = async () => undefined
    const clients = new Map<Protocol, Client<string>>()
    beforeAll(async () => {
      const opened = await open()
      close = opened.close
      for (const protocol of ['text', 'meta'] as const) {
        // The client's default is the other protocol: the per-call option must win.
        const other: Protocol = protocol === 'text' ? 'meta' : 'text'
        clients.set(
          protocol,
          opened.transport !== undefined ? createClient({ transport: opened.transport, protocol: other }) : createClient({ servers: opened.servers ?? '', protocol: other }),
        )
      }
    })
    afterAll(async () => {
      await Promise.all([...clients.values()].map((client) => client.close()))
      await close()
    })

    describe.each(rows)('$name', (row) => {
      it('text and meta both give the expected outcomes', async () => {
        const results = new Map<Protocol, ReadonlyArray<Outcome>>()
        for (const protocol of ['text', 'meta'] as const) {
          const prefix = `parity${run++}:${protocol}:`
          const client = clients.get(protocol) as Client<string>
          results.set(protocol, comparable(trimmed(await row.run(client, (name) => prefix + name, protocol)), prefix))
        }
        const expected = comparable(trimmed(row.expected), '\u0000')
        expect(results.get('text')).toEqual(expected)
        expect(results.get('meta')).toEqual(expected)
      })
    })
  })
}

parity('memoryTransport', async () => {
  const transport = memoryTransport()
  return { transport, close: transport.close }
})

parity('memcached', async () => {
  const started: MemcachedServer = await startMemcached()
  return { servers: started.server, close: () => started.stop() }
})

describe('binary keys', () => {
  it('go through meta on get, set and delete, and are refused by the text path, saying how', async () => {
    const transport = memoryTransport()
    const client = createClient({ transport })
    const key = Uint8Array.of(0, 0xff, 0x20, 0x0d, 0x0a)
    expect(await client.set(key, 'bytes', { protocol: 'meta' })()).toEqual(E.right(true))
    expect(await client.get(key, { protocol: 'meta' })()).toEqual(E.right(O.some('bytes')))
    const refused = await client.get(key)()
    expect(refused).toMatchObject(E.left({ _tag: 'InvalidKey', key: 'base64:AP8gDQo=' }))
    expect(E.isLeft(refused) && refused.left.message).toContain("protocol: 'meta'")
    const noreply = await client.set(key, 'x', { protocol: 'meta', noreply: true })()
    expect(E.isLeft(noreply) && noreply.left.message).toContain('drop noreply')
    expect(await client.delete(key, { protocol: 'meta' })()).toEqual(E.right(true))
    expect(await client.get(key, { protocol: 'meta' })()).toEqual(E.right(O.none))
    await client.close()
  })

  it('a binary key stored through meta reads back with a text get of the same bytes', async () => {
    const client = createClient({ transport: memoryTransport(), protocol: 'meta' })
    expect(await client.set(new TextEncoder().encode('plain:key'), 'v')()).toEqual(E.right(true))
    expect(await client.get('plain:key', { protocol: 'text' })()).toEqual(E.right(O.some('v')))
    await client.close()
  })
})

describe('what each path sends', () => {
  const recording = (): { readonly transport: Transport; readonly sent: Array<Request['_tag']> } => {
    const inner = memoryTransport()
    const sent: Array<Request['_tag']> = []
    return { sent, transport: { send: (request, context) => (sent.push(request._tag), inner.send(request, context)), close: inner.close } }
  }

  it('meta sends mg/ms/md/ma and one batch for the many-key forms; noreply writes go through text', async () => {
    const { transport, sent } = recording()
    const client = createClient({ transport, protocol: 'meta' })
    await client.set('a', '1')()
    await client.get('a')()
    await client.getMany(['a', 'b', 'c'])()
    await client.setMany([['a', '1'], ['b', '2']])()
    await client.deleteMany(['a', 'b'])()
    await client.incr('a', 1)()
    await client.touch('a', 10)()
    await client.delete('a')()
    await client.set('a', '1', { noreply: true })()
    await client.get('a', { protocol: 'text' })()
    expect(sent).toEqual(['MetaSet', 'MetaGet', 'MetaBatch', 'MetaBatch', 'MetaBatch', 'MetaArithmetic', 'MetaGet', 'MetaDelete', 'Store', 'Get'])
    await client.close()
  })

  it('a protocol that is neither is refused per call and by createClient, naming both', async () => {
    const client = createClient({ transport: memoryTransport() })
    const call = await client.get('a', { protocol: 'binary' as Protocol })()
    expect(call).toMatchObject(E.left({ _tag: 'InvalidArgument', argument: 'protocol' }))
    expect(E.isLeft(call) && call.left.message).toContain('"text" or "meta"')
    const refused = await createClient({ transport: memoryTransport(), protocol: 'Meta' as Protocol }).get('a')()
    expect(E.isLeft(refused) && refused.left.message).toBe('invalid protocol: must be "text" or "meta", got the string "Meta"')
    await client.close()
  })
})

describe('counter', () => {
  it('creates with an initial value and a TTL, counts, and is none on a miss without one', async () => {
    const client = createClient({ transport: memoryTransport() })
    expect(await client.counter('c', 5n, { initial: 10n, ttl: 100 })()).toEqual(E.right(O.some(10n)))
    expect(await client.counter('c', 5)()).toEqual(E.right(O.some(15n)))
    expect(await client.counter('c', 20n, { mode: 'decr' })()).toEqual(E.right(O.some(0n)))
    expect(await client.counter('none')()).toEqual(E.right(O.none))
    expect(await client.counter('c', -1)()).toMatchObject(E.left({ _tag: 'InvalidArgument', argument: 'delta' }))
    await client.close()
  })
})

