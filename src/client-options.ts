/**
 * What `createClient` accepts, and the checks that turn a wrong option into an `InvalidArgument`.
 *
 * The options are checked at run time too, because plain JavaScript passes anything: an unknown
 * key (`{ poool: 3 }`, `{ timout: 5 }`) is refused naming the closest known one, a value of the
 * wrong type (`timeout: '100'`) naming what was expected, and options that cannot take effect
 * together (a `transport` with `tls`, `weights` without ketama) naming why. Nothing is silently
 * ignored. `createClient` never throws: a refused option is the `Left` every command answers.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from './describe.js'
import type { MemcacheError } from './error.js'
import { PROTOCOLS, type Protocol } from './commands/command.js'
import type { BatchingOptions } from './middleware/batching.js'
import type { PymemcacheRetryOptions, RetryOptions } from './middleware/retry.js'
import { invalidArgument, type InvalidArgument } from './protocol/error.js'
import type { AddressPreference } from './protocol/cluster-config.js'
import type { DiscoveryCommand, DiscoveryEvent } from './routing/discovery.js'
import type { KetamaRouterOptions } from './routing/router.js'
import type { Serde } from './serde/serde.js'
import { parseAddress, type Address } from './transport/address.js'
import type { ConnectOptions, Credentials } from './transport/connection.js'
import type { Middleware, Transport } from './transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A pool of connections per server (`makePooled`) instead of one reconnecting connection.
 *
 * @example
 * createClient({ servers: '127.0.0.1:11211', pool: { size: 8, busyAt: 32 } })
 * @category model
 */
export interface PoolOptions {
  /** Most connections per server. Default 4. */
  readonly size?: number
  /** Requests in flight on a connection at which another is opened (while under `size`). Default 16. */
  readonly busyAt?: number
  /** Milliseconds an unused extra connection stays open. Default 30 000. */
  readonly idleTimeout?: number
}

/**
 * pymemcache's `RetryingClient` numbers (`attempts` counts the first try, `retryDelay` is in
 * milliseconds), with `withRetry`'s other options.
 *
 * @example
 * createClient({ servers, retry: { attempts: 3, retryDelay: 50, retryFor: ['Timeout'] } })
 * @category model
 */
export interface PymemcacheRetry extends PymemcacheRetryOptions, Omit<RetryOptions, 'policy' | 'retryFor' | 'doNotRetryFor'> {
  readonly policy?: undefined
}

/**
 * `withRetry`'s options (a `RetryPolicy`), or pymemcache's numbers.
 *
 * @example
 * const retry: ClientRetryOptions = { policy: pipe(exponentialBackoff(10), fullJitter(), concat(limitRetries(3))) }
 * @category model
 */
export type ClientRetryOptions = RetryOptions | PymemcacheRetry

/**
 * How keys are placed over several servers: `'rendezvous'` as pymemcache's `HashClient`,
 * `'ketama'` as the `memcached` npm package.
 *
 * @example
 * createClient({ servers: ['10.0.0.1:11211', '10.0.0.2:11211'], hashing: 'ketama' })
 * @category model
 */
export type HashingName = 'rendezvous' | 'ketama'

/**
 * The options every client takes, whether it opens sockets or runs on a given `transport`.
 * @category model
 */
