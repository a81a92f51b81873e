/**
 * `stats` and its variants, typed.
 *
 * Every stat value is read by one rule, so a stat keeps its type whatever its size: an integer is
 * a `bigint` (memcached's counters are 64-bit), a decimal (`rusage_user 0.123456`,
 * `growth_factor 1.25`) a `number`, anything else (`version 1.6.18`, `evictions on`) a `string`.
 * General and settings stats are records with the well-known fields typed (checked with io-ts: a
 * server that omits one is a `ProtocolError`); the per-class and per-connection variants are
 * grouped into maps by their numeric id.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { protocolError } from '../protocol/error.js'
import { type MemcacheError } from '../error.js'
import * as Request from '../protocol/request.js'
import { command, type Command } from './command.js'
import type { CallOptions } from '../transport/context.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** One stat: integers are `bigint`, decimals `number`, the rest text. @category model */
export type StatValue = bigint | number | string

/** Stats by name, values typed by `parseStatValue`. @category model */
export interface StatRecord {
  readonly [name: string]: StatValue
}

/** A `t.Type` for integer stats. */
const Integer = new t.Type<bigint, bigint, unknown>(
  'Integer',
  (input): input is bigint => typeof input === 'bigint',
  (input, context) => (typeof input === 'bigint' ? t.success(input) : t.failure(input, context)),
  (value) => value,
)

/** A `t.Type` for decimal stats; an integer is accepted as the same number. */
const Decimal = new t.Type<number, number, unknown>(
  'Decimal',
  (input): input is number => typeof input === 'number',
  (input, context) =>
    typeof input === 'number' ? t.success(input) : typeof input === 'bigint' ? t.success(Number(input)) : t.failure(input, context),
  (value) => value,
)

/** A `t.Type` for text stats; a value that happens to parse as a number is given back as text. */
const Text = new t.Type<string, string, unknown>(
  'Text',
  (input): input is string => typeof input === 'string',
  (input, context) =>
    typeof input === 'string' ? t.success(input) : typeof input === 'bigint' || typeof input === 'number' ? t.success(String(input)) : t.failure(input, context),
  (value) => value,
)

/**
 * The general stats every memcached since 1.4 reports, typed; the codec for `stats`.
 * @category model
 */
export const GeneralStatsFields = t.type({
  pid: Integer,
  uptime: Integer,
  time: Integer,
  version: Text,
  pointer_size: Integer,
  rusage_user: Decimal,
  rusage_system: Decimal,
  curr_connections: Integer,
  total_connections: Integer,
  cmd_get: Integer,
  cmd_set: Integer,
  cmd_flush: Integer,
  cmd_touch: Integer,
  get_hits: Integer,
  get_misses: Integer,
  delete_hits: Integer,
  delete_misses: Integer,
  incr_hits: Integer,
  incr_misses: Integer,
  decr_hits: Integer,
  decr_misses: Integer,
  cas_hits: Integer,
  cas_misses: Integer,
  cas_badval: Integer,
  touch_hits: Integer,
  touch_misses: Integer,
  bytes_read: Integer,
  bytes_written: Integer,
  limit_maxbytes: Integer,
  threads: Integer,
  bytes: Integer,
  curr_items: Integer,
  total_items: Integer,
  evictions: Integer,
})

/**
 * `stats`: the typed well-known fields, and every other stat the server sent by name.
 * @category model
 */
export type GeneralStats = t.TypeOf<typeof GeneralStatsFields> & StatRecord

/**
 * The codec for `stats settings`: the settings that say what the server stores are required; the
 * ones about its sockets and slabs are typed when present (an emulator or a proxy may not have them).
 * @category model
 */
export const SettingsStatsFields = t.intersection([
  t.type({
    maxbytes: Integer,
    verbosity: Integer,
    evictions: Text,
    cas_enabled: Text,
    item_size_max: Integer,
  }),
  t.partial({
    maxconns: Integer,
    tcpport: Integer,
    growth_factor: Decimal,
  }),
])

/** `stats settings`. @category model */
export type SettingsStats = t.TypeOf<typeof SettingsStatsFields> & StatRecord

/** `stats slabs`: per slab class, and the totals (`active_slabs`, `total_malloced`). @category model */
export interface SlabsStats {
  readonly classes: ReadonlyMap<number, StatRecord>
  readonly totals: StatRecord
}

/**
 * `stats sizes`: item counts by size bucket (bytes). `enabled` is false unless memcached runs
 * with `-o track_sizes`; the map is then empty.
 * @category model
 */
