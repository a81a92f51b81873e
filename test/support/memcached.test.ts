import { afterAll, describe, expect, it } from 'vitest'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { startMemcached, type MemcachedServer } from './memcached.js'

/** One raw exchange, to check the harness itself without the library under test. */
const exchange = (socket: net.Socket, text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    let received = ''
    socket.once('error', reject)
    socket.on('data', (chunk) => {
      received += chunk.toString()
      if (received.endsWith('\r\n')) {
        socket.destroy()
        resolve(received)
      }
    })
    socket.write(text)
  })

describe('test harness: startMemcached', () => {
  const servers: Array<MemcachedServer> = []
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
  })

  it('starts plain, IPv6, unix and TLS servers that answer version', async () => {
    const [plain, ipv6, unix, secure] = await Promise.all([
      startMemcached(),
      startMemcached({ ipv6: true }),
      startMemcached({ unixSocket: true }),
      startMemcached({ tls: true }),
    ])
    servers.push(plain, ipv6, unix, secure)
    expect(plain.server).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(ipv6.server).toMatch(/^\[::1\]:\d+$/)
    expect(unix.server).toMatch(/^unix:\//)
    expect(await exchange(net.connect({ host: plain.host, port: plain.port }), 'version\r\n')).toMatch(/^VERSION /)
    expect(await exchange(net.connect({ host: ipv6.host, port: ipv6.port }), 'version\r\n')).toMatch(/^VERSION /)
    expect(await exchange(net.connect(unix.socketPath ?? ''), 'version\r\n')).toMatch(/^VERSION /)
    const ca = secure.tls?.ca ?? ''
    expect(await exchange(tls.connect({ host: secure.host, port: secure.port, ca, servername: 'localhost' }), 'version\r\n')).toMatch(/^VERSION /)
  })

  it('restarts a server on the same port', async () => {
    const server = await startMemcached()
    servers.push(server)
    const before = server.pid()
    await server.restart()
    expect(server.pid()).not.toBe(before)
    expect(await exchange(net.connect({ host: server.host, port: server.port }), 'version\r\n')).toMatch(/^VERSION /)
  })

  it('starts an ASCII-auth server that refuses commands before the handshake', async () => {
    const server = await startMemcached({ auth: { username: 'user', password: 'secret' } })
    servers.push(server)
    expect(await exchange(net.connect({ host: server.host, port: server.port }), 'version\r\n')).toMatch(/^CLIENT_ERROR unauthenticated/)
    expect(await exchange(net.connect({ host: server.host, port: server.port }), 'set a 0 0 11\r\nuser secret\r\n')).toBe('STORED\r\n')
  })
})
