/**
 * The commands over the in-memory emulator (`memoryTransport`): the real encoder, memcached's text
 * front end and the real decoder, with no socket — so these run in milliseconds and can drive the
 * clock (expiry, delayed flush) that the integration suite cannot.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as RTE from 'fp-ts/lib/ReaderTaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import {
  add,
  cas,
  commands,
  decr,
  del,
  deleteMany,
  flushAll,
  gat,
  gatsMany,
  get,
  getMany,
  gets,
  incr,
  prepend,
  set,
  setMany,
  stats,
  statsSettings,
  touch,
  version,
  type Command,
} from '../../src/commands/index.js'
import type { Encoded } from '../../src/serde/serde.js'
import { json } from '../../src/serde/json.js'
import { text } from '../../src/serde/text.js'
import { withKeyPrefix } from '../../src/middleware/key-prefix.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { Transport } from '../../src/transport/transport.js'

const value = (content: string | Uint8Array, flags = 0): Encoded => ({ bytes: new Uint8Array(Buffer.from(content)), flags })

expect.addEqualityTesters([
  (a: unknown, b: unknown) => (a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : undefined),
])

const run = async <A>(command: Command<A>, transport: Transport): Promise<A> => {
  const result = await command(transport)()
  if (E.isLeft(result)) throw new Error(`expected a Right, got ${JSON.stringify(result.left)}`)
  return result.right
}

const clocked = () => {
  let now = 1_800_000_000_000
  const transport = memoryTransport({ clock: () => now })
  return { transport, advance: (ms: number) => void (now += ms) }
}

describe('commands over the emulator', () => {
  it('round-trips every byte, empty values and 250-byte keys', async () => {
    const transport = memoryTransport()
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const long = 'k'.repeat(250)
    await run(set('bin', value(all, 5)), transport)
    await run(set('empty', value('')), transport)
    await run(set(long, value('long')), transport)
    expect(await run(getMany(['bin', 'nope', 'empty', long]), transport)).toEqual(
      new Map([
        ['bin', value(all, 5)],
        ['empty', value('')],
        [long, value('long')],
      ]),
    )
    const refused = await get('k'.repeat(251))(transport)()
    expect(E.isLeft(refused) && refused.left._tag).toBe('InvalidKey')
  })

  it('add, cas tags, incr/decr Options, delete, touch', async () => {
    const transport = memoryTransport()
    expect(await run(add('a', value('1')), transport)).toBe(true)
    expect(await run(add('a', value('2')), transport)).toBe(false)
    const read = await run(gets('a'), transport)
    const unique = O.isSome(read) ? read.value.cas : -1n
    expect(await run(cas('a', value('5'), unique), transport)).toEqual({ _tag: 'Stored' })
    expect(await run(cas('a', value('6'), unique), transport)).toEqual({ _tag: 'Exists' })
    expect(await run(cas('zz', value('6'), unique), transport)).toEqual({ _tag: 'NotFound' })
    expect(await run(incr('a', 10), transport)).toEqual(O.some(15n))
    expect(await run(decr('a', 100), transport)).toEqual(O.some(0n))
    expect(await run(incr('missing', 1), transport)).toEqual(O.none)
    expect(await run(touch('a', 10), transport)).toBe(true)
    expect(await run(del('a'), transport)).toBe(true)
    expect(await run(deleteMany(['a', 'b']), transport)).toEqual(['a', 'b'])
  })

  it('prepend keeps the flags of the stored item', async () => {
    const transport = memoryTransport()
    await run(set('p', value('tail', 9)), transport)
    expect(await run(prepend('p', value('head-', 1)), transport)).toBe(true)
    expect(await run(get('p'), transport)).toEqual(O.some(value('head-tail', 9)))
  })

  it('gat sets a new expiry: the item outlives its first one', async () => {
    const { transport, advance } = clocked()
    await run(set('g', value('v'), { exptime: 10 }), transport)
    expect(await run(gat('g', 100), transport)).toEqual(O.some(value('v')))
    advance(50_000)
    expect(await run(get('g'), transport)).toEqual(O.some(value('v')))
    advance(60_000)
    expect(await run(get('g'), transport)).toEqual(O.none)
  })

  it('gatsMany over many long keys (several lines) merges every part', async () => {
    const transport = memoryTransport()
    const keys = Array.from({ length: 30 }, (_, i) => `${i}-`.padEnd(240, 'z'))
    await run(setMany(keys.map((key) => [key, value(key.slice(0, 3))] as const)), transport)
    const found = await run(gatsMany([...keys].reverse(), 60), transport)
    expect([...found.keys()]).toEqual([...keys].reverse())
  })

  it('flushAll with a delay invalidates when the delay passes', async () => {
    const { transport, advance } = clocked()
    await run(set('f', value('v')), transport)
    await run(flushAll({ delay: 5 }), transport)
    expect(await run(get('f'), transport)).toEqual(O.some(value('v')))
    advance(6_000)
    expect(await run(get('f'), transport)).toEqual(O.none)
  })

  it('typed stats and settings read from the emulator', async () => {
    const transport = memoryTransport({ pid: 4242 })
    await run(set('s', value('v')), transport)
    await run(get('s'), transport)
    const general = await run(stats(), transport)
    expect(general.pid).toBe(4242n)
    expect(general.curr_items).toBe(1n)
    expect(general.get_hits).toBe(1n)
    expect(general.version).toBe(await run(version(), transport))
    const settings = await run(statsSettings(), transport)
    expect(settings.item_size_max).toBe(1_048_576n)
  })

  it('composes with ReaderTaskEither: a cas update loop as one Command', async () => {
    const users = commands(json)
    const rename = (id: string, name: string): Command<boolean> =>
      pipe(
        users.gets(id),
        RTE.chain(
          O.match(
            () => RTE.right(false),
            ({ value: user, cas: unique }) =>
              pipe(
                users.cas(id, { ...(user as object), name }, unique),
                RTE.map((result) => result._tag === 'Stored'),
              ),
          ),
        ),
      )
    const transport = memoryTransport()
    await run(users.set('user:1', { name: 'Ada', born: 1815 }), transport)
    expect(await run(rename('user:1', 'Ada Lovelace'), transport)).toBe(true)
    expect(await run(rename('user:2', 'nobody'), transport)).toBe(false)
    expect(await run(users.get('user:1'), transport)).toEqual(O.some({ name: 'Ada Lovelace', born: 1815 }))
  })

  it('commands(text) under withKeyPrefix', async () => {
    const inner = memoryTransport()
    const transport = withKeyPrefix('app:')(inner)
    const typed = commands(text)
    await run(typed.set('greeting', 'hello'), transport)
    expect(await run(typed.getMany(['greeting', 'other']), transport)).toEqual(new Map([['greeting', 'hello']]))
    expect(await run(get('app:greeting'), inner)).toEqual(O.some(value('hello')))
  })
})
