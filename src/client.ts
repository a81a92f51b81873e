/**
 * `createClient`: the ready object for people who do not want to compose transports themselves.
 *
 * It builds the usual stack from its options and binds every command of `commands(serde)`, and
 * `getOrSet`, to it. Its methods return `TaskEither`s; `toPromises(client)` gives the same methods
 * returning Promises. The stack, outermost first (a request goes down it, its reply back up):
 *
 * ```
 * options.middleware[0] … options.middleware[n-1]   your layers (an observe), first outermost
 * default deadline        `timeout` (1000 ms) for a call that gave none
 * withRetry               `retry`, when given
 * router                  `hashing` (rendezvous | ketama) + `routing`; with several servers (or `routing` given)
 *   (discovery)           `discovery`: the router follows a configuration endpoint (`makeDiscovery`, `setNodes`)
 * per server:
 *   withBatching          `batching` (on unless `batching: false`)
 *   withKeyPrefix         `keyPrefix`
 *   makePooled(connect)   `pool`, when given — else one reconnecting connection
 * ```
 * or, with `transport`: the same layers down to the batching and the key prefix, over that transport.
 *
 * Why this order:
 * - your middleware outermost: it sees each call as the caller made it, once, retries inside its
 *   time (put `withObserve({ node })` on a `transport` of your own to see every attempt instead);
 * - the default deadline above retry: a command's `timeout` bounds all its attempts together,
 *   as a call's own `timeout` does (retry stops rather than start an attempt that cannot finish);
 * - retry outside the router: a retry asks the router again, so it may go to a node re-admitted
 *   or failed over to meanwhile, and a node's failures still count in its health;
 * - batching per server, below the router: under load, concurrent gets for one server become a
 *   few requests (of at most `maxKeys` keys), and a server that fails or times out fails only the
 *   callers whose keys it holds; with few gets in flight, each goes at once, on its own;
 * - the key prefix below the router, per node: keys are placed by the key without the prefix, as
 *   pymemcache's `HashClient` with `key_prefix` does. With `hashing: 'ketama'` keys are placed by
 *   `keyPrefix + key` (the router's `routingKey`, unless `routing` gives one), as the `memcached`
 *   package places keys under its `namespace`.
 *
 * Options are checked before anything is built: an unknown key (`{ poool: 3 }`) is refused naming
 * the closest known one, and a value of the wrong type naming what was expected (see
 * `optionsProblem`). `createClient` does not throw: when its options cannot work (an unknown or
 * mistyped option, a bad server string, an invalid key prefix), every command answers the `Left`
 * saying why and nothing is opened. Keys and arguments are checked before any connection is
 * opened, on every path: a bad key is `InvalidKey` even while every server is down.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  optionsProblem,
  parseServers,
  type ClientOptions,
  type ClientRetryOptions,
  type DiscoveredOptions,
  type PoolOptions,
  type ServerOptions,
} from './client-options.js'
import { getOrSet, type GetOrSetOptions } from './commands/cache-aside.js'
import type { Command, CommandDefaults } from './commands/command.js'
import { commands, type Commands } from './commands/commands.js'
import type { GetOrComputeError, GetOrComputeOptions, InvalidateOptions } from './commands/stampede.js'
import { metaStampede } from './commands/stampede-meta.js'
import type { RawReplies } from './commands/raw.js'
import { type MemcacheError } from './error.js'
import { withBatching, type BatchingOptions } from './middleware/batching.js'
import { withKeyPrefix } from './middleware/key-prefix.js'
import { fromPymemcacheOptions, withRetry, type RetryOptions } from './middleware/retry.js'
import { makePooled } from './pool/pooled.js'
import { invalidArgument, type InvalidArgument } from './protocol/error.js'
import type { Encoder } from './protocol/encode.js'
import { textFraming } from './protocol/framing.js'
import { isRetrieval, prefixed, type RawExpect } from './protocol/request.js'
import { nodeAddress } from './protocol/cluster-config.js'
import { makeDiscovery, withFirstPoll } from './routing/discovery.js'
import { ketamaRouter, rendezvousRouter, type KetamaRouterOptions, type Node, type Router } from './routing/router.js'
import type { Serde } from './serde/serde.js'
import { text } from './serde/text.js'
import { addressName, parseAddress, type Address } from './transport/address.js'
import { connect, DEFAULT_TIMEOUT, type ConnectOptions } from './transport/connection.js'
import { emptyContext, withinMs, type CallOptions } from './transport/context.js'
import { reconnecting } from './transport/reconnecting.js'
import type { Middleware, Transport } from './transport/transport.js'

export type {
  ClientDiscoveryOptions,
  ClientOptions,
  DiscoveredOptions,
  ClientRetryOptions,
  CommonOptions,
  HashingName,
  PoolOptions,
  PymemcacheRetry,
  ServerOptions,
  TransportOptions,
} from './client-options.js'
export { parseServers } from './client-options.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A command bound to its transport: same arguments, a `TaskEither` out. @category model */
export type Bound<F> = F extends (...args: infer P) => Command<infer R> ? (...args: P) => TE.TaskEither<MemcacheError, R> : never

