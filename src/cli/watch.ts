/**
 * `fp-memcache watch`: a live per-server view — hit ratio, operations per second, memory, items,
 * connections — from `stats`, refreshed every interval until Ctrl-C (or `--count` refreshes).
 *
 * On a terminal the view is redrawn in place; into a pipe each refresh writes one line per server
 * (`key=value` words), or one JSON object per server with `--json`. The hit ratio and the rate are
 * over the last interval (the first refresh shows the hit ratio since the server started, and no
 * rate yet). A server that does not answer shows its error and is asked again next time.
 *
 * The loop is a function of its clock, its sleep and its sampler, so it is tested without time.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { StatRecord, StatValue } from '../commands/stats.js'
import type { MemcacheError } from '../error.js'
import { formatBytes, formatRate, formatRatio, oneLine, table, toJson } from './format.js'
import { EXIT, type ExitCode } from './options.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One server's `stats` at a time (ms).
 *
 * @example
 * const sample: Sample = { at: 1_000, stats: { get_hits: 3n, get_misses: 1n } }
 * @category model
 */
export interface Sample {
  readonly at: number
  readonly stats: StatRecord
}

/**
 * What the view shows for one server at one refresh.
 *
 * @example
 * const row: WatchRow = { _tag: 'Figures', server: '127.0.0.1:11211', hitRatio: 0.75, opsPerSecond: undefined, bytes: 0n, limitMaxbytes: 67108864n, items: 0n, connections: 2n }
 * @category model
 */
export type WatchRow =
  | {
      readonly _tag: 'Figures'
      readonly server: string
      /** Hits over gets in the interval (since the server started, at the first refresh); `undefined` without gets. */
      readonly hitRatio: number | undefined
      /** Commands per second over the interval; `undefined` at the first refresh. */
      readonly opsPerSecond: number | undefined
      readonly bytes: bigint
      readonly limitMaxbytes: bigint
      readonly items: bigint
      readonly connections: bigint
    }
  | { readonly _tag: 'Failed'; readonly server: string; readonly error: string }

/**
 * How the view is written: redrawn on a terminal, `key=value` lines or JSON lines into a pipe.
 *
 * @example
 * const mode: WatchMode = process.stdout.isTTY ? 'terminal' : 'lines'
 * @category model
 */
export type WatchMode = 'terminal' | 'lines' | 'json'

/**
 * What the loop runs with: every effect it has is here.
 *
 * @example
 * const loop: WatchLoop = { servers, sample, write: (text) => process.stdout.write(text), now: Date.now, sleep, interval: 1000, mode: 'terminal' }
 * @category model
 */