export interface CommonOptions<A> {
  /** How values are written and read. Default: `text` (UTF-8 strings, flags 0). */
  readonly serde?: Serde<A>
  /** Prepended to every key; `prefix + key` must fit 250 bytes. Replies come back unprefixed. */
  readonly keyPrefix?: string
  /**
   * Milliseconds each command may take, from its call to its outcome (every attempt of a retry
   * included), when the call does not give its own `timeout`: the request's deadline, which every
   * layer spends from. With `servers`, also each connection's own limit for a reply, past which
   * it is dropped as out of step. Default 1000; 0 or `Infinity` for none.
   */
  readonly timeout?: number
  /** `noreply` for set/add/replace/append/prepend/setMany/delete/deleteMany/touch. Default `false`. */
  readonly defaultNoreply?: boolean
  /** Accept non-ASCII keys, sent as UTF-8 (and in the key prefix). Default `false`. */
  readonly allowUnicodeKeys?: boolean
  /**
   * Retry failures that say nothing about the request (connection-level errors), idempotent
   * requests only unless told otherwise: `withRetry`'s options, or pymemcache's
   * `{ attempts, retryDelay, retryFor?, doNotRetryFor? }`. Default: no retry.
   */
  readonly retry?: ClientRetryOptions
  /**
   * The protocol of the key-value commands when a call does not give its own `protocol`:
   * `'text'` (default) or `'meta'` (memcached 1.6.10+: binary keys, one quiet pipeline per server
   * for the many-key forms; see `ProtocolOption`). Stats, admin and `raw` stay text.
   */
  readonly protocol?: Protocol
  /**
   * Merge concurrent `get`s and `gets` for one server into multi-key requests (`withBatching`, per
   * server): `true` or its options; `false` sends every get on its own. Default on, eager: while
   * few gets are in flight each goes at once, on its own (no added latency); under load, the gets
   * sent while others are in flight wait for the end of the event loop's turn and go as requests
   * of up to an eighth of the callers waiting, at most 16 keys each.
   */
  readonly batching?: boolean | BatchingOptions
  /**
   * Your own layers, outermost first: `[a, b]` is `a(b(client's stack))`. They sit above
   * everything the client builds, so they see each call as the caller made it (one request per
   * call, its retries inside; no default deadline yet — a call's own `timeout` is there).
   */
  readonly middleware?: ReadonlyArray<Middleware>
}

/**
 * The client opens sockets to `servers`.
 * @category model
 */
export interface ServerOptions<A> extends CommonOptions<A> {
  /**
   * One server or several: `host:port`, `[v6]:port`, `unix:/path` (see `parseAddress`), as an
   * array or one comma-separated string (`'10.0.0.1:11211,10.0.0.2:11211'`, the
   * `MEMCACHED_SERVERS` format); whitespace around each is ignored. A unix socket path holding a
   * comma goes in an array.
   */
  readonly servers: string | ReadonlyArray<string>
  readonly transport?: undefined
  /** Milliseconds to open a connection (TCP, TLS and auth). Default 1000. */
  readonly connectTimeout?: number
  /** TLS: `true`, or Node's `tls.ConnectionOptions` (`ca`, `cert`, `key`, `servername`...). */
  readonly tls?: ConnectOptions['tls']
  /** memcached's ASCII auth (`memcached -Y`). */
  readonly credentials?: Credentials
  /** Requests waiting per connection beyond which a request fails fast with `Overloaded`. Default 10 000. */
  readonly maxPending?: number
  /**
   * Bytes of requests in flight per connection (values included) beyond which a request fails
   * fast with `Overloaded`. Default 64 MiB; `Infinity` for none.
   */
  readonly maxPendingBytes?: number
  /**
   * Values larger than this many bytes: refused before sending (memcached's `-I`), and a reply
   * announcing one drops the connection (`ProtocolError`) before it is buffered. For replies,
   * default 64 MiB.
   */
  readonly maxValueSize?: number
  /** Bytes a `stats` reply may take before it drops the connection (`ProtocolError`). Default 4 MiB. */
  readonly maxStatsSize?: number
  /** Error lines the server sends for `noreply` requests. Default: dropped. */
  readonly onUnsolicited?: (error: MemcacheError) => void
  /** Per server a pool of connections (`true`: defaults) instead of one reconnecting connection. */
  readonly pool?: boolean | PoolOptions
  /** How keys are placed over several servers. Default `'rendezvous'`. */
  readonly hashing?: HashingName
  /**
   * The router's health, failover and placement options (`weights` and `defaultPort` with
   * `'ketama'` only). A router is used with several servers, or with one when this is given.
   */
  readonly routing?: KetamaRouterOptions
  /** Follow a configuration endpoint's node list: see `DiscoveredOptions`. */
  readonly discovery?: undefined
}

/**
 * Where and how a client follows a cluster's node list (see `makeDiscovery`).
 *
 * @example
 * createClient({ discovery: { endpoint: 'mycluster.cfg.use1.cache.amazonaws.com:11211', intervalMs: 30_000 } })
 * @category model
 */
