/**
 * An in-memory memcached: the engine (memcached 1.6 semantics, injectable clock), its server-side
 * text protocol front end (parse, render, session), `serve` to put it behind a real listener, and
 * `memoryTransport`, which talks to an engine without a socket (bytes in, bytes out, through the
 * real codec).
 *
 * @example
 * import { serve } from 'fp-memcache/emulator'
 * const started = await serve({ port: 0 })() // right({ server: '127.0.0.1:PORT', close, engine })
 *
 * @since 0.1.0
 */
export { makeEngine, MAX_RELATIVE_EXPTIME, type DataChunk, type Engine, type EngineOptions } from './engine.js'
export { itemSize, type StoredItem } from './store.js'
export type { ConnectionHandle } from './connections.js'
export { byteString, strtol32, strtoul32, strtoull } from './numbers.js'
export { KEY_MAX_LENGTH, LINE_LIMIT, parseLine, requestOf, type LineCommand, type StorageHeader } from './parse.js'
export { renderReply } from './render.js'
export { makeSession, REQUESTS_PER_EVENT, type Session, type SessionOutput } from './session.js'
export { serve, type ServeOptions, type Served } from './serve.js'
export { memoryTransport, type MemoryTransport, type MemoryTransportOptions } from './memory.js'
