/**
 * Cluster auto-discovery: polls a configuration endpoint (AWS ElastiCache's, or an emulator
 * answering `config get cluster`) and hands each newer node list to whoever keeps the nodes —
 * usually a router's `setNodes`, which moves keys as the hashing says and drains removed nodes.
 *
 * - **Polling.** One poll at once, then one every `intervalMs` plus a random `0..jitterMs` (so a
 *   fleet of clients does not poll in step). Polls never overlap: the wait starts when the last
 *   poll (and the change it applied) is done. Each poll has `timeoutMs`.
 * - **Which lists are applied.** The first list that parses, then only a list whose version is
 *   greater than the last applied one. ElastiCache raises the version by one for every node added
 *   or removed, so a lower or equal version is an older or the same view (another node behind the
 *   endpoint's DNS name that has not caught up): it is reported (`Stale` / `Unchanged`) and
 *   ignored, even if its list differs. A list with no node is reported (`Ignored`) and not applied:
 *   emptying a cluster under a client is a fault far more often than an intent.
 * - **Failures.** A poll that fails (connection, timeout, `ERROR` from a server that is not a
 *   configuration endpoint, a malformed reply) keeps the last good list and is reported through
 *   `observe` as `PollFailed`; nothing is thrown, and the next poll comes as planned.
 * - **close** stops at once: the wait and the poll in progress are cancelled, no timer is left.
 *   The timers of an idle poller do not keep a process alive (`unref`).
 *
 * Everything time-related is injectable (`sleep`, `random`, `now`) so tests drive it without
 * waiting.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as IO from 'fp-ts/lib/IO.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as T from 'fp-ts/lib/Task.js'
import type { MemcacheError } from '../error.js'
import { LEGACY_CLUSTER_CONFIG_KEY, parseClusterConfig, type ClusterConfig } from '../protocol/cluster-config.js'
import { protocolError } from '../protocol/error.js'
import type { Reply } from '../protocol/reply.js'
import { configGet, get, type Request } from '../protocol/request.js'
import { timeout } from '../transport/error.js'
import type { Middleware, Transport } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a poll did, for logs and metrics (`observe`).
 *
 * @example
 * const event: DiscoveryEvent = { _tag: 'Applied', version: 13, nodes: ['10.0.0.1:11211'], previous: 12 }
 * @category model
 */
export type DiscoveryEvent =
  /** A new list was handed on; `previous` is the version it replaces (absent for the first). */
  | { readonly _tag: 'Applied'; readonly version: number; readonly nodes: ReadonlyArray<string>; readonly previous?: number }
  /** The endpoint answered the version already applied. */
  | { readonly _tag: 'Unchanged'; readonly version: number }
  /** The endpoint answered an older version than the one applied: ignored. */
  | { readonly _tag: 'Stale'; readonly version: number; readonly current: number }
  /** A newer version that is not applied, and why (an empty node list). */
  | { readonly _tag: 'Ignored'; readonly version: number; readonly reason: string }
  /** The poll failed; the last good list stays. */
  | { readonly _tag: 'PollFailed'; readonly error: MemcacheError }

/**
 * The command a poll sends: `config get cluster` (engines 1.4.14 and later) or
 * `get AmazonElastiCache:cluster` (older engines). Both answer the same payload.
 *
 * @example
 * const command: DiscoveryCommand = 'legacy'
 * @category model
 */
export type DiscoveryCommand = 'config' | 'legacy'

/**
 * Options of `makeDiscovery`.
 *
 * @example
 * makeDiscovery({ endpoint, apply: (config) => async () => console.log(config.nodes), intervalMs: 30_000 })
 * @category model
 */
