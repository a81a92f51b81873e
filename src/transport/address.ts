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
 * Every refusal names the string, says what is wrong and shows a valid form: a URL (`http://x`,
 * `memcached://x` — memcached has no URL scheme here), a list (`a:11211,b:11211` is one server per
 * string; `createClient`'s `servers` takes that form), spaces, a missing host, a bad port.
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

/**
 * A TCP address: a host and a port.
 * @category model
 */
export interface Tcp {
  readonly _tag: 'Tcp'
  /** A host name or an IP literal, IPv6 without brackets. */
  readonly host: string
  readonly port: number
}

/**
 * A unix socket address: a file path.
 * @category model
 */
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

/** What a refusal tells about the forms a server string may take. */
const FORMS = 'a server is host:port, [v6]:port or unix:/path'
const EXAMPLE = '"127.0.0.1:11211"'

const refuse = (server: string, reason: string): E.Either<InvalidArgument, Address> =>
  E.left(invalidArgument('server', `${JSON.stringify(server)}: ${reason}`))

/** What to write instead of a URL: its host and port, or the path of a `unix://` URL. */
const insteadOfUrl = (scheme: string, afterScheme: string): string | undefined => {
  if (scheme === 'unix') return afterScheme.startsWith('/') ? `unix:${afterScheme}` : undefined
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? ''
  const host = authority.slice(authority.lastIndexOf('@') + 1)
  return host === '' ? undefined : host
}

/**
 * Why `server` is not a server string, for the mistakes people make before any parsing: a URL,
 * a list, spaces. `undefined` when none of these applies.
 */
const shapeProblem = (server: string): string | undefined => {
  if (server.trim() === '') return `empty; ${FORMS} (e.g. ${EXAMPLE})`
  const url = /^([a-z][a-z0-9+.-]*):\/\//i.exec(server)
  if (url !== null) {
    const scheme = (url[1] ?? '').toLowerCase()
    const instead = insteadOfUrl(scheme, server.slice(url[0].length))
    const write = instead === undefined ? `(e.g. ${EXAMPLE})` : `— write ${JSON.stringify(instead)}`
    return scheme === 'memcached' || scheme === 'unix'
      ? `memcached has no URL scheme here: ${FORMS} ${write}`
      : `${FORMS}, not a URL ${write}`
  }
  // A socket path may hold anything a file name may: commas and spaces included.
  if (server.startsWith('unix:') || server.startsWith('/')) return undefined
  if (server.includes(',')) {
    return `one server per string (e.g. ${EXAMPLE}): several are an array of strings, or createClient's \`servers\` written "a:11211,b:11211"`
  }
  if (server.trim() !== server) return `spaces around the server: write ${JSON.stringify(server.trim())}`
  if (/\s/.test(server)) return `holds a space; ${FORMS} (e.g. ${EXAMPLE})`
  return undefined
}

const portOf = (server: string, host: string, text: string): E.Either<InvalidArgument, number> => {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  if (port >= 1 && port <= 65535) return E.right(port)
  const shown = isIPv6(host) ? `[${host}]` : host
  const got = text === '' ? 'nothing after ":"' : JSON.stringify(text)
  return E.left(invalidArgument('server', `${JSON.stringify(server)}: the port must be a number in 1..65535, got ${got} (e.g. "${shown}:${DEFAULT_PORT}")`))
}

const hostProblem = (host: string): string | undefined => {
  if (host.length === 0) return `the host is missing before ":"; ${FORMS} (e.g. ${EXAMPLE})`
  if (/[[\]]/.test(host)) return `a bracket outside "[v6]:port"; ${FORMS} (e.g. "[::1]:11211")`
  if (host.includes('/')) return `a slash in the host; a unix socket is written "unix:/path" (e.g. "unix:/run/memcached/memcached.sock")`
  return undefined
}

const tcpOf = (server: string, host: string, portText: string | undefined): E.Either<InvalidArgument, Address> => {
  const problem = hostProblem(host)
  if (problem !== undefined) return refuse(server, problem)
  if (portText === undefined) return E.right(tcp(host, DEFAULT_PORT))
  const port = portOf(server, host, portText)
  return E.isLeft(port) ? port : E.right(tcp(host, port.right))
}

const bracketedOf = (server: string): E.Either<InvalidArgument, Address> => {
  const close = server.indexOf(']')
  if (close < 0) return refuse(server, 'missing "]" after the IPv6 address (e.g. "[::1]:11211")')
  const host = server.slice(1, close)
  if (!isIPv6(host)) {
    return refuse(server, `${JSON.stringify(host)} is not an IPv6 address: brackets are only for IPv6 (e.g. "[::1]:11211"); a name or IPv4 address is written host:port`)
  }
  const rest = server.slice(close + 1)
  if (rest === '') return E.right(tcp(host, DEFAULT_PORT))
  return rest.startsWith(':') ? tcpOf(server, host, rest.slice(1)) : refuse(server, `expected ":port" after "]", got ${JSON.stringify(rest)} (e.g. "[${host}]:${DEFAULT_PORT}")`)
}

/**
 * Parses a server string; see the module documentation for the forms. A refusal says what is
 * wrong and shows a valid form: a URL (`"http://x": a server is host:port, [v6]:port or
 * unix:/path, not a URL — write "x"`), a comma-separated list (one server per string), spaces,
 * a bad port, an IPv6 address with a port but no brackets.
 *
 * @example
 * parseAddress('[::1]:11311') // right({ _tag: 'Tcp', host: '::1', port: 11311 })
 * parseAddress('cache1') // right({ _tag: 'Tcp', host: 'cache1', port: 11211 })
 * parseAddress('unix:/tmp/mc.sock') // right({ _tag: 'Unix', path: '/tmp/mc.sock' })
 * parseAddress('cache1:http') // left(InvalidArgument): the port must be a number in 1..65535, got "http" (e.g. "cache1:11211")
 * @category constructors
 */
export const parseAddress = (server: string): E.Either<InvalidArgument, Address> => {
  const problem = shapeProblem(server)
  if (problem !== undefined) return refuse(server, problem)
  if (server.startsWith('unix:')) {
    const path = server.slice('unix:'.length)
    return path.length === 0 ? refuse(server, 'the unix socket path is missing (e.g. "unix:/run/memcached/memcached.sock")') : E.right(unix(path))
  }
  if (server.startsWith('/')) return E.right(unix(server))
  if (server.startsWith('[')) return bracketedOf(server)
  const colon = server.indexOf(':')
  if (colon < 0) return tcpOf(server, server, undefined)
  if (server.indexOf(':', colon + 1) >= 0) {
    if (isIPv6(server)) return E.right(tcp(server, DEFAULT_PORT))
    const last = server.lastIndexOf(':')
    const host = server.slice(0, last)
    const example = isIPv6(host) ? `"[${host}]${server.slice(last)}"` : '"[::1]:11211"'
    return refuse(server, `more than one ":": an IPv6 address with a port is written [address]:port (e.g. ${example})`)
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
