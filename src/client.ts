/**
 * `createClient`: the ready object for people who do not want to compose transports themselves.
 *
 * It builds the usual stack — one lazily (re)connecting connection per server, the key prefix on
 * each, a rendezvous router over them when there are several servers (keys placed as pymemcache's
 * `HashClient` places them) — and binds every command of `commands(serde)` to it. Its methods
 * return `TaskEither`s; `toPromises(client)` gives the same methods returning Promises.
 *
 * Options that cannot work (a bad server string, an invalid key prefix) do not throw: every
 * command then fails with the `Left` saying why.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { Command, CommandDefaults } from './commands/command.js'
import { commands, type Commands } from './commands/commands.js'
import type { RawReplies } from './commands/raw.js'
import { invalidArgument } from './protocol/error.js'
import { type MemcacheError } from './error.js'
import type { RawExpect } from './protocol/request.js'
import { rendezvousRouter } from './routing/router.js'
import type { RouterOptions } from './routing/router.js'
import type { Serde } from './serde/serde.js'
import { text } from './serde/text.js'
import { addressName, parseAddress, type Address } from './transport/address.js'
import { DEFAULT_TIMEOUT, type ConnectOptions, type Credentials } from './transport/connection.js'
import { withKeyPrefix } from './middleware/key-prefix.js'
import { reconnecting } from './transport/reconnecting.js'
import { emptyContext, withinMs, type CallOptions } from './transport/context.js'
import type { Middleware, Transport } from './transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface ClientOptions<A> {
  /** One server or several: `host:port`, `[v6]:port`, `unix:/path` (see `parseAddress`). Required. */
  readonly servers: string | ReadonlyArray<string>
  /** How values are written and read. Default: `text` (UTF-8 strings, flags 0). */
  readonly serde?: Serde<A>
  /** Prepended to every key; `prefix + key` must fit 250 bytes. Replies come back unprefixed. */
  readonly keyPrefix?: string
  /**
   * Milliseconds each command may take, from its call to its outcome, when the call does not give
   * its own `timeout`: the request's deadline, which every layer spends from (a wait for a
   * connection, the reply). Also each connection's own limit for a reply, past which it is dropped
   * as out of step. Default 1000; 0 or `Infinity` for none.
   */
  readonly timeout?: number
  /** Milliseconds to open a connection (TCP, TLS and auth). Default 1000. */
  readonly connectTimeout?: number
  /** `noreply` for set/add/replace/append/prepend/setMany/delete/deleteMany/touch. Default `false`. */
  readonly defaultNoreply?: boolean
  /** Accept non-ASCII keys, sent as UTF-8. Default `false`. */
  readonly allowUnicodeKeys?: boolean
  /** TLS: `true`, or Node's `tls.ConnectionOptions` (`ca`, `cert`, `key`, `servername`...). */
  readonly tls?: ConnectOptions['tls']
  /** memcached's ASCII auth (`memcached -Y`). */
  readonly credentials?: Credentials
  /** Requests waiting per connection beyond which a request fails fast with `Overloaded`. Default 10 000. */
  readonly maxPending?: number
  /** Refuse values larger than this many bytes before sending (memcached's `-I`). */
  readonly maxValueSize?: number
  /** Error lines the server sends for `noreply` requests. Default: dropped. */
  readonly onUnsolicited?: (error: MemcacheError) => void
  /** Health and placement options of the router, when there are several servers. */
  readonly routing?: RouterOptions
}

/** A command bound to its transport: same arguments, a `TaskEither` out. @category model */
export type Bound<F> = F extends (...args: infer P) => Command<infer R> ? (...args: P) => TE.TaskEither<MemcacheError, R> : never

/**
 * Every command of `Commands<A>`, bound to the client's transport, plus `close`.
 * @category model
 */
export type Client<A> = { readonly [K in Exclude<keyof Commands<A>, 'raw'>]: Bound<Commands<A>[K]> } & {
  /** Any command line (see `raw`); with several servers it is refused (a raw line names no key). */
  readonly raw: <K extends RawExpect>(line: string, expect: K, data?: Uint8Array, options?: CallOptions) => TE.TaskEither<MemcacheError, RawReplies[K]>
  /** The composed transport, to run stand-alone commands or `ReaderTaskEither` pipelines on. */
  readonly transport: Transport
  /** Closes every socket and drops every timer; later commands fail with `ConnectionClosed`. */
  readonly close: T.Task<void>
}

/** An `Error` carrying a `MemcacheError`: what `toPromises` rejects with. @category model */
export interface MemcacheException extends Error {
  readonly _tag: MemcacheError['_tag']
  /** The error value, as the `TaskEither` methods would have returned it. */
  readonly error: MemcacheError
}

