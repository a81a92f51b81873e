/**
 * The discovery poller with a fake clock and a fake endpoint: the first poll at once, intervals
 * with bounded jitter, the poll timeout, the version rules, failed or malformed polls keeping the
 * last good list, and `close` stopping everything at once.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { makeClusterConfig } from '../../src/emulator/cluster.js'
import { makeEngine } from '../../src/emulator/engine.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import type { MemcacheError } from '../../src/error.js'
import { formatClusterConfig, LEGACY_CLUSTER_CONFIG_KEY, type ClusterConfig, type ClusterNode } from '../../src/protocol/cluster-config.js'
import { protocolError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { abortableSleep, configOfReply, makeDiscovery, withFirstPoll, type DiscoveryEvent, type DiscoveryOptions } from '../../src/routing/discovery.js'
import { connectError } from '../../src/transport/error.js'
import type { RequestContext } from '../../src/transport/context.js'
import type { Transport } from '../../src/transport/transport.js'

const TIMEOUT = 777
const node = (port: number): ClusterNode => ({ host: 'localhost', ip: '127.0.0.1', port })
const config = (version: number, ...ports: ReadonlyArray<number>): ClusterConfig => ({ version, nodes: ports.map(node) })

type Answer = E.Either<MemcacheError, Reply.Reply> | 'never'

/** An endpoint answering from a script, one answer per request (the last one repeated); 'never' waits for the signal. */
const fakeEndpoint = (first: Answer) => {
  let answers: Array<Answer> = [first]
  const sent: Array<Request.Request> = []
  const contexts: Array<RequestContext | undefined> = []
  const transport: Transport = {
    send: (request, context) => () => {
      sent.push(request)
      contexts.push(context)
      const answer = answers.length > 1 ? (answers.shift() as Answer) : (answers[0] as Answer)
      if (answer !== 'never') return Promise.resolve(answer)
      return new Promise((resolve) => context?.signal?.addEventListener('abort', () => resolve(E.left(protocolError('aborted'))), { once: true }))
    },
    close: async () => undefined,
  }
  return {
    transport,
    sent,
    contexts,
    answer: (...next: ReadonlyArray<Answer>) => {
      answers = [...next]
    },
  }
}

const ofConfig = (value: ClusterConfig): Answer => E.right(Reply.clusterConfigReply(value))

/** A sleep the test ends by hand; every wait asked for is recorded. */
const fakeSleep = () => {
  const waits: Array<{ readonly ms: number; readonly end: () => void; readonly signal: AbortSignal; readonly over: () => boolean }> = []
  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      let over = false
      const end = () => {
        over = true
        resolve()
      }
      waits.push({ ms, end, signal, over: () => over || signal.aborted })
      signal.addEventListener('abort', end, { once: true })
    })
  /** The interval waits (not the poll timeouts) still pending. */
  const intervals = () => waits.filter((wait) => wait.ms !== TIMEOUT)
  const pendingInterval = () => intervals().find((wait) => !wait.over())
  return { sleep, waits, intervals, pendingInterval }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

