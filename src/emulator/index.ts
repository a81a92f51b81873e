/**
 * An in-memory memcached: the engine (memcached 1.6 semantics, injectable clock), its server-side
 * text protocol front end, `serve` to put it behind a real listener, and `memoryTransport`, which
 * talks to an engine without a socket (bytes in, bytes out, through the real codec).
 *
 * @example
 * import { serve } from 'fp-memcache/emulator'
 * const started = await serve({ port: 0 })() // right({ server: '127.0.0.1:PORT', close, engine })
 *
 * @since 0.1.0
 */
export * from './engine.js'
export * from './numbers.js'
export * from './text.js'
export * from './serve.js'
export * from './memory.js'
