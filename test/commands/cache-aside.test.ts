import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { getOrSet } from '../../src/commands/cache-aside.js'
import { commands } from '../../src/commands/commands.js'
import { connectionClosed } from '../../src/transport/error.js'
import { serdeError } from '../../src/serde/error.js'
import { type MemcacheError } from '../../src/error.js'
import { text } from '../../src/serde/text.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { Transport } from '../../src/transport/transport.js'

const texts = commands(text)
const cached = getOrSet(texts)

/** A computation that counts how often it ran. */
const counting = (value: string) => {
  let runs = 0
  return { compute: TE.fromTask<string, never>(async () => (runs++, value)), runs: () => runs }
}

describe('getOrSet', () => {
  it('computes and stores on a miss, then serves the stored value without computing', async () => {
    const transport = memoryTransport()
    const { compute, runs } = counting('fresh')
    expect(await cached('k', compute, { exptime: 60 })(transport)()).toEqual(E.right('fresh'))
    expect(await texts.get('k')(transport)()).toEqual(E.right(O.some('fresh')))
    expect(await cached('k', compute)(transport)()).toEqual(E.right('fresh'))
    expect(runs()).toBe(1)
    await transport.close()
  })

  it('returns the computation error and stores nothing', async () => {
    const transport = memoryTransport()
    const failing = cached('k', TE.left('database down' as const))
    expect(await failing(transport)()).toEqual(E.left('database down'))
    expect(await texts.get('k')(transport)()).toEqual(E.right(O.none))
    await transport.close()
  })

  it('computes when the cache cannot be read, and still returns the value when it cannot be written', async () => {
    const down: Transport = { send: () => TE.left(connectionClosed('cache:11211', 'is down')), close: async () => undefined }
    const reported: Array<[MemcacheError['_tag'], string]> = []
    const { compute, runs } = counting('computed')
    const result = await cached('k', compute, { onCacheError: (error, during) => reported.push([error._tag, during]) })(down)()
    expect(result).toEqual(E.right('computed'))
    expect(runs()).toBe(1)
    expect(reported).toEqual([
      ['ConnectionClosed', 'get'],
      ['ConnectionClosed', 'set'],
    ])
  })

  it('treats a value it cannot read as a miss and overwrites it', async () => {
    const transport = memoryTransport()
    const strict = getOrSet({
      get: () => () => TE.left(serdeError(16, 'written by another app')),
      set: texts.set,
    })
    const reported: Array<string> = []
    expect(await strict('k', TE.right('mine'), { onCacheError: (error) => reported.push(error._tag) })(transport)()).toEqual(E.right('mine'))
    expect(reported).toEqual(['SerdeError'])
    expect(await texts.get('k')(transport)()).toEqual(E.right(O.some('mine')))
    await transport.close()
  })
})