const start = (endpoint: Transport, overrides: { readonly [K in keyof DiscoveryOptions]?: DiscoveryOptions[K] | undefined } = {}) => {
  const time = fakeSleep()
  const applied: Array<ClusterConfig> = []
  const events: Array<DiscoveryEvent> = []
  const discovery = makeDiscovery({
    endpoint,
    apply: (value) => async () => {
      applied.push(value)
    },
    intervalMs: 1000,
    // Left out when the test gives `jitterMs: undefined`, to see the default.
    ...('jitterMs' in overrides ? {} : { jitterMs: 100 }),
    timeoutMs: TIMEOUT,
    sleep: time.sleep,
    random: () => 0.5,
    observe: (event) => events.push(event),
    ...(Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<DiscoveryOptions>),
  })
  /** Ends the wait between polls and lets the next poll run. */
  const tick = async () => {
    await settle()
    time.pendingInterval()?.end()
    await settle()
  }
  return { discovery, time, applied, events, tick }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('makeDiscovery: polling', () => {
  it('polls at once, applies the list, and is ready', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(3, 1, 2)))
    const { discovery, applied, events } = start(endpoint.transport)
    expect(discovery.isReady()).toBe(false)
    await discovery.ready()
    expect(endpoint.sent).toEqual([Request.configGet()])
    expect(applied).toEqual([config(3, 1, 2)])
    expect(discovery.current()).toEqual(O.some(config(3, 1, 2)))
    expect(events).toEqual([{ _tag: 'Applied', version: 3, nodes: ['localhost|127.0.0.1|1', 'localhost|127.0.0.1|2'] }])
    await discovery.close()
  })

  it('waits intervalMs plus random() * jitterMs between polls, never overlapping them', async () => {
    const randoms = [0, 0.5, 0.999]
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const { discovery, time, tick } = start(endpoint.transport, { random: () => randoms.shift() ?? 0 })
    await discovery.ready()
    await tick()
    await tick()
    await settle()
    expect(time.intervals().map((wait) => wait.ms)).toEqual([1000, 1050, 1000 + 0.999 * 100])
    expect(endpoint.sent).toHaveLength(3)
    await discovery.close()
  })

  it('jitter defaults to a tenth of the interval, and stays within it', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const { discovery, time } = start(endpoint.transport, { jitterMs: undefined, intervalMs: 5000, random: () => 0.999999 })
    await discovery.ready()
    await settle()
    const [wait] = time.intervals()
    expect(wait?.ms).toBeGreaterThanOrEqual(5000)
    expect(wait?.ms).toBeLessThan(5500)
    await discovery.close()
  })

  it('gives each poll timeoutMs: an endpoint that does not answer is a failed poll, and its request is aborted', async () => {
    const endpoint = fakeEndpoint('never')
    const { discovery, time, events } = start(endpoint.transport)
    await settle()
    const timeout = time.waits.find((wait) => wait.ms === TIMEOUT)
    expect(timeout).toBeDefined()
    expect(discovery.isReady()).toBe(false)
    timeout?.end()
    await discovery.ready()
    expect(events).toEqual([{ _tag: 'PollFailed', error: expect.objectContaining({ _tag: 'Timeout', after: TIMEOUT }) }])
    expect(endpoint.contexts[0]?.signal?.aborted).toBe(true)
    expect(discovery.current()).toEqual(O.none)
    await discovery.close()
  })

  it('a poll out of turn runs after the one in progress', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const { discovery } = start(endpoint.transport)
    await Promise.all([discovery.poll(), discovery.poll()])
    expect(endpoint.sent.length).toBe(3)
    await discovery.close()
  })
})

describe('makeDiscovery: which lists are applied', () => {
  it('applies a greater version only: equal is Unchanged, lower is Stale, an empty list is Ignored', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(2, 1)))
    const { discovery, applied, events, tick } = start(endpoint.transport)
    await discovery.ready()
    endpoint.answer(ofConfig(config(2, 1, 9)), ofConfig(config(1, 5)), ofConfig(config(3)), ofConfig(config(3, 1, 2)))
    for (let i = 0; i < 4; i++) await tick()
    expect(applied).toEqual([config(2, 1), config(3, 1, 2)])
    expect(events.map((event) => event._tag)).toEqual(['Applied', 'Unchanged', 'Stale', 'Ignored', 'Applied'])
    expect(events[2]).toEqual({ _tag: 'Stale', version: 1, current: 2 })
    expect(events[4]).toMatchObject({ _tag: 'Applied', version: 3, previous: 2 })
    expect(discovery.current()).toEqual(O.some(config(3, 1, 2)))
    await discovery.close()
  })

  it('with a known version (a seed), only a greater one is applied', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(4, 1)))
    const { discovery, applied } = start(endpoint.transport, { version: 4 })
    await discovery.ready()
    expect(applied).toEqual([])
    await discovery.close()
  })

  it('a failed, refused or malformed poll keeps the last good list and is reported, never thrown', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(1, 1, 2)))
    const { discovery, applied, events, tick } = start(endpoint.transport)
    await discovery.ready()
    endpoint.answer(
      E.left(connectError('endpoint', 'ECONNREFUSED', 'refused')),
      E.right(Reply.failure(unknownCommand(''))),
      E.left(protocolError('cluster configuration: version "x" is not a number')),
      E.right(Reply.stored),
      ofConfig(config(1, 1, 2)),
    )
    for (let i = 0; i < 5; i++) await tick()
    expect(applied).toEqual([config(1, 1, 2)])
    expect(events.slice(1).map((event) => (event._tag === 'PollFailed' ? event.error._tag : event._tag))).toEqual([
      'ConnectError',
      'UnknownCommand',
      'ProtocolError',
      'ProtocolError',
      'Unchanged',
    ])
    expect(discovery.current()).toEqual(O.some(config(1, 1, 2)))
    await discovery.close()
  })

  it('an apply that throws is a failed poll: the list is not taken as applied', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const seen: Array<DiscoveryEvent> = []
    const { discovery } = start(endpoint.transport, {
      apply: () => () => Promise.reject(new Error('boom')),
      observe: (event) => {
        seen.push(event)
        throw new Error('an observer that throws changes nothing')
      },
    })
    await discovery.ready()
    expect(seen).toEqual([{ _tag: 'PollFailed', error: expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('boom') }) }])
    expect(discovery.current()).toEqual(O.none)
    await discovery.close()
  })

  it("'legacy' asks get AmazonElastiCache:cluster and reads the same payload from its value", async () => {
    const endpoint = fakeEndpoint(E.right(Reply.values([{ key: LEGACY_CLUSTER_CONFIG_KEY, flags: 0, value: formatClusterConfig(config(7, 1)) }])))
    const { discovery, applied } = start(endpoint.transport, { command: 'legacy' })
    await discovery.ready()
    expect(endpoint.sent).toEqual([Request.get([LEGACY_CLUSTER_CONFIG_KEY])])
    expect(applied).toEqual([config(7, 1)])
    await discovery.close()
  })

  it('configOfReply: a miss on the legacy key is a ProtocolError', () => {
    expect(configOfReply(Reply.values([]))).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError' })))
  })
})

