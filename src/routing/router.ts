/**
 * The router: one `Transport` over named nodes, placing each key with a `Hashing` (rendezvous or
 * ketama) and keeping pymemcache's dead-server bookkeeping per node.
 *
 * - A single-key request goes to the node that owns its key.
 * - `get`/`gets`/`gat`/`gats` with many keys are split by node, sent in parallel, and merged back
 *   into one `Values` reply in the caller's key order.
 * - `stats`, `flush_all`, `version`, `verbosity` and `cache_memlimit` go to every node: `broadcast`
 *   answers each node's result; `send` answers the first node's reply when every node succeeded,
 *   else the first error (in node order), else the first `Failure` reply.
 * - `quit`, `shutdown` and `raw` name no key, so `send` refuses them (`InvalidArgument`): address
 *   them with `sendTo(node, request)` or `broadcast(request)`.
 * - Only transient errors (`isTransient`: connect errors, timeouts, closed connections, ...) count
 *   as node failures; an `InvalidKey` says nothing about the node.
 *
 * Health (see `health.ts`): a failing node is asked again only after `retryTimeout`, one probe at
 * a time; until then requests for its keys fail fast with `NoServers` — or, with `failover: true`,
 * go to the next node in the key's preference order. After `retryAttempts` failed retries the node
 * is dead: it leaves the rotation and its keys move to their next node, as in pymemcache, until it
 * is re-admitted `deadTimeout` ms later. Failures of requests that were already in flight when the
 * node's state changed are not counted again: one outage of a busy node is one failure, not fifty.
 * No timers: re-admission is checked when requests come, with the `now` clock (injectable).
 *
 * `ignoreErrors` (pymemcache's `ignore_exc`) turns node failures into the answer of a miss:
 * reads yield no items, stores `NotStored`, `cas`/`delete`/`incr`/`decr`/`touch` `NotFound`
 * (`NoReply` for `noreply` requests). Errors about the request itself (`InvalidKey`,
 * `ValueTooLarge`...) are still returned.
 *
 * Routing keys: `routingKey(key)` chooses the string placed instead of the key (the default is the
 * key itself), e.g. `hashTag` to keep `{user:1}:name` and `{user:1}:mail` on one node, as
 * pymemcache's `(server_key, key)` tuples do. To match pymemcache's `key_prefix` (it places the key
 * before the prefix), put `withKeyPrefix` below the router, on each node; to match `memcached`'s
 * `namespace` (it places the prefixed key), put it above.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as IO from 'fp-ts/lib/IO.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { connectionClosed } from '../transport/error.js'
import { invalidArgument } from '../protocol/error.js'
import { isFatalToConnection, isTransient, type MemcacheError } from '../error.js'
import { noServers } from './error.js'
import { collectByKey, noReply, notFound, notStored, values, valuesFor, type Item, type Reply } from '../protocol/reply.js'
import { commandName, isRetrieval, isSingleKey, type Request, type Retrieval } from '../protocol/request.js'
import type { Transport } from '../transport/transport.js'
import type { Hashing, Placement } from './hashing.js'
import {
  admission,
  afterFailure,
  healthPolicy,
  isDueForReadmission,
  healthy,
  type Health,
  type HealthEvent,
  type HealthOptions,
} from './health.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A memcached server as the router sees it: its name (`host:port`) and how to reach it.
 *
 * @example
 * const node: Node = { name: '127.0.0.1:11211', transport: pooled(connect({ server: '127.0.0.1:11211' })) }
 * @category model
 */
export interface Node {
  readonly name: string
  readonly transport: Transport
}

/**
 * Health, failover, error and placement options of a router.
 *
 * @example
 * rendezvous(nodes, { failover: true, ignoreErrors: true, routingKey: hashTag })
 * @category model
 */
export interface RouterOptions extends HealthOptions {
  /**
   * When a key's owner is failing (not yet dead), send to the next node in the key's preference
   * order instead of failing fast. Default `false` (pymemcache's behaviour).
   */
  readonly failover?: boolean
  /** Node failures become misses / `NotStored` / `NotFound` (pymemcache `ignore_exc`). Default `false`. */
  readonly ignoreErrors?: boolean
  /** The string to place instead of the key (default: the key). See `hashTag`. */
  readonly routingKey?: (key: string) => string
  /** Told every change of a node's state. Must not throw (an exception is dropped). */
  readonly onHealth?: (event: HealthEvent) => void
  /** The clock health decisions read, in ms. Default `Date.now`. */
  readonly now?: () => number
}

