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
      fc.record({ _tag: fc.constant('Unix' as const), path: fc.string({ minLength: 1 }).map((path) => `/${path}`) }),
    )
    fc.assert(
      fc.property(address, (original) => {
        expect(parseAddress(addressName(original))).toEqual(E.right(original))
      }),
    )
  })
})
