/**
 * The connection honours the request context: an interrupted request is not written; a written
 * one is answered at once and abandoned, its late reply read and dropped, the connection kept.
 * Against scripted loopback servers, with signals aborted by hand and deadlines already past: no
 * test asserts a duration.
 */
import * as E from 'fp-ts/lib/Either.js'
import { getEventListeners } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { tcp } from '../../src/transport/address.js'
import { answering, closedAfterEachTest } from './fakes.js'

const { serve, open } = closedAfterEachTest()

const tagOf = (result: E.Either<MemcacheError, Reply>): string => (E.isLeft(result) ? result.left._tag : result.right._tag)

const aborted = (reason = 'the caller left'): AbortSignal => {
  const controller = new AbortController()
  controller.abort(new Error(reason))
  return controller.signal
}

describe('a request interrupted before it is written', () => {
  it('with a signal already fired is answered Aborted and never written', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server })
    const result = await connection.send(Request.get(['a']), { signal: aborted('gone') })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', request: 'get', reason: 'gone' })))
    expect(await connection.send(Request.get(['b']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect((await fake.connection(0)).received()).toBe('get b\r\n')
    expect(connection.inFlight()).toBe(0)
  })

  it('with a deadline already past is answered Timeout and never written', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server })
    const result = await connection.send(Request.get(['a']), { deadline: Date.now() - 1 })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get', node: fake.server })))
    expect(await connection.send(Request.get(['b']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect((await fake.connection(0)).received()).toBe('get b\r\n')
  })

  it('a noreply request with a signal already fired is not written either', async () => {
    const fake = await serve(answering((line) => (line === 'version' ? 'VERSION 1\r\n' : undefined)))
    const connection = await open({ server: fake.server })
    expect(tagOf(await connection.send(Request.del('a', true), { signal: aborted() })())).toBe('Aborted')
    expect(tagOf(await connection.send(Request.version)())).toBe('Version')
    expect((await fake.connection(0)).received()).toBe('version\r\n')
  })
})

