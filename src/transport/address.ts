/**
 * Where a memcached server listens, parsed from the server strings people already write.
 *
 * Accepted forms (as pymemcache's `normalize_server_spec`, plus bare IPv6 literals):
 *
 * | string                 | address                                  |
 * | ---------------------- | ---------------------------------------- |
 * | `cache1`               | TCP `cache1` port 11211                  |
 * | `cache1:11311`         | TCP `cache1` port 11311                  |
 * | `10.0.0.5:11211`       | TCP `10.0.0.5` port 11211                |
 * | `[::1]:11211`          | TCP `::1` port 11211                     |
 * | `[::1]` or `::1`       | TCP `::1` port 11211                     |
 * | `unix:/run/mc.sock`    | unix socket `/run/mc.sock`               |
 * | `/run/mc.sock`         | unix socket `/run/mc.sock`               |
 *
 * An IPv6 address with a port must be bracketed: `fe80::1:11211` is refused rather than guessed.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { isIP, isIPv6 } from 'node:net'
import { invalidArgument, type InvalidArgument } from '../protocol/error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A TCP host and port, or the path of a unix socket. @category model */
export type Address = Tcp | Unix

/** @category model */
export interface Tcp {
  readonly _tag: 'Tcp'
  /** A host name or an IP literal, IPv6 without brackets. */
  readonly host: string
  readonly port: number
}

/** @category model */
export interface Unix {
  readonly _tag: 'Unix'
  readonly path: string
}

/** memcached's default port. @category model */
export const DEFAULT_PORT = 11211

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * tcp('127.0.0.1', 11211)
 * @category constructors
 */
export const tcp = (host: string, port: number): Tcp => ({ _tag: 'Tcp', host, port })

/**
 * @example
 * unix('/run/memcached/memcached.sock')
 * @category constructors
 */
export const unix = (path: string): Unix => ({ _tag: 'Unix', path })

const refuse = (server: string, reason: string): E.Either<InvalidArgument, Address> =>
  E.left(invalidArgument('server', `${JSON.stringify(server)}: ${reason}`))

const portOf = (server: string, text: string): E.Either<InvalidArgument, number> => {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  return port >= 1 && port <= 65535 ? E.right(port) : E.left(invalidArgument('server', `${JSON.stringify(server)}: port must be 1..65535, got ${JSON.stringify(text)}`))
}

const hostProblem = (host: string): string | undefined =>
  host.length === 0 ? 'empty host' : /[\s/[\]]/.test(host) ? `host ${JSON.stringify(host)} holds a space, a slash or a bracket` : undefined

const tcpOf = (server: string, host: string, portText: string | undefined): E.Either<InvalidArgument, Address> => {
  const problem = hostProblem(host)
  if (problem !== undefined) return refuse(server, problem)
  if (portText === undefined) return E.right(tcp(host, DEFAULT_PORT))
  const port = portOf(server, portText)
  return E.isLeft(port) ? port : E.right(tcp(host, port.right))
}

/**
 * Parses a server string; see the module documentation for the forms.
 *
 * @example
 * parseAddress('[::1]:11311') // right({ _tag: 'Tcp', host: '::1', port: 11311 })
 * parseAddress('cache1') // right({ _tag: 'Tcp', host: 'cache1', port: 11211 })
 * parseAddress('unix:/tmp/mc.sock') // right({ _tag: 'Unix', path: '/tmp/mc.sock' })
 * parseAddress('cache1:http') // left(InvalidArgument)
 * @category constructors
 */
export const parseAddress = (server: string): E.Either<InvalidArgument, Address> => {
  if (server.startsWith('unix:')) {
    const path = server.slice('unix:'.length)
    return path.length === 0 ? refuse(server, 'empty unix socket path') : E.right(unix(path))
  }
  if (server.startsWith('/')) return E.right(unix(server))
  if (server.startsWith('[')) {
    const close = server.indexOf(']')
    if (close < 0) return refuse(server, 'missing "]" after an IPv6 address')
    const host = server.slice(1, close)
    if (!isIPv6(host)) return refuse(server, `${JSON.stringify(host)} is not an IPv6 address`)
    const rest = server.slice(close + 1)
    if (rest === '') return E.right(tcp(host, DEFAULT_PORT))
    return rest.startsWith(':') ? tcpOf(server, host, rest.slice(1)) : refuse(server, 'expected ":port" after "]"')
  }
  const colon = server.indexOf(':')
  if (colon < 0) return tcpOf(server, server, undefined)
  if (server.indexOf(':', colon + 1) >= 0) {
    return isIPv6(server) ? E.right(tcp(server, DEFAULT_PORT)) : refuse(server, 'an IPv6 address with a port is written [address]:port')
  }
  return tcpOf(server, server.slice(0, colon), server.slice(colon + 1))
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The node name used in errors and logs: `host:port`, `[v6]:port`, or `unix:/path`.
 *
 * @example
 * addressName(tcp('::1', 11211)) // '[::1]:11211'
 * addressName(unix('/tmp/mc.sock')) // 'unix:/tmp/mc.sock'
 * @category utils
 */
export const addressName = (address: Address): string => {
  if (address._tag === 'Unix') return `unix:${address.path}`
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}
