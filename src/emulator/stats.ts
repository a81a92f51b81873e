/**
 * The emulator's counters and the `stats` replies that show them, as memcached 1.6.18 lays them out.
 *
 * Each counter's name is written once, in `GENERAL_STATS` (the rows of a plain `stats`, in
 * memcached's order) or in `ITEM_COUNTERS` (counted, shown only by `stats items`): the `Counters`
 * record, its zeroing and every reply are derived from those two lists, so a new counter is one
 * new row. Rows that are not counters are gauges: a name and how to read it from a `StatsSource`,
 * a snapshot of the server the engine takes when a `stats` command arrives.
 *
 * @since 0.2.0
 */
import type * as R from '../protocol/request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What a `stats` row shows. @category model */
export type StatValue = string | number

/** One `STAT name value` row, before it is written. @category model */
export type StatEntry = readonly [name: string, value: StatValue]

/** A client connection as `stats conns` shows it. @category model */
export interface ConnectionStat {
  readonly id: number
  readonly address: string
  /** When it last sent a command, in unix seconds. */
  readonly lastCommandAt: number
}

/**
 * What the `stats` replies read besides the counters: the server's state when the command arrived.
 * @category model
 */
export interface StatsSource {
  readonly counters: Readonly<Counters>
  /** The engine's clock, in unix seconds. */
  readonly now: number
  readonly startedAt: number
  readonly pid: number
  readonly version: string
  readonly verbosity: number
  readonly evictionsAllowed: boolean
  readonly maxItemSize: number
  readonly memoryLimit: number
  /** Bytes held by items (memcached's `ITEM_ntotal` summed). */
  readonly bytes: number
  readonly itemCount: number
  /** When the least recently used item was written, in unix seconds; `undefined` when none is held. */
  readonly oldestWrittenAt: number | undefined
  /** How long the last evicted item had been held, in seconds. */
  readonly lastEvictedAge: number
  readonly connections: ReadonlyArray<ConnectionStat>
  /** `process.cpuUsage()`, in microseconds. */
  readonly cpu: { readonly user: number; readonly system: number }
}

/** A row that is not a counter: its name and how to read it. */
type Gauge = readonly [name: string, read: (source: StatsSource) => StatValue]

const seconds = (microseconds: number): string => (microseconds / 1e6).toFixed(6)

/**
 * The rows of a plain `stats`, in memcached's order. A bare name is a counter of that name; every
 * counter but `ITEM_COUNTERS` is one of these.
 */
const GENERAL_STATS = [
  ['pid', (source) => source.pid],
  ['uptime', (source) => source.now - source.startedAt],
  ['time', (source) => source.now],
  ['version', (source) => source.version],
  ['pointer_size', () => 64],
  ['rusage_user', (source) => seconds(source.cpu.user)],
  ['rusage_system', (source) => seconds(source.cpu.system)],
  ['curr_connections', (source) => source.connections.length],
  'total_connections',
  'cmd_get',
  'cmd_set',
  'cmd_flush',
  'cmd_touch',
  // Meta commands are a later addition to the emulator.
  ['cmd_meta', () => 0],
  'get_hits',
  'get_misses',
  'get_expired',
  'get_flushed',
  'delete_misses',
  'delete_hits',
  'incr_misses',
  'incr_hits',
  'decr_misses',
  'decr_hits',
  'cas_misses',
  'cas_hits',
  'cas_badval',
  'touch_hits',
  'touch_misses',
  'store_too_large',
  'store_no_memory',
  'bytes_read',
  'bytes_written',
  ['limit_maxbytes', (source) => source.memoryLimit],
  ['threads', () => 1],
  ['bytes', (source) => source.bytes],
  ['curr_items', (source) => source.itemCount],
  'total_items',
  'expired_unfetched',
  'evicted_unfetched',
  'evictions',
  'reclaimed',
] as const satisfies ReadonlyArray<string | Gauge>

/** Counters that only `stats items` shows. */
const ITEM_COUNTERS = ['evicted_nonzero', 'outofmemory'] as const

/** @category model */
export type CounterName = Extract<(typeof GENERAL_STATS)[number], string> | (typeof ITEM_COUNTERS)[number]

/**
 * What the server counts, by name; the store and the connection registry add to the same record.
 * @category model
 */
export type Counters = Record<CounterName, number>

type Row = CounterName | Gauge

const isCounter = <T extends string | Gauge>(row: T): row is Extract<T, string> => typeof row === 'string'

