/**
 * Server strings: the forms pymemcache accepts, bare IPv6 literals, and what is refused.
 */
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addressName, parseAddress, tcp, unix, type Address } from '../../src/transport/address.js'

const accepted: ReadonlyArray<readonly [string, Address, string]> = [
  ['cache1', tcp('cache1', 11211), 'cache1:11211'],
  ['cache1:11311', tcp('cache1', 11311), 'cache1:11311'],
  ['127.0.0.1:1', tcp('127.0.0.1', 1), '127.0.0.1:1'],
  ['10.0.0.5:65535', tcp('10.0.0.5', 65535), '10.0.0.5:65535'],
  ['[::1]:11211', tcp('::1', 11211), '[::1]:11211'],
  ['[fe80::1:2]:99', tcp('fe80::1:2', 99), '[fe80::1:2]:99'],
  ['[::1]', tcp('::1', 11211), '[::1]:11211'],
  ['::1', tcp('::1', 11211), '[::1]:11211'],
  ['2001:db8::7', tcp('2001:db8::7', 11211), '[2001:db8::7]:11211'],
  ['unix:/run/memcached.sock', unix('/run/memcached.sock'), 'unix:/run/memcached.sock'],
  ['unix:relative.sock', unix('relative.sock'), 'unix:relative.sock'],
  ['/tmp/mc.sock', unix('/tmp/mc.sock'), 'unix:/tmp/mc.sock'],
]

const refused: ReadonlyArray<string> = [
  '',
  ':11211',
  'cache1:',
  'cache1:0',
  'cache1:65536',
  'cache1:http',
  'cache1:-1',
  'cache1:11211 ',
  'cache 1:11211',
  'fe80::1:11211:x',
  '[::1',
  '[::1]11211',
  '[cache1]:11211',
  'unix:',
  'http://cache1:11211',
  'memcached://cache1',
  'a:1,b:2',
  ' cache1',
]

describe('parseAddress', () => {
  it.each(accepted)('reads %j', (server, address, name) => {
    expect(parseAddress(server)).toEqual(E.right(address))
    expect(addressName(address)).toBe(name)
  })

  it.each(refused)('refuses %j with InvalidArgument', (server) => {
    expect(parseAddress(server)).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument: 'server' })))
  })

  it('reads back every node name it makes', () => {
    const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain())
    const address = fc.oneof(
      fc.record({ _tag: fc.constant('Tcp' as const), host, port: fc.integer({ min: 1, max: 65535 }) }),
      // Left out: spaces around a server are refused on purpose, and `unix://…` reads as a URL (a
      // path starting with `//` names the same file as with one `/`).
      fc.record({
        _tag: fc.constant('Unix' as const),
        path: fc
          .string({ minLength: 1 })
          .map((path) => `/${path}`)
          .filter((path) => path.trim() === path && !path.startsWith('//')),
      }),
    )
    fc.assert(
      fc.property(address, (original) => {
        expect(parseAddress(addressName(original))).toEqual(E.right(original))
      }),
    )
  })
})

describe('parseAddress refusals say what is wrong and show a valid form', () => {
  const messages: ReadonlyArray<readonly [string, string]> = [
    ['', '"": empty; a server is host:port, [v6]:port or unix:/path (e.g. "127.0.0.1:11211")'],
    ['http://x', '"http://x": a server is host:port, [v6]:port or unix:/path, not a URL — write "x"'],
    ['https://user:pw@cache1:11311/path?q=1', 'a server is host:port, [v6]:port or unix:/path, not a URL — write "cache1:11311"'],
    ['tcp://', 'not a URL (e.g. "127.0.0.1:11211")'],
    ['memcached://cache1:11211', '"memcached://cache1:11211": memcached has no URL scheme here: a server is host:port, [v6]:port or unix:/path — write "cache1:11211"'],
    ['unix:///run/mc.sock', 'memcached has no URL scheme here: a server is host:port, [v6]:port or unix:/path — write "unix:/run/mc.sock"'],
    ['127.0.0.1:11211,127.0.0.1:11212', 'one server per string (e.g. "127.0.0.1:11211"): several are an array of strings, or createClient\'s `servers` written "a:11211,b:11211"'],
    [' cache1:11211', 'spaces around the server: write "cache1:11211"'],
    ['cache1:11211 ', 'spaces around the server: write "cache1:11211"'],
    ['cache 1:11211', '"cache 1:11211": holds a space; a server is host:port, [v6]:port or unix:/path (e.g. "127.0.0.1:11211")'],
    ['cache1:http', '"cache1:http": the port must be a number in 1..65535, got "http" (e.g. "cache1:11211")'],
    ['cache1:0', 'the port must be a number in 1..65535, got "0" (e.g. "cache1:11211")'],
    ['cache1:', 'the port must be a number in 1..65535, got nothing after ":" (e.g. "cache1:11211")'],
    ['[::1]:99999', 'got "99999" (e.g. "[::1]:11211")'],
    [':11211', 'the host is missing before ":"; a server is host:port'],
    ['fe80::1:11211:x', 'more than one ":": an IPv6 address with a port is written [address]:port (e.g. "[::1]:11211")'],
    ['::1:11211x', 'more than one ":": an IPv6 address with a port is written [address]:port'],
    ['[::1', 'missing "]" after the IPv6 address (e.g. "[::1]:11211")'],
    ['[::1]11211', 'expected ":port" after "]", got "11211" (e.g. "[::1]:11211")'],
    ['[cache1]:11211', '"cache1" is not an IPv6 address: brackets are only for IPv6 (e.g. "[::1]:11211"); a name or IPv4 address is written host:port'],
    ['unix:', 'the unix socket path is missing (e.g. "unix:/run/memcached/memcached.sock")'],
    ['cache1/x:11211', 'a slash in the host; a unix socket is written "unix:/path"'],
  ]

  it.each(messages)('%j', (server, message) => {
    const parsed = parseAddress(server)
    expect(parsed).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument: 'server' })))
    expect(E.isLeft(parsed) && parsed.left.message).toContain(message)
  })

  it('every refusal names the string and shows a form', () => {
    for (const [server] of messages) {
      const parsed = parseAddress(server)
      const message = E.isLeft(parsed) ? parsed.left.message : ''
      expect(message.startsWith(`invalid server: ${JSON.stringify(server)}: `)).toBe(true)
      expect(message).toMatch(/e\.g\.|write "/)
    }
  })
})
