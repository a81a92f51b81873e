/**
 * Errors of the transport layer: opening a connection, waiting for a reply, a connection that
 * closed, a bound on requests in flight, and a refused login.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

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
 * More requests waiting than the configured bound (`maxPending`), or more bytes of requests in
 * flight than `maxPendingBytes`: failed fast instead of queueing.
 * @category model
 */
export interface Overloaded {
  readonly _tag: 'Overloaded'
  /** Requests in flight on the connection. */
  readonly pending: number
  /** Which budget refused the request: the count (`maxPending`) or the bytes (`maxPendingBytes`). */
  readonly budget: 'requests' | 'bytes'
  /** Bytes of the requests in flight (with `budget: 'bytes'`). */
  readonly pendingBytes?: number
  /** Bytes of the refused request (with `budget: 'bytes'`). */
  readonly requestBytes?: number
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
 * The caller gave up on a request (its `AbortSignal` fired) before the reply came.
 * @category model
 */
export interface Aborted {
  readonly _tag: 'Aborted'
  /** The command that was abandoned (`get`, `set`...). */
  readonly request: string
  /** The signal's reason, as text. */
  readonly reason: string
  readonly message: string
}

/**
 * Every error a connection or a transport returns.
 * @category model
 */
export type TransportError =
  | Aborted
  | ConnectError
  | Timeout
  | ConnectionClosed
  | Overloaded
  | AuthError

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

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
 * overloaded(10_000)
 * @category constructors
 */
export const overloaded = (pending: number): Overloaded => ({
  _tag: 'Overloaded',
  pending,
  budget: 'requests',
  message: `${pending} requests already waiting: refusing more (raise maxPending or slow down)`,
})

/**
 * @example
 * overloadedBytes(640, 67_000_000, 102_400, 67_108_864)
 * @category constructors
 */
export const overloadedBytes = (pending: number, pendingBytes: number, requestBytes: number, maxPendingBytes: number): Overloaded => ({
  _tag: 'Overloaded',
  pending,
  budget: 'bytes',
  pendingBytes,
  requestBytes,
  message:
    `${pendingBytes} bytes of ${pending} requests already in flight: refusing ${requestBytes} more ` +
    `over maxPendingBytes ${maxPendingBytes} (raise maxPendingBytes or slow down)`,
})

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

/**
 * @example
 * aborted('get', 'the page was closed')
 * @category constructors
 */
export const aborted = (request: string, reason: string): Aborted => ({
  _tag: 'Aborted',
  request,
  reason,
  message: `${request} was abandoned by the caller: ${reason}`,
})
