/**
 * The meta wiring of stampede protection: the bytes each op writes and how each answer is read
 * (scripted replies), then the whole of `getOrCompute` / `invalidate` against the emulator on a
 * virtual clock — through `memoryTransport` and through `serve` + `createClient` — with time moved
 * by the test: fills, lock expiry when the winner never writes, the recache window, invalidation,
 * `staleFor` expiry. Every wait is a virtual one; no test sleeps on real time.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { metaGet } from '../../src/commands/meta.js'
import type { GetOrComputeOptions, Outcome, Scheduler, Stampede } from '../../src/commands/stampede.js'
import { metaStampede, metaStampedeOps } from '../../src/commands/stampede-meta.js'
import { makeEngine } from '../../src/emulator/engine.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import { serve } from '../../src/emulator/serve.js'
import * as Meta from '../../src/protocol/meta.js'
import * as Reply from '../../src/protocol/reply.js'
import { clientError } from '../../src/protocol/error.js'
import { text } from '../../src/serde/text.js'
import type { Middleware, Transport } from '../../src/transport/transport.js'
import { scripted } from './support.js'
import { makeVirtualClock } from '../support/virtual-clock.js'

const bytes = (value: string): Uint8Array => new TextEncoder().encode(value)

// -------------------------------------------------------------------------------------
// the ops: what is written, how answers are read
// -------------------------------------------------------------------------------------

describe('metaStampedeOps: requests', () => {
  const written = async (run: (ops: ReturnType<typeof metaStampedeOps>) => TE.TaskEither<unknown, unknown>): Promise<string> => {
    const transport = scripted(() => Meta.metaReply('HD'))
    await run(metaStampedeOps(transport))()
    return transport.written.join('')
  }

  it.each([
    { name: 'lookup: v c f and N, no R when recacheBefore is 0', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.lookup('k', { lockTtl: 30, recacheBefore: 0 }, {}), wire: 'mg k v c f N30\r\n' },
    { name: 'lookup: R when recacheBefore > 0', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.lookup('k', { lockTtl: 5, recacheBefore: 10 }, {}), wire: 'mg k v c f N5 R10\r\n' },
    { name: 'store: T and C, no F for flags 0', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.store('k', { bytes: bytes('ab'), flags: 0 }, { ttl: 300, cas: 17n }, {}), wire: 'ms k 2 T300 C17\r\nab\r\n' },
    { name: 'store: F for other flags, T0 for no expiry', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.store('k', { bytes: bytes('a'), flags: 5 }, { ttl: 0, cas: 9n }, {}), wire: 'ms k 1 F5 T0 C9\r\na\r\n' },
    { name: 'invalidate: I alone without staleFor', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.invalidate('k', { staleFor: undefined }, {}), wire: 'md k I\r\n' },
    { name: 'invalidate: I T<staleFor>', run: (ops: ReturnType<typeof metaStampedeOps>) => ops.invalidate('k', { staleFor: 60 }, {}), wire: 'md k I T60\r\n' },
  ])('$name', async ({ run, wire }) => {
    expect(await written(run)).toBe(wire)
  })

  it('passes the caller context down with each request', async () => {
    const contexts: Array<unknown> = []
    const transport: Transport = {
      send: (_request, context) => {
        contexts.push(context)
        return TE.right(Meta.metaReply('NF'))
      },
      close: async () => undefined,
    }
    const ops = metaStampedeOps(transport)
    const context = { signal: new AbortController().signal, deadline: 123, retry: false }
    await ops.lookup('k', { lockTtl: 1, recacheBefore: 0 }, context)()
    await ops.store('k', { bytes: bytes('v'), flags: 0 }, { ttl: 1, cas: 1n }, context)()
    await ops.invalidate('k', { staleFor: undefined }, context)()
    expect(contexts).toEqual([context, context, context])
    expect(contexts.every((each) => each === context)).toBe(true)
  })

  it('a signal that fired stops the request in the transport (memoryTransport answers Aborted)', async () => {
    const controller = new AbortController()
    controller.abort()
    const result = await metaStampedeOps(memoryTransport()).lookup('k', { lockTtl: 1, recacheBefore: 0 }, { signal: controller.signal })()
    expect(E.isLeft(result) && result.left._tag).toBe('Aborted')
  })
})

describe('metaStampedeOps: answers', () => {
  const answering = (reply: Reply.Reply) => metaStampedeOps(scripted(() => reply))
  const lookup = (reply: Reply.Reply) => answering(reply).lookup('k', { lockTtl: 30, recacheBefore: 0 }, {})()

  it.each([
    { name: 'a stub this caller won', reply: Meta.metaReply('VA', { cas: 17n, win: true }, new Uint8Array(0)), lookup: { value: O.none, cas: 17n, win: true, stale: false, alreadyWon: false } },
    { name: 'a stub another caller won', reply: Meta.metaReply('VA', { cas: 17n, alreadyWon: true }, new Uint8Array(0)), lookup: { value: O.none, cas: 17n, win: false, stale: false, alreadyWon: true } },
    {
      name: 'a stale value being recomputed',
      reply: Meta.metaReply('VA', { cas: 18n, clientFlags: 3, stale: true, alreadyWon: true }, bytes('old')),
      lookup: { value: O.some({ bytes: bytes('old'), flags: 3 }), cas: 18n, win: false, stale: true, alreadyWon: true },
    },
    { name: 'a fresh hit', reply: Meta.metaReply('VA', { cas: 4n }, bytes('v')), lookup: { value: O.some({ bytes: bytes('v'), flags: 0 }), cas: 4n, win: false, stale: false, alreadyWon: false } },
    { name: 'no item (the stub could not be made)', reply: Meta.metaReply('EN'), lookup: { value: O.none, cas: undefined, win: false, stale: false, alreadyWon: false } },
  ])('lookup: $name', async (row) => {
    expect(await lookup(row.reply)).toEqual(E.right(row.lookup))
  })

  it('lookup: a code mg with v cannot answer is a ProtocolError; a refusal is its error', async () => {
    const hd = await lookup(Meta.metaReply('HD'))
    expect(E.isLeft(hd) && hd.left._tag).toBe('ProtocolError')
    const refused = await lookup(Reply.failure(clientError('bad command line format')))
    expect(E.isLeft(refused) && refused.left._tag).toBe('ClientError')
  })

  it.each([
    ['HD', E.right('stored')],
    ['EX', E.right('conflict')],
    ['NF', E.right('conflict')],
    ['NS', E.right('conflict')],
  ] as const)('store: %s', async (code, expected) => {
    expect(await answering(Meta.metaReply(code)).store('k', { bytes: bytes('v'), flags: 0 }, { ttl: 1, cas: 1n }, {})()).toEqual(expected)
  })

  it('store: EN is a ProtocolError', async () => {
    const result = await answering(Meta.metaReply('EN')).store('k', { bytes: bytes('v'), flags: 0 }, { ttl: 1, cas: 1n }, {})()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it.each([
    ['HD', E.right(true)],
    ['NF', E.right(false)],
  ] as const)('invalidate: %s', async (code, expected) => {
    expect(await answering(Meta.metaReply(code)).invalidate('k', { staleFor: 1 }, {})()).toEqual(expected)
  })

  it('invalidate: EX is a ProtocolError (no C was sent)', async () => {
    const result = await answering(Meta.metaReply('EX')).invalidate('k', { staleFor: 1 }, {})()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})

// -------------------------------------------------------------------------------------
// a virtual clock shared by the emulator's engine and the stampede's scheduler
// -------------------------------------------------------------------------------------

/** What the server answered to the lookups (mg with N), counted by flag. */
interface Flags {
  lookups: number
  W: number
  Z: number
  X: number
}

