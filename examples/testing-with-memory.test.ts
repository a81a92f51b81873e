/**
 * Testing your own code with the in-memory transport: no server, the real protocol path (encoder,
 * memcached's text front end, decoder), and a clock the test moves.
 *
 *   npx vitest run examples/testing-with-memory.test.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryTransport } from 'fp-memcache/emulator'
import { allowRequest } from './rate-limiter.js'

describe('allowRequest (a rate limiter built on add + incr)', () => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const cache = memoryTransport({ clock: () => now })
  afterEach(() => cache.close())

  it('allows the limit, refuses the next, and allows again once the window has passed', async () => {
    const limit = { requests: 3, perSeconds: 60 }
    const answers: Array<boolean> = []
    for (let i = 0; i < 4; i++) {
      const allowed = await allowRequest('ada', limit)(cache)()
      answers.push(E.isRight(allowed) && allowed.right)
    }
    expect(answers).toEqual([true, true, true, false])

    now += 61_000 // the counter expires with its window
    expect(await allowRequest('ada', limit)(cache)()).toEqual(E.right(true))

    // What happened is visible in the emulator's stats, as on a real server.
    const stats = await cache.send({ _tag: 'Stats' })()
    const counters = E.isRight(stats) && stats.right._tag === 'Stats' ? Object.fromEntries(stats.right.entries) : {}
    expect(counters['incr_hits']).toBe('3')
  })

  it('reports a cache failure as a typed error instead of allowing or refusing blindly', async () => {
    const closed = memoryTransport()
    await closed.close()
    const outcome = await allowRequest('bob', { requests: 1, perSeconds: 1 })(closed)()
    expect(outcome).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
  })
})