/** A client whose methods return Promises. @category model */
export type PromiseClient<C> = {
  readonly [K in keyof C]: C[K] extends (...args: infer P) => TE.TaskEither<MemcacheError, infer R>
    ? (...args: P) => Promise<R>
    : C[K] extends T.Task<infer R>
      ? () => Promise<R>
      : C[K]
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const refusing = (error: MemcacheError): Transport => ({
  send: () => TE.left(error),
  close: async () => undefined,
})

const connectOptions = <A>(options: ClientOptions<A>, server: string | Address): ConnectOptions => ({
  server,
  ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout }),
  ...(options.allowUnicodeKeys === undefined ? {} : { allowUnicodeKeys: options.allowUnicodeKeys }),
  ...(options.tls === undefined ? {} : { tls: options.tls }),
  ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  ...(options.maxValueSize === undefined ? {} : { maxValueSize: options.maxValueSize }),
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
 * The transport `createClient` builds: per server a reconnecting connection under the key prefix,
 * and a rendezvous router over them when there are several.
 *
 * @example
 * const transport = clientTransport({ servers: ['10.0.0.1:11211', '10.0.0.2:11211'], keyPrefix: 'app:' })
 * @category utils
 */
export const clientTransport = <A>(options: ClientOptions<A>): Transport => {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers
  const keyOptions = { allowUnicodeKeys: options.allowUnicodeKeys ?? false }
  const node = (server: string | Address): Transport => withKeyPrefix(options.keyPrefix ?? '', keyOptions)(reconnecting(connectOptions(options, server)))
  const [first, ...others] = servers
  if (first === undefined) return refusing(invalidArgument('servers', 'at least one server is needed'))
  const deadline = defaultDeadline(options.timeout ?? DEFAULT_TIMEOUT)
  if (others.length === 0) return deadline(node(first))
  const router = rendezvousRouter(
    servers.map((server) => {
      // Parsed once: the node's name, and the address its connections open (a bad one is refused there).
      const parsed = parseAddress(server)
      return E.isRight(parsed) ? { name: addressName(parsed.right), transport: node(parsed.right) } : { name: server, transport: node(server) }
    }),
    options.routing ?? {},
  )
  return deadline(router)
}

/**
 * Binds every command to `transport`.
 *
 * @example
 * const client = bindCommands(commands(text), transport)
 * await client.get('greeting')() // right(some('hello'))
 * @category utils
 */
export const bindCommands = <A>(all: Commands<A>, transport: Transport): Omit<Client<A>, 'close' | 'transport'> => {
  const bound: Record<string, unknown> = {}
  for (const [name, command] of Object.entries(all) as ReadonlyArray<[string, (...args: ReadonlyArray<unknown>) => Command<unknown>]>) {
    bound[name] = (...args: ReadonlyArray<unknown>) => command(...args)(transport)
  }
  return bound as Omit<Client<A>, 'close' | 'transport'>
}

/**
 * The `Error` `toPromises` rejects with: message, `_tag` and the error's fields, the value itself
 * as `error` and `cause`.
 *
 * @example
 * toException(timeout(50, 'get', 'a:1'))._tag // 'Timeout'
 * @category utils
 */
export const toException = (error: MemcacheError): MemcacheException =>
  Object.assign(new Error(error.message, { cause: error }), error, { name: 'MemcacheError', error })

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A client over `servers`, values through `serde` (default `text`).
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * const client = createClient({ servers: '127.0.0.1:11211', keyPrefix: 'app:' })
 * await client.set('greeting', 'hello', { exptime: 60 })() // right(true)
 * await client.get('greeting')() // right(some('hello'))
 * await client.close()
 * @category constructors
 */
export function createClient(options: ClientOptions<string> & { readonly serde?: undefined }): Client<string>
export function createClient<A>(options: ClientOptions<A> & { readonly serde: Serde<A> }): Client<A>
export function createClient<A>(options: ClientOptions<A>): Client<A> {
  const transport = clientTransport(options)
  const defaults: CommandDefaults = { noreply: options.defaultNoreply ?? false }
  const serde = options.serde ?? (text as unknown as Serde<A>)
  return { ...bindCommands(commands(serde, defaults), transport), transport, close: transport.close }
}

/**
 * The same client with Promise-returning methods, for code that does not use fp-ts: a method
 * resolves to the value a `Right` holds and rejects with a `MemcacheException` (an `Error` with
 * the error's `_tag` and fields) where the `TaskEither` would be a `Left`. `close()` never rejects.
 * Nothing rejects unless a method was called and returned that rejection to its caller.
 *
 * @example
 * const cache = toPromises(createClient({ servers: 'localhost:11211' }))
 * await cache.set('k', 'v') // true
 * try { await cache.get('bad key') } catch (e) { console.log(e._tag) } // 'InvalidKey'
 * await cache.close()
 * @category constructors
 */
export const toPromises = <C extends { readonly close: T.Task<void> }>(client: C): PromiseClient<C> => {
  const promised: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(client as Readonly<Record<string, unknown>>)) {
    if (name === 'close') {
      promised[name] = () => client.close().catch(() => undefined)
    } else if (typeof member === 'function') {
      promised[name] = (...args: ReadonlyArray<unknown>) => {
        const task = (member as (...args: ReadonlyArray<unknown>) => TE.TaskEither<MemcacheError, unknown>)(...args)
        return task().then((result) => (E.isRight(result) ? result.right : Promise.reject(toException(result.left))))
      }
    } else {
      promised[name] = member
    }
  }
  return promised as PromiseClient<C>
}