/**
 * One node's outcome of a broadcast.
 *
 * @example
 * const perNode = await router.broadcast(Request.version)() // [{ node: '10.0.0.1:11211', result: right(...) }, ...]
 * @category model
 */
export interface NodeResult {
  readonly node: string
  readonly result: E.Either<MemcacheError, Reply>
}

/**
 * A node and its health, from `Router.status`.
 *
 * @example
 * router.status() // [{ node: '10.0.0.1:11211', health: { _tag: 'Up' } }, ...]
 * @category model
 */
export interface NodeStatus {
  readonly node: string
  readonly health: Health
}

/**
 * A routing `Transport` with its cluster operations.
 *
 * @example
 * const cluster: Router = rendezvous(nodes)
 * await cluster.addNode({ name: '10.0.0.9:11211', transport })()
 * @category model
 */
export interface Router extends Transport {
  /** The placement algorithm's name. */
  readonly hashing: string
  /** Sends `request` to every node; one result per node, in the order nodes were added. */
  readonly broadcast: (request: Request) => T.Task<ReadonlyArray<NodeResult>>
  /** Sends `request` to one node by name (health still applies: a failing node refuses fast). */
  readonly sendTo: (node: string, request: Request) => TE.TaskEither<MemcacheError, Reply>
  /** Adds a node (it starts `Up`); `false` when a node of that name is already there. */
  readonly addNode: (node: Node) => IO.IO<boolean>
  /** Removes a node and closes its transport; `false` when there is no such node. */
  readonly removeNode: (name: string) => T.Task<boolean>
  /** Every node and its health, re-admitting the dead whose time is up. */
  readonly status: IO.IO<ReadonlyArray<NodeStatus>>
  /** The node that owns `key` now (rotation as it is, failover not considered). */
  readonly ownerOf: (key: string) => O.Option<string>
}

interface NodeState {
  readonly name: string
  readonly transport: Transport
  health: Health
  /** Bumped at every state change, so late failures of one incident are counted once. */
  epoch: number
  probing: boolean
}

interface Chosen {
  readonly _tag: 'Target'
  readonly state: NodeState
  readonly probe: boolean
}

