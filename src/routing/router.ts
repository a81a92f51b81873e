/**
 * The router: one `Transport` over named nodes, placing each key with a `Hashing` (`rendezvous`,
 * `ketama` or your own) and keeping each node's health with a `HealthPolicy`
 * (`circuitBreakerHealth` by default), one `makeNodeHealth` per node.
 *
 * - A single-key request, and a retrieval of one key, goes straight to the node that owns its key
 *   and its reply comes back as the node gave it.
 * - `get`/`gets`/`gat`/`gats` with many keys are split by node, sent in parallel, and merged back
 *   into one `Values` reply in the caller's key order.
 * - A meta request goes to the node of its key (a binary key is placed as the text key with the
 *   same UTF-8 bytes); a `MetaBatch` is split by node — one batch and one `mn` per node, sent in
 *   parallel — and its replies merged back in request order.
 * - `stats`, `flush_all`, `version`, `verbosity` and `cache_memlimit` go to every node: `broadcast`
 *   answers each node's result; `send` answers the first node's reply when every node succeeded,
 *   else the first error (in node order), else the first `Failure` reply.
 * - `quit`, `shutdown` and `raw` name no key, so `send` refuses them (`InvalidArgument`): address
 *   them with `sendTo(node, request)` or `broadcast(request)`.
 * Health (see `health.ts`), with the default policy, `circuitBreakerHealth()`: only
 * connection-level errors count against a node (refused connects, resets and closed connections
 * weigh 1, timeouts 0.5) — an `InvalidKey` or a server error line says nothing about it. A node
 * that failed is `Suspected` and still gets its requests: a slow reply or a reset now and then
 * costs those requests only, never the node's keys. Failures in a row weighing 3 take it out of
 * service (`Failing`): one trial request at a time goes to it (the first at once, then one a
 * second), the others fail fast with `NoServers` — or, with `failover: true`, go to the next node
 * in the key's preference order (a node is admitted once per request, so a many-key request
 * probes a node with all its keys at once) — and the first trial that succeeds puts it back.
 * A node out of service keeps its place: its keys come back to it with it.
 *
 * pymemcache's `HashClient` algorithm is `health: pymemcacheHealth({ retryAttempts, retryTimeout,
 * deadTimeout })`, and giving any of those three knobs here without a `health` selects it too (so
 * configurations written for it keep their behaviour): one failure refuses a node's keys for
 * `retryTimeout`, `retryAttempts` failed retries make it dead — out of the rotation, its keys on
 * their next node — until `deadTimeout`. Under transient faults that is an outage (see the README).
 *
 * With any policy, failures of requests that were already in flight when the node's state changed
 * are not counted again: one outage of a busy node is one failure, not fifty. No timers: trial
 * requests and re-admission happen when requests come, with the `now` clock (injectable). Pass
 * another policy as `health` to change all of this.
 *
 * The request context (`RequestContext`: signal, deadline, retry) goes on to the node transport
 * with the request, and to each node of a split many-key request.
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
import { timerDelay } from '../transport/timer.js'
import { invalidArgument } from '../protocol/error.js'
import { isFatalToConnection, isTransient, type MemcacheError } from '../error.js'
import { noServers } from './error.js'
import { collectByKey, noReply, notFound, notStored, values, valuesFor, type Item, type Reply } from '../protocol/reply.js'
import { commandName, isRetrieval, isSingleKey, type Request, type Retrieval } from '../protocol/request.js'
import type { RequestContext } from '../transport/context.js'
import type { Transport } from '../transport/transport.js'
import type { Hashing, Placement } from './hashing.js'
import {
  circuitBreakerHealth,
  makeNodeHealth,
  pymemcacheHealth,
  type Health,
  type HealthEvent,
  type HealthOptions,
  type HealthPolicy,
  type NodeHealth,
  type Ticket,
} from './health.js'
import { makeKetama, type KetamaOptions } from './ketama.js'
import { isMetaKeyed, metaBatch, metaBatchReply, routingString, type MetaBatch, type MetaFailure, type MetaKeyed, type MetaReply } from '../protocol/meta.js'
import { rendezvous } from './rendezvous.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A memcached server as the router sees it: its name (`host:port`) and how to reach it.
 *
 * @example
 * const node: Node = { name: '127.0.0.1:11211', transport: makePooled(connect({ server: '127.0.0.1:11211' })) }
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
 * rendezvousRouter(nodes, { failover: true, ignoreErrors: true, routingKey: hashTag })
 * @category model
 */