export interface ClientDiscoveryOptions {
  /** The configuration endpoint, `host:port`. Polled on a connection of its own, with the client's socket options. */
  readonly endpoint: string
  /** Milliseconds between polls. Default 60 000. */
  readonly intervalMs?: number
  /** Up to this many milliseconds added at random to each interval. Default a tenth of `intervalMs`. */
  readonly jitterMs?: number
  /** Milliseconds a poll may take. Default 5000. */
  readonly timeoutMs?: number
  /** `'config'` (`config get cluster`, engines 1.4.14+) or `'legacy'` (`get AmazonElastiCache:cluster`). Default `'config'`. */
  readonly command?: DiscoveryCommand
  /** Name nodes by their `'ip'` (default, as pymemcache's `use_vpc`) or their `'host'` name. */
  readonly address?: AddressPreference
  /** Told what each poll did (applied, unchanged, stale, failed...). Must not throw. */
  readonly observe?: (event: DiscoveryEvent) => void
}

/**
 * The client follows a cluster's configuration endpoint (`discovery`); `servers`, when given,
 * are the nodes used until the first poll succeeds. Without them, requests made before the first
 * poll is over wait for it.
 * @category model
 */
export interface DiscoveredOptions<A> extends Omit<ServerOptions<A>, 'servers' | 'discovery'> {
  readonly discovery: ClientDiscoveryOptions
  readonly servers?: string | ReadonlyArray<string>
}

/**
 * The client runs on `transport` (e.g. `memoryTransport()`) instead of opening sockets.
 * @category model
 */
export interface TransportOptions<A> extends CommonOptions<A> {
  /** Used instead of sockets; the client's `close` closes it. */
  readonly transport: Transport
  readonly servers?: undefined
  readonly connectTimeout?: undefined
  readonly tls?: undefined
  readonly credentials?: undefined
  readonly maxPending?: undefined
  readonly maxPendingBytes?: undefined
  readonly maxValueSize?: undefined
  readonly maxStatsSize?: undefined
  readonly onUnsolicited?: undefined
  readonly pool?: undefined
  readonly hashing?: undefined
  readonly routing?: undefined
  readonly discovery?: undefined
}

/**
 * `createClient`'s options: `servers` to open sockets to, or a `transport` to run on.
 *
 * @example
 * const options: ClientOptions<string> = { servers: '127.0.0.1:11211,127.0.0.1:11212', pool: true, retry: { attempts: 2 } }
 * @category model
 */
export type ClientOptions<A> = ServerOptions<A> | DiscoveredOptions<A> | TransportOptions<A>

/** Why a value is refused, or `undefined`; `path` names it in the error (`pool.size`). */
type Check = (value: unknown, path: string) => InvalidArgument | undefined

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const expected =
  (what: string, accepts: (value: unknown) => boolean): Check =>
  (value, path) =>
    accepts(value) ? undefined : invalidArgument(path, `must be ${what}, got ${describeValue(value)}`)

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value)

const isMs = (value: unknown): boolean => typeof value === 'number' && value >= 0 && !Number.isNaN(value)
const isPositiveInteger = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0

const milliseconds = expected('a number of milliseconds, 0 or more (0 or Infinity: no limit)', isMs)
const positiveInteger = expected('a positive integer', isPositiveInteger)
const nonNegativeInteger = expected('an integer, 0 or more', (value) => Number.isSafeInteger(value) && (value as number) >= 0)
const boolean = expected('true or false', (value) => typeof value === 'boolean')
const text = expected('a string', (value) => typeof value === 'string')
const aFunction = expected('a function', (value) => typeof value === 'function')
const anObject = expected('an object', isRecord)

/** Edit distance, for "did you mean". */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1] ? 0 : 1
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + same))
    }
    previous = row
  }
  return previous[b.length] ?? 0
}

/**
 * The known name closest to `name` (case ignored), when it is close enough to be a typo.
 *
 * @example
 * closest('timout', ['timeout', 'servers']) // 'timeout'
 * @category utils
 */