/**
 * Every command of `Commands<A>`, `getOrSet`, and stampede protection (`getOrCompute`,
 * `invalidate`), bound to the client's transport, plus the transport itself and `close`.
 *
 * @example
 * const client: Client<string> = createClient({ servers: '127.0.0.1:11211' })
 * await client.getOrSet('page:/', renderPage, { exptime: 30 })() // renderPage: TaskEither<E, string>
 * @category model
 */
export type Client<A> = { readonly [K in Exclude<keyof Commands<A>, 'raw'>]: Bound<Commands<A>[K]> } & {
  /**
   * Cache-aside (see `getOrSet`): the cached value, or `compute`'s, stored for `exptime` seconds.
   * Cache failures are worked around (reported to `onCacheError`); only `compute`'s error fails it.
   */
  readonly getOrSet: <E>(key: string, compute: TE.TaskEither<E, A>, options?: GetOrSetOptions) => TE.TaskEither<E, A>
  /**
   * Stampede protection over the meta commands (see `makeStampede`, `metaStampedeOps`): the
   * cached value, or `compute`'s, computed by one caller however many ask at once (in however many
   * processes); needs memcached 1.6.10 or later. Cache failures are errors here: with no cache there
   * is no lock to share.
   */
  readonly getOrCompute: <E>(key: string, compute: TE.TaskEither<E, A>, options: GetOrComputeOptions) => TE.TaskEither<GetOrComputeError<E, A>, A>
  /** Marks the value stale (`md <key> I T<staleFor>`): one reader recomputes it, the others are served it meanwhile. `false`: no such key. */
  readonly invalidate: (key: string, options?: InvalidateOptions) => TE.TaskEither<MemcacheError, boolean>
  /** Any command line (see `raw`); with several servers it is refused (a raw line names no key). */
  readonly raw: <K extends RawExpect>(line: string, expect: K, data?: Uint8Array, options?: CallOptions) => TE.TaskEither<MemcacheError, RawReplies[K]>
  /** The composed transport, to run stand-alone commands or `ReaderTaskEither` pipelines on. */
  readonly transport: Transport
  /** Closes every socket and drops every timer; later commands fail with `ConnectionClosed`. */
  readonly close: T.Task<void>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Answers every request with `error`; closes what it was given (a caller's transport, a half-built stack). */
const refusing = (error: MemcacheError, owned?: Transport): Transport => ({
  send: () => TE.left(error),
  close: owned === undefined ? async () => undefined : owned.close,
})

/** The caller's transport in options that were refused, so that `close` still closes it. */
const givenTransport = (options: unknown): Transport | undefined => {
  if (typeof options !== 'object' || options === null) return undefined
  const transport: unknown = (options as Readonly<Record<string, unknown>>)['transport']
  if (typeof transport !== 'object' || transport === null) return undefined
  const candidate = transport as Partial<Record<keyof Transport, unknown>>
  return typeof candidate.send === 'function' && typeof candidate.close === 'function' ? (transport as Transport) : undefined
}

/** The options about the sockets the client opens, whether its servers are given or discovered. */
type SocketOptions<A> = Omit<ServerOptions<A>, 'servers' | 'discovery'>

const connectOptions = <A>(options: SocketOptions<A>, server: Address): ConnectOptions => ({
  server,
  ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout }),
  ...(options.allowUnicodeKeys === undefined ? {} : { allowUnicodeKeys: options.allowUnicodeKeys }),
  ...(options.tls === undefined ? {} : { tls: options.tls }),
  ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  ...(options.maxPendingBytes === undefined ? {} : { maxPendingBytes: options.maxPendingBytes }),
  ...(options.maxValueSize === undefined ? {} : { maxValueSize: options.maxValueSize }),
  ...(options.maxStatsSize === undefined ? {} : { maxStatsSize: options.maxStatsSize }),
  ...(options.onUnsolicited === undefined ? {} : { onUnsolicited: options.onUnsolicited }),
})

