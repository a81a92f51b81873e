/**
 * fp-memcache behind the bench's `BenchClient` interface, built only from the library's public
 * pieces: `createClient` (the ready object), `connect` (one raw connection, `Request`s in and
 * `Reply`s out), and the `withBatching` / `withObserve` middleware over a `reconnecting` transport.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { bindCommands, createClient } from '../src/client.js'
import { commands } from '../src/commands/commands.js'
import { getManyMeta, getMeta, metaSet } from '../src/commands/meta.js'
import type { MemcacheError } from '../src/error.js'
import type { Reply } from '../src/protocol/reply.js'
import * as Request from '../src/protocol/request.js'
import { bytes } from '../src/serde/bytes.js'
import type { Encoded } from '../src/serde/serde.js'
import type * as Meta from '../src/protocol/meta.js'
import { withBatching } from '../src/middleware/batching.js'
import { connect } from '../src/transport/connection.js'
import { withObserve } from '../src/middleware/observe.js'
import { reconnecting } from '../src/transport/reconnecting.js'
import type { Transport } from '../src/transport/transport.js'
import { makeRouter } from '../src/routing/router.js'
import { rendezvous } from '../src/routing/rendezvous.js'
import type { BenchClient } from './competitors.js'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const rightOf = <A>(result: E.Either<MemcacheError, A>): A => {
  if (E.isLeft(result)) throw new Error(`${result.left._tag}: ${result.left.message}`)
  return result.right
}

const replyOf = (result: E.Either<MemcacheError, Reply>): Reply => {
  const reply = rightOf(result)
  if (reply._tag === 'Failure') throw new Error(`${reply.error._tag}: ${reply.error.message}`)
  return reply
}

const itemsOf = (result: E.Either<MemcacheError, Reply>): ReadonlyMap<string, Uint8Array> => {
  const reply = replyOf(result)
  if (reply._tag !== 'Values') throw new Error(`expected Values, got ${reply._tag}`)
  return new Map(reply.items.map((item) => [item.key, item.value]))
}

type Result<A> = E.Either<MemcacheError, A>

/** The commands of `commands(bytes)` bound to `transport`, as a bench client. */
const commandsClient = (
  name: string,
  transport: Transport,
): BenchClient<Result<O.Option<Uint8Array>>, Result<ReadonlyMap<string, Uint8Array>>, Result<boolean>> => {
  const bound = bindCommands(commands(bytes), transport)
  return {
    name,
    notes: {},
    get: (key) => bound.get(key)(),
    getMany: (keys) => bound.getMany(keys)(),
    set: (key, value) => bound.set(key, value)(),
    failed: E.isLeft,
    found: (result) => O.toUndefined(rightOf(result)),
    foundMany: rightOf,
    stored: rightOf,
    close: () => transport.close(),
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `createClient({ servers, serde: bytes })`: what an application would use (batching on, its
 * default: a lone get goes at once, concurrent ones are merged per server).
 */
export const ourClient = (server: string): BenchClient => {
  const client = createClient({ servers: server, serde: bytes })
  return {
    ...commandsClient('fp-memcache (client)', client.transport),
    notes: { setup: "createClient({ servers, serde: bytes }): ASCII, one socket, batching on (the default), its commands' TaskEithers run with ()" },
    close: () => client.close(),
  }
}

/** `createClient({ servers, serde: bytes, batching: false })`: every get its own request. */
export const ourUnbatchedClient = (server: string): BenchClient => {
  const client = createClient({ servers: server, serde: bytes, batching: false })
  return {
    ...commandsClient('fp-memcache, batching off', client.transport),
    notes: { setup: 'createClient({ servers, serde: bytes, batching: false }): every get its own request, pipelined on one socket' },
    close: () => client.close(),
  }
}

/** `createClient({ servers, serde: bytes, batching: { protocol: 'meta' } })`: gets merged into quiet `mg` batches. */
export const ourMetaBatchedClient = (server: string): BenchClient => {
  const client = createClient({ servers: server, serde: bytes, batching: { protocol: 'meta' } })
  return {
    ...commandsClient('fp-memcache + meta batching', client.transport),
    notes: { setup: "createClient({ servers, serde: bytes, batching: { protocol: 'meta' } }): single gets merged into quiet mg batches" },
    close: () => client.close(),
  }
}

/**
 * The same `createClient` stack, driven through the meta commands: `getMeta` for a single get
 * (`mg <key> v f`), `getManyMeta` for a get-many (one quiet `mg` batch closed by `mn`), `metaSet`
 * for a set (`ms <key> <size>`).
 */
export const ourMetaClient = (server: string): BenchClient<Result<O.Option<Encoded>>, Result<ReadonlyMap<string, Encoded>>, Result<Meta.MetaReply>> => {
  const client = createClient({ servers: server, serde: bytes })
  const transport = client.transport
  return {
    name: 'fp-memcache meta',
    notes: { setup: 'createClient({ servers, serde: bytes }) driven by getMeta / getManyMeta / metaSet (meta protocol, pipelined)' },
    // Results are left as the commands give them (the text client's are too); the checks unwrap them.
    get: (key) => getMeta(key)(transport)(),
    getMany: (keys) => getManyMeta(keys)(transport)(),
    set: (key, value) => metaSet(key, value)(transport)(),
    failed: E.isLeft,
    found: (result) => O.toUndefined(O.map((encoded: Encoded) => encoded.bytes)(rightOf(result))),
    foundMany: (result) => new Map([...rightOf(result)].map(([key, encoded]) => [key, encoded.bytes])),
    stored: (result) => rightOf(result).code === 'HD',
    close: () => client.close(),
  }
}

/** A client over several servers that counts the requests each server's transport was sent. */
export interface RoutedClient extends BenchClient {
  /** Requests sent to each server so far, by server. */
  readonly requestsPerServer: () => ReadonlyArray<number>
}

/**
 * `commands(bytes)` over `makeRouter(rendezvous, ...)` of one `reconnecting` transport per server,
 * each under a counter: what `createClient({ servers })` builds (without its pools), with a
 * request count per server, so that a get-many's round trips per server can be read off.
 */
export const ourRoutedClient = (servers: ReadonlyArray<string>): RoutedClient => {
  const counts = servers.map(() => 0)
  const counted = (inner: Transport, index: number): Transport => ({
    send: (request, context) => {
      counts[index] = (counts[index] ?? 0) + 1
      return inner.send(request, context)
    },
    close: inner.close,
  })
  const router = makeRouter(
    rendezvous,
    servers.map((server, index) => ({ name: server, transport: counted(reconnecting({ server }), index) })),
  )
  return {
    ...commandsClient(`fp-memcache (${servers.length} servers)`, router),
    notes: { setup: `commands(bytes) over makeRouter(rendezvous) of ${servers.length} reconnecting transports` },
    requestsPerServer: () => [...counts],
  }
}

/** One `connect`ed connection, `Request` constructors in, raw `Reply`s out: the floor under the client. */
export const ourConnection = async (server: string): Promise<BenchClient<Result<Reply>, Result<Reply>, Result<Reply>>> => {
  const connection = rightOf(await connect({ server })())
  return {
    name: 'fp-memcache (connection)',
    notes: { setup: 'connect({ server }) and connection.send(Request.get([key]))(): raw Replies, no command layer' },
    get: (key) => connection.send(Request.get([key]))(),
    getMany: (keys) => connection.send(Request.get(keys))(),
    set: (key, value) => connection.send(Request.set(key, value))(),
    failed: (result) => E.isLeft(result) || result.right._tag === 'Failure',
    found: (result) => {
      const items = itemsOf(result)
      if (items.size > 1) throw new Error(`one key asked, ${items.size} items returned`)
      return items.values().next().value
    },
    foundMany: itemsOf,
    stored: (result) => replyOf(result)._tag === 'Stored',
    close: () => connection.close(),
  }
}

/** A bench client that also counts the requests that reached its connection. */
export interface CountedClient extends BenchClient {
  readonly requests: () => number
}

/**
 * The `withBatching` comparison: the same command stack with and without the middleware, with a
 * `withObserve` hook under it (on both, so both pay for it) counting the requests that reach the
 * connection.
 */
export const batchingPair = (server: string): { readonly unbatched: CountedClient; readonly batched: CountedClient } => {
  const counted = (name: string, batch: boolean): CountedClient => {
    let requests = 0
    const observed = pipe(
      reconnecting({ server }),
      withObserve({
        onRequest: () => {
          requests++
        },
      }),
    )
    const transport = batch ? withBatching()(observed) : observed
    const notes = { setup: `commands(bytes) bound to reconnecting ∘ withObserve${batch ? ' ∘ withBatching()' : ''}` }
    return { ...commandsClient(name, transport), notes, requests: () => requests }
  }
  return { unbatched: counted('fp-memcache (unbatched)', false), batched: counted('fp-memcache + withBatching()', true) }
}
