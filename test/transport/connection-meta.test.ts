/**
 * Meta requests on a connection: mixed with text requests in one FIFO, a batch desync failing the
 * connection, and the server's version asked once before the first meta request.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import * as M from '../../src/protocol/meta.js'
import * as R from '../../src/protocol/request.js'
import { answering, closedAfterEachTest } from './fakes.js'

const { serve, open } = closedAfterEachTest()

/** A server of `version` that answers what this test sends, line by line. */
const metaServer = (version: string, extra: (line: string) => string | undefined = () => undefined) =>
  answering((line) => {
    if (line === 'version') return `VERSION ${version}\r\n`
    const answer = extra(line)
    if (answer !== undefined) return answer
    if (line === 'get a') return 'VALUE a 0 1\r\nA\r\nEND\r\n'
    if (line.startsWith('mg a')) return 'VA 1\r\nM\r\n'
    if (line === 'mn') return 'MN\r\n'
    if (line.startsWith('mg b')) return ''
    return undefined
  })

describe('connection: meta requests', () => {
  it('asks the version once, then meta and text requests share the FIFO in call order', async () => {
    const server = await serve(metaServer('1.6.18'))
    const connection = await open({ server: server.server })
    const sent = [
      connection.send(M.metaGet('a', { returnValue: true }))(),
      connection.send(R.get(['a']))(),
      connection.send(M.metaGet('a', { returnValue: true }))(),
      connection.send(M.metaNoop)(),
    ]
    const [first, text, second, noop] = await Promise.all(sent)
    expect(first).toEqual(E.right(M.metaReply('VA', {}, new TextEncoder().encode('M'))))
    expect(text).toEqual(E.right({ _tag: 'Values', items: [{ key: 'a', flags: 0, value: new TextEncoder().encode('A') }] }))
    expect(second).toEqual(first)
    expect(noop).toEqual(E.right(M.metaNoopReply))
    const received = (await server.connection(0)).received()
    expect(received).toBe('version\r\nmg a v\r\nget a\r\nmg a v\r\nmn\r\n')
    // Later meta requests do not ask again.
    await connection.send(M.metaNoop)()
    expect((await server.connection(0)).received().match(/version/g)?.length).toBe(1)
  })

  it('a text request sent before any meta request asks nothing', async () => {
    const server = await serve(metaServer('1.6.18'))
    const connection = await open({ server: server.server })
    await connection.send(R.get(['a']))()
    expect((await server.connection(0)).received()).toBe('get a\r\n')
  })

  it('an old server (1.5.22): meta requests are refused before writing, naming the versions', async () => {
    const server = await serve(metaServer('1.5.22'))
    const connection = await open({ server: server.server })
    const result = await connection.send(M.metaGet('a', { returnValue: true }))()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
    expect(E.isLeft(result) ? result.left.message : '').toMatch(/mg.*1\.6\.10.*1\.5\.22/)
    // The connection goes on with text requests; nothing meta was written.
    expect(E.isRight(await connection.send(R.get(['a']))())).toBe(true)
    expect((await server.connection(0)).received()).toBe('version\r\nget a\r\n')
  })

  it('a 1.6.10 server: mg goes, ms with return cas (1.6.13) is refused by its flag', async () => {
    const server = await serve(metaServer('1.6.10'))
    const connection = await open({ server: server.server })
    expect(E.isRight(await connection.send(M.metaGet('a', { returnValue: true }))())).toBe(true)
    const refused = await connection.send(M.metaSet('k', new Uint8Array(1), { returnCas: true }))()
    expect(E.isLeft(refused) ? refused.left.message : '').toMatch(/ms flag c.*1\.6\.13.*1\.6\.10/)
    expect((await server.connection(0)).received()).toBe('version\r\nmg a v\r\n')
  })

  it('a batch reply whose opaque matches no member fails the connection and is never delivered', async () => {
    const server = await serve(
      answering((line) => {
        if (line === 'version') return 'VERSION 1.6.18\r\n'
        if (line === 'mn') return 'VA 1 O9\r\nX\r\nMN\r\n'
        return undefined
      }),
    )
    const connection = await open({ server: server.server })
    const result = await connection.send(M.metaBatch([M.metaGet('a', { returnValue: true }), M.metaGet('b', { returnValue: true })]))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
    expect(connection.isOpen()).toBe(false)
  })

  it('a batch error line keeps the stream in step: the connection goes on', async () => {
    const server = await serve(
      answering((line) => {
        if (line === 'version') return 'VERSION 1.6.18\r\n'
        if (line.startsWith('ms')) return undefined
        if (line === 'x') return 'SERVER_ERROR out of memory storing object\r\n'
        if (line === 'mn') return 'MN\r\n'
        if (line === 'get a') return 'END\r\n'
        return undefined
      }),
    )
    const connection = await open({ server: server.server })
    const result = await connection.send(M.metaBatch([M.metaSet('k', new TextEncoder().encode('x'))]))()
    expect(E.isRight(result) && result.right._tag === 'MetaBatchReply' && result.right.replies[0]?._tag).toBe('Failure')
    expect(await connection.send(R.get(['a']))()).toEqual(E.right({ _tag: 'Values', items: [] }))
  })
})
