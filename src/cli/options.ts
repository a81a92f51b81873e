/**
 * The command line's global options turned into `createClient` options, and its exit codes.
 *
 * Everything a flag names is checked here, before any client is made: a bad server list, a
 * timeout that is no number, a TLS file that cannot be read are usage errors (exit 2), named in
 * one line.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as tls from 'node:tls'
import { parseServers, type HashingName, type ServerOptions } from '../client-options.js'
import type { MemcacheError } from '../error.js'
import { addressName } from '../transport/address.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The global options as commander gives them (`--tls-ca` is `tlsCa`).
 *
 * @example
 * const flags: GlobalFlags = { servers: '127.0.0.1:11211', hashing: 'rendezvous', json: false }
 * @category model
 */
export interface GlobalFlags {
  readonly servers: string
  readonly hashing: HashingName
  readonly json: boolean
  readonly timeout?: number
  readonly tls?: boolean
  readonly tlsCa?: string
  readonly tlsCert?: string
  readonly tlsKey?: string
  readonly tlsServername?: string
  readonly tlsInsecure?: boolean
}

/**
 * What the commands run with: the server names (`host:port`, as the router names its nodes) and
 * the options every client is made with, `servers` aside.
 *
 * @example
 * const settings: Settings = { servers: ['127.0.0.1:11211'], hashing: 'rendezvous', client: { timeout: 500 } }
 * @category model
 */
export interface Settings {
  readonly servers: ReadonlyArray<string>
  readonly hashing: HashingName
  readonly client: Omit<ServerOptions<Uint8Array>, 'servers' | 'serde' | 'hashing'>
}

/**
 * The exit codes: 0 success, 1 a miss (not found, not stored), 2 a usage error, 3 a connection
 * failure or any other failure a server or the connection reported; 130 interrupted (Ctrl-C)
 * before the command finished.
 *
 * @example
 * EXIT.miss // 1
 * @category model
 */
export const EXIT = { ok: 0, miss: 1, usage: 2, failure: 3, interrupted: 130 } as const

/** @category model */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** Where `MEMCACHED_SERVERS` and `--servers` are both absent. */
export const DEFAULT_SERVERS = '127.0.0.1:11211'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The exit code for a failure: what the user typed (a bad key, a bad argument) is a usage error;
 * being interrupted is 130; everything else is about the servers.
 *
 * @example
 * exitCodeOf({ _tag: 'InvalidKey', key: 'a b', message: '...' }) // 2
 * exitCodeOf({ _tag: 'ConnectError', node: '127.0.0.1:1', code: 'ECONNREFUSED', message: '...' }) // 3
 * @category utils
 */
export const exitCodeOf = (error: MemcacheError): ExitCode => {
  switch (error._tag) {
    case 'InvalidKey':
    case 'InvalidArgument':
    case 'ValueTooLarge':
      return EXIT.usage
    case 'Aborted':
      return EXIT.interrupted
    default:
      return EXIT.failure
  }
}

/**
 * The servers `--servers` names, or `MEMCACHED_SERVERS`, or `127.0.0.1:11211`.
 *
 * @example
 * defaultServers({ MEMCACHED_SERVERS: '10.0.0.1:11211' }) // '10.0.0.1:11211'
 * defaultServers({}) // '127.0.0.1:11211'
 * @category utils
 */
export const defaultServers = (env: Readonly<Record<string, string | undefined>>): string => {
  const fromEnv = env['MEMCACHED_SERVERS']?.trim()
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_SERVERS : fromEnv
}

/** `--tls-*` files read, `--tls-insecure` as `rejectUnauthorized: false`; `undefined` without TLS. */
const tlsOptions = (
  flags: GlobalFlags,
  readFile: (path: string) => E.Either<string, Uint8Array>,
): E.Either<string, true | tls.ConnectionOptions | undefined> => {
  const files = { ca: flags.tlsCa, cert: flags.tlsCert, key: flags.tlsKey }
  const given = Object.values(files).some((path) => path !== undefined) || flags.tlsServername !== undefined || flags.tlsInsecure === true
  if (!given) return E.right(flags.tls === true ? true : undefined)
  const options: Record<string, unknown> = {}
  for (const [name, path] of Object.entries(files)) {
    if (path === undefined) continue
    const read = readFile(path)
    if (E.isLeft(read)) return E.left(`--tls-${name} ${path}: ${read.left}`)
    options[name] = Buffer.from(read.right)
  }
  if (flags.tlsServername !== undefined) options['servername'] = flags.tlsServername
  if (flags.tlsInsecure === true) options['rejectUnauthorized'] = false
  return E.right(options as tls.ConnectionOptions)
}

/**
 * The settings the global flags describe, or why they cannot work (a usage error). Server strings
 * are read by the library's `parseServers`, so the CLI accepts exactly what `createClient` does.
 *
 * @example
 * toSettings({ servers: '127.0.0.1:11211,127.0.0.1:11212', hashing: 'ketama', json: false, timeout: 200 }, () => E.left('no files'))
 * // right({ servers: ['127.0.0.1:11211', '127.0.0.1:11212'], hashing: 'ketama', client: { timeout: 200, connectTimeout: 200 } })
 * @category utils
 */
export const toSettings = (flags: GlobalFlags, readFile: (path: string) => E.Either<string, Uint8Array>): E.Either<string, Settings> => {
  const parsed = parseServers(flags.servers)
  if (E.isLeft(parsed)) return E.left(`--servers: ${parsed.left.message}`)
  const tls = tlsOptions(flags, readFile)
  if (E.isLeft(tls)) return tls
  return E.right({
    servers: parsed.right.map(addressName),
    hashing: flags.hashing,
    client: {
      ...(flags.timeout === undefined ? {} : { timeout: flags.timeout, connectTimeout: flags.timeout }),
      ...(tls.right === undefined ? {} : { tls: tls.right }),
    },
  })
}