export interface DiscoveryOptions {
  /** Where the configuration is asked (a connection to the configuration endpoint); discovery does not close it. */
  readonly endpoint: Transport
  /** Called with each configuration to apply, one at a time; the next poll waits for it. Must not throw (an exception is reported as `PollFailed`). */
  readonly apply: (config: ClusterConfig) => T.Task<void>
  /** Milliseconds between polls. Default `DEFAULT_DISCOVERY_INTERVAL` (60 s, as AWS's cluster client). */
  readonly intervalMs?: number
  /** Up to this many milliseconds added at random to each interval. Default a tenth of `intervalMs`. */
  readonly jitterMs?: number
  /** Milliseconds a poll may take. Default `DEFAULT_DISCOVERY_TIMEOUT` (5 s). */
  readonly timeoutMs?: number
  /** Default `'config'`. */
  readonly command?: DiscoveryCommand
  /** The version already applied (a list given as seed has none: leave it out). */
  readonly version?: number
  /** Told what each poll did. Must not throw (an exception is dropped). */
  readonly observe?: (event: DiscoveryEvent) => void
  /** Waits `ms`, or less when `signal` fires; never rejects. Default: an unref'd `setTimeout`. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** A number in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number
  /** The clock for a poll's deadline, in ms. Default `Date.now`. */
  readonly now?: () => number
  /** The endpoint's name in a `Timeout` error. Default `'configuration endpoint'`. */
  readonly name?: string
}

/**
 * A running poller.
 *
 * @example
 * const discovery: Discovery = makeDiscovery({ endpoint, apply })
 * await discovery.ready()
 * discovery.current() // some({ version, nodes }) once a list was applied
 * await discovery.close()
 * @category model
 */
export interface Discovery {
  /** The last configuration applied. */
  readonly current: IO.IO<O.Option<ClusterConfig>>
  /** Resolves once the first poll is over (applied, ignored or failed), or on `close`. */
  readonly ready: T.Task<void>
  /** Whether the first poll is over. */
  readonly isReady: IO.IO<boolean>
  /** Polls now, out of turn (after the poll in progress, if any). */
  readonly poll: T.Task<void>
  /** Stops polling at once: the wait and the poll in progress are cancelled. */
  readonly close: T.Task<void>
}

/** 60 s: how often AWS's ElastiCache cluster client polls by default. @category model */
export const DEFAULT_DISCOVERY_INTERVAL = 60_000

/** 5 s for one poll. @category model */
export const DEFAULT_DISCOVERY_TIMEOUT = 5_000

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Waits `ms` on an unref'd timer, or until `signal` fires; never rejects.
 *
 * @example
 * await abortableSleep(50, new AbortController().signal)
 * @category utils
 */
export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, Math.min(ms, 0x7fff_ffff)))
    timer.unref()
    signal.addEventListener('abort', done, { once: true })
  })

const requestFor = (command: DiscoveryCommand): Request => (command === 'config' ? configGet() : get([LEGACY_CLUSTER_CONFIG_KEY]))

/**
 * The configuration in a reply to `config get cluster` or `get AmazonElastiCache:cluster`, or why
 * there is none.
 *
 * @example
 * configOfReply(Reply.clusterConfigReply({ version: 1, nodes })) // right({ version: 1, nodes })
 * configOfReply(Reply.failure(unknownCommand(''))) // left(UnknownCommand): not a configuration endpoint
 * @category utils
 */