export const closest = (name: string, known: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/** `pool` + `size` = `pool.size`; the top level has no path. */
const member = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`)

const unknownKey = (path: string, key: string, known: ReadonlyArray<string>): InvalidArgument => {
  const near = closest(key, known)
  const argument = member(path, key)
  const where = path === '' ? 'createClient' : `\`${path}\``
  const hint = near === undefined ? `known: ${known.join(', ')}` : `did you mean ${JSON.stringify(near)}?`
  return invalidArgument(argument, `not an option of ${where} (${hint})`)
}

/** Checks an object's keys against `checks`: unknown keys are refused, `undefined` values skipped. */
const fields =
  (checks: Readonly<Record<string, Check>>): Check =>
  (value, path) => {
    if (!isRecord(value)) return anObject(value, path)
    const known = Object.keys(checks)
    for (const [key, field] of Object.entries(value)) {
      const check = checks[key]
      if (check === undefined) return unknownKey(path, key, known)
      if (field === undefined) continue
      const problem = check(field, member(path, key))
      if (problem !== undefined) return problem
    }
    return undefined
  }

/** `true`/`false`, or an object checked by `object`. */
const flagOr =
  (object: Check): Check =>
  (value, path) =>
    typeof value === 'boolean' ? undefined : isRecord(value) ? object(value, path) : invalidArgument(path, `must be true, false or an object, got ${describeValue(value)}`)

