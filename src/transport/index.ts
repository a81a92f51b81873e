/**
 * The transport layer: the `Transport` contract and the request context every layer honours, one
 * socket to one server (`connect`), a connection that reconnects (`reconnecting`), and server
 * addresses. Behaviour around a transport (retry, timeout, batching...) is in
 * `fp-memcache/middleware`; the in-memory transport is in `fp-memcache/emulator`.
 *
 * @example
 * import { connect } from 'fp-memcache/transport'
 * const opened = await connect({ server: '127.0.0.1:11211' })()
 *
 * @since 0.1.0
 */
export * from './transport.js'
export * from './context.js'
export * from './error.js'
export * from './address.js'
export * from './connection.js'
export * from './reconnecting.js'