const COUNTER_NAMES: ReadonlyArray<CounterName> = [...GENERAL_STATS.filter(isCounter), ...ITEM_COUNTERS]

/** `stats items` rows, each shown as `items:1:<name>` (one slab class holds everything). */
const ITEM_STATS: ReadonlyArray<Row> = [
  ['number', (source) => source.itemCount],
  ['age', (source) => (source.oldestWrittenAt === undefined ? 0 : source.now - source.oldestWrittenAt)],
  ['mem_requested', (source) => source.bytes],
  ['evicted', (source) => source.counters.evictions],
  'evicted_nonzero',
  ['evicted_time', (source) => source.lastEvictedAge],
  'outofmemory',
  'reclaimed',
  'expired_unfetched',
  'evicted_unfetched',
]

/** `stats slabs` rows of the one slab class, each shown as `1:<name>` while it holds items. */
const SLAB_CLASS_STATS: ReadonlyArray<Row> = [
  ['used_chunks', (source) => source.itemCount],
  'get_hits',
  'cmd_set',
  'delete_hits',
  'incr_hits',
  'decr_hits',
  'cas_hits',
  'cas_badval',
  'touch_hits',
]

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Every counter at zero.
 *
 * @example
 * const counters = makeCounters()
 * counters.cmd_get++
 * @category constructors
 */
export const makeCounters = (): Counters =>
  // Built in one go: adding 30-odd properties one by one by computed name would leave V8 a slow
  // dictionary object, and counters are bumped on every command.
  Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * `stats reset`: zeroes `counters` in place (whoever holds the record sees it zeroed).
 *
 * @example
 * resetCounters(counters) // counters.cmd_get === 0
 * @category combinators
 */
export const resetCounters = (counters: Counters): void => {
  for (const name of COUNTER_NAMES) counters[name] = 0
}

// -------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------

const entryOf = (row: Row, source: StatsSource, prefix = ''): StatEntry =>
  isCounter(row) ? [prefix + row, source.counters[row]] : [prefix + row[0], row[1](source)]

const entriesOf = (rows: ReadonlyArray<Row>, source: StatsSource, prefix = ''): ReadonlyArray<StatEntry> =>
  rows.map((row) => entryOf(row, source, prefix))

/**
 * The rows of a plain `stats`.
 *
 * @example
 * generalStats(source) // [['pid', 4242], ['uptime', 90], ... ['reclaimed', 0]]
 * @category rendering
 */
export const generalStats = (source: StatsSource): ReadonlyArray<StatEntry> => entriesOf(GENERAL_STATS, source)

/**
 * The rows `stats <argument>` answers (`reset` changes counters and answers `RESET`: see `resetCounters`).
 *
 * @example
 * statsFor('settings', source) // [['maxbytes', 67108864], ['verbosity', 0], ...]
 * statsFor('items', source) // [] while nothing was ever held
 * @category rendering
 */
export const statsFor = (argument: Exclude<R.StatsArgument, 'reset'> | undefined, source: StatsSource): ReadonlyArray<StatEntry> => {
  switch (argument) {
    case undefined:
      return generalStats(source)
    case 'settings':
      return [
        ['maxbytes', source.memoryLimit],
        ['verbosity', source.verbosity],
        ['evictions', source.evictionsAllowed ? 'on' : 'off'],
        ['cas_enabled', 'yes'],
        ['binding_protocol', 'ascii'],
        ['item_size_max', source.maxItemSize],
        ['flush_enabled', 'yes'],
      ]
    case 'items': {
      const { counters } = source
      const nothingToShow = source.itemCount === 0 && counters.evictions === 0 && counters.reclaimed === 0 && counters.outofmemory === 0
      return nothingToShow ? [] : entriesOf(ITEM_STATS, source, 'items:1:')
    }
    case 'slabs':
      return [
        ...(source.itemCount === 0 ? [] : entriesOf(SLAB_CLASS_STATS, source, '1:')),
        ['active_slabs', source.itemCount === 0 ? 0 : 1],
        ['total_malloced', source.bytes],
      ]
    case 'sizes':
      return [['sizes_status', 'disabled']]
    case 'conns':
      return source.connections.flatMap((connection): ReadonlyArray<StatEntry> => [
        [`${connection.id}:addr`, connection.address],
        [`${connection.id}:state`, 'conn_parse_cmd'],
        [`${connection.id}:secs_since_last_cmd`, source.now - connection.lastCommandAt],
      ])
  }
}
