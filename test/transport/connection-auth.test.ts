/**
 * memcached's ASCII authentication (`memcached -Y authfile`): the handshake runs inside `connect`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Request from '../../src/protocol/request.js'
import { connect, type Connection } from '../../src/transport/connection.js'
import { reconnecting } from '../../src/transport/reconnecting.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

const credentials = { username: 'app', password: 's3cret-pass' }
let server: MemcachedServer
const connections: Array<Connection> = []

beforeAll(async () => {
  server = await startMemcached({ auth: credentials })
})
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()))
  await server.stop()
})

const keep = (result: E.Either<unknown, Connection>): E.Either<unknown, Connection> => {
  if (E.isRight(result)) connections.push(result.right)
  return result
}

describe('ASCII auth', () => {
  it('returns the connection once the server accepted the credentials', async () => {
    const opened = keep(await connect({ server: server.server, credentials })())
    if (E.isLeft(opened)) throw new Error('connect failed')
    const connection = opened.right
    expect(connection.isOpen()).toBe(true)
    expect(await connection.send(Request.set('authed', new Uint8Array([1, 2])))()).toEqual(E.right({ _tag: 'Stored' }))
    expect(await connection.send(Request.get(['authed']))()).toEqual(
      E.right({ _tag: 'Values', items: [{ key: 'authed', flags: 0, value: new Uint8Array([1, 2]) }] }),
    )
  })

  it('fails with AuthError on a wrong password', async () => {
    const result = keep(await connect({ server: server.server, credentials: { username: 'app', password: 'wrong' } })())
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'AuthError', node: server.server, message: expect.stringContaining('authentication failure') })))
  })

  it('fails with AuthError on an unknown user', async () => {
    const result = keep(await connect({ server: server.server, credentials: { username: 'nobody', password: 's3cret-pass' } })())
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'AuthError' })))
  })

  it('without credentials, a read gets the server’s refusal as a Failure; what was pipelined behind it fails fast', async () => {
    const opened = keep(await connect({ server: server.server, timeout: 60_000 })())
    if (E.isLeft(opened)) throw new Error('connect failed')
    const connection = opened.right
    const results = await Promise.all([connection.send(Request.get(['authed']))(), connection.send(Request.version)(), connection.send(Request.stats())()])
    expect(results).toEqual([
      E.right({ _tag: 'Failure', error: expect.objectContaining({ _tag: 'ClientError', reason: 'unauthenticated' }) }),
      E.left(expect.objectContaining({ _tag: 'ConnectionClosed', message: expect.stringContaining('requires authentication') })),
      E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })),
    ])
    expect(connection.isOpen()).toBe(false)
  })

  it('without credentials, a write (read by memcached as a login) fails with ClientError and destroys', async () => {
    const opened = keep(await connect({ server: server.server })())
    if (E.isLeft(opened)) throw new Error('connect failed')
    const result = await opened.right.send(Request.set('nope', new Uint8Array([1])))()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ClientError' })))
    expect(opened.right.isOpen()).toBe(false)
  })

  it('authenticates every connection a reconnecting transport opens', async () => {
    const transport = reconnecting({ server: server.server, credentials })
    try {
      expect(await transport.send(Request.version)()).toEqual(E.right(expect.objectContaining({ _tag: 'Version' })))
      expect(await transport.send(Request.quit)()).toEqual(E.right({ _tag: 'NoReply' }))
      expect(await transport.send(Request.version)()).toEqual(E.right(expect.objectContaining({ _tag: 'Version' })))
    } finally {
      await transport.close()
    }
  })
})