export interface SizesStats {
  readonly enabled: boolean
  readonly sizes: ReadonlyMap<number, bigint>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const INTEGER = /^-?\d+$/
const DECIMAL = /^-?\d+\.\d+$/

/**
 * The typed value of one stat.
 *
 * @example
 * parseStatValue('42') // 42n
 * parseStatValue('0.25') // 0.25
 * parseStatValue('1.6.18') // '1.6.18'
 * @category utils
 */
export const parseStatValue = (text: string): StatValue =>
  INTEGER.test(text) ? BigInt(text) : DECIMAL.test(text) ? Number(text) : text

const toRecord = (entries: ReadonlyArray<readonly [string, string]>): Record<string, StatValue> => {
  const record: Record<string, StatValue> = {}
  for (const [name, value] of entries) record[name] = parseStatValue(value)
  return record
}

const typed =
  <C extends t.Any>(codec: C, what: string) =>
  (entries: ReadonlyArray<readonly [string, string]>): E.Either<MemcacheError, t.TypeOf<C> & StatRecord> => {
    const record = toRecord(entries)
    const result = codec.decode(record)
    return E.isRight(result)
      ? E.right({ ...record, ...(result.right as object) } as t.TypeOf<C> & StatRecord)
      : E.left(protocolError(`${what} reply does not have the expected fields: ${PathReporter.report(result).join('; ')}`))
  }

/** `<id>:<name>` (or `<prefix><id>:<name>`) stats grouped by numeric id; the others apart. */
const grouped =
  (prefix: string) =>
  (entries: ReadonlyArray<readonly [string, string]>): { readonly groups: ReadonlyMap<number, StatRecord>; readonly rest: StatRecord } => {
    const groups = new Map<number, Record<string, StatValue>>()
    const rest: Record<string, StatValue> = {}
    for (const [name, value] of entries) {
      const match = name.startsWith(prefix) ? /^(\d+):(.+)$/.exec(name.slice(prefix.length)) : null
      if (match === null) {
        rest[name] = parseStatValue(value)
        continue
      }
      const id = Number(match[1])
      const group = groups.get(id) ?? {}
      group[match[2] as string] = parseStatValue(value)
      groups.set(id, group)
    }
    return { groups, rest }
  }

const strictGroups =
  (prefix: string, what: string) =>
  (entries: ReadonlyArray<readonly [string, string]>): E.Either<MemcacheError, ReadonlyMap<number, StatRecord>> => {
    const { groups, rest } = grouped(prefix)(entries)
    const stray = Object.keys(rest)
    return stray.length === 0 ? E.right(groups) : E.left(protocolError(`${what} reply has stats outside any group: ${stray.slice(0, 5).join(', ')}`))
  }

const statsRequest = <A>(
  argument: Request.StatsArgument | undefined,
  read: (entries: ReadonlyArray<readonly [string, string]>) => E.Either<MemcacheError, A>,
  options: CallOptions | undefined,
): Command<A> => command(Request.stats(argument), { Stats: (reply) => read(reply.entries) }, options)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `stats`: general statistics, typed.
 *
 * @example
 * const result = await stats()(transport)() // right({ pid: 4242n, version: '1.6.18', curr_items: 3n, ... })
 * @category constructors
 */
export const stats = (options?: CallOptions): Command<GeneralStats> => statsRequest(undefined, typed(GeneralStatsFields, 'stats'), options)

/**
 * `stats settings`: the server's configuration, typed.
 *
 * @example
 * statsSettings()(transport) // right({ item_size_max: 1048576n, evictions: 'on', ... })
 * @category constructors
 */
export const statsSettings = (options?: CallOptions): Command<SettingsStats> => statsRequest('settings', typed(SettingsStatsFields, 'stats settings'), options)

/**
 * `stats items`: per slab class (`items:<class>:<name>`), by class id.
 *
 * @example
 * statsItems()(transport) // right(Map { 1 => { number: 3n, age: 12n, ... } })
 * @category constructors
 */
export const statsItems = (options?: CallOptions): Command<ReadonlyMap<number, StatRecord>> => statsRequest('items', strictGroups('items:', 'stats items'), options)

/**
 * `stats slabs`: per slab class (`<class>:<name>`), and the totals.
 *
 * @example
 * statsSlabs()(transport) // right({ classes: Map { 1 => { chunk_size: 96n, ... } }, totals: { active_slabs: 1n, ... } })
 * @category constructors
 */
export const statsSlabs = (options?: CallOptions): Command<SlabsStats> =>
  statsRequest(
    'slabs',
    (entries) => {
      const { groups, rest } = grouped('')(entries)
      return E.right({ classes: groups, totals: rest })
    },
    options,
  )

/**
 * `stats sizes`: item counts by size bucket (needs `memcached -o track_sizes`).
 *
 * @example
 * statsSizes()(transport) // right({ enabled: false, sizes: Map {} })
 * @category constructors
 */
export const statsSizes = (options?: CallOptions): Command<SizesStats> =>
  statsRequest('sizes', (entries) => {
    const sizes = new Map<number, bigint>()
    let enabled = true
    for (const [name, value] of entries) {
      if (name === 'sizes_status') {
        enabled = value !== 'disabled'
      } else if (INTEGER.test(name) && INTEGER.test(value)) {
        sizes.set(Number(name), BigInt(value))
      } else {
        return E.left(protocolError(`stats sizes reply has an unexpected stat ${JSON.stringify(name)}`))
      }
    }
    return E.right({ enabled, sizes })
  }, options)

/**
 * `stats conns`: per open connection (`<fd>:<name>`), by file descriptor.
 *
 * @example
 * statsConns()(transport) // right(Map { 23 => { addr: 'tcp:127.0.0.1:11211', state: 'conn_listening', ... } })
 * @category constructors
 */
export const statsConns = (options?: CallOptions): Command<ReadonlyMap<number, StatRecord>> => statsRequest('conns', strictGroups('', 'stats conns'), options)

/**
 * `stats reset`: zero the server's counters.
 *
 * @example
 * statsReset()(transport) // right(undefined)
 * @category constructors
 */
export const statsReset = (options?: CallOptions): Command<void> => command(Request.stats('reset'), { Reset: () => E.right(undefined) }, options)
