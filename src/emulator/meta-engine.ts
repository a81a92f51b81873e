/**
 * The meta commands' semantics over the engine's store, as memcached 1.6.18's `proto_text.c` and
 * `do_store_item` give them. Items are the text commands' items: what `ms` stores `get` reads and
 * the other way round, and a base64 key (`b`) is the item whose key is the decoded bytes.
 *
 * The mechanics behind stampede protection, per item:
 * - `mg ... N<ttl>` on a miss links an empty stub (flags 0) with that TTL and hands its caller a
 *   win token (`W`); every later reader sees `Z` (a token was already sent) until the item is
 *   replaced.
 * - `mg ... R<secs>` hands one caller `W` when the item expires within `secs`.
 * - `md ... I [T<ttl>]` marks the item stale instead of deleting it (new cas, optional new TTL,
 *   token cleared); readers see `X`, and the first of them gets `W`.
 * - `ms ... C<cas> I` with a cas older than the item's stores anyway, keeping the item stale (its
 *   TTL and token too): a late writer cannot clear an invalidation.
 *
 * Replies list returned flags in the order the request gave them; `q` drops the nominal reply
 * (`mg`: `EN`; `ms`, `md`: `HD`; `ma`: `HD`/`VA`), never an error. Times come from the engine's
 * clock in whole seconds.
 *
 * @since 0.2.0
 */
import { clientError, serverError } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import { encodeBase64 } from './base64.js'
import { asciiBytes, joinBytes } from './bytes.js'
import type { DataChunk } from './engine.js'
import { META_MAX_OPAQUE, type MetaOptions, type MetaRequest, type MetaSetHeader, type MetaToken } from './meta-parse.js'
import { addDelta } from './arithmetic.js'
import type { Counters } from './stats.js'
import { makeItem, noteFetch, type Item, type Store } from './store.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A meta reply's status: hit, value, miss, not found, not stored, exists. @category model */
export type MetaCode = 'HD' | 'VA' | 'EN' | 'NF' | 'NS' | 'EX'

/** One returned flag: its letter and what follows it (`['c', '42']`, `['W', '']`). @category model */
export type ReturnedFlag = readonly [flag: string, text: string]

/** A meta command's reply line, and its value when the code is `VA`. @category model */
export interface MetaReply {
  readonly _tag: 'ServedMeta'
  readonly code: MetaCode
  readonly flags: ReadonlyArray<ReturnedFlag>
  readonly value: Uint8Array | undefined
  /** Quiet mode dropped it: nothing is written. */
  readonly silent: boolean
}

/** What a meta command gets: a meta reply, or an error or `ME` line as the text protocol writes them. @category model */
export type MetaResult = MetaReply | Reply.Reply

/** What the meta commands need from the engine that owns the store. @category model */
export interface MetaEngineDependencies {
  readonly store: Store
  readonly counters: Counters
  /** The engine's clock, in whole unix seconds. */
  readonly tick: () => number
  /** memcached's `realtime()`: when an item given `exptime` expires (0 = never). */
  readonly expiryOf: (exptime: number, now: number) => number
  /** What `expiryOf` answers for a time already past (memcached's relative time `1`). */
  readonly alreadyExpired: number
  /** When the engine started, in unix seconds. */
  readonly startedAt: number
  readonly maxItemSize: number
}

/** The meta commands over one store. Not a class: a record of functions. @category model */
export interface MetaEngine {
  /** Answers `mg`, `md`, `ma` or `me`. */
  readonly execute: (request: MetaRequest) => MetaResult
  /** Second half of an `ms`, once its data block is read (room for it was admitted before). */
  readonly store: (header: MetaSetHeader, value: Uint8Array, chunk: DataChunk) => MetaResult
}

const OPAQUE_TOO_LONG = Reply.failure(clientError('opaque token too long'))
const BAD_DATA_CHUNK = Reply.failure(clientError('bad data chunk'))
const NO_MEMORY_FOR_NEW_ITEM = Reply.failure(serverError('Out of memory allocating new item'))
const EMPTY = new Uint8Array(0)
const NONE: ReadonlyArray<ReturnedFlag> = []
/** memcached's `process_started` is `ITEM_UPDATE_INTERVAL + 2` seconds before its start. */
const PROCESS_STARTED_BEFORE = 62

