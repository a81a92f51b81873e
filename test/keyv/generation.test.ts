import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { freshGeneration, makeGenerations, type GenerationCommands } from '../../src/keyv/generation.js'
import { connectionClosed } from '../../src/transport/error.js'

/** memcached's get/add/set over a Map, counting calls; `beforeAdd` runs just before an add lands. */
const fakeCommands = (beforeAdd: (items: Map<string, string>) => void = () => undefined) => {
  const items = new Map<string, string>()
  const calls = { get: 0, add: 0, set: 0 }
  const commands: GenerationCommands = {
    get: (key) => async () => {
      calls.get++
      return E.right(O.fromNullable(items.get(key)))
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
  return { items, calls, commands }
}

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
