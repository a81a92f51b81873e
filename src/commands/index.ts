/**
 * The command API: every memcached text command as a function returning a `Command<A>`
 * (`(transport) => TaskEither<MemcacheError, A>`), importable one by one; `commands(serde)` binds
 * a serde for typed values.
 *
 * @example
 * import { get, set } from 'fp-memcache'
 * await set('k', { bytes: new TextEncoder().encode('v'), flags: 0 })(transport)()
 *
 * @since 0.1.0
 */
export * from './command.js'
export * from './retrieval.js'
export * from './storage.js'
export * from './deletion.js'
export * from './touch.js'
export * from './arithmetic.js'
export * from './stats.js'
export * from './admin.js'
export * from './raw.js'
export * from './commands.js'
export * from './cache-aside.js'
