import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { freshGeneration, makeGenerations, type GenerationCommands } from '../../src/keyv/generation.js'
import { connectionClosed } from '../../src/transport/error.js'

/** memcached's get/add/set over a Map, counting calls; `beforeAdd` runs just before an add lands. */
const fakeCommands = (beforeAdd: (items: Map<string, string>) => void = () => undefined) => {
  const items = new Map<string, string>()
  const calls = { get: 0, getMany: 0, add: 0, set: 0 }
  /** The keys of every multi-key get, in the order asked. */
  const asked: Array<ReadonlyArray<string>> = []
  const commands: GenerationCommands = {
    get: (key) => async () => {
      calls.get++
      return E.right(O.fromNullable(items.get(key)))
    },
    getMany: (keys) => async () => {
      calls.getMany++
      asked.push(keys)
      return E.right(new Map(keys.flatMap((key) => (items.has(key) ? [[key, items.get(key) ?? '']] : []))))
    },
    add: (key, value) => async () => {
      calls.add++
      beforeAdd(items)
      if (items.has(key)) return E.right(false)
      items.set(key, value)
      return E.right(true)
    },
    set: (key, value) => async () => {
      calls.set++
      items.set(key, value)
      return E.right(true)
    },
  }
  return { items, calls, asked, commands }
}

const generationKeyOf = (namespace: string) => `${namespace}@generation`

const counter = () => {
  let next = 0
  return () => `G${++next}`
}

describe('makeGenerations', () => {
  it('creates a generation once, with add, and reads the same one until the next', async () => {
    const { items, calls, commands } = fakeCommands()
    const generations = makeGenerations(commands, (namespace) => `${namespace}@generation`, counter())
    expect(await generations.current('keyv')()).toEqual(E.right('G1'))
    expect(await generations.current('keyv')()).toEqual(E.right('G1'))
    expect(items.get('keyv@generation')).toBe('G1')
    expect(calls.add).toBe(1)
    expect(await generations.next('keyv')()).toEqual(E.right(undefined))
    expect(await generations.current('keyv')()).toEqual(E.right('G2'))
  })

  it('keeps namespaces apart', async () => {
    const { commands } = fakeCommands()
    const generations = makeGenerations(commands, (namespace) => `${namespace}@generation`, counter())
    expect(await generations.current('a')()).toEqual(E.right('G1'))
    expect(await generations.current('b')()).toEqual(E.right('G2'))
    await generations.next('a')()
    expect(await generations.current('a')()).toEqual(E.right('G3'))
    expect(await generations.current('b')()).toEqual(E.right('G2'))
  })

  it('shares one read among concurrent operations', async () => {
    const { calls, commands } = fakeCommands()
    const generations = makeGenerations(commands, (namespace) => `${namespace}@generation`, counter())
    const read = await Promise.all([generations.current('keyv')(), generations.current('keyv')(), generations.current('keyv')()])
    expect(read).toEqual([E.right('G1'), E.right('G1'), E.right('G1')])
    expect(calls.get).toBe(1)
    await generations.current('keyv')()
    expect(calls.get).toBe(2)
  })

  it("takes the other process's generation when it created one first", async () => {
    const { commands } = fakeCommands((items) => items.set('keyv@generation', 'theirs'))
    const generations = makeGenerations(commands, (namespace) => `${namespace}@generation`, counter())
    expect(await generations.current('keyv')()).toEqual(E.right('theirs'))
  })

  it('writes its own when the one that won the race is evicted at once', async () => {
    const base = fakeCommands((items) => items.set('keyv@generation', 'theirs'))
    const commands: GenerationCommands = { ...base.commands, get: () => TE.right(O.none) }
    const generations = makeGenerations(commands, (namespace) => `${namespace}@generation`, counter())
    expect(await generations.current('keyv')()).toEqual(E.right('G1'))
    expect(base.items.get('keyv@generation')).toBe('G1')
  })

  it('answers the error of a command that failed', async () => {
    const failure = connectionClosed('memory', 'gone')
    const { commands } = fakeCommands()
    const generations = makeGenerations({ ...commands, get: () => TE.left(failure), set: () => TE.left(failure) }, (namespace) => namespace, counter())
    expect(await generations.current('keyv')()).toEqual(E.left(failure))
    expect(await generations.next('keyv')()).toEqual(E.left(failure))
  })

  it('makes 12-character tokens free of the key separators', () => {
    const tokens = new Set(Array.from({ length: 100 }, freshGeneration))
    expect(tokens.size).toBe(100)
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{12}$/)
  })
})