export interface RouterOptions extends HealthOptions {
  /**
   * The dead-server algorithm, one state machine per node. Default `circuitBreakerHealth()`; when
   * any of pymemcache's knobs (`retryAttempts`, `retryTimeout`, `deadTimeout`) is given,
   * `pymemcacheHealth` with them. The knobs are ignored when a policy is given: write
   * `health: pymemcacheHealth({ deadTimeout: 30_000 })` or `health: circuitBreakerHealth({ threshold: 5 })`.
   */
  readonly health?: HealthPolicy
  /**
   * When a key's owner refuses requests (`Failing`: out of service, not dead), send to the next
   * node in the key's preference order instead of failing fast. A `Suspected` node still gets its
   * requests. Default `false` (pymemcache's behaviour).
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
  /**
   * Milliseconds a removed node (`removeNode`, `setNodes`) is given to finish the requests it
   * already has before its transport is closed anyway. Default `DEFAULT_DRAIN_TIMEOUT` (10 s);
   * `Infinity` waits for them however long they take.
   */
  readonly drainTimeout?: number
}

/**
 * How long a removed node may take to finish its requests in flight before it is closed: 10 s.
 * @example
 * makeRouter(rendezvous, nodes, { drainTimeout: DEFAULT_DRAIN_TIMEOUT / 2 })
 * @category model
 */
export const DEFAULT_DRAIN_TIMEOUT = 10_000

/**
 * What `setNodes` changed: the names added and the names removed, in the order given / held.
 *
 * @example
 * const change: Membership = { added: ['10.0.0.4:11211'], removed: ['10.0.0.1:11211'] }
 * @category model
 */
export interface Membership {
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
}

/**
 * The `RouterOptions` of `ketamaRouter`, plus its placement options.
 *
 * @example
 * ketamaRouter(nodes, { weights: { '10.0.0.1:11211': 2 }, failover: true })
 * @category model
 */
export interface KetamaRouterOptions extends RouterOptions, KetamaOptions {}

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
 * const cluster: Router = makeRouter(rendezvous, nodes)
 * cluster.addNode({ name: '10.0.0.9:11211', transport })()
 * @category model
 */
export interface Router extends Transport {
  /** The placement algorithm's name. */
  readonly hashing: string
  /** Sends `request` to every node; one result per node, in the order nodes were added. */
  readonly broadcast: (request: Request, context?: RequestContext) => T.Task<ReadonlyArray<NodeResult>>
  /** Sends `request` to one node by name (health still applies: a failing node refuses fast). */
  readonly sendTo: (node: string, request: Request, context?: RequestContext) => TE.TaskEither<MemcacheError, Reply>
  /** Adds a node (it starts `Up`); `false` when a node of that name is already there. */
  readonly addNode: (node: Node) => IO.IO<boolean>
  /**
   * Removes a node: at once no new request goes to it (its keys move as the hashing says), the
   * requests it already has finish, then its transport is closed (after `drainTimeout` at most).
   * `false` when there is no such node.
   */
  readonly removeNode: (name: string) => T.Task<boolean>
  /**
   * Makes the node set `names`: adds the new ones (their transports from `transportOf`, called
   * for new names only) and removes the others as `removeNode` does, in one step, so keys move
   * once, straight to their new owners. Resolves when the removed nodes are drained and closed.
   */
  readonly setNodes: (names: ReadonlyArray<string>, transportOf: (name: string) => Transport) => T.Task<Membership>
  /** Every node and its health, re-admitting the dead whose time is up. */
  readonly status: IO.IO<ReadonlyArray<NodeStatus>>
  /** The node that owns `key` now (rotation as it is, failover not considered); `none` without nodes in rotation. */
  readonly ownerOf: (key: string) => O.Option<string>
}

