/**
 * Pools: a bounded pool of any resource, and `makePooled`, a transport over a pool of pipelining
 * connections to one server.
 *
 * @example
 * import { makePooled } from 'fp-memcache/pool'
 * import { connect } from 'fp-memcache/transport'
 * const node = makePooled(connect({ server: '127.0.0.1:11211' }), { maxSize: 4 })
 *
 * @since 0.1.0
 */
export * from './pool.js'
export * from './pooled.js'
export * from './error.js'