describe('makeGenerations: read and write, checked in the same round trip', () => {
  const keysIn = (generation: string) => [`keyv@${generation}:a`, `keyv@${generation}:b`]

  it('reads the keys and then the generation in one multi-key get, once the generation is known', async () => {
    const { items, calls, asked, commands } = fakeCommands()
    const generations = makeGenerations(commands, generationKeyOf, counter())
    items.set('keyv@G1:a', '1')
    expect(await generations.read('keyv', keysIn)()).toEqual(E.right({ generation: 'G1', found: new Map([['keyv@G1:a', '1'], ['keyv@generation', 'G1']]) }))
    // At the start: the generation's own read (and its creation), then the checked read.
    expect([calls.get, calls.add, calls.getMany]).toEqual([1, 1, 1])
    await generations.read('keyv', keysIn)()
    expect([calls.get, calls.add, calls.getMany]).toEqual([1, 1, 2])
    expect(asked.at(-1)).toEqual(['keyv@G1:a', 'keyv@G1:b', 'keyv@generation'])
  })

  it("reads again under the new generation after another process's clear, once", async () => {
    const { items, calls, asked, commands } = fakeCommands()
    const here = makeGenerations(commands, generationKeyOf, counter())
    const there = makeGenerations(commands, generationKeyOf, () => 'T1')
    await here.read('keyv', keysIn)()
    items.set('keyv@G1:a', 'old')
    items.set('keyv@T1:a', 'new')
    await there.next('keyv')()
    const before = calls.getMany
    expect(await here.read('keyv', keysIn)()).toEqual(E.right({ generation: 'T1', found: new Map([['keyv@T1:a', 'new'], ['keyv@generation', 'T1']]) }))
    expect(calls.getMany - before).toBe(2)
    expect(asked.at(-1)).toEqual(['keyv@T1:a', 'keyv@T1:b', 'keyv@generation'])
    await here.read('keyv', keysIn)()
    expect(calls.getMany - before).toBe(3)
  })

  it('creates the generation again when it was evicted, and reads nothing of the old one', async () => {
    const { items, commands } = fakeCommands()
    const generations = makeGenerations(commands, generationKeyOf, counter())
    await generations.read('keyv', keysIn)()
    items.set('keyv@G1:a', 'old')
    items.delete('keyv@generation')
    expect(await generations.read('keyv', keysIn)()).toEqual(E.right({ generation: 'G2', found: new Map([['keyv@generation', 'G2']]) }))
  })

  it('sends the generation get before the write, both before either answers', async () => {
    const { commands } = fakeCommands()
    const events: Array<string> = []
    const watched: GenerationCommands = {
      ...commands,
      get: (key) => () => {
        events.push(`get ${key}`)
        return commands.get(key)().then((result) => (events.push('get answered'), result))
      },
    }
    const watching = makeGenerations(watched, generationKeyOf, counter())
    await watching.current('keyv')()
    events.length = 0
    const written: Array<string> = []
    const result = await watching.write('keyv', (generation) => () => {
      events.push(`write ${generation}`)
      written.push(generation)
      return Promise.resolve(E.right('done'))
    })()
    expect(result).toEqual(E.right('done'))
    expect(events).toEqual(['get keyv@generation', 'write G1', 'get answered'])
    expect(written).toEqual(['G1'])
  })

  it('writes again under the generation of now when it changed, answering that write', async () => {
    const { items, commands } = fakeCommands()
    const here = makeGenerations(commands, generationKeyOf, counter())
    await here.current('keyv')()
    items.set('keyv@generation', 'theirs')
    const written: Array<string> = []
    const result = await here.write('keyv', (generation) => () => {
      written.push(generation)
      return Promise.resolve(E.right(`under ${generation}`))
    })()
    expect(result).toEqual(E.right('under theirs'))
    expect(written).toEqual(['G1', 'theirs'])
    written.length = 0
    await here.write('keyv', (generation) => TE.right(written.push(generation)))()
    expect(written).toEqual(['theirs'])
  })

  it('creates the generation when the write finds none, and writes under it', async () => {
    const { items, commands } = fakeCommands()
    const here = makeGenerations(commands, generationKeyOf, counter())
    await here.current('keyv')()
    items.delete('keyv@generation')
    const written: Array<string> = []
    await here.write('keyv', (generation) => TE.right(written.push(generation)))()
    expect(written).toEqual(['G1', 'G2'])
    expect(items.get('keyv@generation')).toBe('G2')
  })

  it('answers the error of the generation read, or of the write', async () => {
    const failure = connectionClosed('memory', 'gone')
    const { commands } = fakeCommands()
    const generations = makeGenerations({ ...commands, getMany: () => TE.left(failure) }, generationKeyOf, counter())
    expect(await generations.read('keyv', keysIn)()).toEqual(E.left(failure))
    expect(await generations.write('keyv', () => TE.left(failure))()).toEqual(E.left(failure))
    const failing = makeGenerations({ ...commands, get: () => TE.left(failure) }, generationKeyOf, counter())
    expect(await failing.write('keyv', () => TE.right('written'))()).toEqual(E.left(failure))
  })
})