interface NodeState {
  readonly name: string
  readonly transport: Transport
  readonly health: NodeHealth
  /** Requests sent to the node and not answered yet, and who waits for them to reach 0. */
  readonly load: { inFlight: number; onIdle: (() => void) | undefined }
}

interface Chosen {
  readonly _tag: 'Target'
  readonly state: NodeState
  readonly ticket: Ticket
}

type Target = Chosen | { readonly _tag: 'Refused'; readonly error: MemcacheError }

/** The ticket each node was given during one many-key request: a node is admitted once per request. */
type Admitted = Map<NodeState, O.Option<Ticket>>

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

const isDead = (health: Health): boolean => health._tag === 'Dead'

/** `circuitBreakerHealth()`, or pymemcache's algorithm when one of its knobs is given. */
const defaultHealth = (options: HealthOptions): HealthPolicy =>
  options.retryAttempts === undefined && options.retryTimeout === undefined && options.deadTimeout === undefined
    ? circuitBreakerHealth()
    : pymemcacheHealth(options)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A router over `nodes` placing keys with `hashing`. The router owns the node transports:
 * `close` (and `removeNode`) close them.
 *
 * @example
 * import { rendezvous } from './rendezvous.js'
 * const cluster = makeRouter(rendezvous, nodes, { onHealth: console.log })
 * const reply = await cluster.send(Request.get(['a', 'b', 'c']))() // one Values, in a, b, c order
 * @category constructors
 */