type Target = Chosen | { readonly _tag: 'Refused'; readonly error: MemcacheError }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * A `routingKey` that places a key by the part between its first `{` and the next `}` when that is
 * not empty (Redis Cluster's hash tags), and by the whole key otherwise.
 *
 * @example
 * hashTag('{user:1}:name') // 'user:1'
 * hashTag('plain') // 'plain'
 * @category utils
 */
export const hashTag = (key: string): string => {
  const open = key.indexOf('{')
  if (open < 0) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/**
 * A `routingKey` from an explicit map, the rest placed by their own key: pymemcache's
 * `(server_key, key)` tuples, decided ahead of time.
 *
 * @example
 * routeBy(new Map([['user:1:avatar', 'user:1']]))('user:1:avatar') // 'user:1'
 * @category utils
 */
export const routeBy =
  (routingKeys: ReadonlyMap<string, string>) =>
  (key: string): string =>
    routingKeys.get(key) ?? key

const isBroadcast = (request: Request): boolean =>
  request._tag === 'Stats' ||
  request._tag === 'FlushAll' ||
  request._tag === 'Version' ||
  request._tag === 'Verbosity' ||
  request._tag === 'CacheMemlimit'

/** Errors that are about the node, not the request: what `ignoreErrors` turns into misses. */
const isAboutTheNode = (error: MemcacheError): boolean => isTransient(error) || isFatalToConnection(error)

/** The answer of a miss for a request placed by its keys; `undefined` for the others. */
const missReply = (request: Request): Reply | undefined => {
  if (isRetrieval(request)) return values([])
  if (!isSingleKey(request)) return undefined
  if (request.noreply) return noReply
  return request._tag === 'Store' ? notStored : notFound
}

const stateOf = (node: Node): NodeState => ({ name: node.name, transport: node.transport, health: healthy, epoch: 0, probing: false })

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A router over `nodes` placing keys with `hashing`. The router owns the node transports:
 * `close` (and `removeNode`) close them.
 *
 * @example
 * import { rendezvousHashing } from './rendezvous.js'
 * const cluster = makeRouter(rendezvousHashing, nodes, { deadTimeout: 30_000, onHealth: console.log })
 * const reply = await cluster.send(Request.get(['a', 'b', 'c']))() // one Values, in a, b, c order
 * @category constructors
 */
export const makeRouter = (hashing: Hashing, nodes: ReadonlyArray<Node>, options: RouterOptions = {}): Router => {
  const policy = healthPolicy(options)
  const now = options.now ?? Date.now
  const routingKey = options.routingKey ?? ((key: string) => key)
  const failover = options.failover === true
  const ignoreErrors = options.ignoreErrors === true
  const admit = admission(policy)
  const fail = afterFailure(policy)
  const isDue = isDueForReadmission(policy)

  const states = new Map<string, NodeState>()
  // Transports given twice under one name are not routed to, but they are still ours to close.
  const duplicates: Array<Transport> = []
  for (const node of nodes) {
    if (states.has(node.name)) duplicates.push(node.transport)
    else states.set(node.name, stateOf(node))
  }
  let deadCount = 0
  let closed = false

  const place = (): Placement => hashing.place([...states.values()].filter((state) => state.health._tag !== 'Dead').map((state) => state.name))
  let placement = place()

  const report = (event: HealthEvent): void => {
    try {
      options.onHealth?.(event)
    } catch {
      // A failing hook must not leave the routing state half-updated: its exception is dropped.
    }
  }

  const setHealth = (state: NodeState, health: Health): void => {
    const wasDead = state.health._tag === 'Dead'
    state.health = health
    state.epoch++
    const isDead = health._tag === 'Dead'
    if (wasDead !== isDead) {
      deadCount += isDead ? 1 : -1
      placement = place()
    }
  }

  const readmitDue = (at: number): void => {
    if (deadCount === 0) return
    for (const state of states.values()) {
      if (isDue(state.health, at)) {
        setHealth(state, healthy)
        report({ _tag: 'Readmitted', node: state.name })
      }
    }
  }

  const availability = (state: NodeState, at: number): Chosen | undefined => {
    const decision = admit(state.health, at)
    if (decision === 'send') return { _tag: 'Target', state, probe: false }
    if (decision === 'probe' && !state.probing) return { _tag: 'Target', state, probe: true }
    return undefined
  }

  const unavailable = (state: NodeState): MemcacheError =>
    noServers(
      state.health._tag === 'Dead'
        ? `${state.name} is marked dead; it is re-admitted ${policy.deadTimeout} ms after it died`
        : state.health._tag === 'Failing'
          ? `${state.name} is failing (${state.health.failures} failures); it is retried ${policy.retryTimeout} ms after the last one`
          : `${state.name} is being probed`,
    )

  const targetOf = (key: string, at: number): Target => {
    const placed = routingKey(key)
    const owner = placement.ownerOf(placed)
    const state = owner === undefined ? undefined : states.get(owner)
    if (state === undefined) {
      return { _tag: 'Refused', error: noServers(states.size === 0 ? 'the router has no nodes' : `all ${states.size} nodes are marked dead`) }
    }
    const direct = availability(state, at)
    if (direct !== undefined) return direct
    if (failover) {
      for (const name of placement.preferenceOf(placed)) {
        const next = states.get(name)
        const target = next === undefined || next === state ? undefined : availability(next, at)
        if (target !== undefined) return target
      }
    }
    return { _tag: 'Refused', error: unavailable(state) }
  }

  const record = (state: NodeState, epoch: number, probe: boolean, result: E.Either<MemcacheError, Reply>): void => {
    if (states.get(state.name) !== state || state.epoch !== epoch) return
    if (E.isLeft(result) && isTransient(result.left)) {
      const failures = state.health._tag === 'Failing' ? state.health.failures + 1 : 1
      const next = fail(state.health, now())
      setHealth(state, next)
      report({ _tag: next._tag === 'Dead' ? 'Dead' : 'Failed', node: state.name, failures, error: result.left })
    } else if (probe && state.health._tag === 'Failing') {
      setHealth(state, healthy)
      report({ _tag: 'Up', node: state.name })
    }
  }

  const dispatch = async (target: Chosen, request: Request): Promise<E.Either<MemcacheError, Reply>> => {
    const { state, probe } = target
    const epoch = state.epoch
    if (probe) state.probing = true
    try {
      const result = await state.transport.send(request)()
      record(state, epoch, probe, result)
      return result
    } finally {
      if (probe) state.probing = false
    }
  }

  const orMiss = (request: Request, result: E.Either<MemcacheError, Reply>): E.Either<MemcacheError, Reply> => {
    if (!ignoreErrors || E.isRight(result) || !isAboutTheNode(result.left)) return result
    const miss = missReply(request)
    return miss === undefined ? result : E.right(miss)
  }

  const sendOne = async (request: Request, key: string): Promise<E.Either<MemcacheError, Reply>> => {
    const target = targetOf(key, now())
    return orMiss(request, target._tag === 'Refused' ? E.left(target.error) : await dispatch(target, request))
  }

  const sendMany = async (request: Retrieval): Promise<E.Either<MemcacheError, Reply>> => {
    if (request.keys.length === 0) return E.left(invalidArgument('keys', 'at least one key is needed'))
    const at = now()
    const groups = new Map<NodeState, { target: Chosen; keys: Array<string> }>()
    for (const key of request.keys) {
      const target = targetOf(key, at)
      if (target._tag === 'Refused') {
        if (ignoreErrors && isAboutTheNode(target.error)) continue
        return E.left(target.error)
      }
      const group = groups.get(target.state)
      if (group === undefined) groups.set(target.state, { target, keys: [key] })
      else group.keys.push(key)
    }
    if (groups.size === 0) return E.right(values([]))
    const only = groups.size === 1 ? [...groups.values()][0] : undefined
    if (only !== undefined && only.keys.length === request.keys.length) return orMiss(request, await dispatch(only.target, request))

    const results = await Promise.all([...groups.values()].map((group) => dispatch(group.target, { ...request, keys: group.keys })))
    const found = new Map<string, Item>()
    for (const raw of results) {
      const result = orMiss(request, raw)
      if (E.isLeft(result)) return result
      if (result.right._tag !== 'Values') return result
      collectByKey(result.right.items, found)
    }
    return E.right(valuesFor(request.keys, found))
  }

  const sendToState = async (state: NodeState, request: Request): Promise<E.Either<MemcacheError, Reply>> => {
    const target = availability(state, now())
    return target === undefined ? E.left(unavailable(state)) : dispatch(target, request)
  }

  const broadcastAll = async (request: Request): Promise<ReadonlyArray<NodeResult>> => {
    readmitDue(now())
    const targets = [...states.values()]
    const results = await Promise.all(targets.map((state) => sendToState(state, request)))
    return targets.map((state, index) => ({ node: state.name, result: results[index] ?? E.left(unavailable(state)) }))
  }

  const sendBroadcast = async (request: Request): Promise<E.Either<MemcacheError, Reply>> => {
    const results = await broadcastAll(request)
    const first = results[0]
    if (first === undefined) return E.left(noServers('the router has no nodes'))
    const failed = results.find((each) => E.isLeft(each.result))
    if (failed !== undefined) return failed.result
    const refused = results.find((each) => E.isRight(each.result) && each.result.right._tag === 'Failure')
    return (refused ?? first).result
  }

  const refuseClosed = (): E.Either<MemcacheError, Reply> => E.left(connectionClosed('router', 'was closed'))

  const send = (request: Request): TE.TaskEither<MemcacheError, Reply> => async () => {
    if (closed) return refuseClosed()
    readmitDue(now())
    if (isRetrieval(request)) return sendMany(request)
    if (isSingleKey(request)) return sendOne(request, request.key)
    if (isBroadcast(request)) return sendBroadcast(request)
    return E.left(
      invalidArgument('request', `${commandName(request)} names no key to place it by: use sendTo(node, request) or broadcast(request)`),
    )
  }

  return {
    hashing: hashing.name,
    send,
    broadcast: (request) => async () =>
      closed ? [...states.keys()].map((node) => ({ node, result: refuseClosed() })) : broadcastAll(request),
    sendTo: (node, request) => async () => {
      if (closed) return refuseClosed()
      readmitDue(now())
      const state = states.get(node)
      return state === undefined ? E.left(noServers(`the router has no node ${node}`)) : sendToState(state, request)
    },
    addNode: (node) => () => {
      if (closed || states.has(node.name)) return false
      states.set(node.name, stateOf(node))
      placement = place()
      report({ _tag: 'Added', node: node.name })
      return true
    },
    removeNode: (name) => async () => {
      const state = states.get(name)
      if (state === undefined) return false
      states.delete(name)
      if (state.health._tag === 'Dead') deadCount--
      placement = place()
      report({ _tag: 'Removed', node: name })
      await state.transport.close()
      return true
    },
    status: () => {
      readmitDue(now())
      return [...states.values()].map((state) => ({ node: state.name, health: state.health }))
    },
    ownerOf: (key) => {
      readmitDue(now())
      return O.fromNullable(placement.ownerOf(routingKey(key)))
    },
    close: async () => {
      if (closed) return
      closed = true
      await Promise.all([...[...states.values()].map((state) => state.transport.close()), ...duplicates.map((transport) => transport.close())])
    },
  }
}
