/**
 * Every failure fp-memcache can report, as one `_tag` union of plain values.
 *
 * Each error carries a `message` a person can act on and the fields a program can branch on.
 * Nothing in the library throws these: they travel in the `Left` of an `Either`/`TaskEither`.
 *
 * Mapping to pymemcache's exception classes (for teams porting code):
 *
 * | fp-memcache          | pymemcache                                   |
 * | -------------------- | -------------------------------------------- |
 * | `InvalidKey`         | `MemcacheIllegalInputError` (key checks)     |
 * | `InvalidArgument`    | `MemcacheIllegalInputError` (flags, exptime) |
 * | `ValueTooLarge`      | `MemcacheServerError` ("object too large")   |
 * | `ClientError`        | `MemcacheClientError`                        |
 * | `ServerError`        | `MemcacheServerError`                        |
 * | `UnknownCommand`     | `MemcacheUnknownCommandError`                |
 * | `ProtocolError`      | `MemcacheUnexpectedCloseError` / `MemcacheUnknownError` |
 * | `ConnectError`       | `socket.error` / `ConnectionRefusedError`    |
 * | `Timeout`            | `socket.timeout`                             |
 * | `ConnectionClosed`   | `MemcacheUnexpectedCloseError`               |
 * | `PoolExhausted`      | `queue.Empty` from the pool (`ObjectPool`)   |
 * | `Overloaded`         | — (pymemcache has no bounded queue)          |
 * | `NoServers`          | `MemcacheError("All servers seem to be down")` |
 * | `SerdeError`         | `ValueError` / `pickle` errors from a serde  |
 * | `AuthError`          | `MemcacheClientError` after a refused login  |
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A key was refused before anything was written.
 * @category model
 */
export interface InvalidKey {
  readonly _tag: 'InvalidKey'
  readonly key: string
  readonly reason: string
  readonly message: string
}

/**
 * A number or option outside what memcached accepts (flags, exptime, delta, cas unique...).
 * @category model
 */
export interface InvalidArgument {
  readonly _tag: 'InvalidArgument'
  readonly argument: string
  readonly message: string
}

/**
 * A value larger than the server (or the client's configured limit) accepts.
 * @category model
 */
export interface ValueTooLarge {
  readonly _tag: 'ValueTooLarge'
  readonly key: string
  /** Bytes of the value, or -1 where the server refused without saying. */
  readonly size: number
  readonly message: string
}

/**
 * `CLIENT_ERROR <reason>` from the server: the request was malformed.
 * @category model
 */
export interface ClientError {
  readonly _tag: 'ClientError'
  readonly reason: string
  readonly message: string
}

/**
 * `SERVER_ERROR <reason>` from the server (out of memory, busy...).
 * @category model
 */
export interface ServerError {
  readonly _tag: 'ServerError'
  readonly reason: string
  readonly message: string
}

/**
 * A bare `ERROR` line: the server does not know the command.
 * @category model
 */
export interface UnknownCommand {
  readonly _tag: 'UnknownCommand'
  /** Text after `ERROR`, when the server gave one (e.g. "Too many open connections"). */
  readonly reason: string
  readonly message: string
}

/**
 * Bytes that do not fit the protocol: the stream cannot be trusted any more.
 * @category model
 */
export interface ProtocolError {
  readonly _tag: 'ProtocolError'
  readonly message: string
}

/**
 * A connection could not be opened (refused, DNS, TLS handshake, connect timeout).
 * @category model
 */
export interface ConnectError {
  readonly _tag: 'ConnectError'
  readonly node: string
  /** Node's error code when there is one (`ECONNREFUSED`, `ETIMEDOUT`...). */
  readonly code: string
  readonly message: string
}

/**
 * A request got no reply in time; its connection is destroyed.
 * @category model
 */
export interface Timeout {
  readonly _tag: 'Timeout'
  readonly after: number
  readonly request: string
  readonly node: string
  readonly message: string
}

/**
 * The connection closed (or was destroyed) before the reply came.
 * @category model
 */
export interface ConnectionClosed {
  readonly _tag: 'ConnectionClosed'
  readonly node: string
  readonly message: string
}

/**
 * A pool stayed full for the whole acquire timeout.
 * @category model
 */
export interface PoolExhausted {
  readonly _tag: 'PoolExhausted'
  readonly waited: number
  readonly message: string
}

/**
 * More requests waiting than the configured bound (`maxPending`): failed fast instead of queueing.
 * @category model
 */
export interface Overloaded {
  readonly _tag: 'Overloaded'
  readonly pending: number
  readonly message: string
}

/**
 * A router had no live node for the key.
 * @category model
 */
export interface NoServers {
  readonly _tag: 'NoServers'
  readonly message: string
}

/**
 * A value could not be turned into bytes, or bytes back into a value.
 * @category model
 */
export interface SerdeError {
  readonly _tag: 'SerdeError'
  readonly flags: number
  readonly message: string
}

/**
 * The server refused the ASCII authentication handshake.
 * @category model
 */
export interface AuthError {
  readonly _tag: 'AuthError'
  readonly node: string
  readonly message: string
}

/**
 * @category model
 */
export type MemcacheError =
  | InvalidKey
  | InvalidArgument
  | ValueTooLarge
  | ClientError
  | ServerError
  | UnknownCommand
  | ProtocolError
  | ConnectError
  | Timeout
  | ConnectionClosed
  | PoolExhausted
  | Overloaded
  | NoServers
  | SerdeError
  | AuthError

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * invalidKey('a b', 'whitespace at byte 1').message // 'invalid key "a b": whitespace at byte 1'
 * @category constructors
 */