const START = 1_700_000_000_000

const makeTime = () => {
  let inFlight = 0
  const clock = makeVirtualClock(START, () => inFlight > 0)
  const flags: Flags = { lookups: 0, W: 0, Z: 0, X: 0 }
  /** Counts requests in flight (the served path waits for sockets) and the flags of each lookup's answer. */
  const observed: Middleware = (next) => ({
    send: (request, context) => async () => {
      inFlight++
      try {
        const result = await next.send(request, context)()
        if (request._tag === 'MetaGet' && request.flags.vivify !== undefined && E.isRight(result) && result.right._tag === 'MetaReply') {
          const { win, alreadyWon, stale } = result.right.returned
          flags.lookups++
          if (win === true) flags.W++
          if (alreadyWon === true) flags.Z++
          if (stale === true) flags.X++
        }
        return result
      } finally {
        inFlight--
      }
    },
    close: next.close,
  })
  const scheduler: Scheduler = { now: clock.now, sleep: clock.sleep, random: () => 0.5 }
  return {
    now: clock.now,
    advance: clock.advance,
    elapsed: () => clock.now() - START,
    run: clock.run,
    sleep: clock.sleep,
    observed,
    flags,
    scheduler,
  }
}

type Time = ReturnType<typeof makeTime>

interface Path {
  readonly transport: Transport
  readonly close: () => Promise<void>
}

