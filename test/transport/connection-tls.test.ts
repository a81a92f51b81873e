/**
 * The connection over TLS against memcached started with `-Z` and the harness's throwaway CA.
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import * as Request from '../../src/protocol/request.js'
import { connect, type Connection, type ConnectOptions } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { fakeServer, type FakeServer } from './fakes.js'

let server: MemcachedServer
let ca: string
const connections: Array<Connection> = []
const fakes: Array<FakeServer> = []

beforeAll(async () => {
  server = await startMemcached({ tls: true })
  ca = server.tls?.ca ?? ''
})
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()))
  await Promise.all(fakes.map((fake) => fake.close()))
  await server.stop()
})

const open = async (options: ConnectOptions): Promise<Connection> => {
  const opened = await connect(options)()
  if (E.isLeft(opened)) throw new Error(`connect failed: ${opened.left.message}`)
  connections.push(opened.right)
  return opened.right
}

const connectError = (result: E.Either<MemcacheError, Connection>): string => {
  if (E.isRight(result)) {
    connections.push(result.right)
    return 'connected'
  }
  return result.left._tag
}

describe('TLS', () => {
  it('talks to memcached over TLS, verifying the certificate against the CA (IP address)', async () => {
    const connection = await open({ server: server.server, tls: { ca } })
    expect(await connection.send(Request.set('tls', new Uint8Array([0, 13, 10, 255])))()).toEqual(E.right({ _tag: 'Stored' }))
    expect(await connection.send(Request.get(['tls']))()).toEqual(
      E.right({ _tag: 'Values', items: [{ key: 'tls', flags: 0, value: new Uint8Array([0, 13, 10, 255]) }] }),
    )
  })

  it('verifies a host name through the default servername', async () => {
    const connection = await open({ server: `localhost:${server.port}`, tls: { ca } })
    expect(await connection.send(Request.version)()).toEqual(E.right(expect.objectContaining({ _tag: 'Version' })))
  })

  it('pipelines large and many requests through TLS records', async () => {
    const connection = await open({ server: server.server, tls: { ca }, timeout: 10_000 })
    const large = Uint8Array.from({ length: 512 * 1024 }, (_, i) => (i * 7) % 256)
    expect(await connection.send(Request.set('large', large))()).toEqual(E.right({ _tag: 'Stored' }))
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? connection.send(Request.get(['large']))() : connection.send(Request.get([`none:${i}`]))())),
    )
    results.forEach((result, i) => {
      if (i % 100 === 0) {
        const value = E.isRight(result) && result.right._tag === 'Values' ? result.right.items[0]?.value : undefined
        expect(value !== undefined && Buffer.compare(value, large) === 0).toBe(true)
      } else expect(result).toEqual(E.right({ _tag: 'Values', items: [] }))
    })
  })

  it('refuses a server whose certificate is not signed by a trusted CA', async () => {
    const result = await connect({ server: server.server, tls: true })()
    expect(connectError(result)).toBe('ConnectError')
    expect(result).toEqual(E.left(expect.objectContaining({ node: server.server, code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) })))
  })

  it('refuses a certificate that does not name the server', async () => {
    const result = await connect({ server: server.server, tls: { ca, servername: 'cache.example.com' } })()
    expect(connectError(result)).toBe('ConnectError')
    expect(result).toEqual(E.left(expect.objectContaining({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })))
  })

  it('skips verification only when asked to', async () => {
    const connection = await open({ server: server.server, tls: { rejectUnauthorized: false } })
    expect(await connection.send(Request.version)()).toEqual(E.right(expect.objectContaining({ _tag: 'Version' })))
  })

  it('gives up with ConnectError when the TLS handshake never completes', async () => {
    const silent = await fakeServer()
    fakes.push(silent)
    const result = await connect({ server: silent.server, tls: { ca }, connectTimeout: 100 })()
    expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectError', code: 'ETIMEDOUT', node: silent.server })))
    await (await silent.connection(0)).closed
  })

  it('fails as ConnectError when the server speaks plain text to a TLS client', async () => {
    const plain = await startMemcached()
    try {
      const result = await connect({ server: plain.server, tls: { ca }, connectTimeout: 2000 })()
      expect(connectError(result)).toBe('ConnectError')
    } finally {
      await plain.stop()
    }
  })
})
