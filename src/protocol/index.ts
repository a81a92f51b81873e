/**
 * memcached's text protocol as pure functions: requests and replies as data, key rules, encoders
 * that never copy a value, and incremental decoders. No sockets, no streams, no timers.
 *
 * @example
 * import { Request, encode, decode } from 'fp-memcache/protocol'
 * encode(Request.get(['a'])) // right([bytes('get a\r\n')])
 *
 * @since 0.1.0
 */
export * as Request from './request.js'
export * as Reply from './reply.js'
export * from './error.js'
export * from './key.js'
export * from './encode.js'
export * from './decode.js'
export * from './framing.js'
export * from './words.js'
export * as Meta from './meta.js'
export * from './meta-encode.js'
export * from './meta-decode.js'
export * from './meta-support.js'
export * from './cluster-config.js'