const paths: ReadonlyArray<{ readonly name: string; readonly open: (time: Time) => Promise<Path> }> = [
  {
    name: 'memoryTransport',
    open: async (time) => {
      const transport = time.observed(memoryTransport({ engine: makeEngine({ clock: time.now }) }))
      return { transport, close: transport.close }
    },
  },
  {
    name: 'serve + createClient',
    open: async (time) => {
      const started = await serve({ engine: makeEngine({ clock: time.now }) })()
      if (E.isLeft(started)) throw new Error(started.left.message)
      const client = createClient({ servers: started.right.server, middleware: [time.observed], timeout: 30_000 })
      return {
        transport: client.transport,
        close: async () => {
          await client.close()
          await started.right.close()
        },
      }
    },
  },
]

/** A source that counts its runs; each run takes `ms` of virtual time and may fail. */
const makeSource = (time: Time, ms: number, fails: (run: number) => boolean = () => false) => {
  let runs = 0
  let version = 0
  const compute: TE.TaskEither<string, string> = async () => {
    runs++
    const run = runs
    await time.sleep(ms)
    return fails(run) ? E.left('source down') : E.right(`v${++version}`)
  }
  return { compute, runs: () => runs }
}

const countOutcomes = () => {
  const counts: Record<Outcome['_tag'], number> = { Hit: 0, Stale: 0, Computed: 0, ComputedWithoutLock: 0, Failed: 0 }
  const writes: Array<unknown> = []
  const onOutcome = (outcome: Outcome): void => {
    counts[outcome._tag]++
    if (outcome._tag === 'Computed') writes.push(outcome.write)
  }
  return { counts, writes, onOutcome }
}

const values = (results: ReadonlyArray<E.Either<{ readonly _tag: string }, string>>): ReadonlyArray<string> =>
  results.map((result) => (E.isRight(result) ? result.right : `Left ${result.left._tag}`))

const tally = (list: ReadonlyArray<string>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const each of list) counts[each] = (counts[each] ?? 0) + 1
  return counts
}