/**
 * Gives every request without a deadline one `ms` from when it is sent: a client's default
 * timeout. No timer is set here: the layers below spend from the deadline and answer `Timeout`.
 */
const defaultDeadline =
  (ms: number): Middleware =>
  (next) => {
    const within = withinMs(ms)
    return {
      send: (request, context = emptyContext) => next.send(request, context.deadline === undefined ? within(context) : context),
      close: next.close,
    }
  }

/**
 * A pool of connections to `server`. While it has no connection taking requests, each request is
 * checked by the connections' encoder first, so that a bad key or argument is refused without
 * opening one.
 */
const pooledNode = <A>(options: SocketOptions<A>, server: Address, pool: PoolOptions): Transport => {
  const connection = connectOptions(options, server)
  return makePooled(connect(connection), {
    node: addressName(server),
    check: textFraming.makeEncoder(connection),
    ...(pool.size === undefined ? {} : { maxSize: pool.size }),
    ...(pool.busyAt === undefined ? {} : { busyAt: pool.busyAt }),
    ...(pool.idleTimeout === undefined ? {} : { idleTimeout: pool.idleTimeout }),
  })
}

/**
 * Above the router, so that a bad key or argument is its error whatever the servers' state:
 * - a many-key retrieval is checked (encoded) before the router splits it: otherwise its good
 *   keys would open connections to their nodes while a bad key is refused on its own;
 * - any other request that failed is encoded then, and when the encoder refuses it, that is the
 *   answer: a node the router holds out of service answers `NoServers` before its connection
 *   could look at the request. Requests that succeed cost nothing here;
 * - with `always` (the router's `ignoreErrors`, which answers a miss for a node out of service,
 *   hiding why), every request is checked before it is sent.
 */
const requestErrorsFirst =
  (check: Encoder, prefix: string, always: boolean): Middleware =>
  (next) => {
    // The nodes below add the prefix: its 250 bytes count.
    const asSent = prefixed(prefix)
    return {
      send: (request, context) => {
        if (always || (isRetrieval(request) && request.keys.length > 1)) {
          const checked = check(asSent(request))
          return E.isLeft(checked) ? TE.left(checked.left) : next.send(request, context)
        }
        const sent = next.send(request, context)
        return () =>
          sent().then((result) => {
            if (E.isRight(result)) return result
            const checked = check(asSent(request))
            return E.isLeft(checked) ? E.left(checked.left) : result
          })
      },
      close: next.close,
    }
  }

/**
 * The batching layer the options ask for (on unless `batching: false`). Per node under a router: a
 * merged get goes to one server, so a node that fails or times out fails only its own callers.
 */
const batchingOf = (options: { readonly batching?: boolean | BatchingOptions }): Middleware | undefined =>
  options.batching === false ? undefined : withBatching(options.batching === undefined || options.batching === true ? {} : options.batching)

