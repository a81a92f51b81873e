/**
 * Serdes: values to the bytes and flags memcached stores, and back.
 *
 * @example
 * import * as t from 'io-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { codec, compressed, json } from 'fp-memcache/serde'
 * const User = t.type({ name: t.string }, 'User')
 * const users = pipe(json, compressed({ threshold: 1024 }), codec(User))
 *
 * @since 0.1.0
 */
export * from './serde.js'
export * from './bytes.js'
export * from './text.js'
export * from './json.js'
export * from './decimal.js'
export * from './v8.js'
export * from './compressed.js'
export * from './codec.js'
export * from './pymemcache.js'
export * from './memcached-npm.js'
export * from './flags.js'
export * from './utf8.js'
export * from './error.js'