export const invalidKey = (key: string, reason: string): InvalidKey => ({
  _tag: 'InvalidKey',
  key,
  reason,
  message: `invalid key ${JSON.stringify(key.length > 60 ? key.slice(0, 60) + '…' : key)}: ${reason}`,
})

/**
 * @example
 * invalidArgument('flags', 'must be an integer in 0..4294967295, got -1')
 * @category constructors
 */
export const invalidArgument = (argument: string, reason: string): InvalidArgument => ({
  _tag: 'InvalidArgument',
  argument,
  message: `invalid ${argument}: ${reason}`,
})

/**
 * @example
 * valueTooLarge('k', 2_000_000)
 * @category constructors
 */
export const valueTooLarge = (key: string, size: number): ValueTooLarge => ({
  _tag: 'ValueTooLarge',
  key,
  size,
  message:
    size >= 0
      ? `value for ${JSON.stringify(key)} is too large (${size} bytes)`
      : `value for ${JSON.stringify(key)} is too large for the server`,
})

/**
 * @example
 * clientError('bad data chunk')
 * @category constructors
 */
export const clientError = (reason: string): ClientError => ({
  _tag: 'ClientError',
  reason,
  message: `server reported a client error: ${reason}`,
})

/**
 * @example
 * serverError('out of memory storing object')
 * @category constructors
 */
export const serverError = (reason: string): ServerError => ({
  _tag: 'ServerError',
  reason,
  message: `server error: ${reason}`,
})

/**
 * @example
 * unknownCommand('')
 * @category constructors
 */
export const unknownCommand = (reason: string): UnknownCommand => ({
  _tag: 'UnknownCommand',
  reason,
  message: reason === '' ? 'server does not know the command (ERROR)' : `server answered ERROR: ${reason}`,
})

/**
 * @example
 * protocolError('unexpected reply line "HELLO"')
 * @category constructors
 */
export const protocolError = (message: string): ProtocolError => ({ _tag: 'ProtocolError', message })

/**
 * @example
 * connectError('127.0.0.1:11211', 'ECONNREFUSED', 'connection refused')
 * @category constructors
 */
export const connectError = (node: string, code: string, detail: string): ConnectError => ({
  _tag: 'ConnectError',
  node,
  code,
  message: `cannot connect to ${node}: ${detail}`,
})

/**
 * @example
 * timeout(50, 'get', '127.0.0.1:11211')
 * @category constructors
 */
export const timeout = (after: number, request: string, node: string): Timeout => ({
  _tag: 'Timeout',
  after,
  request,
  node,
  message: `${request} to ${node} got no reply within ${after} ms`,
})

/**
 * @example
 * connectionClosed('127.0.0.1:11211', 'closed by the server')
 * @category constructors
 */
export const connectionClosed = (node: string, detail: string): ConnectionClosed => ({
  _tag: 'ConnectionClosed',
  node,
  message: `connection to ${node} ${detail}`,
})

/**
 * @example
 * poolExhausted(1000)
 * @category constructors
 */
export const poolExhausted = (waited: number): PoolExhausted => ({
  _tag: 'PoolExhausted',
  waited,
  message: `no pooled connection became free within ${waited} ms`,
})

/**
 * @example
 * overloaded(10_000)
 * @category constructors
 */
export const overloaded = (pending: number): Overloaded => ({
  _tag: 'Overloaded',
  pending,
  message: `${pending} requests already waiting: refusing more (raise maxPending or slow down)`,
})

/**
 * @example
 * noServers('every node is marked dead')
 * @category constructors
 */
export const noServers = (detail: string): NoServers => ({ _tag: 'NoServers', message: `no server available: ${detail}` })

/**
 * @example
 * serdeError(1, 'pickled values cannot be read')
 * @category constructors
 */
export const serdeError = (flags: number, detail: string): SerdeError => ({ _tag: 'SerdeError', flags, message: detail })

/**
 * @example
 * authError('127.0.0.1:11211', 'CLIENT_ERROR authentication failure')
 * @category constructors
 */
export const authError = (node: string, detail: string): AuthError => ({
  _tag: 'AuthError',
  node,
  message: `authentication refused by ${node}: ${detail}`,
})

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Errors after which a connection must not be reused: the stream may be out of step.
 *
 * @example
 * isFatalToConnection(protocolError('x')) // true
 * @category utils
 */
export const isFatalToConnection = (error: MemcacheError): boolean =>
  error._tag === 'ProtocolError' || error._tag === 'Timeout' || error._tag === 'ConnectionClosed'

/**
 * Errors that say nothing about the request itself: another attempt (or another node) may succeed.
 *
 * @example
 * isTransient(timeout(10, 'get', 'a:1')) // true
 * isTransient(invalidKey('a b', 'space')) // false
 * @category utils
 */
export const isTransient = (error: MemcacheError): boolean => {
  switch (error._tag) {
    case 'ConnectError':
    case 'Timeout':
    case 'ConnectionClosed':
    case 'PoolExhausted':
    case 'Overloaded':
    case 'NoServers':
      return true
    case 'ServerError':
      // "out of memory" and "busy" pass; "object too large" never will.
      return true
    default:
      return false
  }
}