/** A connection (or a pool) to one server, under the key prefix and the batching. */
const nodeTransport = <A>(options: SocketOptions<A>): ((server: Address) => Transport) => {
  const keyPrefix = withKeyPrefix(options.keyPrefix ?? '', { allowUnicodeKeys: options.allowUnicodeKeys ?? false })
  const pool = options.pool === true ? {} : options.pool === false ? undefined : options.pool
  const node = (server: Address): Transport => keyPrefix(pool === undefined ? reconnecting(connectOptions(options, server)) : pooledNode(options, server, pool))
  const batching = batchingOf(options)
  return batching === undefined ? node : (server) => batching(node(server))
}

/** Per server a connection (or a pool) under the key prefix, and a router over them. */
const serverTransport = <A>(options: ServerOptions<A>): E.Either<InvalidArgument, Transport> => {
  const parsed = parseServers(options.servers)
  if (E.isLeft(parsed)) return parsed
  const addresses = parsed.right
  const node = nodeTransport(options)
  const [first] = addresses
  if (first !== undefined && addresses.length === 1 && options.routing === undefined) return E.right(node(first))
  const nodes: ReadonlyArray<Node> = addresses.map((server) => ({ name: addressName(server), transport: node(server) }))
  return E.right(routed(options, nodes).transport)
}

/** A router over `nodes` as the options say, under the request checks. */
const routed = <A>(options: SocketOptions<A>, nodes: ReadonlyArray<Node>): { readonly router: Router; readonly transport: Transport } => {
  const prefix = options.keyPrefix ?? ''
  const routing: KetamaRouterOptions = options.routing ?? {}
  // The memcached package hashes the key as sent, its namespace included.
  const placeByPrefixedKey = prefix === '' || routing.routingKey !== undefined ? {} : { routingKey: (key: string) => prefix + key }
  const router = options.hashing === 'ketama' ? ketamaRouter(nodes, { ...routing, ...placeByPrefixedKey }) : rendezvousRouter(nodes, routing)
  const check = textFraming.makeEncoder({
    ...(options.allowUnicodeKeys === undefined ? {} : { allowUnicodeKeys: options.allowUnicodeKeys }),
    ...(options.maxValueSize === undefined ? {} : { maxValueSize: options.maxValueSize }),
  })
  return { router, transport: requestErrorsFirst(check, prefix, routing.ignoreErrors === true)(router) }
}

/**
 * A router that follows the configuration endpoint: seeded with `servers` when given (used until
 * the first poll succeeds), else empty with requests held until the first poll is over. `close`
 * stops the poller at once, then closes the endpoint's connection and the nodes.
 */
const discoveredTransport = <A>(options: DiscoveredOptions<A>): E.Either<InvalidArgument, Transport> => {
  const seeds = options.servers === undefined ? E.right([]) : parseServers(options.servers)
  if (E.isLeft(seeds)) return seeds
  const settings = options.discovery
  const endpointAddress = parseAddress(settings.endpoint.trim())
  if (E.isLeft(endpointAddress)) return endpointAddress
  const node = nodeTransport(options)
  const { router, transport } = routed(
    options,
    seeds.right.map((server) => ({ name: addressName(server), transport: node(server) })),
  )
  const endpoint = reconnecting(connectOptions(options, endpointAddress.right))
  const transportOf = (name: string): Transport => {
    const address = parseAddress(name)
    // Names come from nodeAddress, which always parses; a node that did not would be refused on every request.
    return E.isRight(address) ? node(address.right) : refusing(address.left)
  }
  const discovery = makeDiscovery({
    endpoint,
    name: addressName(endpointAddress.right),
    apply: (config) => async () => {
      await router.setNodes(config.nodes.map((each) => nodeAddress(each, settings.address ?? 'ip')), transportOf)()
    },
    ...(settings.intervalMs === undefined ? {} : { intervalMs: settings.intervalMs }),
    ...(settings.jitterMs === undefined ? {} : { jitterMs: settings.jitterMs }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.command === undefined ? {} : { command: settings.command }),
    ...(settings.observe === undefined ? {} : { observe: settings.observe }),
  })
  const held = seeds.right.length === 0 ? withFirstPoll(discovery)(transport) : transport
  return E.right({
    send: held.send,
    close: async () => {
      await discovery.close()
      await Promise.all([endpoint.close(), held.close()])
    },
  })
}