export const configOfReply = (reply: Reply): E.Either<MemcacheError, ClusterConfig> => {
  switch (reply._tag) {
    case 'ClusterConfig':
      return E.right({ version: reply.version, nodes: reply.nodes })
    case 'Values': {
      const [item] = reply.items
      return item === undefined ? E.left(protocolError(`no ${LEGACY_CLUSTER_CONFIG_KEY} item: not an ElastiCache node?`)) : parseClusterConfig(item.value)
    }
    case 'Failure':
      return E.left(reply.error)
    default:
      return E.left(protocolError(`a ${reply._tag} reply where a cluster configuration was expected`))
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Starts polling `options.endpoint` (the first poll at once) and calling `options.apply` with
 * each newer configuration. See the module documentation for the rules.
 *
 * @example
 * const router = rendezvousRouter([])
 * const discovery = makeDiscovery({
 *   endpoint: reconnecting({ server: 'mycluster.cfg.use1.cache.amazonaws.com:11211' }),
 *   apply: (config) => async () => {
 *     await router.setNodes(config.nodes.map((node) => nodeAddress(node)), (name) => reconnecting({ server: name }))()
 *   },
 *   observe: (event) => event._tag === 'PollFailed' && console.warn(event.error.message),
 * })
 * @category constructors
 */
export const makeDiscovery = (options: DiscoveryOptions): Discovery => {
  const intervalMs = options.intervalMs ?? DEFAULT_DISCOVERY_INTERVAL
  const jitterMs = options.jitterMs ?? intervalMs / 10
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT
  const sleep = options.sleep ?? abortableSleep
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const name = options.name ?? 'configuration endpoint'
  const request = requestFor(options.command ?? 'config')

  const stopping = new AbortController()
  let applied: ClusterConfig | undefined
  let version = options.version
  let ready = false
  let markReady: () => void = () => undefined
  const readyPromise = new Promise<void>((resolve) => {
    markReady = () => {
      ready = true
      resolve()
    }
  })

  const report = (event: DiscoveryEvent): void => {
    try {
      options.observe?.(event)
    } catch {
      // An observer's exception is its own business: the poller goes on.
    }
  }

  /** One request to the endpoint, within `timeoutMs`, cancelled by `close`. */
  const fetchConfig = async (): Promise<E.Either<MemcacheError, ClusterConfig>> => {
    const attempt = new AbortController()
    const stop = (): void => attempt.abort()
    stopping.signal.addEventListener('abort', stop, { once: true })
    try {
      const timedOut = sleep(timeoutMs, attempt.signal).then(() => E.left<MemcacheError, Reply>(timeout(timeoutMs, 'config', name)))
      const answered = options.endpoint.send(request, { signal: attempt.signal, deadline: now() + timeoutMs })()
      const result = await Promise.race([answered, timedOut])
      return E.isLeft(result) ? result : configOfReply(result.right)
    } catch (error) {
      // A transport that broke its promise and rejected: a failed poll, not a crash.
      return E.left(protocolError(`the endpoint's transport threw: ${error instanceof Error ? error.message : String(error)}`))
    } finally {
      attempt.abort()
      stopping.signal.removeEventListener('abort', stop)
    }
  }

  const consider = async (config: ClusterConfig): Promise<void> => {
    if (version !== undefined && config.version === version) return report({ _tag: 'Unchanged', version })
    if (version !== undefined && config.version < version) return report({ _tag: 'Stale', version: config.version, current: version })
    if (config.nodes.length === 0) return report({ _tag: 'Ignored', version: config.version, reason: 'the node list is empty' })
    const previous = version
    try {
      await options.apply(config)()
    } catch (error) {
      report({ _tag: 'PollFailed', error: protocolError(`applying version ${config.version} threw: ${error instanceof Error ? error.message : String(error)}`) })
      return
    }
    applied = config
    version = config.version
    const nodes = config.nodes.map((node) => `${node.host}|${node.ip}|${node.port}`)
    report(previous === undefined ? { _tag: 'Applied', version: config.version, nodes } : { _tag: 'Applied', version: config.version, nodes, previous })
  }

  let polling: Promise<void> = Promise.resolve()

  const pollOnce = async (): Promise<void> => {
    if (stopping.signal.aborted) return
    const fetched = await fetchConfig()
    if (stopping.signal.aborted) return
    if (E.isLeft(fetched)) report({ _tag: 'PollFailed', error: fetched.left })
    else await consider(fetched.right)
  }

  /** Polls one at a time: a poll asked for during another runs after it. */
  const poll = (): Promise<void> => {
    polling = polling.then(pollOnce)
    return polling
  }

  const loop = async (): Promise<void> => {
    await poll()
    markReady()
    while (!stopping.signal.aborted) {
      await sleep(intervalMs + random() * jitterMs, stopping.signal)
      await poll()
    }
  }
  void loop()

  return {
    current: () => O.fromNullable(applied),
    ready: () => readyPromise,
    isReady: () => ready,
    poll,
    close: async () => {
      stopping.abort()
      markReady()
      await polling
    },
  }
}

/**
 * Holds requests that come before the first poll is over until it is (an applied list, or a
 * failure: then the nodes below answer as they are, `NoServers` when there are none). For a
 * client started from the endpoint alone, without seed servers. Costs one boolean check per
 * request after that.
 *
 * @example
 * const transport = withFirstPoll(discovery)(router)
 * @category combinators
 */
export const withFirstPoll =
  (discovery: Discovery): Middleware =>
  (next) => ({
    send: (request, context) => (discovery.isReady() ? next.send(request, context) : () => discovery.ready().then(next.send(request, context))),
    close: next.close,
  })