export interface WatchLoop {
  readonly servers: ReadonlyArray<string>
  /** One server's general stats. */
  readonly sample: (server: string) => Promise<E.Either<MemcacheError, StatRecord>>
  readonly write: (text: string) => void
  readonly now: () => number
  /** Resolves after `ms`, or at once when `signal` fires. */
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>
  readonly interval: number
  readonly mode: WatchMode
  /** Stop after this many refreshes; without it, only the signal stops the loop. */
  readonly count?: number
  /** Ctrl-C. */
  readonly signal?: AbortSignal
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** The counters whose sum is "operations": every command memcached counts. */
const OPERATIONS = [
  'cmd_get',
  'cmd_set',
  'cmd_touch',
  'cmd_flush',
  'delete_hits',
  'delete_misses',
  'incr_hits',
  'incr_misses',
  'decr_hits',
  'decr_misses',
] as const

const counter = (stats: StatRecord, name: string): bigint => {
  const value: StatValue | undefined = stats[name]
  return typeof value === 'bigint' ? value : 0n
}

const operations = (stats: StatRecord): bigint => OPERATIONS.reduce((sum, name) => sum + counter(stats, name), 0n)

const ratio = (hits: bigint, misses: bigint): number | undefined => (hits + misses === 0n ? undefined : Number(hits) / Number(hits + misses))

/**
 * The row for a server from its sample now and the one before (when there is one and it is older).
 *
 * @example
 * watchRow('a:1', { at: 0, stats: { cmd_get: 10n, get_hits: 5n, get_misses: 5n } }, { at: 2000, stats: { cmd_get: 30n, get_hits: 20n, get_misses: 10n } })
 * // { _tag: 'Figures', server: 'a:1', hitRatio: 0.75, opsPerSecond: 10, ... }
 * @category utils
 */
export const watchRow = (server: string, previous: Sample | undefined, current: Sample): WatchRow => {
  const { stats } = current
  const elapsed = previous === undefined ? 0 : current.at - previous.at
  const before = elapsed > 0 ? previous?.stats : undefined
  const hits = counter(stats, 'get_hits') - (before === undefined ? 0n : counter(before, 'get_hits'))
  const misses = counter(stats, 'get_misses') - (before === undefined ? 0n : counter(before, 'get_misses'))
  return {
    _tag: 'Figures',
    server,
    hitRatio: ratio(hits, misses),
    opsPerSecond: before === undefined ? undefined : (Number(operations(stats) - operations(before)) * 1000) / elapsed,
    bytes: counter(stats, 'bytes'),
    limitMaxbytes: counter(stats, 'limit_maxbytes'),
    items: counter(stats, 'curr_items'),
    connections: counter(stats, 'curr_connections'),
  }
}

const HEADER = ['SERVER', 'HIT RATIO', 'OPS/S', 'MEMORY', 'ITEMS', 'CONNECTIONS'] as const

/**
 * One refresh of the view as text: a table for a terminal (with a title line), or one line per
 * server (`key=value` words, or JSON) into a pipe.
 *
 * @example
 * renderWatch([{ _tag: 'Failed', server: 'a:1', error: 'refused' }], 'lines', 0)
 * // 'time=1970-01-01T00:00:00.000Z server=a:1 error="refused"\n'
 * @category utils
 */
export const renderWatch = (rows: ReadonlyArray<WatchRow>, mode: WatchMode, at: number, interval = 1000): string => {
  const time = new Date(at).toISOString()
  switch (mode) {
    case 'terminal': {
      const cells = rows.map((row) =>
        row._tag === 'Failed'
          ? [row.server, `error: ${oneLine(row.error)}`]
          : [
              row.server,
              formatRatio(row.hitRatio),
              formatRate(row.opsPerSecond),
              `${formatBytes(row.bytes)} / ${formatBytes(row.limitMaxbytes)}`,
              row.items.toString(),
              row.connections.toString(),
            ],
      )
      return `fp-memcache watch  ${time}  every ${interval} ms, Ctrl-C to stop\n${table(HEADER, cells)}`
    }
    case 'lines':
      return rows
        .map((row) =>
          row._tag === 'Failed'
            ? `time=${time} server=${row.server} error=${JSON.stringify(oneLine(row.error))}\n`
            : `time=${time} server=${row.server} hit_ratio=${formatRatio(row.hitRatio)} ops_per_s=${formatRate(row.opsPerSecond)} bytes=${row.bytes} limit_maxbytes=${row.limitMaxbytes} items=${row.items} connections=${row.connections}\n`,
        )
        .join('')
    case 'json':
      return rows
        .map(
          (row) =>
            `${toJson(
              row._tag === 'Failed'
                ? { time, server: row.server, error: row.error }
                : {
                    time,
                    server: row.server,
                    hit_ratio: row.hitRatio ?? null,
                    ops_per_s: row.opsPerSecond ?? null,
                    bytes: row.bytes,
                    limit_maxbytes: row.limitMaxbytes,
                    items: row.items,
                    connections: row.connections,
                  },
            )}\n`,
        )
        .join('')
  }
}

/** Moves a terminal's cursor up over `lines` lines and clears from there down: the next draw replaces the last. */
const eraseUp = (lines: number): string => (lines === 0 ? '' : `\r\x1b[${lines}A\x1b[J`)

const lineCount = (text: string): number => text.split('\n').length - 1

/**
 * Runs the view until the signal fires (exit 0) or `count` refreshes are drawn (exit 0, or 3 when
 * a server failed at the last one). Each refresh samples every server at once.
 *
 * @example
 * const code = await runWatch({ servers, sample, write, now: Date.now, sleep, interval: 1000, mode: 'lines', count: 3 })
 * @category utils
 */
export const runWatch = async (loop: WatchLoop): Promise<ExitCode> => {
  const previous = new Map<string, Sample>()
  let drawn = 0
  // A function, not a field read: the signal fires while the loop awaits.
  const interrupted = (): boolean => loop.signal?.aborted === true
  for (let refresh = 1; !interrupted(); refresh++) {
    const at = loop.now()
    const results = await Promise.all(loop.servers.map(async (server) => ({ server, result: await loop.sample(server) })))
    // Ctrl-C while sampling: the answers are `Aborted`, not worth drawing.
    if (interrupted()) break
    const rows = results.map(({ server, result }): WatchRow => {
      if (E.isLeft(result)) return { _tag: 'Failed', server, error: result.left.message }
      const sample: Sample = { at, stats: result.right }
      const row = watchRow(server, previous.get(server), sample)
      previous.set(server, sample)
      return row
    })
    const failed = rows.some((row) => row._tag === 'Failed')
    const text = renderWatch(rows, loop.mode, at, loop.interval)
    loop.write(loop.mode === 'terminal' ? `${eraseUp(drawn)}${text}` : text)
    drawn = lineCount(text)
    if (loop.count !== undefined && refresh >= loop.count) return failed ? EXIT.failure : EXIT.ok
    await loop.sleep(loop.interval, loop.signal)
  }
  return EXIT.ok
}