const retryOptions = (retry: ClientRetryOptions): RetryOptions => {
  if (retry.policy !== undefined) return retry
  const { attempts, retryDelay, retryFor, doNotRetryFor, ...rest } = retry
  const numbers = {
    ...(attempts === undefined ? {} : { attempts }),
    ...(retryDelay === undefined ? {} : { retryDelay }),
    ...(retryFor === undefined ? {} : { retryFor }),
    ...(doNotRetryFor === undefined ? {} : { doNotRetryFor }),
  }
  return { ...rest, ...fromPymemcacheOptions(numbers) }
}

/**
 * Stacks the client's layers on `base` (a router, one node, or the caller's transport under the
 * key prefix and the batching), outermost first: the caller's middleware, the default deadline, retry.
 */
const stack = <A>(options: ClientOptions<A>, base: Transport): Transport => {
  const layers: ReadonlyArray<Middleware> = [
    ...(options.middleware ?? []),
    defaultDeadline(options.timeout ?? DEFAULT_TIMEOUT),
    ...(options.retry === undefined ? [] : [withRetry(retryOptions(options.retry))]),
  ]
  let transport = base
  for (let index = layers.length - 1; index >= 0; index--) {
    const layer = layers[index]
    if (layer === undefined) continue
    try {
      transport = layer(transport)
    } catch (error) {
      // A caller's middleware that throws when applied: refused, like any option that cannot work.
      const reason = `middleware[${index}] threw when applied: ${error instanceof Error ? error.message : String(error)}`
      return refusing(invalidArgument('middleware', reason), transport)
    }
  }
  return transport
}

/** The stack for options that passed `optionsProblem`. */
const buildTransport = <A>(options: ClientOptions<A>): Transport => {
  if (options.transport !== undefined) {
    const prefixed = withKeyPrefix(options.keyPrefix ?? '', { allowUnicodeKeys: options.allowUnicodeKeys ?? false })(options.transport)
    const batching = batchingOf(options)
    return stack(options, batching === undefined ? prefixed : batching(prefixed))
  }
  const base = options.discovery !== undefined ? discoveredTransport(options) : serverTransport(options)
  return E.isLeft(base) ? refusing(base.left) : stack(options, base.right)
}

/**
 * The transport `createClient` builds (see the module documentation for its layers), or one
 * answering every request with the `InvalidArgument` saying why the options cannot work.
 *
 * @example
 * const transport = clientTransport({ servers: '10.0.0.1:11211,10.0.0.2:11211', keyPrefix: 'app:', pool: true })
 * @category utils
 */
export const clientTransport = <A>(options: ClientOptions<A>): Transport => {
  const problem = optionsProblem(options)
  return problem === undefined ? buildTransport(options) : refusing(problem, givenTransport(options))
}

/**
 * A client whose every command answers `problem` without running anything — not even the serde,
 * which may be the option that was refused. `getOrSet` works around the cache as it does when
 * the cache fails (computing, reporting both failures to `onCacheError`).
 */
const refusedClient = <A>(problem: InvalidArgument, owned: Transport | undefined): Client<A> => {
  const transport = refusing(problem, owned)
  const refuse = () => TE.left(problem)
  const bound: Record<string, unknown> = {}
  for (const name of Object.keys(commands(text))) bound[name] = refuse
  const cacheAside = getOrSet<A>({ get: () => refuse, set: () => refuse })
  // Its lookups fail with `problem` before the serde is reached.
  const stampede = metaStampede(text as unknown as Serde<A>)(transport)
  return {
    ...(bound as Omit<Client<A>, 'close' | 'transport' | 'getOrSet' | 'getOrCompute' | 'invalidate'>),
    getOrSet: (key, compute, options) => cacheAside(key, compute, options)(transport),
    getOrCompute: stampede.getOrCompute,
    invalidate: stampede.invalidate,
    transport,
    close: transport.close,
  }
}