describe.each(paths)('getOrCompute on the emulator with a virtual clock, via $name', ({ open }) => {
  let close: () => Promise<void> = async () => undefined
  afterEach(async () => {
    await close()
  })

  const setUp = async () => {
    const time = makeTime()
    const path = await open(time)
    close = path.close
    const stampede: Stampede<string> = metaStampede(text, time.scheduler)(path.transport)
    const callers = (count: number, compute: TE.TaskEither<string, string>, key: string, options: GetOrComputeOptions) =>
      time.run(Promise.all(Array.from({ length: count }, () => stampede.getOrCompute(key, compute, options)())))
    return { time, path, stampede, callers }
  }

  it('200 callers on a cold key: compute runs once, all 200 get its value, 199 waited on the lock', async () => {
    const { time, callers } = await setUp()
    const source = makeSource(time, 2_000)
    const outcomes = countOutcomes()
    const results = await callers(200, source.compute, 'cold', { ttl: 60, lockTtl: 10, onOutcome: outcomes.onOutcome })
    expect(source.runs()).toBe(1)
    expect(tally(values(results))).toEqual({ v1: 200 })
    expect(outcomes.counts).toMatchObject({ Computed: 1, Hit: 199, Failed: 0 })
    expect(outcomes.writes).toEqual(['stored'])
    expect(time.flags.W).toBe(1)
    // Every other caller found the stub taken (Z) at least once: they did wait.
    expect(time.flags.Z).toBeGreaterThanOrEqual(199)
  })

  it('a winner that never writes: the stub expires after lockTtl, one waiter wins and fills, none fails', async () => {
    const { time, path, callers } = await setUp()
    // Another process took the lock (mg N5) and died.
    const dead = await metaGet('orphan', { returnValue: true, returnCas: true, vivify: 5 })(path.transport)()
    expect(E.isRight(dead) && dead.right.returned.win).toBe(true)
    const source = makeSource(time, 1_000)
    const outcomes = countOutcomes()
    const results = await callers(50, source.compute, 'orphan', { ttl: 60, lockTtl: 5, onOutcome: outcomes.onOutcome })
    expect(source.runs()).toBe(1)
    expect(tally(values(results))).toEqual({ v1: 50 })
    expect(outcomes.counts).toMatchObject({ Computed: 1, Hit: 49, Failed: 0 })
    // Two wins: the dead one, then the waiter that found the expired stub gone.
    expect(time.flags.W).toBe(2)
    expect(time.elapsed()).toBeGreaterThanOrEqual(5_000)
  })

  it('a winner whose compute fails keeps the lock until lockTtl: one failure, then one fill', async () => {
    const { time, callers } = await setUp()
    const source = makeSource(time, 500, (run) => run === 1)
    const outcomes = countOutcomes()
    const results = await callers(30, source.compute, 'flaky', { ttl: 60, lockTtl: 3, onOutcome: outcomes.onOutcome })
    expect(source.runs()).toBe(2)
    expect(tally(values(results))).toEqual({ 'Left ComputeFailed': 1, v1: 29 })
    expect(outcomes.counts).toMatchObject({ Failed: 1, Computed: 1, Hit: 28 })
    expect(time.elapsed()).toBeGreaterThanOrEqual(3_000)
  })

  it('recache: nothing before the window; inside it one caller recomputes while the others are served the cached value', async () => {
    const { time, callers } = await setUp()
    const source = makeSource(time, 2_000)
    const options = { ttl: 60, lockTtl: 10, recacheBefore: 10 }
    await callers(1, source.compute, 'page', options)
    const filledAt = time.now()
    time.advance(45_000) // 15 s left: outside the window
    const outside = countOutcomes()
    expect(tally(values(await callers(20, source.compute, 'page', { ...options, onOutcome: outside.onOutcome })))).toEqual({ v1: 20 })
    expect(outside.counts.Hit).toBe(20)
    time.advance(filledAt + 51_000 - time.now()) // 9 s left: inside
    const wins = time.flags.W
    const inside = countOutcomes()
    const results = await callers(50, source.compute, 'page', { ...options, onOutcome: inside.onOutcome })
    expect(source.runs()).toBe(2)
    expect(tally(values(results))).toEqual({ v1: 49, v2: 1 })
    expect(inside.counts).toMatchObject({ Computed: 1, Hit: 49 })
    expect(inside.writes).toEqual(['stored'])
    expect(time.flags.W - wins).toBe(1)
    // The new value has a whole TTL again: 45 s on, no recache.
    time.advance(45_000)
    const after = countOutcomes()
    expect(tally(values(await callers(10, source.compute, 'page', { ...options, onOutcome: after.onOutcome })))).toEqual({ v2: 10 })
    expect(source.runs()).toBe(2)
  })

  it('invalidate: one reader recomputes, the others are served the stale value (X) at once', async () => {
    const { time, stampede, callers } = await setUp()
    const source = makeSource(time, 2_000)
    await callers(1, source.compute, 'product', { ttl: 300 })
    expect(await time.run(stampede.invalidate('product', { staleFor: 30 })())).toEqual(E.right(true))
    const outcomes = countOutcomes()
    const results = await callers(100, source.compute, 'product', { ttl: 300, onOutcome: outcomes.onOutcome })
    expect(source.runs()).toBe(2)
    expect(tally(values(results))).toEqual({ v1: 99, v2: 1 })
    expect(outcomes.counts).toMatchObject({ Computed: 1, Stale: 99 })
    expect(outcomes.writes).toEqual(['stored'])
    expect(time.flags.X).toBeGreaterThanOrEqual(100)
    // Written back over the stale item: fresh again.
    const after = countOutcomes()
    expect(tally(values(await callers(10, source.compute, 'product', { ttl: 300, onOutcome: after.onOutcome })))).toEqual({ v2: 10 })
    expect(after.counts.Hit).toBe(10)
  })

  it('staleFor: a stale value no one recomputed is gone after staleFor seconds; the next reader fills it anew', async () => {
    const { time, stampede, callers } = await setUp()
    const source = makeSource(time, 1_000)
    await callers(1, source.compute, 'report', { ttl: 3_600 })
    expect(await time.run(stampede.invalidate('report', { staleFor: 5 })())).toEqual(E.right(true))
    time.advance(6_000)
    const stale = time.flags.X
    const outcomes = countOutcomes()
    expect(values(await callers(1, source.compute, 'report', { ttl: 3_600, onOutcome: outcomes.onOutcome }))).toEqual(['v2'])
    expect(outcomes.counts.Computed).toBe(1)
    expect(time.flags.X).toBe(stale) // a miss, not a stale hit
    expect(await time.run(stampede.invalidate('gone', { staleFor: 5 })())).toEqual(E.right(false))
  })

  it('an invalidation during compute is not overwritten: the write-back conflicts and the next reader recomputes', async () => {
    const { time, stampede, callers } = await setUp()
    const source = makeSource(time, 2_000)
    const first = countOutcomes()
    const [winner, invalidated] = await time.run(
      Promise.all([
        stampede.getOrCompute('race', source.compute, { ttl: 300, onOutcome: first.onOutcome })(),
        time.sleep(1_000).then(() => stampede.invalidate('race')()),
      ]),
    )
    expect(winner).toEqual(E.right('v1')) // the winner still gets what it computed
    expect(invalidated).toEqual(E.right(true))
    expect(first.writes).toEqual(['conflict'])
    const next = countOutcomes()
    expect(values(await callers(1, source.compute, 'race', { ttl: 300, onOutcome: next.onOutcome }))).toEqual(['v2'])
    expect(next.writes).toEqual(['stored'])
    expect(source.runs()).toBe(2)
  })
})
