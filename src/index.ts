/**
 * fp-memcache: a functional, composable memcached client toolkit on fp-ts and io-ts.
 *
 * @since 0.1.0
 */
export * from './commands/index.js'
export * from './client.js'
export * from './promise.js'
export * from './exception.js'
export * from './error.js'
export { Request, Reply } from './protocol/index.js'
export type { Transport, Middleware } from './transport/transport.js'
export type { CallOptions, RequestContext } from './transport/context.js'
export * as serde from './serde/index.js'
export type { Encoded, Serde } from './serde/serde.js'
