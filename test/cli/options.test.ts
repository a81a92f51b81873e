import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SERVERS, defaultServers, EXIT, exitCodeOf, toSettings, type GlobalFlags } from '../../src/cli/options.js'
import { invalidArgument, invalidKey, serverError } from '../../src/protocol/error.js'
import { aborted, connectError, timeout } from '../../src/transport/error.js'

const flags = (more: Partial<GlobalFlags> = {}): GlobalFlags => ({ servers: '127.0.0.1:11211', hashing: 'rendezvous', json: false, ...more })
const files: Readonly<Record<string, string>> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' }
const readFile = (path: string): E.Either<string, Uint8Array> => {
  const text = files[path]
  return text === undefined ? E.left(`ENOENT: no such file or directory, open '${path}'`) : E.right(Buffer.from(text))
}

describe('defaultServers', () => {
  it('is MEMCACHED_SERVERS when set and not blank, else 127.0.0.1:11211', () => {
    expect(defaultServers({ MEMCACHED_SERVERS: ' 10.0.0.1:11211,10.0.0.2:11211 ' })).toBe('10.0.0.1:11211,10.0.0.2:11211')
    expect(defaultServers({ MEMCACHED_SERVERS: '  ' })).toBe(DEFAULT_SERVERS)
    expect(defaultServers({})).toBe('127.0.0.1:11211')
  })
})

describe('toSettings', () => {
  it('names servers as the router does, and gives the timeout to commands and connects', () => {
    expect(toSettings(flags({ servers: ' 127.0.0.1:1, [::1]:2 ,unix:/tmp/m.sock', hashing: 'ketama', timeout: 250 }), readFile)).toEqual(
      E.right({ servers: ['127.0.0.1:1', '[::1]:2', 'unix:/tmp/m.sock'], hashing: 'ketama', client: { timeout: 250, connectTimeout: 250 } }),
    )
  })

  it('refuses a server list that createClient would refuse, naming the flag', () => {
    const settings = toSettings(flags({ servers: '127.0.0.1:1,,127.0.0.1:2' }), readFile)
    expect(E.isLeft(settings) && settings.left).toMatch(/^--servers: .*entry 2/)
    expect(E.isLeft(toSettings(flags({ servers: '' }), readFile))).toBe(true)
    expect(E.isLeft(toSettings(flags({ servers: 'host:notaport' }), readFile))).toBe(true)
  })

  it('--tls alone is tls: true', () => {
    expect(toSettings(flags({ tls: true }), readFile)).toEqual(E.right({ servers: ['127.0.0.1:11211'], hashing: 'rendezvous', client: { tls: true } }))
    expect(toSettings(flags({ tls: false }), readFile)).toEqual(E.right({ servers: ['127.0.0.1:11211'], hashing: 'rendezvous', client: {} }))
  })

  it('reads the --tls-* files, and any --tls-* option implies TLS', () => {
    const settings = toSettings(flags({ tlsCa: '/ca.pem', tlsCert: '/cert.pem', tlsKey: '/key.pem', tlsServername: 'cache.local', tlsInsecure: true }), readFile)
    expect(settings).toEqual(
      E.right({
        servers: ['127.0.0.1:11211'],
        hashing: 'rendezvous',
        client: { tls: { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), servername: 'cache.local', rejectUnauthorized: false } },
      }),
    )
    expect(toSettings(flags({ tlsInsecure: true }), readFile)).toEqual(
      E.right({ servers: ['127.0.0.1:11211'], hashing: 'rendezvous', client: { tls: { rejectUnauthorized: false } } }),
    )
  })

  it('refuses a TLS file that cannot be read, naming the flag and the file', () => {
    expect(toSettings(flags({ tlsCa: '/missing.pem' }), readFile)).toEqual(E.left("--tls-ca /missing.pem: ENOENT: no such file or directory, open '/missing.pem'"))
  })
})

describe('exitCodeOf', () => {
  it('what the user typed is a usage error (2), an interrupt 130, the rest a failure (3)', () => {
    expect(exitCodeOf(invalidKey('a b', 'whitespace at byte 1'))).toBe(EXIT.usage)
    expect(exitCodeOf(invalidArgument('delta', 'negative'))).toBe(EXIT.usage)
    expect(exitCodeOf(aborted('get', 'interrupted'))).toBe(EXIT.interrupted)
    expect(exitCodeOf(connectError('127.0.0.1:1', 'ECONNREFUSED', 'refused'))).toBe(EXIT.failure)
    expect(exitCodeOf(timeout(100, 'get', '127.0.0.1:1'))).toBe(EXIT.failure)
    expect(exitCodeOf(serverError('out of memory'))).toBe(EXIT.failure)
  })
})
