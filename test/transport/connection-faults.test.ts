/**
 * The connection against scripted loopback servers: exact bytes, exact splits, silence, garbage,
 * hang-ups. Each case proves a piece of the invariant "a reply only reaches the request it answers".
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import * as Request from '../../src/protocol/request.js'
import { connect } from '../../src/transport/connection.js'
import { answering, closedPort, writeInParts, closedAfterEachTest } from './fakes.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const { serve, open } = closedAfterEachTest()

const leftTag = (result: E.Either<MemcacheError, unknown>): string => (E.isLeft(result) ? result.left._tag : 'Right')

describe('connect', () => {
  it('fails fast with ConnectError when nothing listens', async () => {
    const port = await closedPort()
    const result = await connect({ server: `127.0.0.1:${port}`, connectTimeout: 5000 })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError', code: 'ECONNREFUSED', node: `127.0.0.1:${port}` })))
  })

  it('refuses a server string it cannot parse without opening anything', async () => {
    const result = await connect({ server: 'cache1:http' })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument: 'server' })))
  })

  it('reports bad TLS material as ConnectError instead of throwing', async () => {
    const fake = await serve()
    const result = await connect({ server: fake.server, tls: { ca: 'not a certificate', cert: 'nor this', key: 'nor this' } })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError' })))
  })
})

describe('reading replies', () => {
  const reply = 'VALUE a 3 4\r\n\r\n\0\xff\r\nVALUE b 0 0\r\n\r\nEND\r\n'
  const splits: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ['whole', [reply]],
    ['byte by byte', reply.split('')],
    ['inside CRLF', ['VALUE a 3 4\r', '\n\r\n\0\xff\r', '\nVALUE b 0 0\r\n\r', '\nEND\r', '\n']],
    ['inside the value', ['VALUE a 3 4\r\n\r', '\n\0', '\xff\r\nVALUE b 0 0\r\n\r\nE', 'ND\r\n']],
  ]

  it.each(splits)('delivers a reply split %s', async (_name, parts) => {
    const fake = await serve((connection) => {
      void connection.waitFor('get a b\r\n').then(() => writeInParts(connection.socket, parts.map(bytes)))
    })
    const connection = await open({ server: fake.server })
    const result = await connection.send(Request.get(['a', 'b']))()
    expect(result).toEqual(
      E.right({
        _tag: 'Values',
        items: [
          { key: 'a', flags: 3, value: bytes('\r\n\0\xff') },
          { key: 'b', flags: 0, value: bytes('') },
        ],
      }),
    )
  })

  it('keeps values intact when later replies arrive in the same buffer (no bytes are reused)', async () => {
    const replies = Array.from({ length: 200 }, (_, i) => `VALUE k${i} 0 ${String(i).length}\r\n${i}\r\nEND\r\n`)
    const fake = await serve((connection) => {
      // Odd split points so that partial replies are carried over and appended to.
      void connection.waitFor('get k199\r\n').then(() => {
        const all = replies.join('')
        const parts: Array<string> = []
        for (let at = 0, size = 7; at < all.length; at += size, size = (size * 3) % 61 + 5) parts.push(all.slice(at, at + size))
        return writeInParts(connection.socket, parts.map(bytes))
      })
    })
    const connection = await open({ server: fake.server })
    const results = await Promise.all(replies.map((_, i) => connection.send(Request.get([`k${i}`]))()))
    const values = results.map((result) => (E.isRight(result) && result.right._tag === 'Values' ? Buffer.from(result.right.items[0]?.value ?? []).toString() : 'missing'))
    expect(values).toEqual(replies.map((_, i) => String(i)))
  })

  it('hands an in-step server refusal back as Right(Failure) and keeps going', async () => {
    const fake = await serve(answering((line) => (line === 'get a' ? 'SERVER_ERROR out of memory\r\n' : 'VERSION 1.6.18\r\n')))
    const connection = await open({ server: fake.server })
    const refused = await connection.send(Request.get(['a']))()
    expect(refused).toEqual(E.right(expect.objectContaining({ _tag: 'Failure', error: expect.objectContaining({ _tag: 'ServerError' }) })))
    expect(await connection.send(Request.version)()).toEqual(E.right({ _tag: 'Version', version: '1.6.18' }))
    expect(connection.isOpen()).toBe(true)
  })
})

describe('bad bytes destroy the connection', () => {
  it('gives the culprit a ProtocolError, the others ConnectionClosed, later sends ConnectionClosed', async () => {
    const fake = await serve(answering((line) => (line === 'get a' ? 'HELLO THERE\r\n' : undefined)))
    const connection = await open({ server: fake.server })
    const results = await Promise.all([connection.send(Request.get(['a']))(), connection.send(Request.get(['b']))(), connection.send(Request.version)()])
    expect(results.map(leftTag)).toEqual(['ProtocolError', 'ConnectionClosed', 'ConnectionClosed'])
    expect(connection.isOpen()).toBe(false)
    expect(leftTag(await connection.send(Request.version)())).toBe('ConnectionClosed')
    await (await fake.connection(0)).closed
  })

  it('treats CLIENT_ERROR after a storage command as the culprit’s ClientError and destroys', async () => {
    const fake = await serve(answering((line) => (line.startsWith('set') ? 'CLIENT_ERROR bad data chunk\r\n' : undefined)))
    const connection = await open({ server: fake.server })
    const results = await Promise.all([connection.send(Request.set('a', bytes('x')))(), connection.send(Request.get(['a']))()])
    expect(results.map(leftTag)).toEqual(['ClientError', 'ConnectionClosed'])
    expect(connection.isOpen()).toBe(false)
  })

  it('destroys on bytes that arrive when nothing is in flight', async () => {
    const fake = await serve((connection) => connection.socket.write('STORED\r\n'))
    const connection = await open({ server: fake.server })
    await (await fake.connection(0)).closed
    expect(connection.isOpen()).toBe(false)
    expect(leftTag(await connection.send(Request.version)())).toBe('ConnectionClosed')
  })

  it('fails every request in flight with ConnectionClosed when the server hangs up', async () => {
    const fake = await serve((connection) => {
      void connection.waitFor('get c\r\n').then(() => connection.socket.end('VALUE a 0 1\r\n1\r\nEND\r\n'))
    })
    const connection = await open({ server: fake.server })
    const results = await Promise.all(['a', 'b', 'c'].map((key) => connection.send(Request.get([key]))()))
    expect(results.map(leftTag)).toEqual(['Right', 'ConnectionClosed', 'ConnectionClosed'])
  })

  it('reports the reset of a socket as ConnectionClosed for everyone', async () => {
    const fake = await serve((connection) => {
      void connection.waitFor('get b\r\n').then(() => connection.socket.resetAndDestroy())
    })
    const connection = await open({ server: fake.server })
    const results = await Promise.all(['a', 'b'].map((key) => connection.send(Request.get([key]))()))
    expect(results.map(leftTag)).toEqual(['ConnectionClosed', 'ConnectionClosed'])
  })
})

describe('timeouts', () => {
  it('times out the oldest request, closes the others, and destroys the connection', async () => {
    const fake = await serve()
    const connection = await open({ server: fake.server, timeout: 50 })
    const results = await Promise.all([connection.send(Request.get(['a']))(), connection.send(Request.get(['b']))()])
    expect(results[0]).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', after: 50, request: 'get', node: fake.server })))
    expect(leftTag(results[1] ?? E.right(null))).toBe('ConnectionClosed')
    expect(connection.isOpen()).toBe(false)
    await (await fake.connection(0)).closed
  })

  it('never hands a late reply to the next request', async () => {
    // The server answers each get only when the next one arrives on the same socket: a client that
    // kept the connection after a timeout would give "a"'s value to "b".
    const fake = await serve((connection) => {
      void connection.waitFor('get b\r\n').then(() => connection.socket.write('VALUE a 0 1\r\nA\r\nEND\r\nVALUE b 0 1\r\nB\r\nEND\r\n'))
    })
    const connection = await open({ server: fake.server, timeout: 50 })
    expect(leftTag(await connection.send(Request.get(['a']))())).toBe('Timeout')
    expect(leftTag(await connection.send(Request.get(['b']))())).toBe('ConnectionClosed')
    const served = await fake.connection(0)
    await served.closed
    expect(served.received()).toBe('get a\r\n')
  })

  it('does not time out requests that are answered, however many follow one another', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server, timeout: 200 })
    for (let i = 0; i < 50; i++) expect(await connection.send(Request.get(['a']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect(connection.isOpen()).toBe(true)
  })

  it('waits for ever with timeout 0', async () => {
    const fake = await serve((connection) => {
      void connection.waitFor('get a\r\n').then(() => setTimeout(() => connection.socket.write('END\r\n'), 30))
    })
    const connection = await open({ server: fake.server, timeout: 0 })
    expect(await connection.send(Request.get(['a']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
  })
})

describe('noreply and the silent markers', () => {
  it('reports an error line for a noreply request to onUnsolicited and keeps the stream', async () => {
    const unsolicited: Array<MemcacheError> = []
    let reported: () => void = () => undefined
    const reportedOnce = new Promise<void>((resolve) => (reported = resolve))
    const fake = await serve(
      answering((line) => (line.startsWith('set') ? 'SERVER_ERROR out of memory storing object\r\n' : line === 'version' ? 'VERSION 1.6.18\r\n' : undefined)),
    )
    const connection = await open({
      server: fake.server,
      onUnsolicited: (error) => {
        unsolicited.push(error)
        reported()
      },
    })
    expect(await connection.send(Request.set('a', bytes('x'), { noreply: true }))()).toEqual(E.right({ _tag: 'NoReply' }))
    await reportedOnce
    expect(unsolicited).toEqual([expect.objectContaining({ _tag: 'ServerError', reason: 'out of memory storing object' })])
    expect(await connection.send(Request.version)()).toEqual(E.right({ _tag: 'Version', version: '1.6.18' }))
  })

  it('confirms markers with the next normal reply', async () => {
    const fake = await serve(answering((line) => (line.startsWith('get') ? 'END\r\n' : line === 'version' ? 'VERSION 1.6.18\r\n' : undefined)))
    const connection = await open({ server: fake.server })
    const sent = await Promise.all([
      connection.send(Request.set('a', bytes('x'), { noreply: true }))(),
      connection.send(Request.del('b', true))(),
      connection.send(Request.get(['a']))(),
      connection.send(Request.incr('c', 1n, true))(),
      connection.send(Request.version)(),
    ])
    expect(sent).toEqual([
      E.right({ _tag: 'NoReply' }),
      E.right({ _tag: 'NoReply' }),
      E.right({ _tag: 'Values', items: [] }),
      E.right({ _tag: 'NoReply' }),
      E.right({ _tag: 'Version', version: '1.6.18' }),
    ])
    expect((await fake.connection(0)).received()).toBe('set a 0 0 1 noreply\r\nx\r\ndelete b noreply\r\nget a\r\nincr c 1 noreply\r\nversion\r\n')
  })

  it('destroys the connection when an error line cannot be told apart from a waiting reply', async () => {
    const unsolicited: Array<MemcacheError> = []
    const fake = await serve(answering((line) => (line.startsWith('set') ? 'SERVER_ERROR out of memory\r\n' : line === 'get a' ? 'END\r\n' : undefined)))
    const connection = await open({ server: fake.server, onUnsolicited: (error) => unsolicited.push(error) })
    const [stored, got] = await Promise.all([connection.send(Request.set('a', bytes('x'), { noreply: true }))(), connection.send(Request.get(['a']))()])
    expect(stored).toEqual(E.right({ _tag: 'NoReply' }))
    expect(got).toEqual(E.left(expect.objectContaining({ _tag: 'ProtocolError' })))
    expect(unsolicited).toEqual([])
    expect(connection.isOpen()).toBe(false)
  })

  it('reports ERROR Too many open connections and then the hang-up, without hanging', async () => {
    const unsolicited: Array<MemcacheError> = []
    let reported: () => void = () => undefined
    const reportedOnce = new Promise<void>((resolve) => (reported = resolve))
    const fake = await serve((connection) => connection.socket.end('ERROR Too many open connections\r\n'))
    const connection = await open({
      server: fake.server,
      onUnsolicited: (error) => {
        unsolicited.push(error)
        reported()
      },
    })
    await reportedOnce
    expect(unsolicited).toEqual([expect.objectContaining({ _tag: 'ServerError', reason: 'Too many open connections' })])
    const after = await connection.send(Request.version)()
    expect(after).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
  })

  it('resolves quit with NoReply and then reports the connection closed', async () => {
    const fake = await serve(answering((line, connection) => (line === 'quit' ? void connection.socket.end() : 'END\r\n')))
    const connection = await open({ server: fake.server })
    const [got, quitted] = await Promise.all([connection.send(Request.get(['a']))(), connection.send(Request.quit)()])
    expect(got).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect(quitted).toEqual(E.right({ _tag: 'NoReply' }))
    expect(connection.isOpen()).toBe(false)
    expect(await connection.send(Request.get(['a']))()).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed', message: expect.stringContaining('quit') })))
    await (await fake.connection(0)).closed
  })
})

describe('sending', () => {
  it('returns an encoding Left without writing a byte', async () => {
    const fake = await serve(answering(() => 'END\r\n'))
    const connection = await open({ server: fake.server })
    expect(leftTag(await connection.send(Request.get(['a b']))())).toBe('InvalidKey')
    expect(leftTag(await connection.send(Request.get(['x'.repeat(251)]))())).toBe('InvalidKey')
    expect(leftTag(await connection.send(Request.get(['clé']))())).toBe('InvalidKey')
    expect(await connection.send(Request.get(['ok']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect((await fake.connection(0)).received()).toBe('get ok\r\n')
    expect(connection.inFlight()).toBe(0)
  })

  it('passes allowUnicodeKeys and maxValueSize to the encoder', async () => {
    const fake = await serve(answering((line) => (line.startsWith('get') ? 'END\r\n' : undefined)))
    const connection = await open({ server: fake.server, allowUnicodeKeys: true, maxValueSize: 4 })
    expect(leftTag(await connection.send(Request.set('a', bytes('12345')))())).toBe('ValueTooLarge')
    expect(await connection.send(Request.get(['clé']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
    expect(Buffer.from((await fake.connection(0)).received(), 'latin1').toString('utf8')).toBe('get clé\r\n')
  })

  it('fails fast with Overloaded beyond maxPending, counting only what is in flight', async () => {
    const fake = await serve()
    const connection = await open({ server: fake.server, maxPending: 3, timeout: 0 })
    const waiting = [0, 1, 2].map(() => connection.send(Request.get(['a']))())
    expect(connection.inFlight()).toBe(3)
    expect(await connection.send(Request.get(['a']))()).toEqual(E.left(expect.objectContaining({ _tag: 'Overloaded', pending: 3 })))
    await connection.close()
    expect((await Promise.all(waiting)).map(leftTag)).toEqual(['ConnectionClosed', 'ConnectionClosed', 'ConnectionClosed'])
  })

  it('close fails what is in flight, ends the socket and refuses later sends', async () => {
    const fake = await serve()
    const connection = await open({ server: fake.server })
    const waiting = connection.send(Request.get(['a']))()
    await (await fake.connection(0)).waitFor('get a\r\n')
    await connection.close()
    expect(await waiting).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed', message: expect.stringContaining('closed by the client') })))
    expect(leftTag(await connection.send(Request.version)())).toBe('ConnectionClosed')
    await (await fake.connection(0)).closed
    await connection.close()
  })
})