export const makeRouter = (hashing: Hashing, nodes: ReadonlyArray<Node>, options: RouterOptions = {}): Router => {
  const policy = options.health ?? defaultHealth(options)
  const now = options.now ?? Date.now
  const routingKey = options.routingKey ?? ((key: string) => key)
  const failover = options.failover === true
  const ignoreErrors = options.ignoreErrors === true
  const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT

  const states = new Map<string, NodeState>()
  // Transports given twice under one name are not routed to, but they are still ours to close.
  const duplicates: Array<Transport> = []
  let deadCount = 0
  let closed = false
  // Removed nodes still finishing their requests: `close` closes them too, at once.
  const draining = new Set<NodeState>()
  // Rebuilt whenever the set of nodes in rotation changes.
  let placement: Placement

  const report = (event: HealthEvent): void => {
    try {
      options.onHealth?.(event)
    } catch {
      // A failing hook must not leave the routing state half-updated: its exception is dropped.
    }
  }

  const place = (): Placement => hashing.place([...states.values()].filter((state) => !isDead(state.health.current())).map((state) => state.name))

  const stateOf = (node: Node): NodeState => {
    const state: NodeState = {
      name: node.name,
      transport: node.transport,
      health: makeNodeHealth(node.name, {
        policy,
        now,
        onChange: (event, from, to) => {
          // A node removed meanwhile: its late outcomes change nothing here and are not told.
          if (states.get(node.name) !== state) return
          if (isDead(from) !== isDead(to)) {
            deadCount += isDead(to) ? 1 : -1
            placement = place()
          }
          report(event)
        },
      }),
      load: { inFlight: 0, onIdle: undefined },
    }
    return state
  }

  for (const node of nodes) {
    if (states.has(node.name)) duplicates.push(node.transport)
    else states.set(node.name, stateOf(node))
  }
  placement = place()

  const readmitDue = (): void => {
    if (deadCount === 0) return
    for (const state of states.values()) state.health.refresh()
  }

  const admitOnce = (state: NodeState, admitted: Admitted | undefined): O.Option<Ticket> => {
    if (admitted === undefined) return state.health.admit()
    const earlier = admitted.get(state)
    if (earlier !== undefined) return earlier
    const ticket = state.health.admit()
    admitted.set(state, ticket)
    return ticket
  }

  const targetOf = (key: string, admitted: Admitted | undefined): Target => {
    const placed = routingKey(key)
    const owner = placement.ownerOf(placed)
    const state = O.isNone(owner) ? undefined : states.get(owner.value)
    if (state === undefined) {
      return { _tag: 'Refused', error: noServers(states.size === 0 ? 'the router has no nodes' : `all ${states.size} nodes are marked dead`) }
    }
    const direct = admitOnce(state, admitted)
    if (O.isSome(direct)) return { _tag: 'Target', state, ticket: direct.value }
    if (failover) {
      for (const name of placement.preferenceOf(placed)) {
        const next = states.get(name)
        if (next === undefined || next === state) continue
        const ticket = admitOnce(next, admitted)
        if (O.isSome(ticket)) return { _tag: 'Target', state: next, ticket: ticket.value }
      }
    }
    return { _tag: 'Refused', error: noServers(state.health.refusal()) }
  }

  const dispatch = async (target: Chosen, request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const { state, ticket } = target
    let result: E.Either<MemcacheError, Reply> | undefined
    state.load.inFlight++
    try {
      result = await state.transport.send(request, context)()
      return result
    } finally {
      if (--state.load.inFlight === 0) state.load.onIdle?.()
      // A send that broke its promise and rejected leaves nothing to count; its probe comes back.
      if (result === undefined) state.health.giveBack(ticket)
      else state.health.record(ticket, result)
    }
  }

  const orMiss = (request: Request, result: E.Either<MemcacheError, Reply>): E.Either<MemcacheError, Reply> => {
    if (!ignoreErrors || E.isRight(result) || !isAboutTheNode(result.left)) return result
    const miss = missReply(request)
    return miss === undefined ? result : E.right(miss)
  }

  const sendOne = async (request: Request, key: string, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const target = targetOf(key, undefined)
    return orMiss(request, target._tag === 'Refused' ? E.left(target.error) : await dispatch(target, request, context))
  }

  const sendMany = async (request: Retrieval, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const admitted: Admitted = new Map()
    const groups = new Map<NodeState, { target: Chosen; keys: Array<string> }>()
    for (const key of request.keys) {
      const target = targetOf(key, admitted)
      if (target._tag === 'Refused') {
        if (ignoreErrors && isAboutTheNode(target.error)) continue
        // Nothing is sent: every node admitted so far gets its leave (a probe) back.
        for (const [state, ticket] of admitted) if (O.isSome(ticket)) state.health.giveBack(ticket.value)
        return E.left(target.error)
      }
      const group = groups.get(target.state)
      if (group === undefined) groups.set(target.state, { target, keys: [key] })
      else group.keys.push(key)
    }
    if (groups.size === 0) return E.right(values([]))
    if (groups.size === 1) {
      const only = [...groups.values()][0]
      if (only !== undefined && only.keys.length === request.keys.length) return orMiss(request, await dispatch(only.target, request, context))
    }

    const results = await Promise.all([...groups.values()].map((group) => dispatch(group.target, { ...request, keys: group.keys }, context)))
    const found = new Map<string, Item>()
    for (const raw of results) {
      const result = orMiss(request, raw)
      if (E.isLeft(result)) return result
      if (result.right._tag !== 'Values') return result
      collectByKey(result.right.items, found)
    }
    return E.right(valuesFor(request.keys, found))
  }

  /** A meta batch split by node (one batch and one `mn` per node, in parallel), merged back in request order. */
  const sendMetaBatch = async (request: MetaBatch, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const admitted: Admitted = new Map()
    const groups = new Map<NodeState, { target: Chosen; indexes: Array<number> }>()
    for (let index = 0; index < request.requests.length; index++) {
      const member = request.requests[index] as MetaKeyed
      const target = targetOf(routingString(member.key), admitted)
      if (target._tag === 'Refused') {
        for (const [state, ticket] of admitted) if (O.isSome(ticket)) state.health.giveBack(ticket.value)
        return E.left(target.error)
      }
      const group = groups.get(target.state)
      if (group === undefined) groups.set(target.state, { target, indexes: [index] })
      else group.indexes.push(index)
    }
    const list = [...groups.values()]
    if (list.length === 1 && list[0] !== undefined) return dispatch(list[0].target, request, context)
    const results = await Promise.all(
      list.map((group) => dispatch(group.target, metaBatch(group.indexes.map((index) => request.requests[index] as MetaKeyed)), context)),
    )
    const replies: Array<MetaReply | MetaFailure> = new Array(request.requests.length)
    for (let i = 0; i < list.length; i++) {
      const result = results[i] as E.Either<MemcacheError, Reply>
      if (E.isLeft(result) || result.right._tag !== 'MetaBatchReply') return result
      const indexes = (list[i] as { readonly indexes: ReadonlyArray<number> }).indexes
      result.right.replies.forEach((reply, at) => {
        replies[indexes[at] as number] = reply
      })
    }
    return E.right(metaBatchReply(replies))
  }

  const sendToState = async (state: NodeState, request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const ticket = state.health.admit()
    return O.isNone(ticket) ? E.left(noServers(state.health.refusal())) : dispatch({ _tag: 'Target', state, ticket: ticket.value }, request, context)
  }

  const broadcastAll = async (request: Request, context: RequestContext | undefined): Promise<ReadonlyArray<NodeResult>> => {
    readmitDue()
    const targets = [...states.values()]
    const results = await Promise.all(targets.map((state) => sendToState(state, request, context)))
    return targets.map((state, index) => ({ node: state.name, result: results[index] ?? E.left(noServers(state.health.refusal())) }))
  }

  const sendBroadcast = async (request: Request, context: RequestContext | undefined): Promise<E.Either<MemcacheError, Reply>> => {
    const results = await broadcastAll(request, context)
    const first = results[0]
    if (first === undefined) return E.left(noServers('the router has no nodes'))
    const failed = results.find((each) => E.isLeft(each.result))
    if (failed !== undefined) return failed.result
    const refused = results.find((each) => E.isRight(each.result) && each.result.right._tag === 'Failure')
    return (refused ?? first).result
  }

  const refuseClosed = (): E.Either<MemcacheError, Reply> => E.left(connectionClosed('router', 'was closed'))

  /** Out of the node table at once: no new request can reach it. The caller rebuilds the placement. */
  const detach = (state: NodeState): void => {
    states.delete(state.name)
    if (isDead(state.health.current())) deadCount--
    draining.add(state)
    report({ _tag: 'Removed', node: state.name })
  }

  /** Resolves when the node has no request in flight, after `drainTimeout` at most, or at once on `close`. */
  const drained = (state: NodeState): Promise<void> =>
    new Promise((resolve) => {
      if (state.load.inFlight === 0 || closed || !(drainTimeout > 0)) return resolve()
      const delay = timerDelay(drainTimeout)
      const timer = delay === undefined ? undefined : setTimeout(() => finish(), delay)
      // A drain must not keep the process alive on its own.
      timer?.unref()
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer)
        state.load.onIdle = undefined
        resolve()
      }
      state.load.onIdle = finish
    })

  /** Closes a detached node once its requests are done (unless `close` already closed it). */
  const retire = async (state: NodeState): Promise<void> => {
    await drained(state)
    if (!draining.delete(state)) return
    await state.transport.close()
  }

  const send =
    (request: Request, context?: RequestContext): TE.TaskEither<MemcacheError, Reply> =>
    async () => {
      if (closed) return refuseClosed()
      readmitDue()
      if (isSingleKey(request)) return sendOne(request, request.key, context)
      // A binary key is placed as the text key with its bytes: a text `get` of it finds the item.
      if (isMetaKeyed(request) || request._tag === 'MetaDebug') return sendOne(request, routingString(request.key), context)
      if (request._tag === 'MetaBatch') {
        if (request.requests.length === 0) return E.left(invalidArgument('requests', 'a meta batch needs at least one request'))
        return sendMetaBatch(request, context)
      }
      if (isRetrieval(request)) {
        const [only, ...others] = request.keys
        // One key: straight to its node, no split and no merge.
        if (only !== undefined && others.length === 0) return sendOne(request, only, context)
        if (only === undefined) return E.left(invalidArgument('keys', 'at least one key is needed'))
        return sendMany(request, context)
      }
      if (isBroadcast(request)) return sendBroadcast(request, context)
      return E.left(
        invalidArgument('request', `${commandName(request)} names no key to place it by: use sendTo(node, request) or broadcast(request)`),
      )
    }

  return {
    hashing: hashing.name,
    send,
    broadcast: (request, context) => async () =>
      closed ? [...states.keys()].map((node) => ({ node, result: refuseClosed() })) : broadcastAll(request, context),
    sendTo: (node, request, context) => async () => {
      if (closed) return refuseClosed()
      readmitDue()
      const state = states.get(node)
      return state === undefined ? E.left(noServers(`the router has no node ${node}`)) : sendToState(state, request, context)
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
      detach(state)
      placement = place()
      await retire(state)
      return true
    },
    setNodes: (names, transportOf) => async () => {
      if (closed) return { added: [], removed: [] }
      const wanted = new Set(names)
      const added = [...wanted].filter((name) => !states.has(name))
      const leaving = [...states.values()].filter((state) => !wanted.has(state.name))
      for (const state of leaving) detach(state)
      for (const name of added) {
        states.set(name, stateOf({ name, transport: transportOf(name) }))
        report({ _tag: 'Added', node: name })
      }
      // One new placement for the whole change: a key moves once, straight to its new owner.
      if (added.length > 0 || leaving.length > 0) placement = place()
      await Promise.all(leaving.map(retire))
      return { added, removed: leaving.map((state) => state.name) }
    },
    status: () => {
      readmitDue()
      return [...states.values()].map((state) => ({ node: state.name, health: state.health.current() }))
    },
    ownerOf: (key) => {
      readmitDue()
      return placement.ownerOf(routingKey(key))
    },
    close: async () => {
      if (closed) return
      closed = true
      const leaving = [...draining]
      draining.clear()
      for (const state of leaving) state.load.onIdle?.()
      await Promise.all([
        ...[...states.values(), ...leaving].map((state) => state.transport.close()),
        ...duplicates.map((transport) => transport.close()),
      ])
    },
  }
}

/**
 * A router placing keys as pymemcache's `HashClient`: `makeRouter(rendezvous, nodes, options)`.
 *
 * @example
 * const cluster = rendezvousRouter([
 *   { name: '127.0.0.1:11211', transport: makePooled(connect({ server: '127.0.0.1:11211' })) },
 *   { name: '127.0.0.1:11212', transport: makePooled(connect({ server: '127.0.0.1:11212' })) },
 * ])
 * @category constructors
 */
export const rendezvousRouter = (nodes: ReadonlyArray<Node>, options: RouterOptions = {}): Router => makeRouter(rendezvous, nodes, options)

/**
 * A router placing keys as the `memcached` npm package: `makeRouter(makeKetama(options), nodes, options)`.
 *
 * @example
 * const cluster = ketamaRouter(nodes, { weights: { '10.0.0.1:11211': 2 } })
 * @category constructors
 */
export const ketamaRouter = (nodes: ReadonlyArray<Node>, options: KetamaRouterOptions = {}): Router =>
  makeRouter(makeKetama(options), nodes, options)
