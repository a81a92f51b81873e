/**
 * An in-memory memcached: the engine (memcached 1.6 semantics, injectable clock), its server-side
 * text and meta protocol front end (parse, render, session), `serve` to put it behind a real listener, and
 * `memoryTransport`, which talks to an engine without a socket (bytes in, bytes out, through the
 * real codec).
 *
 * @example
 * import { serve } from 'fp-memcache/emulator'
 * const started = await serve({ port: 0 })() // right({ server: '127.0.0.1:PORT', close, engine })
 *
 * @since 0.1.0
 */
export { makeEngine, MAX_RELATIVE_EXPTIME, type Admission, type DataChunk, type Engine, type EngineOptions, type MemoryUse } from './engine.js'
export { itemSize, type StoredItem } from './store.js'
export type { ConnectionHandle } from './connections.js'
export { makeBudget, type Budget } from './budget.js'
export { byteString, strtol32, strtoul32, strtoull } from './numbers.js'
export {
  findTooLongKey,
  KEY_MAX_LENGTH,
  LINE_LIMIT,
  nextKey,
  parseCommand,
  parseLine,
  requestOf,
  type KeyScan,
  type KeySpan,
  type LineCommand,
  type Retrieval,
  type RetrievalCommand,
  type StorageHeader,
} from './parse.js'
export { renderItems, renderReply } from './render.js'
export {
  parseMeta,
  type MetaFlag,
  type MetaLine,
  type MetaOptions,
  type MetaRequest,
  type MetaSetHeader,
  type MetaStoreMode,
  type MetaToken,
} from './meta-parse.js'
export type { MetaCode, MetaReply, MetaResult, ReturnedFlag } from './meta-engine.js'
export { renderMeta } from './meta-render.js'
export {
  BYTES_PER_SLICE,
  KEYS_PER_SLICE,
  makeSession,
  REQUESTS_PER_EVENT,
  type Session,
  type SessionCounters,
  type SessionOptions,
  type SessionOutput,
} from './session.js'
export { DEFAULT_LINE_MEMORY_LIMIT, DEFAULT_MAX_CONNECTIONS, serve, TOO_MANY_CONNECTIONS, type ServeOptions, type Served } from './serve.js'
export { memoryTransport, type MemoryTransport, type MemoryTransportOptions } from './memory.js'
export { answerConfigGet, makeClusterConfig, type ClusterConfigSource } from './cluster.js'