describe('a request interrupted after it was written', () => {
  it('is answered Aborted at once; its late reply is dropped and the connection goes on', async () => {
    let answerLate: () => void = () => undefined
    const fake = await serve((connection) => {
      // "get a" is answered only when the test says so; everything after it at once, in order.
      answerLate = () => connection.socket.write('VALUE a 0 1\r\nA\r\nEND\r\n')
    })
    const connection = await open({ server: fake.server, timeout: 0 })
    const controller = new AbortController()
    const waiting = connection.send(Request.get(['a']), { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('get a\r\n')
    controller.abort(new Error('user navigated away'))
    expect(await waiting).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'user navigated away' })))
    // Still in flight (its reply has not come), still counted, connection still open.
    expect(connection.isOpen()).toBe(true)
    expect(connection.inFlight()).toBe(1)
    const next = connection.send(Request.get(['b']))()
    await (await fake.connection(0)).waitFor('get b\r\n')
    answerLate()
    ;(await fake.connection(0)).socket.write('VALUE b 0 1\r\nB\r\nEND\r\n')
    expect(await next).toEqual(E.right({ _tag: 'Values', items: [{ key: 'b', flags: 0, value: new Uint8Array([66]) }] }))
    expect(connection.inFlight()).toBe(0)
    expect(connection.isOpen()).toBe(true)
  })

  it('is answered Timeout when the context deadline passes, and the connection stays usable', async () => {
    let answerLate: () => void = () => undefined
    const fake = await serve((connection) => {
      answerLate = () => connection.socket.write('STORED\r\n')
      answering((line) => (line === 'version' ? 'VERSION 1.6.18\r\n' : undefined))(connection)
    })
    // The connection's own timeout would destroy it; the context's deadline does not.
    const connection = await open({ server: fake.server, timeout: 0 })
    const result = await connection.send(Request.set('k', new Uint8Array([1])), { deadline: Date.now() + 20 })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'set', node: fake.server })))
    expect(connection.isOpen()).toBe(true)
    answerLate()
    expect(await connection.send(Request.version)()).toEqual(E.right({ _tag: 'Version', version: '1.6.18' }))
  })

  it('abandoned requests count toward maxPending until their reply comes', async () => {
    let answerLate: () => void = () => undefined
    const fake = await serve((connection) => {
      answerLate = () => connection.socket.write('END\r\n')
      answering((line) => (line === 'version' ? 'VERSION 1\r\n' : undefined))(connection)
    })
    const connection = await open({ server: fake.server, maxPending: 1, timeout: 0 })
    const controller = new AbortController()
    const waiting = connection.send(Request.get(['a']), { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('get a\r\n')
    controller.abort()
    expect(tagOf(await waiting)).toBe('Aborted')
    expect(await connection.send(Request.version)()).toEqual(E.left(expect.objectContaining({ _tag: 'Overloaded', pending: 1 })))
    answerLate()
    // Once the late reply was read, there is room again.
    let version = await connection.send(Request.version)()
    while (E.isLeft(version) && version.left._tag === 'Overloaded') {
      await new Promise((resolve) => setImmediate(resolve))
      version = await connection.send(Request.version)()
    }
    expect(tagOf(version)).toBe('Version')
  })

  it('the connection’s own timeout still destroys the connection when an abandoned reply never comes', async () => {
    const fake = await serve()
    const connection = await open({ server: fake.server, timeout: 30 })
    const controller = new AbortController()
    const waiting = connection.send(Request.get(['a']), { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('get a\r\n')
    controller.abort()
    expect(tagOf(await waiting)).toBe('Aborted')
    await (await fake.connection(0)).closed
    expect(connection.isOpen()).toBe(false)
  })

  it('an abort after the reply changes nothing, and no listener is left on the signal', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server })
    const controller = new AbortController()
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => connection.send(Request.get([`k${i}`]), { signal: controller.signal, deadline: Date.now() + 60_000 })()))
    expect(results.map(tagOf)).toEqual(['Values', 'Values', 'Values', 'Values', 'Values'])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    controller.abort()
    expect(connection.isOpen()).toBe(true)
    expect(tagOf(await connection.send(Request.get(['z']))())).toBe('Values')
  })

  it('closing the connection stops watching the contexts of the requests in flight', async () => {
    const fake = await serve()
    const connection = await open({ server: fake.server, timeout: 0 })
    const controller = new AbortController()
    const waiting = connection.send(Request.get(['a']), { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('get a\r\n')
    await connection.close()
    expect(tagOf(await waiting)).toBe('ConnectionClosed')
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})

describe('an empty context', () => {
  it('costs no timer: with no connection timeout either, sends set none', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server, timeout: 0 })
    const timers = vi.spyOn(globalThis, 'setTimeout')
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => connection.send(Request.get([`k${i}`]), i % 2 === 0 ? {} : { retry: true })()))
      expect(results.every((result) => tagOf(result) === 'Values')).toBe(true)
      expect(timers).not.toHaveBeenCalled()
    } finally {
      timers.mockRestore()
    }
  })
})

describe('context deadlines', () => {
  it('cost one timer for the connection, not one per request', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server, timeout: 0 })
    const timers = vi.spyOn(globalThis, 'setTimeout')
    try {
      const now = Date.now()
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => connection.send(Request.get([`k${i}`]), { deadline: now + 60_000 + i })()))
      expect(results.every((result) => tagOf(result) === 'Values')).toBe(true)
      // Later deadlines never move the timer set for the earliest one.
      expect(timers).toHaveBeenCalledTimes(1)
    } finally {
      timers.mockRestore()
    }
  })

  it('an earlier deadline arriving later is still honoured', async () => {
    const fake = await serve(answering((line) => (line === 'get slow' ? undefined : 'END\r\n')))
    const connection = await open({ server: fake.server, timeout: 0 })
    const patient = connection.send(Request.get(['slow']), { deadline: Date.now() + 60_000 })()
    const hasty = await connection.send(Request.get(['slow']), { deadline: Date.now() + 5 })()
    expect(hasty).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get' })))
    expect(connection.isOpen()).toBe(true)
    await connection.close()
    expect(tagOf(await patient)).toBe('ConnectionClosed')
  })
})

describe('connect', () => {
  it('accepts an address parsed already', async () => {
    const fake = await serve(answering(() => 'VERSION 1\r\n'))
    const connection = await open({ server: tcp('127.0.0.1', fake.port) })
    expect(connection.node).toBe(fake.server)
    expect(tagOf(await connection.send(Request.version)())).toBe('Version')
  })
})
