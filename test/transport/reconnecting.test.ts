/**
 * `reconnecting`: lazy connect, one shared connect attempt, recovery after the server restarts,
 * and `close` for good.
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { tcp } from '../../src/transport/address.js'
import { reconnecting } from '../../src/transport/reconnecting.js'
import type { Transport } from '../../src/transport/transport.js'
import { startMemcached } from '../support/memcached.js'
import { answering, closedPort, fakeServer } from './fakes.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

const transportTo = (server: string, options: { readonly timeout?: number } = {}): Transport => {
  const transport = reconnecting({ server, ...options })
  cleanups.push(transport.close)
  return transport
}

const leftTag = (result: E.Either<MemcacheError, Reply>): string => (E.isLeft(result) ? result.left._tag : result.right._tag)

describe('reconnecting', () => {
  it('connects on the first send, once for many concurrent sends', async () => {
    const fake = await fakeServer(answering(() => 'END\r\n'))
    cleanups.push(fake.close)
    const transport = transportTo(fake.server)
    expect(fake.connections).toHaveLength(0)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => transport.send(Request.get([`k${i}`]))()))
    expect(results.map(leftTag)).toEqual(Array.from({ length: 50 }, () => 'Values'))
    expect(fake.connections).toHaveLength(1)
  })

  it('recovers after the server restarts', async () => {
    const server = await startMemcached()
    cleanups.push(server.stop)
    const transport = transportTo(server.server)
    expect(await transport.send(Request.set('before', new Uint8Array([1])))()).toEqual(E.right({ _tag: 'Stored' }))
    await server.restart()
    // The old connection may not have seen the hang-up yet: at most one send fails with it.
    const first = await transport.send(Request.get(['before']))()
    const answered = E.isRight(first) ? first : await transport.send(Request.get(['before']))()
    if (E.isLeft(first)) expect(first.left._tag).toBe('ConnectionClosed')
    expect(answered).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect(await transport.send(Request.set('after', new Uint8Array([2])))()).toEqual(E.right({ _tag: 'Stored' }))
  })

  it('fails sends with ConnectError while nothing listens, and connects once something does', async () => {
    const port = await closedPort()
    const transport = transportTo(`127.0.0.1:${port}`)
    expect(await transport.send(Request.version)()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError', code: 'ECONNREFUSED' })))
    const fake = await fakeServer(answering(() => 'VERSION 9.9.9\r\n'), port)
    cleanups.push(fake.close)
    expect(await transport.send(Request.version)()).toEqual(E.right({ _tag: 'Version', version: '9.9.9' }))
  })

  it('sends the request after a timeout on a fresh connection, which gets its own reply', async () => {
    let connectionsSeen = 0
    const fake = await fakeServer((connection) => {
      connectionsSeen++
      // The first connection answers nothing; later ones answer at once.
      if (connectionsSeen > 1) answering((line) => `VALUE ${line.slice(4)} 0 1\r\n${line.slice(4)}\r\nEND\r\n`)(connection)
    })
    cleanups.push(fake.close)
    const transport = transportTo(fake.server, { timeout: 50 })
    expect(leftTag(await transport.send(Request.get(['a']))())).toBe('Timeout')
    const result = await transport.send(Request.get(['b']))()
    expect(result).toEqual(E.right({ _tag: 'Values', items: [{ key: 'b', flags: 0, value: new Uint8Array([98]) }] }))
    expect(fake.connections).toHaveLength(2)
  })

  it('close is for good: later sends fail with ConnectionClosed and nothing reconnects', async () => {
    const fake = await fakeServer(answering(() => 'VERSION 1\r\n'))
    cleanups.push(fake.close)
    const transport = transportTo(fake.server)
    expect(leftTag(await transport.send(Request.version)())).toBe('Version')
    await transport.close()
    expect(leftTag(await transport.send(Request.version)())).toBe('ConnectionClosed')
    await (await fake.connection(0)).closed
    expect(fake.connections).toHaveLength(1)
  })

  it('close during a connect attempt closes the new connection and fails its waiters', async () => {
    const fake = await fakeServer(answering(() => 'VERSION 1\r\n'))
    cleanups.push(fake.close)
    const transport = transportTo(fake.server)
    const waiting = transport.send(Request.version)()
    const closed = transport.close()
    expect(leftTag(await waiting)).toBe('ConnectionClosed')
    await closed
    await Promise.all(fake.connections.map((connection) => connection.closed))
  })

  it('close abandons a connect that would not finish before connectTimeout: its socket goes, its waiters are answered', async () => {
    // TLS to a server that never answers the handshake: without close, the connect waits a minute.
    const fake = await fakeServer()
    cleanups.push(fake.close)
    const transport = reconnecting({ server: fake.server, tls: true, connectTimeout: 60_000, timeout: 0 })
    const settled: Array<string> = []
    const waiting = [transport.send(Request.version)(), transport.send(Request.get(['a']), { deadline: Date.now() + 60_000 })()].map((outcome) =>
      outcome.then((result) => settled.push(leftTag(result))),
    )
    const accepted = await fake.connection(0)
    await transport.close()
    expect(settled).toEqual(['ConnectionClosed', 'ConnectionClosed'])
    await Promise.all(waiting)
    await accepted.closed
    expect(fake.connections).toHaveLength(1)
  })

  it('answers InvalidKey before connecting, even while the server is down', async () => {
    const port = await closedPort()
    const transport = transportTo(`127.0.0.1:${port}`)
    expect(await transport.send(Request.get(['a b']))()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidKey', key: 'a b' })))
    expect(await transport.send(Request.set('k', new Uint8Array(5)))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
  })

  it('opens no connection for a request it refuses', async () => {
    const fake = await fakeServer(answering(() => 'END\r\n'))
    cleanups.push(fake.close)
    const transport = reconnecting({ server: fake.server, maxValueSize: 2 })
    cleanups.push(transport.close)
    expect(leftTag(await transport.send(Request.prefixed('my app:')(Request.get(['a'])))())).toBe('InvalidArgument')
    expect(leftTag(await transport.send(Request.set('k', new Uint8Array(3)))())).toBe('ValueTooLarge')
    expect(leftTag(await transport.send(Request.get(['k'.repeat(251)]))())).toBe('InvalidKey')
    expect(fake.connections).toHaveLength(0)
    expect(leftTag(await transport.send(Request.get(['ok']))())).toBe('Values')
    expect(fake.connections).toHaveLength(1)
  })

  it('stops waiting for a connection when the signal fires; the attempt goes on for the next send', async () => {
    // The auth handshake waits for a reply the server gives only when the test says so.
    let letIn: () => void = () => undefined
    const fake = await fakeServer((connection) => {
      letIn = () => connection.socket.write('STORED\r\n')
      void connection.waitFor('version\r\n').then(() => connection.socket.write('VERSION 2\r\n'))
    })
    cleanups.push(fake.close)
    const transport = reconnecting({ server: fake.server, credentials: { username: 'u', password: 'p' }, timeout: 0, connectTimeout: 0 })
    cleanups.push(transport.close)
    const controller = new AbortController()
    const waiting = transport.send(Request.version, { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('set auth')
    controller.abort(new Error('not any more'))
    expect(await waiting).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', reason: 'not any more' })))
    const next = transport.send(Request.version)()
    letIn()
    expect(await next).toEqual(E.right({ _tag: 'Version', version: '2' }))
    expect(fake.connections).toHaveLength(1)
    // The aborted request was never written.
    expect((await fake.connection(0)).received().match(/version/g)).toHaveLength(1)
  })

  it('does not wait for a connection past a deadline already gone, nor start one', async () => {
    const fake = await fakeServer(answering(() => 'VERSION 1\r\n'))
    cleanups.push(fake.close)
    const transport = transportTo(fake.server)
    expect(await transport.send(Request.version, { deadline: Date.now() - 5 })()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', node: fake.server })))
    expect(fake.connections).toHaveLength(0)
  })

  it('stops waiting for a connection when the deadline passes', async () => {
    const fake = await fakeServer()
    cleanups.push(fake.close)
    const transport = reconnecting({ server: fake.server, credentials: { username: 'u', password: 'p' }, timeout: 0, connectTimeout: 0 })
    cleanups.push(transport.close)
    expect(await transport.send(Request.version, { deadline: Date.now() + 20 })()).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'version' })))
  })

  it('passes the context on to the connection', async () => {
    const fake = await fakeServer(answering((line) => (line === 'version' ? 'VERSION 1\r\n' : undefined)))
    cleanups.push(fake.close)
    const transport = transportTo(fake.server)
    expect(leftTag(await transport.send(Request.version)())).toBe('Version')
    const controller = new AbortController()
    const waiting = transport.send(Request.get(['never']), { signal: controller.signal })()
    await (await fake.connection(0)).waitFor('get never\r\n')
    controller.abort()
    expect(leftTag(await waiting)).toBe('Aborted')
  })

  it('accepts an address parsed already', async () => {
    const fake = await fakeServer(answering(() => 'VERSION 1\r\n'))
    cleanups.push(fake.close)
    const transport = reconnecting({ server: tcp('127.0.0.1', fake.port) })
    cleanups.push(transport.close)
    expect(leftTag(await transport.send(Request.version)())).toBe('Version')
  })

  it('reports a bad server string on every send', async () => {
    const transport = transportTo('host:port')
    expect(await transport.send(Request.version)()).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument' })))
  })
})