const arrayOf =
  (what: string, item: Check): Check =>
  (value, path) => {
    if (!Array.isArray(value)) return invalidArgument(path, `must be an array of ${what}, got ${describeValue(value)}`)
    for (const [index, element] of (value as ReadonlyArray<unknown>).entries()) {
      const problem = item(element, `${path}[${index}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }

/** Every error tag, so that a misspelt tag in `retryFor` is refused instead of never matching. */
const ERROR_TAGS: { readonly [K in MemcacheError['_tag']]: true } = {
  InvalidKey: true,
  InvalidArgument: true,
  ValueTooLarge: true,
  ClientError: true,
  ServerError: true,
  UnknownCommand: true,
  ProtocolError: true,
  ConnectError: true,
  Timeout: true,
  ConnectionClosed: true,
  Overloaded: true,
  AuthError: true,
  Aborted: true,
  PoolExhausted: true,
  NoServers: true,
  SerdeError: true,
}
const errorTags = Object.keys(ERROR_TAGS)

const errorTag: Check = (value, path) => {
  if (typeof value !== 'string') return invalidArgument(path, `must be an error tag such as "Timeout", got ${describeValue(value)}`)
  if (value in ERROR_TAGS) return undefined
  const near = closest(value, errorTags)
  return invalidArgument(path, `${JSON.stringify(value)} is no error tag (${near === undefined ? `known: ${errorTags.join(', ')}` : `did you mean ${JSON.stringify(near)}?`})`)
}

const retryShared = {
  retryFor: arrayOf('error tags', errorTag),
  doNotRetryFor: arrayOf('error tags', errorTag),
  retryNonIdempotent: boolean,
  onRetry: aFunction,
  sleep: aFunction,
} as const

const policyRetry = fields({ policy: aFunction, ...retryShared })
const pymemcacheRetry = fields({ attempts: positiveInteger, retryDelay: milliseconds, ...retryShared })

const retryCheck: Check = (value, path) => {
  if (!isRecord(value)) return invalidArgument(path, `must be an object: { policy } (a RetryPolicy) or pymemcache's { attempts, retryDelay }, got ${describeValue(value)}`)
  if (value['policy'] === undefined) return pymemcacheRetry(value, path)
  for (const number of ['attempts', 'retryDelay']) {
    if (value[number] !== undefined) return invalidArgument(member(path, number), 'give a `policy` or pymemcache\'s `attempts`/`retryDelay`, not both')
  }
  return policyRetry(value, path)
}

const serversCheck: Check = (value, path) =>
  typeof value === 'string' ? undefined : arrayOf('server strings', text)(value, path) === undefined ? undefined : invalidArgument(path, `must be a server string ("host:port", or several as "a:11211,b:11211") or an array of them, got ${describeValue(value)}`)

const transportCheck: Check = (value, path) =>
  isRecord(value) && typeof value['send'] === 'function' && typeof value['close'] === 'function'
    ? undefined
    : invalidArgument(path, `must be a Transport ({ send, close }, e.g. memoryTransport()), got ${describeValue(value)}`)

const serdeCheck: Check = (value, path) =>
  isRecord(value) && typeof value['serialize'] === 'function' && typeof value['deserialize'] === 'function'
    ? undefined
    : invalidArgument(path, `must be a Serde ({ serialize, deserialize }, e.g. json from 'fp-memcache/serde'), got ${describeValue(value)}`)

const credentialsCheck: Check = (value, path) => {
  const problem = fields({ username: text, password: text })(value, path)
  if (problem !== undefined) return problem
  const record = value as Readonly<Record<string, unknown>>
  for (const key of ['username', 'password']) if (record[key] === undefined) return invalidArgument(member(path, key), 'is required')
  return undefined
}

const routingChecks: { readonly [K in keyof Required<KetamaRouterOptions>]: Check } = {
  retryAttempts: nonNegativeInteger,
  retryTimeout: milliseconds,
  deadTimeout: milliseconds,
  health: anObject,
  failover: boolean,
  ignoreErrors: boolean,
  routingKey: aFunction,
  onHealth: aFunction,
  now: aFunction,
  drainTimeout: milliseconds,
  weights: anObject,
  defaultPort: expected('a port number or null', (value) => value === null || isPositiveInteger(value)),
}

const poolChecks: { readonly [K in keyof Required<PoolOptions>]: Check } = {
  size: positiveInteger,
  busyAt: positiveInteger,
  idleTimeout: milliseconds,
}

const discoveryChecks: { readonly [K in keyof Required<ClientDiscoveryOptions>]: Check } = {
  endpoint: text,
  intervalMs: expected('a number of milliseconds, more than 0', (value) => typeof value === 'number' && value > 0 && value !== Infinity),
  jitterMs: milliseconds,
  timeoutMs: expected('a number of milliseconds, more than 0', (value) => typeof value === 'number' && value > 0),
  command: expected('"config" or "legacy"', (value) => value === 'config' || value === 'legacy'),
  address: expected('"ip" or "host"', (value) => value === 'ip' || value === 'host'),
  observe: aFunction,
}

const discoveryCheck: Check = (value, path) => {
  const problem = fields(discoveryChecks)(value, path)
  if (problem !== undefined) return problem
  const endpoint = (value as Readonly<Record<string, unknown>>)['endpoint']
  if (endpoint === undefined) return invalidArgument(member(path, 'endpoint'), "required: the configuration endpoint, 'host:port'")
  const parsed = parseAddress(String(endpoint).trim())
  return E.isLeft(parsed) ? invalidArgument(member(path, 'endpoint'), parsed.left.message) : undefined
}

const batchingChecks: { readonly [K in keyof Required<BatchingOptions>]: Check } = {
  window: milliseconds,
  maxKeys: positiveInteger,
  eager: boolean,
  protocol: expected('"text" or "meta"', (value) => value === 'text' || value === 'meta'),
}

/** One check per option: adding an option without its check does not compile. */
const optionChecks: { readonly [K in keyof Required<ClientOptions<unknown>>]: Check } = {
  servers: serversCheck,
  transport: transportCheck,
  serde: serdeCheck,
  keyPrefix: text,
  timeout: milliseconds,
  connectTimeout: milliseconds,
  defaultNoreply: boolean,
  allowUnicodeKeys: boolean,
  tls: expected('true, false or tls.ConnectionOptions', (value) => typeof value === 'boolean' || isRecord(value)),
  credentials: credentialsCheck,
  maxPending: positiveInteger,
  maxPendingBytes: expected('a positive integer (bytes), or Infinity', (value) => value === Infinity || isPositiveInteger(value)),
  maxValueSize: positiveInteger,
  maxStatsSize: positiveInteger,
  onUnsolicited: aFunction,
  pool: flagOr(fields(poolChecks)),
  hashing: expected('"rendezvous" or "ketama"', (value) => value === 'rendezvous' || value === 'ketama'),
  routing: fields(routingChecks),
  retry: retryCheck,
  batching: flagOr(fields(batchingChecks)),
  middleware: arrayOf('middleware ((next) => Transport)', aFunction),
  discovery: discoveryCheck,
  protocol: expected(PROTOCOLS.map((name) => JSON.stringify(name)).join(' or '), (value) => (PROTOCOLS as ReadonlyArray<unknown>).includes(value)),
}

/** Options that only mean something for the sockets the client opens itself. */
const SOCKET_ONLY: ReadonlyArray<keyof ServerOptions<unknown>> = [
  'connectTimeout',
  'tls',
  'credentials',
  'maxPending',
  'maxPendingBytes',
  'maxValueSize',
  'maxStatsSize',
  'onUnsolicited',
  'pool',
  'hashing',
  'routing',
  'discovery',
]

const defined = (options: Readonly<Record<string, unknown>>, key: string): boolean => options[key] !== undefined

/**
 * Why `options` cannot make a client, or `undefined` when they can: an unknown key (with the
 * closest known one), a value of the wrong type, a missing `servers`, or options that would not
 * take effect together. Written for values from plain JavaScript as much as from TypeScript.
 *
 * @example
 * optionsProblem({ servers: 'localhost', poool: 3 })?.message // 'invalid poool: not an option of createClient (did you mean "pool"?)'
 * optionsProblem({ servers: 'localhost', timeout: '100' })?.message // 'invalid timeout: must be a number of milliseconds, …, got "100"'
 * @category utils
 */
export const optionsProblem = (options: unknown): InvalidArgument | undefined => {
  if (!isRecord(options)) return invalidArgument('options', `must be an object such as { servers: '127.0.0.1:11211' }, got ${describeValue(options)}`)
  const problem = fields(optionChecks)(options, '')
  if (problem !== undefined) return problem
  if (defined(options, 'transport')) {
    if (defined(options, 'servers')) return invalidArgument('servers', 'give `servers` or a `transport`, not both')
    const socketOnly = SOCKET_ONLY.find((key) => defined(options, key))
    if (socketOnly !== undefined) return invalidArgument(socketOnly, 'applies to the sockets createClient opens; with a `transport`, configure that transport')
    return undefined
  }
  if (!defined(options, 'servers') && !defined(options, 'discovery')) return invalidArgument('servers', "required: a server string ('127.0.0.1:11211'), several ('a:11211,b:11211' or an array), or a `transport` instead")
  const routing = options['routing']
  if (isRecord(routing) && options['hashing'] !== 'ketama') {
    const ketamaOnly = ['weights', 'defaultPort'].find((key) => defined(routing, key))
    if (ketamaOnly !== undefined) return invalidArgument(`routing.${ketamaOnly}`, "applies to hashing: 'ketama' only")
  }
  return undefined
}

/**
 * The servers of a `servers` option, parsed: a comma-separated string or an array, whitespace
 * around each entry ignored; the first entry that does not parse is the error.
 *
 * @example
 * parseServers(' 10.0.0.1:11211, [::1]:11212 ') // right([tcp('10.0.0.1', 11211), tcp('::1', 11212)])
 * parseServers('10.0.0.1:11211,,10.0.0.2') // left(InvalidArgument): entry 2 is empty
 * @category utils
 */
export const parseServers = (servers: string | ReadonlyArray<string>): E.Either<InvalidArgument, ReadonlyArray<Address>> => {
  const entries = typeof servers === 'string' ? servers.split(',') : servers
  if (entries.length === 0 || (typeof servers === 'string' && servers.trim() === '')) {
    return E.left(invalidArgument('servers', "at least one server is needed (e.g. '127.0.0.1:11211')"))
  }
  const addresses: Array<Address> = []
  for (const [index, entry] of entries.entries()) {
    const trimmed = entry.trim()
    if (trimmed === '') {
      return E.left(invalidArgument('servers', `entry ${index + 1} of ${JSON.stringify(servers)} is empty; separate servers with one comma ('a:11211,b:11211')`))
    }
    const parsed = parseAddress(trimmed)
    if (E.isLeft(parsed)) return parsed
    addresses.push(parsed.right)
  }
  return E.right(addresses)
}