/**
 * Binds every command to `transport`.
 *
 * @example
 * const client = bindCommands(commands(text), transport)
 * await client.get('greeting')() // right(some('hello'))
 * @category utils
 */
export const bindCommands = <A>(all: Commands<A>, transport: Transport): Omit<Client<A>, 'close' | 'transport' | 'getOrSet' | 'getOrCompute' | 'invalidate'> => {
  const bound: Record<string, unknown> = {}
  for (const [name, command] of Object.entries(all) as ReadonlyArray<[string, (...args: ReadonlyArray<unknown>) => Command<unknown>]>) {
    bound[name] = (...args: ReadonlyArray<unknown>) => command(...args)(transport)
  }
  return bound as Omit<Client<A>, 'close' | 'transport' | 'getOrSet' | 'getOrCompute' | 'invalidate'>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A client over `servers` (or a `transport`), values through `serde` (default `text`). The
 * options and the order of the layers they add are in the module documentation; an option that
 * cannot work makes every command answer the `InvalidArgument` saying why, and opens nothing.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import * as TE from 'fp-ts/lib/TaskEither.js'
 * import { memoryTransport } from 'fp-memcache/emulator'
 * import { withObserve } from 'fp-memcache/middleware'
 * const client = createClient({
 *   servers: process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211,127.0.0.1:11212',
 *   keyPrefix: 'app:',
 *   pool: { size: 8 },
 *   retry: { attempts: 3, retryDelay: 20 },
 *   batching: true,
 *   middleware: [withObserve({ onRequest: (event) => console.log(event.command, event.durationMs) })],
 * })
 * await client.set('greeting', 'hello', { exptime: 60 })() // right(true)
 * await client.get('greeting')() // right(some('hello'))
 * await client.getOrSet('user:1', TE.right('Ada'), { exptime: 300 })() // right('Ada'), computed once
 * await client.getOrCompute('user:2', TE.right('Grace'), { ttl: 300 })() // right('Grace'), computed by one caller of all that ask at once
 * await client.close()
 *
 * const inTests = createClient({ transport: memoryTransport() }) // no sockets
 * createClient({ servers: '127.0.0.1:11211', poool: 3 }).get('k') // left(InvalidArgument): poool, did you mean "pool"?
 * @category constructors
 */
export function createClient(options: ClientOptions<string> & { readonly serde?: undefined }): Client<string>
export function createClient<A>(options: ClientOptions<A> & { readonly serde: Serde<A> }): Client<A>
export function createClient<A>(options: ClientOptions<A>): Client<A> {
  const problem = optionsProblem(options)
  if (problem !== undefined) return refusedClient(problem, givenTransport(options))
  const transport = buildTransport(options)
  const defaults: CommandDefaults = {
    noreply: options.defaultNoreply ?? false,
    // A batch (`setMany`, `deleteMany`) is refused whole, before any of it is written.
    keys: { allowUnicodeKeys: options.allowUnicodeKeys ?? false, prefix: options.keyPrefix ?? '' },
    protocol: options.protocol ?? 'text',
  }
  const serde = options.serde ?? (text as unknown as Serde<A>)
  const all = commands(serde, defaults)
  const cacheAside = getOrSet(all)
  const stampede = metaStampede(serde)(transport)
  return {
    ...bindCommands(all, transport),
    getOrSet: (key, compute, callOptions) => cacheAside(key, compute, callOptions)(transport),
    getOrCompute: stampede.getOrCompute,
    invalidate: stampede.invalidate,
    transport,
    close: transport.close,
  }
}