describe('makeDiscovery: close', () => {
  it('stops at once between polls: the wait ends and no poll follows', async () => {
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const { discovery, time } = start(endpoint.transport)
    await discovery.ready()
    await settle()
    const wait = time.pendingInterval()
    expect(wait).toBeDefined()
    await discovery.close()
    expect(wait?.signal.aborted).toBe(true)
    await settle()
    expect(endpoint.sent).toHaveLength(1)
    await discovery.poll()
    expect(endpoint.sent).toHaveLength(1)
  })

  it('cancels the poll in progress, and ready resolves', async () => {
    const endpoint = fakeEndpoint('never')
    const { discovery, events } = start(endpoint.transport)
    await settle()
    await discovery.close()
    await discovery.ready()
    expect(endpoint.contexts[0]?.signal?.aborted).toBe(true)
    expect(events).toEqual([])
  })

  it('with the default sleep, leaves no timer once closed', async () => {
    vi.useFakeTimers()
    const endpoint = fakeEndpoint(ofConfig(config(1, 1)))
    const discovery = makeDiscovery({ endpoint: endpoint.transport, apply: () => async () => undefined, intervalMs: 50 })
    await vi.advanceTimersByTimeAsync(0)
    await discovery.ready()
    await vi.advanceTimersByTimeAsync(60)
    expect(endpoint.sent.length).toBeGreaterThanOrEqual(2)
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    await discovery.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('abortableSleep ends on its signal and clears its timer', async () => {
    vi.useFakeTimers()
    const controller = new AbortController()
    const sleeping = abortableSleep(10_000, controller.signal)
    expect(vi.getTimerCount()).toBe(1)
    controller.abort()
    await sleeping
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('withFirstPoll', () => {
  it('holds requests until the first poll is over, then passes them straight on', async () => {
    const endpoint = fakeEndpoint('never')
    const { discovery, time } = start(endpoint.transport)
    const below: Array<Request.Request> = []
    const transport = withFirstPoll(discovery)({
      send: (request) => async () => {
        below.push(request)
        return E.right(Reply.stored)
      },
      close: async () => undefined,
    })
    const early = transport.send(Request.get(['a']))()
    await settle()
    expect(below).toEqual([])
    time.waits.find((wait) => wait.ms === TIMEOUT)?.end()
    expect(await early).toEqual(E.right(Reply.stored))
    expect(below).toEqual([Request.get(['a'])])
    await discovery.close()
  })
})

describe('against the emulator', () => {
  it('follows a configuration changed at run time', async () => {
    const cluster = makeClusterConfig([node(1)])
    const endpoint = memoryTransport({ engine: makeEngine({ cluster }) })
    const { discovery, applied, tick } = start(endpoint)
    await discovery.ready()
    cluster.setNodes([node(1), node(2)])
    await tick()
    await tick()
    expect(applied).toEqual([config(1, 1), config(2, 1, 2)])
    await discovery.close()
    await endpoint.close()
  })

  it('a plain memcached (no configuration) is a failed poll: UnknownCommand', async () => {
    const endpoint = memoryTransport()
    const { discovery, events } = start(endpoint)
    await discovery.ready()
    expect(events).toEqual([{ _tag: 'PollFailed', error: expect.objectContaining({ _tag: 'UnknownCommand' }) }])
    await discovery.close()
    await endpoint.close()
  })
})
