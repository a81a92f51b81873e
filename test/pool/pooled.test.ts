import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { makePooled } from '../../src/pool/pooled.js'
import { invalidKey } from '../../src/protocol/error.js'
import { connectError, connectionClosed } from '../../src/transport/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import type { Connection } from '../../src/transport/connection.js'
import type { RequestContext } from '../../src/transport/context.js'

interface FakeConnection extends Connection {
  readonly id: number
  readonly served: () => number
  readonly closedCount: () => number
  /** Fails every request in flight and closes, as a connection does after a timeout. */
  readonly breakDown: () => void
}

/** Connections whose replies wait until `release()`, counting what each served. */
const fakeConnector = (node = '127.0.0.1:11211') => {
  const connections: Array<FakeConnection> = []
  let attempts = 0
  let refuse = false
  let holding = false
  const held: Array<() => void> = []
  const contexts: Array<RequestContext | undefined> = []
  let connectGate: Array<() => void> | undefined

  const make = (id: number): FakeConnection => {
    let open = true
    let inFlight = 0
    let served = 0
    let closed = 0
    const failures: Array<(error: MemcacheError) => void> = []
    return {
      id,
      node,
      isOpen: () => open,
      inFlight: () => inFlight,
      served: () => served,
      closedCount: () => closed,
      send: (_request, context) => () =>
        new Promise((resolve) => {
          contexts.push(context)
          if (!open) return resolve(E.left(connectionClosed(node, 'is closed')))
          inFlight++
          served++
          const answer = () => {
            inFlight--
            resolve(E.right(Reply.stored))
          }
          failures.push((error) => {
            inFlight--
            resolve(E.left(error))
          })
          if (holding) held.push(answer)
          else queueMicrotask(answer)
        }),
      breakDown: () => {
        open = false
        for (const fail of failures.splice(0)) fail(connectionClosed(node, 'was reset'))
      },
      close: async () => {
        // As a connection does: what is in flight is answered at once.
        open = false
        closed++
        for (const fail of failures.splice(0)) fail(connectionClosed(node, 'was closed by the client'))
      },
    }
  }

  let abandoned = 0
  /** Like `connect(options)`: a `TaskEither` that stops when the signal given to it fires. */
  const connect = async (signal?: AbortSignal): Promise<E.Either<MemcacheError, Connection>> => {
    attempts++
    await new Promise((resolve) => setImmediate(resolve))
    if (connectGate !== undefined) {
      const gate = connectGate
      const stopped = await new Promise<boolean>((resolve) => {
        gate.push(() => resolve(false))
        signal?.addEventListener('abort', () => resolve(true), { once: true })
      })
      if (stopped) {
        abandoned++
        return E.left(connectError(node, 'EABORTED', 'abandoned'))
      }
    }
    if (refuse) return E.left(connectError(node, 'ECONNREFUSED', 'connection refused'))
    const connection = make(connections.length + 1)
    connections.push(connection)
    return E.right(connection)
  }

  return {
    connect,
    connections,
    contexts,
    attempts: () => attempts,
    abandoned: () => abandoned,
    /** Connecting waits until `openGate()`. */
    holdConnect: () => {
      connectGate ??= []
    },
    openGate: () => {
      const waiting = connectGate ?? []
      connectGate = undefined
      for (const resume of waiting) resume()
    },
    refuse: (value: boolean) => {
      refuse = value
    },
    hold: () => {
      holding = true
    },
    release: () => {
      holding = false
      for (const answer of held.splice(0)) answer()
    },
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
const setK = (i: number) => Request.set(`k${i}`, new Uint8Array([i]))

afterEach(() => {
  vi.useRealTimers()
})

describe('makePooled', () => {
  it('checks a request while no connection takes requests, and refuses it without connecting', async () => {
    const fake = fakeConnector()
    const checked: Array<string> = []
    const transport = makePooled(fake.connect, {
      check: (request) => {
        checked.push(request._tag)
        return request._tag === 'Delete' ? E.left(invalidKey(request.key, 'refused by the check')) : E.right(request)
      },
    })
    expect(await transport.send(Request.del('bad'))()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey', key: 'bad' })))
    expect(fake.attempts()).toBe(0)
    expect(E.isRight(await transport.send(setK(1))())).toBe(true)
    // With a connection taking requests, its own encoder is the check: the pool checks no more.
    expect(E.isRight(await transport.send(setK(2))())).toBe(true)
    expect(checked).toEqual(['Delete', 'Store'])
    expect(fake.attempts()).toBe(1)
    await transport.close()
  })

  it('opens one connection for a burst of requests and pipelines them on it', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 4, busyAt: 100 })
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => transport.send(setK(i))()))
    expect(outcomes.every(E.isRight)).toBe(true)
    expect(fake.attempts()).toBe(1)
    expect(fake.connections[0]?.served()).toBe(20)
    await transport.close()
  })

  it('grows up to maxSize when every connection is busy, sending to the least busy one', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 3, busyAt: 2 })
    fake.hold()
    const pending: Array<Promise<unknown>> = []
    for (let i = 0; i < 30; i++) {
      pending.push(transport.send(setK(i))())
      await tick()
    }
    expect(fake.connections.length).toBe(3)
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 3, active: 3, inFlight: 30 }))
    const served = fake.connections.map((connection) => connection.served())
    // Least busy first: the first connection takes the burst until the others open, then they catch up.
    expect(served).toEqual([10, 10, 10])
    fake.release()
    await Promise.all(pending)
    await transport.close()
  })

  it('drops a connection that broke and opens another for the next request', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 2 })
    fake.hold()
    const inFlight = [transport.send(setK(1))(), transport.send(setK(2))()]
    await tick()
    await tick()
    fake.connections[0]?.breakDown()
    expect(await Promise.all(inFlight)).toEqual([E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })), E.left(expect.objectContaining({ _tag: 'ConnectionClosed' }))])
    fake.release()
    expect(await transport.send(setK(3))()).toEqual(E.right(Reply.stored))
    expect(fake.connections.length).toBe(2)
    expect(fake.connections[0]?.closedCount()).toBe(1)
    await transport.close()
  })

  it('fails every waiting request with the connect error, and tries again on the next', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    fake.refuse(true)
    const outcomes = await Promise.all([1, 2, 3].map((i) => transport.send(setK(i))()))
    expect(outcomes).toEqual([1, 2, 3].map(() => E.left(expect.objectContaining({ _tag: 'ConnectError', code: 'ECONNREFUSED' }))))
    expect(fake.attempts()).toBe(1)
    fake.refuse(false)
    expect(await transport.send(setK(4))()).toEqual(E.right(Reply.stored))
    expect(fake.attempts()).toBe(2)
    await transport.close()
  })

  it('close answers the requests in flight at once, closes every connection, and refuses new requests', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 2, busyAt: 1 })
    fake.hold()
    const settled: Array<E.Either<MemcacheError, Reply.Reply>> = []
    const pending = Array.from({ length: 6 }, (_, i) => transport.send(setK(i))().then((result) => settled.push(result)))
    await tick()
    await tick()
    expect(fake.connections.length).toBeGreaterThan(0)
    await transport.close()
    // Settled by the time close resolved, not when the held replies would have come.
    expect(settled).toEqual(Array.from({ length: 6 }, () => E.left(expect.objectContaining({ _tag: 'ConnectionClosed' }))))
    await Promise.all(pending)
    expect(await transport.send(setK(9))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
    for (const connection of fake.connections) expect(connection.closedCount()).toBe(1)
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 0, active: 0, waiting: 0 }))
  })

  it('close abandons a connection being opened: the requests waiting for it are answered, nothing is opened', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 2 })
    fake.holdConnect()
    const settled: Array<E.Either<MemcacheError, Reply.Reply>> = []
    const waiting = [1, 2, 3].map((i) => transport.send(setK(i))().then((result) => settled.push(result)))
    await tick()
    await transport.close()
    expect(settled).toEqual([1, 2, 3].map(() => E.left(expect.objectContaining({ _tag: 'ConnectionClosed' }))))
    await Promise.all(waiting)
    expect(fake.abandoned()).toBe(1)
    expect(fake.connections).toEqual([])
  })

  it('a second close waits for the same closing', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    expect(await transport.send(setK(1))()).toEqual(E.right(Reply.stored))
    const first = transport.close()
    expect(transport.close()).toBe(first)
    await first
    expect(fake.connections[0]?.closedCount()).toBe(1)
  })

  it('returns extra connections to the pool when they fall idle, where the reaper closes them', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const fake = fakeConnector()
    const transport = makePooled(fake.connect, { maxSize: 3, busyAt: 1, idleTimeout: 5000 })
    fake.hold()
    const pending: Array<Promise<unknown>> = []
    for (let i = 0; i < 6; i++) {
      pending.push(transport.send(setK(i))())
      await tick()
    }
    expect(fake.connections.length).toBe(3)
    fake.release()
    await Promise.all(pending)
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 3, active: 1, idle: 2 }))
    await vi.advanceTimersByTimeAsync(5000)
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 1, active: 1, idle: 0 }))
    expect(fake.connections.filter((connection) => connection.closedCount() === 1).length).toBe(2)
    await transport.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('makePooled: the request context', () => {
  it("passes the request's context on to the connection's send", async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    const context: RequestContext = { deadline: Date.now() + 60_000, retry: true }
    expect(await transport.send(setK(1), context)()).toEqual(E.right(Reply.stored))
    await transport.send(setK(2))()
    expect(fake.contexts).toEqual([context, undefined])
    expect(fake.contexts[0]).toBe(context)
    await transport.close()
  })

  it('opens nothing for a request already aborted or past its deadline', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    const controller = new AbortController()
    controller.abort()
    expect(await transport.send(setK(1), { signal: controller.signal })()).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', request: 'set' })))
    expect(await transport.send(setK(2), { deadline: Date.now() - 1 })()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'set' })))
    expect(fake.attempts()).toBe(0)
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 0, inFlight: 0 }))
    await transport.close()
  })

  it('lets a request waiting for the connection being opened give up, while the others still get it', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    fake.holdConnect()
    const controller = new AbortController()
    const leaving = transport.send(setK(1), { signal: controller.signal })()
    const staying = transport.send(setK(2))()
    await tick()
    controller.abort()
    expect(await leaving).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted' })))
    expect(transport.stats().inFlight).toBe(1)
    fake.openGate()
    expect(await staying).toEqual(E.right(Reply.stored))
    expect(fake.attempts()).toBe(1)
    expect(fake.connections[0]?.served()).toBe(1)
    await transport.close()
  })

  it('abandons the pool acquire when every waiting request gave up; the connection made meanwhile is kept idle, not leaked', async () => {
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    fake.holdConnect()
    const controllers = [new AbortController(), new AbortController()]
    const waiting = controllers.map((controller, i) => transport.send(setK(i), { signal: controller.signal })())
    await tick()
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 1, waiting: 1 }))
    for (const controller of controllers) controller.abort()
    expect((await Promise.all(waiting)).map((outcome) => E.isLeft(outcome) && outcome.left._tag)).toEqual(['Aborted', 'Aborted'])
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 1, waiting: 0, active: 0, inFlight: 0 }))
    fake.openGate()
    await tick()
    await tick()
    expect(transport.stats()).toEqual(expect.objectContaining({ size: 1, idle: 1, borrowed: 0, active: 0 }))
    // The next request borrows that connection: no second connect.
    expect(await transport.send(setK(3))()).toEqual(E.right(Reply.stored))
    expect(fake.attempts()).toBe(1)
    await transport.close()
    expect(fake.connections[0]?.closedCount()).toBe(1)
  })

  it('ends the wait for a connection when the deadline passes (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const fake = fakeConnector()
    const transport = makePooled(fake.connect)
    fake.holdConnect()
    const waiting = transport.send(setK(1), { deadline: Date.now() + 50 })()
    await vi.advanceTimersByTimeAsync(50)
    expect(await waiting).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'set' })))
    fake.openGate()
    await transport.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})
