/**
 * The command API: every memcached text command as a function returning a `Command<A>`
 * (`(transport) => TaskEither<MemcacheError, A>`), importable one by one; `commands(serde)` binds
 * a serde for typed values. Every command takes `CallOptions` (`signal`, `timeout`, `retry`) last.
 *
 * This entry lists what is public; helpers the commands share among themselves (key de-duplication,
 * batching of many-key writes) stay inside their modules.
 *
 * @example
 * import { get, set } from 'fp-memcache'
 * await set('k', { bytes: new TextEncoder().encode('v'), flags: 0 })(transport)()
 *
 * @since 0.1.0
 */
export {
  command,
  commandIn,
  encodedSerde,
  fail,
  inContext,
  interpret,
  succeed,
  unexpectedReply,
  type Command,
  type CommandDefaults,
  type KeyRules,
  type NoreplyOption,
  PROTOCOLS,
  type Protocol,
  type ProtocolOption,
  type ReplyCases,
  type StoreOptions,
} from './command.js'
export { gat, gatMany, gats, gatsMany, get, getMany, gets, getsMany, retrieval, type Retrieval, type Versioned } from './retrieval.js'
export { add, append, cas, prepend, replace, set, setMany, storage, type CasResult, type Entries, type Storage } from './storage.js'
export { del, deleteMany, deletion, type Deletion } from './deletion.js'
export { touch, touching } from './touch.js'
export { decr, incr, type Delta } from './arithmetic.js'
export {
  stats,
  statsConns,
  statsItems,
  statsReset,
  statsSettings,
  statsSizes,
  statsSlabs,
  GeneralStatsFields,
  SettingsStatsFields,
  type GeneralStats,
  type SettingsStats,
  type SizesStats,
  type SlabsStats,
  type StatRecord,
  type StatValue,
} from './stats.js'
export { cacheMemlimit, flushAll, quit, shutdown, verbosity, version, type FlushAllOptions, type ShutdownOptions } from './admin.js'
export { raw, type RawReplies } from './raw.js'
export { commands, type Commands, type ReadOptions, type UpdateOptions, type WriteOptions } from './commands.js'
export { metaPath, type MetaPath } from './meta-path.js'
export { getOrSet, type GetOrSetOptions } from './cache-aside.js'
export {
  getOrCompute,
  invalidate,
  jittered,
  makeStampede,
  realScheduler,
  viaSerde,
  type Backoff,
  type ComputeFailed,
  type ComputeThrew,
  type GetOrComputeError,
  type GetOrComputeOptions,
  type InvalidateOptions,
  type InvalidateParams,
  type LockWaitExceeded,
  type Lookup,
  type LookupParams,
  type Outcome,
  type Scheduler,
  type Stampede,
  type StampedeOps,
  type StoreParams,
  type StoreResult,
} from './stampede.js'
export { metaStampede, metaStampedeOps } from './stampede-meta.js'
export {
  casMeta,
  counterMeta,
  deleteManyMeta,
  getAndTouchMeta,
  getManyMeta,
  getMeta,
  getsMeta,
  metaArithmetic,
  metaBatch,
  metaDebug,
  metaDelete,
  metaGet,
  metaNoop,
  metaSet,
  setManyMeta,
  type CounterOptions,
  type MetaCasResult,
  type MetaStoreOptions,
  type MetaVersioned,
} from './meta.js'