/** memcached's slab class sizes with its defaults (`-n 48 -f 1.25`, 1 MiB pages), for `me`'s `cls`. */
const SLAB_CLASS_SIZES: ReadonlyArray<number> = (() => {
  const largest = 512 * 1024
  const sizes: Array<number> = []
  let size = 48 + 48
  while (sizes.length < 62 && size < largest / 1.25) {
    if (size % 8 !== 0) size += 8 - (size % 8)
    sizes.push(size)
    size = Math.floor(size * 1.25)
  }
  sizes.push(largest)
  return sizes
})()

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const reply = (code: MetaCode, flags: ReadonlyArray<ReturnedFlag>, silent = false, value?: Uint8Array): MetaReply => ({
  _tag: 'ServedMeta',
  code,
  flags,
  value,
  silent,
})

/**
 * The meta commands over the store and counters of one engine (`makeEngine` makes one; use
 * `Engine.executeMeta` and `Engine.storeMeta`).
 *
 * @example
 * const meta = makeMetaEngine({ store, counters, tick, expiryOf, maxItemSize: 1024 * 1024 })
 * meta.execute({ _tag: 'me', key: 'k', base64Key: false }) // EN on an empty store
 * @category constructors
 */
export const makeMetaEngine = (dependencies: MetaEngineDependencies): MetaEngine => {
  const { store: items, counters, tick, expiryOf, maxItemSize, alreadyExpired, startedAt } = dependencies

  /**
   * memcached's `rel_time_t` of a unix time: seconds since its `process_started`, which is 62
   * seconds before it started. Past times are 1. Replies show differences of these, as unsigned.
   */
  const relative = (unixSeconds: number): number => (unixSeconds === alreadyExpired ? 1 : unixSeconds - startedAt + PROCESS_STARTED_BEFORE)

  /** The `k` flag: the key as sent, or as base64 followed by a `b` flag. */
  const keyFlags = (key: string, binary: boolean): ReadonlyArray<ReturnedFlag> => (binary ? [['k', encodeBase64(key)], ['b', '']] : [['k', key]])

  const ttlText = (item: Item, now: number): string => (item.expiresAt === 0 ? '-1' : String((relative(item.expiresAt) - relative(now)) >>> 0))

  /** A new item, linked when there is room. */
  const linkNew = (key: string, flags: number, value: Uint8Array, expiresAt: number, now: number): Item | undefined => {
    const item = makeItem(key, flags, value, expiresAt, now)
    if (item.size > maxItemSize || !items.makeRoom(item.size, now)) return undefined
    items.link(item)
    return item
  }

  /** memcached's `process_mget_command` from the lookup on. */
  const get = (key: string, options: MetaOptions, tokens: ReadonlyArray<MetaToken>): MetaResult => {
    const now = tick()
    let item = items.find(key, now)
    let created = false
    if (item === undefined && options.vivify !== undefined) {
      // The stub is not marked binary, as memcached's is not: its `k` is the raw key.
      item = linkNew(key, 0, EMPTY, 0, now)
      created = item !== undefined
    }
    if (item === undefined) {
      counters.cmd_get++
      counters.get_misses++
      const flags: Array<ReturnedFlag> = []
      for (const token of tokens) {
        if (token.flag === 'O') {
          if (token.token.length > META_MAX_OPAQUE) return OPAQUE_TOO_LONG
          flags.push(['O', token.token.slice(1)])
        } else if (token.flag === 'k') flags.push(...keyFlags(key, options.base64Key))
      }
      return reply('EN', flags, options.quiet)
    }
    const flags: Array<ReturnedFlag> = []
    let won = false
    let touched = false
    for (const token of tokens) {
      switch (token.flag) {
        case 'T':
          touched = true
          item.expiresAt = expiryOf(options.ttl ?? 0, now)
          break
        case 'N':
          if (created) {
            item.expiresAt = expiryOf(options.vivify ?? 0, now)
            won = true
          }
          break
        case 'R':
          if (!item.tokenSent && !created && item.expiresAt !== 0 && item.expiresAt < expiryOf(options.recache ?? 0, now)) won = true
          break
        case 's':
          flags.push(['s', String(item.value.length)])
          break
        case 't':
          flags.push(['t', ttlText(item, now)])
          break
        case 'c':
          flags.push(['c', String(item.cas)])
          break
        case 'f':
          flags.push(['f', String(item.flags)])
          break
        case 'l':
          flags.push(['l', String(now - item.lastAccessAt)])
          break
        case 'h':
          flags.push(['h', item.fetched ? '1' : '0'])
          break
        case 'O':
          // Refused only now, after any TTL or stub took effect, as memcached does.
          if (token.token.length > META_MAX_OPAQUE) return OPAQUE_TOO_LONG
          flags.push(['O', token.token.slice(1)])
          break
        case 'k':
          flags.push(...keyFlags(item.key, item.binaryKey))
          break
        default:
          break
      }
    }
    // Z before X, and never W with Z.
    if (item.tokenSent) flags.push(['Z', ''])
    if (item.stale) {
      flags.push(['X', ''])
      if (!item.tokenSent) won = true
    }
    if (won) {
      flags.push(['W', ''])
      item.tokenSent = true
    }
    if (!options.noBump) {
      noteFetch(item, now)
      items.bump(item)
    }
    if (touched) {
      counters.cmd_touch++
      counters.touch_hits++
    } else {
      counters.cmd_get++
      counters.get_hits++
    }
    return options.returnValue ? reply('VA', flags, false, item.value) : reply('HD', flags)
  }

  /** memcached's `process_mdelete_command` from the lookup on (a long opaque was refused by the parser). */
  const remove = (key: string, options: MetaOptions, tokens: ReadonlyArray<MetaToken>): MetaResult => {
    const now = tick()
    const flags: Array<ReturnedFlag> = []
    for (const token of tokens) {
      if (token.flag === 'O') flags.push(['O', token.token.slice(1)])
      else if (token.flag === 'k') flags.push(...keyFlags(key, options.base64Key))
    }
    const item = items.find(key, now)
    if (item === undefined) {
      counters.delete_misses++
      return reply('NF', flags)
    }
    if (options.compareCas !== undefined && item.cas !== options.compareCas) {
      counters.delete_misses++
      return reply('EX', flags)
    }
    if (options.invalidate) {
      // Kept, marked stale, with a new cas; the next reader may win the token again.
      if (options.ttl !== undefined) item.expiresAt = expiryOf(options.ttl, now)
      item.stale = true
      item.tokenSent = false
      items.renewCas(item)
      return reply('HD', flags, options.quiet)
    }
    counters.delete_hits++
    items.unlink(item)
    return reply('HD', flags, options.quiet)
  }

  /** memcached's `process_marithmetic_command` from the lookup on. */
  const arithmetic = (key: string, increment: boolean, options: MetaOptions, tokens: ReadonlyArray<MetaToken>): MetaResult => {
    const now = tick()
    const delta = addDelta(items, counters, key, increment, options.delta, options.compareCas ?? 0n, now)
    let item: Item | undefined
    let digits = ''
    let created = false
    let code: MetaCode = 'HD'
    let silent = false
    switch (delta._tag) {
      case 'Failed':
        return delta.reply
      case 'Changed':
        item = delta.item
        digits = delta.digits
        silent = options.quiet
        break
      case 'Mismatch':
        code = 'EX'
        break
      case 'NotFound':
        if (options.vivify !== undefined) {
          digits = options.initial.toString()
          item = linkNew(key, 0, asciiBytes(digits), 0, now)
          if (item === undefined) return NO_MEMORY_FOR_NEW_ITEM
          created = true
        } else {
          if (increment) counters.incr_misses++
          else counters.decr_misses++
          code = 'NF'
        }
        break
    }
    const flags: Array<ReturnedFlag> = []
    for (const token of tokens) {
      if (item !== undefined) {
        if (token.flag === 'c') flags.push(['c', String(item.cas)])
        else if (token.flag === 't') flags.push(['t', ttlText(item, now)])
        else if (token.flag === 'T') item.expiresAt = expiryOf(options.ttl ?? 0, now)
        else if (token.flag === 'N' && created) item.expiresAt = expiryOf(options.vivify ?? 0, now)
      }
      if (token.flag === 'O') {
        if (token.token.length > META_MAX_OPAQUE) return OPAQUE_TOO_LONG
        flags.push(['O', token.token.slice(1)])
      } else if (token.flag === 'k') flags.push(...keyFlags(key, options.base64Key))
    }
    if (item === undefined) return reply(code, flags)
    return options.returnValue ? reply('VA', flags, silent, asciiBytes(digits)) : reply('HD', flags, silent)
  }

  /** memcached's `process_meta_command`: `ME <key> exp= la= cas= fetch= cls= size=`, or `EN`. */
  const debug = (key: string): MetaResult => {
    const now = tick()
    const item = items.find(key, now)
    if (item === undefined) return reply('EN', NONE)
    const shownKey = item.binaryKey ? encodeBase64(item.key) : item.key
    const expires = item.expiresAt === 0 ? -1 : relative(now) - relative(item.expiresAt)
    const fetched = item.fetched ? 'yes' : 'no'
    return Reply.line(`ME ${shownKey} exp=${expires} la=${now - item.lastAccessAt} cas=${item.cas} fetch=${fetched} cls=${slabClassOf(item.size)} size=${item.size}`)
  }

  /** memcached's `do_store_item` for an `ms`: its cas is compared in every mode. */
  const storeValid = (header: MetaSetHeader, value: Uint8Array, now: number): MetaResult => {
    const { key, options } = header
    const requestCas = options.compareCas ?? 0n
    const mode = options.compareCas !== undefined && (header.mode === 'set' || header.mode === 'replace') ? 'cas' : header.mode
    const setStale = options.invalidate && mode === 'cas'
    const old = items.find(key, now)
    const fresh = (): Item => {
      // The request's bytes may be a view on a buffer the caller reuses: the store keeps its own.
      const item = makeItem(key, options.clientFlags, Uint8Array.from(value), expiryOf(options.ttl ?? 0, now), now)
      item.binaryKey = options.base64Key
      return item
    }
    let stored: Item | undefined
    let code: MetaCode = 'NS'
    if (old !== undefined) {
      const casResult = requestCas === 0n ? 'none' : requestCas === old.cas ? 'match' : setStale && requestCas < old.cas ? 'stale' : 'badval'
      switch (mode) {
        case 'add':
          items.bump(old)
          break
        case 'cas':
          if (casResult === 'match' || casResult === 'stale') {
            counters.cas_hits++
            stored = fresh()
            if (casResult === 'stale') {
              // A late write over an invalidated item stays invalid, with the item's TTL and token.
              stored.expiresAt = old.expiresAt
              stored.stale = true
              stored.tokenSent = old.tokenSent
            }
          } else {
            counters.cas_badval++
            code = 'EX'
          }
          break
        case 'append':
        case 'prepend': {
          if (casResult !== 'none' && casResult !== 'match') {
            code = 'EX'
            break
          }
          const joined = mode === 'append' ? joinBytes([old.value, value]) : joinBytes([value, old.value])
          const combined = makeItem(key, old.flags, Uint8Array.from(joined), old.expiresAt, now)
          if (combined.size <= maxItemSize && items.makeRoom(combined.size, now)) stored = combined
          break
        }
        case 'set':
        case 'replace':
          stored = fresh()
          break
      }
    } else if (mode === 'add' || mode === 'set') {
      stored = fresh()
    } else if (mode === 'cas') {
      counters.cas_misses++
      code = 'NF'
    }
    if (stored !== undefined) {
      items.link(stored)
      code = 'HD'
    }
    const flags: Array<ReturnedFlag> = []
    for (const token of header.tokens) {
      if (token.flag === 'O') flags.push(['O', token.token.slice(1)])
      // The key of the item the command made, marked binary as the command asked.
      else if (token.flag === 'k') flags.push(...keyFlags(key, options.base64Key))
      else if (token.flag === 'c') flags.push(['c', String(stored?.cas ?? 0n)])
    }
    return reply(code, flags, code === 'HD' && options.quiet)
  }

  const store = (header: MetaSetHeader, value: Uint8Array, chunk: DataChunk): MetaResult => {
    counters.cmd_set++
    // A bad data chunk is answered even under `q`.
    return chunk === 'valid' ? storeValid(header, value, tick()) : BAD_DATA_CHUNK
  }

  const execute = (request: MetaRequest): MetaResult => {
    switch (request._tag) {
      case 'mg':
        return get(request.key, request.options, request.tokens)
      case 'md':
        return remove(request.key, request.options, request.tokens)
      case 'ma':
        return arithmetic(request.key, request.increment, request.options, request.tokens)
      case 'me':
        return debug(request.key)
    }
  }

  return { execute, store }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The slab class memcached 1.6.18 (default settings) keeps an item of `size` bytes in (`me`'s
 * `cls`); items over the largest class report it.
 *
 * @example
 * slabClassOf(61) // 1
 * slabClassOf(97) // 2
 * @category utils
 */
export const slabClassOf = (size: number): number => {
  const index = SLAB_CLASS_SIZES.findIndex((classSize) => size <= classSize)
  return index < 0 ? SLAB_CLASS_SIZES.length : index + 1
}
