/**
 * Errors of the protocol layer: what the codec refuses before writing (keys, arguments, value sizes),
 * what the server says when it refuses (`CLIENT_ERROR`, `SERVER_ERROR`, `ERROR`), and bytes that do
 * not fit the protocol. Every layer's errors together are `MemcacheError` (`src/error.ts`).
 *
 * @since 0.2.0
 */

import { describeValue } from '../describe.js'

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
  /** The client's `maxValueSize` when the client refused before sending; absent when the server refused. */
  readonly maxValueSize?: number
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
 * Every error the codec itself returns, before or without a connection.
 * @category model
 */
export type CodecError =
  | InvalidKey
  | InvalidArgument
  | ValueTooLarge
  | ClientError
  | ServerError
  | UnknownCommand
  | ProtocolError

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
  message: `invalid key ${typeof key === 'string' ? JSON.stringify(key.length > 60 ? key.slice(0, 60) + '…' : key) : describeValue(key)}: ${reason}`,
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

const SERVER_LIMIT_ADVICE =
  "memcached's default item size is 1 MiB (the key and the item header count too), raised with -I on the server (e.g. memcached -I 4m)"

/**
 * A value refused for its size: by the server (`SERVER_ERROR object too large for cache`; `size`
 * -1 when the request is not known), or by the client before sending when `maxValueSize` is given.
 * The message says where the limit comes from and how to move it.
 *
 * @example
 * valueTooLarge('k', 2_000_000).message
 * // 'value for "k" (2000000 bytes) is larger than the server accepts: memcached's default item size is 1 MiB ...,
 * //  raised with -I on the server (e.g. memcached -I 4m); set maxValueSize on the client to refuse such values before sending them'
 * valueTooLarge('k', 2_000_000, 1_048_576).message
 * // 'value for "k" is 2000000 bytes, over maxValueSize (1048576 bytes): refused before sending; ...'
 * @category constructors
 */
export const valueTooLarge = (key: string, size: number, maxValueSize?: number): ValueTooLarge => {
  const shownKey = JSON.stringify(key.length > 60 ? key.slice(0, 60) + '…' : key)
  if (maxValueSize !== undefined) {
    return {
      _tag: 'ValueTooLarge',
      key,
      size,
      maxValueSize,
      message:
        `value for ${shownKey} is ${size} bytes, over maxValueSize (${maxValueSize} bytes): refused before sending; ` +
        "store less (the compressed serde can help), or raise maxValueSize together with the server's -I (memcached's default item size is 1 MiB)",
    }
  }
  return {
    _tag: 'ValueTooLarge',
    key,
    size,
    message:
      `value for ${shownKey}${size >= 0 ? ` (${size} bytes)` : ''} is larger than the server accepts: ${SERVER_LIMIT_ADVICE}; ` +
      'set maxValueSize on the client to refuse such values before sending them',
  }
}

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
