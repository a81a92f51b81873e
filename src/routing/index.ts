/**
 * Placing keys over many memcached servers: `rendezvous` (pymemcache's `HashClient`) and `ketama`
 * (the `memcached` npm package) placements as pure `Hashing` values, and a router taking one that
 * splits, merges, broadcasts and keeps each node's health with a `HealthPolicy`
 * (`circuitBreakerHealth` by default, `pymemcacheHealth` for pymemcache's dead-server algorithm).
 *
 * @example
 * import { makeRouter, pymemcacheHealth, rendezvous } from 'fp-memcache/routing'
 * const cluster = makeRouter(rendezvous, nodes) // circuitBreakerHealth()
 * const likePymemcache = makeRouter(rendezvous, nodes, { health: pymemcacheHealth({ retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 }) })
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
export * from './discovery.js'
