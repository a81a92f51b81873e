/**
 * fp-memcache: a functional, composable memcached client toolkit on fp-ts and io-ts.
 *
 * @since 0.1.0
 */
export * from './commands/index.js'
export * from './client.js'
