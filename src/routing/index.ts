/**
 * Placing keys over many memcached servers: rendezvous (pymemcache's `HashClient`) and ketama
 * (the `memcached` npm package) placement, and a router that splits, merges, broadcasts and keeps
 * pymemcache's dead-server bookkeeping.
 *
 * @example
 * import { rendezvous } from 'fp-memcache/routing'
 * const cluster = rendezvous(nodes, { retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 })
 *
 * @since 0.1.0
 */
export * from './murmur3.js'
export * from './hashing.js'
export * from './health.js'
export * from './router.js'
export * from './rendezvous.js'
export * from './ketama.js'
export * from './error.js'
