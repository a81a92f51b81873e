/**
 * `fp-memcache/keyv`: a Keyv 5 store on memcached, for Keyv and what sits on it (cache-manager 7,
 * cacheable). Keyv is not a dependency of this package: install `keyv` (5.x) yourself.
 *
 * @example
 * import Keyv from 'keyv'
 * import { makeKeyvStore } from 'fp-memcache/keyv'
 * const keyv = new Keyv({ store: makeKeyvStore({ servers: '127.0.0.1:11211' }), namespace: 'app' })
 * await keyv.set('greeting', 'hello', 60_000)
 *
 * @since 0.2.0
 */
export * from './store.js'
export { HASHED_KEY_MARKER, generationKey, hasNamespace, sendableKey, storedKey } from './key.js'
export { freshGeneration, makeGenerations, type GenerationCommands, type GenerationRead, type Generations } from './generation.js'
export { MAX_RELATIVE_EXPTIME, toExptime } from './ttl.js'
