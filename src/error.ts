/**
 * Every failure fp-memcache can report, as one `_tag` union of plain values. Each layer defines
 * its own errors next to the code that raises them (`protocol/error.ts`, `transport/error.ts`,
 * `pool/error.ts`, `routing/error.ts`, `serde/error.ts`); `MemcacheError` is their union.
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
import type { CodecError } from './protocol/error.js'
import type { TransportError } from './transport/error.js'
import type { PoolExhausted } from './pool/error.js'
import type { NoServers } from './routing/error.js'
import type { SerdeError } from './serde/error.js'

export * from './protocol/error.js'
export * from './transport/error.js'
export * from './pool/error.js'
export * from './routing/error.js'
export * from './serde/error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Any error of any layer.
 *
 * @example
 * const describe = (error: MemcacheError): string => `${error._tag}: ${error.message}`
 * @category model
 */
export type MemcacheError = CodecError | TransportError | PoolExhausted | NoServers | SerdeError

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
