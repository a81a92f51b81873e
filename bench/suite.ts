/**
 * The benchmark behind `npm run bench` (run through `bench/run.ts`, which compiles it first):
 * fp-memcache against memjs, memcached (npm) and memcache-client, on one memcached server, in one
 * run.
 *
 * The server is the first entry of `MEMCACHED_SERVERS` when it is set (keys are namespaced by a
 * random run prefix and nothing is flushed), else a memcached started here and stopped at the end.
 *
 * Method: every workload runs a fixed number of operations (not a fixed time) with a fixed number
 * in flight (each completion starts the next). Each client first warms up on the workload with
 * every result checked (a wrong value, a missing hit or a failure aborts the run: no client is
 * measured that silently fails); then the workload runs three times per client, clients
 * interleaved in a rotating order so that machine noise falls on all alike, and the median ops/s
 * is reported. Latency percentiles are measured for the sequential workload only (one in flight).
 * `--quick` runs a tenth of the operations. Results are printed as tables and written to
 * `bench/results/latest.json` (`latest-quick.json` for `--quick`).
 */
import * as E from 'fp-ts/lib/Either.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { stats } from '../src/commands/stats.js'
import { reconnecting } from '../src/transport/reconnecting.js'
import { memcacheClientClient, memcachedClient, memjsClient, type BenchClient } from './competitors.js'
import { batchingPair, ourClient, ourConnection, type CountedClient } from './ours.js'
import { startMemcached } from '../test/support/memcached.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The keys one client works on (its own: libraries store values with different flags). */
interface KeySpace {
  readonly small: ReadonlyArray<string>
  readonly large: ReadonlyArray<string>
  readonly missing: ReadonlyArray<string>
  readonly written: ReadonlyArray<string>
  readonly groups: ReadonlyArray<ReadonlyArray<string>>
}

interface Workload {
  readonly id: string
  readonly title: string
  readonly concurrency: number
  readonly ops: number
  /** Keys per operation, for the keys/s column. */
  readonly keysPerOp: number
  readonly op: (client: BenchClient, space: KeySpace) => (i: number) => Promise<unknown>
  /** Throws when the result of operation `i` is wrong. */
  readonly check: (client: BenchClient, space: KeySpace, i: number, result: unknown) => void
}

interface Row {
  readonly client: string
  readonly opsPerSec: number
  readonly runs: ReadonlyArray<number>
  readonly p50Us?: number
  readonly p99Us?: number
  readonly requestsPerOp?: number
  readonly keysAtServerPerOp?: number
}

interface WorkloadResult {
  readonly id: string
  readonly title: string
  readonly concurrency: number
  readonly ops: number
  readonly rows: ReadonlyArray<Row>
  readonly notes: ReadonlyArray<string>
}

// -------------------------------------------------------------------------------------
// settings
// -------------------------------------------------------------------------------------

const quick = process.argv.includes('--quick')
/** `--only=get,get-4k`: run only these workloads (ids as in the summary; `get-batching` for withBatching). */
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',')
/** `--clients=memjs,connection`: run only the clients whose names contain one of these. */
const clientFilter = process.argv.find((arg) => arg.startsWith('--clients='))?.slice('--clients='.length).split(',')
const selected = (id: string): boolean => only === undefined || only.includes(id)
const chosen = (client: BenchClient): boolean => clientFilter === undefined || clientFilter.some((part) => client.name.includes(part))
const REPEATS = 3
const scale = (full: number): number => (quick ? Math.max(200, Math.round(full / 10)) : full)
const SMALL = 100
const LARGE = 4096
const KEYS = 1000
const MANY = 10
const IN_FLIGHT = 64

// -------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------

const resultsDir = process.env['FP_MEMCACHE_BENCH_RESULTS'] ?? join(dirname(fileURLToPath(import.meta.url)), 'results')
const runtime = process.env['FP_MEMCACHE_BENCH_RUNTIME'] ?? 'as started'

const runPrefix = `fpb${Math.random().toString(36).slice(2, 8)}`

/** A value that names its key, so a value delivered to the wrong key is caught. */
const valueFor = (key: string, size: number): Buffer => {
  const value = Buffer.alloc(size, 'abcdefghijklmnopqrstuvwxyz0123456789')
  value.write(`${key}|`, 0, 'latin1')
  return value
}

const keySpace = (index: number): KeySpace => {
  const base = `${runPrefix}:${index}:`
  const small = Array.from({ length: KEYS }, (_, i) => `${base}s:${i}`)
  return {
    small,
    large: Array.from({ length: KEYS / 2 }, (_, i) => `${base}l:${i}`),
    missing: Array.from({ length: KEYS }, (_, i) => `${base}miss:${i}`),
    written: Array.from({ length: KEYS }, (_, i) => `${base}w:${i}`),
    groups: Array.from({ length: KEYS / MANY }, (_, g) => small.slice(g * MANY, g * MANY + MANY)),
  }
}

const at = <A>(items: ReadonlyArray<A>, i: number): A => items[i % items.length] as A

const sameBytes = (actual: Uint8Array | undefined, expected: Uint8Array): boolean =>
  actual !== undefined && Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)

const expectValue = (key: string, actual: Uint8Array | undefined, size: number): void => {
  if (!sameBytes(actual, valueFor(key, size))) {
    throw new Error(`wrong value for ${key}: ${actual === undefined ? 'a miss' : JSON.stringify(Buffer.from(actual).toString('latin1').slice(0, 60))}`)
  }
}

// -------------------------------------------------------------------------------------
// workloads
// -------------------------------------------------------------------------------------

const getHit = (id: string, title: string, concurrency: number, ops: number, size: number): Workload => ({
  id,
  title,
  concurrency,
  ops,
  keysPerOp: 1,
  op: (client, space) => {
    const keys = size === SMALL ? space.small : space.large
    return (i) => client.get(at(keys, i))
  },
  check: (client, space, i, result) => expectValue(at(size === SMALL ? space.small : space.large, i), client.found(result), size),
})

const workloads: ReadonlyArray<Workload> = [
  getHit('get-seq', `sequential get, hit, ${SMALL} B (1 in flight)`, 1, scale(8_000), SMALL),
  getHit('get', `concurrent get, hit, ${SMALL} B (${IN_FLIGHT} in flight)`, IN_FLIGHT, scale(40_000), SMALL),
  {
    id: 'set',
    title: `concurrent set, ${SMALL} B (${IN_FLIGHT} in flight)`,
    concurrency: IN_FLIGHT,
    ops: scale(30_000),
    keysPerOp: 1,
    op: (client, space) => {
      const values = space.written.map((key) => valueFor(key, SMALL))
      return (i) => client.set(at(space.written, i), at(values, i))
    },
    check: (client, _space, i, result) => {
      if (!client.stored(result)) throw new Error(`set #${i} was not stored: ${JSON.stringify(result)}`)
    },
  },
  getHit('get-4k', `concurrent get, hit, ${LARGE / 1024} KiB (${IN_FLIGHT} in flight)`, IN_FLIGHT, scale(25_000), LARGE),
  {
    id: 'get-many',
    title: `get-many, ${MANY} keys, hit, ${SMALL} B (16 in flight)`,
    concurrency: 16,
    ops: scale(8_000),
    keysPerOp: MANY,
    op: (client, space) => (i) => client.getMany(at(space.groups, i)),
    check: (client, space, i, result) => {
      const keys = at(space.groups, i)
      const found = client.foundMany(result, keys)
      if (found.size !== keys.length) throw new Error(`getMany found ${found.size} of ${keys.length} keys`)
      for (const key of keys) expectValue(key, found.get(key), SMALL)
    },
  },
  {
    id: 'get-miss',
    title: `concurrent get, miss (${IN_FLIGHT} in flight)`,
    concurrency: IN_FLIGHT,
    ops: scale(40_000),
    keysPerOp: 1,
    op: (client, space) => (i) => client.get(at(space.missing, i)),
    check: (client, space, i, result) => {
      const found = client.found(result)
      if (found !== undefined) throw new Error(`a miss on ${at(space.missing, i)} returned ${found.length} bytes`)
    },
  },
]

const batchingWorkload = getHit(
  'get-batching',
  `concurrent single-key get, hit, ${SMALL} B (${IN_FLIGHT} in flight), through the command layer`,
  IN_FLIGHT,
  scale(40_000),
  SMALL,
)

// -------------------------------------------------------------------------------------
// driver
// -------------------------------------------------------------------------------------

const describe = (result: unknown): string => {
  try {
    return JSON.stringify(result, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value)).slice(0, 300)
  } catch {
    return String(result)
  }
}

/**
 * Runs operations `0 .. ops-1` with `concurrency` in flight; returns the elapsed seconds. With one
 * in flight, each operation's latency (µs) is written to `latencies`.
 */
const drive = async (
  client: BenchClient,
  op: (i: number) => Promise<unknown>,
  ops: number,
  concurrency: number,
  onResult?: (i: number, result: unknown) => void,
  latencies?: Float64Array,
): Promise<number> => {
  const fail = (i: number, result: unknown): never => {
    throw new Error(`${client.name}: operation #${i} failed: ${describe(result)}`)
  }
  const started = performance.now()
  if (concurrency === 1) {
    for (let i = 0; i < ops; i++) {
      const before = performance.now()
      const result = await op(i)
      if (latencies !== undefined) latencies[i] = (performance.now() - before) * 1000
      if (client.failed(result)) fail(i, result)
      onResult?.(i, result)
    }
  } else {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ops) {
        const i = next++
        const result = await op(i)
        if (client.failed(result)) fail(i, result)
        onResult?.(i, result)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker))
  }
  return (performance.now() - started) / 1000
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

/** Warm-up with every result checked, then `REPEATS` timed runs per client, interleaved. */
const runWorkload = async (
  workload: Workload,
  clients: ReadonlyArray<BenchClient>,
  spaces: ReadonlyMap<BenchClient, KeySpace>,
  counters?: { readonly keysAtServer: () => Promise<number> },
): Promise<WorkloadResult> => {
  const ops = new Map<BenchClient, (i: number) => Promise<unknown>>()
  for (const client of clients) {
    const space = spaces.get(client) as KeySpace
    const op = workload.op(client, space)
    ops.set(client, op)
    const warmOps = Math.max(2000, Math.round(workload.ops / 5))
    try {
      await drive(client, op, warmOps, workload.concurrency, (i, result) => workload.check(client, space, i, result))
    } catch (error) {
      throw new Error(`${client.name} failed the warm-up of "${workload.title}": ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }
  const runs = new Map<BenchClient, Array<number>>(clients.map((client) => [client, []]))
  const latencies = new Map<BenchClient, Array<number>>(clients.map((client) => [client, []]))
  const requests = new Map<BenchClient, number>(clients.map((client) => [client, 0]))
  const keysAtServer = new Map<BenchClient, number>(clients.map((client) => [client, 0]))
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const order = clients.map((_, i) => clients[(i + repeat) % clients.length] as BenchClient)
    for (const client of order) {
      const samples = workload.concurrency === 1 ? new Float64Array(workload.ops) : undefined
      const requestsBefore = (client as Partial<CountedClient>).requests?.() ?? 0
      const keysBefore = counters === undefined ? 0 : await counters.keysAtServer()
      const seconds = await drive(client, ops.get(client) as (i: number) => Promise<unknown>, workload.ops, workload.concurrency, undefined, samples)
      const keysAfter = counters === undefined ? 0 : await counters.keysAtServer()
      runs.get(client)?.push(workload.ops / seconds)
      if (samples !== undefined) latencies.get(client)?.push(...samples)
      requests.set(client, (requests.get(client) ?? 0) + ((client as Partial<CountedClient>).requests?.() ?? 0) - requestsBefore)
      keysAtServer.set(client, (keysAtServer.get(client) ?? 0) + keysAfter - keysBefore)
    }
  }
  const rows = clients.map((client): Row => {
    const clientRuns = runs.get(client) ?? []
    const row: Row = { client: client.name, opsPerSec: median(clientRuns), runs: clientRuns.map(Math.round) }
    const samples = Float64Array.from(latencies.get(client) ?? []).sort()
    const counted = (client as Partial<CountedClient>).requests !== undefined
    const total = workload.ops * REPEATS
    return {
      ...row,
      ...(samples.length > 0 ? { p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99) } : {}),
      ...(counted ? { requestsPerOp: (requests.get(client) ?? 0) / total } : {}),
      ...(counters === undefined ? {} : { keysAtServerPerOp: (keysAtServer.get(client) ?? 0) / total }),
    }
  })
  const notes = clients.flatMap((client) => {
    const note = client.notes[workload.id]
    return note === undefined ? [] : [`${client.name}: ${note}`]
  })
  return { id: workload.id, title: workload.title, concurrency: workload.concurrency, ops: workload.ops, rows, notes }
}

// -------------------------------------------------------------------------------------
// output
// -------------------------------------------------------------------------------------

const formatNumber = (value: number): string => Math.round(value).toLocaleString('en-US')

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

const isOurs = (name: string): boolean => name.startsWith('fp-memcache')

const printWorkload = (result: WorkloadResult, keysPerOp: number): void => {
  const best = Math.max(...result.rows.map((row) => row.opsPerSec))
  const header = ['client', 'ops/s (median)', ...(keysPerOp > 1 ? ['keys/s'] : []), 'vs fastest', 'runs (ops/s)']
  const withLatency = result.rows.some((row) => row.p50Us !== undefined)
  const withCounts = result.rows.some((row) => row.requestsPerOp !== undefined)
  if (withLatency) header.push('p50 µs', 'p99 µs')
  if (withCounts) header.push('requests/op', 'keys at server/op')
  const rows = result.rows.map((row) => [
    row.client,
    formatNumber(row.opsPerSec),
    ...(keysPerOp > 1 ? [formatNumber(row.opsPerSec * keysPerOp)] : []),
    `${(row.opsPerSec / best).toFixed(2)}`,
    row.runs.map(formatNumber).join(' / '),
    ...(withLatency ? [row.p50Us?.toFixed(1) ?? '', row.p99Us?.toFixed(1) ?? ''] : []),
    ...(withCounts ? [row.requestsPerOp?.toFixed(3) ?? '', row.keysAtServerPerOp?.toFixed(3) ?? ''] : []),
  ])
  console.log(`\n## ${result.title} — ${formatNumber(result.ops)} ops × ${REPEATS}`)
  console.log(table(header, rows))
  for (const note of result.notes) console.log(`  note: ${note}`)
}

interface Ratio {
  readonly workload: string
  readonly ours: string
  readonly oursOpsPerSec: number
  readonly competitor: string
  readonly competitorOpsPerSec: number
  readonly ratio: number
}

const ratiosOf = (result: WorkloadResult): ReadonlyArray<Ratio> => {
  const competitors = result.rows.filter((row) => !isOurs(row.client))
  const best = competitors.reduce<Row | undefined>((a, b) => (a === undefined || b.opsPerSec > a.opsPerSec ? b : a), undefined)
  if (best === undefined) return []
  return result.rows
    .filter((row) => isOurs(row.client))
    .map((row) => ({
      workload: result.id,
      ours: row.client,
      oursOpsPerSec: row.opsPerSec,
      competitor: best.client,
      competitorOpsPerSec: best.opsPerSec,
      ratio: row.opsPerSec / best.opsPerSec,
    }))
}

// -------------------------------------------------------------------------------------
// main
// -------------------------------------------------------------------------------------

const serverFromEnv = (): string | undefined => {
  const first = process.env['MEMCACHED_SERVERS']?.split(',')[0]?.trim()
  return first === undefined || first === '' ? undefined : first
}

/** Stores every value of `space` with the client's own `set`, then reads one back with its own `get`. */
const seed = async (client: BenchClient, space: KeySpace): Promise<void> => {
  const writes: Array<readonly [string, Buffer]> = [
    ...space.small.map((key) => [key, valueFor(key, SMALL)] as const),
    ...space.large.map((key) => [key, valueFor(key, LARGE)] as const),
  ]
  for (let start = 0; start < writes.length; start += 100) {
    const results = await Promise.all(writes.slice(start, start + 100).map(([key, value]) => client.set(key, value)))
    results.forEach((result, i) => {
      if (client.failed(result) || !client.stored(result)) {
        throw new Error(`${client.name} could not store ${writes[start + i]?.[0] ?? '?'}: ${describe(result)}`)
      }
    })
  }
}

const main = async (): Promise<void> => {
  const fromEnv = serverFromEnv()
  const started = fromEnv === undefined ? await startMemcached({ memoryMb: 256 }) : undefined
  const server = fromEnv ?? (started?.server as string)
  const admin = reconnecting({ server })
  const clients: Array<BenchClient> = []
  try {
    const generalStats = async () => {
      const result = await stats()(admin)()
      if (E.isLeft(result)) throw new Error(`stats failed: ${result.left.message}`)
      return result.right
    }
    const before = await generalStats()
    const loadBefore = os.loadavg()
    const cpus = os.cpus()
    console.log(`# fp-memcache benchmark${quick ? ' (--quick)' : ''}`)
    console.log(
      `server ${server} (memcached ${before.version}, ${String(before.threads)} threads, ${fromEnv === undefined ? 'started for this run' : 'from MEMCACHED_SERVERS'})`,
    )
    console.log(`node ${process.version} (${runtime}), ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`)

    clients.push(ourClient(server), await ourConnection(server), memjsClient(server), memcachedClient(server), memcacheClientClient(server))
    const pair = batchingPair(server)
    const batching: ReadonlyArray<BenchClient> = [pair.unbatched, pair.batched]
    clients.push(...batching)
    const spaces = new Map<BenchClient, KeySpace>(clients.map((client, i) => [client, keySpace(i)]))
    console.log('clients:')
    for (const client of clients) console.log(`  ${client.name}: ${client.notes['setup'] ?? 'default options'}`)
    const compared = clients.filter((client) => !batching.includes(client) && chosen(client))
    const runBatching = selected(batchingWorkload.id)

    const wallStart = performance.now()
    for (const client of [...compared, ...(runBatching ? batching : [])]) await seed(client, spaces.get(client) as KeySpace)

    const results: Array<WorkloadResult> = []
    for (const workload of workloads.filter((candidate) => selected(candidate.id))) {
      const result = await runWorkload(workload, compared, spaces)
      results.push(result)
      printWorkload(result, workload.keysPerOp)
    }

    const keysAtServer = async (): Promise<number> => Number((await generalStats()).cmd_get)
    const batchingResult = runBatching ? await runWorkload(batchingWorkload, batching, spaces, { keysAtServer }) : undefined
    if (batchingResult !== undefined) printWorkload(batchingResult, 1)
    const unbatchedRow = batchingResult?.rows[0]
    const batchedRow = batchingResult?.rows[1]
    const getResult = results.find((result) => result.id === 'get')
    const bestGet = getResult === undefined ? undefined : ratiosOf(getResult)[0]
    if (unbatchedRow !== undefined && batchedRow !== undefined) {
      console.log(
        `  withBatching: ${(batchedRow.opsPerSec / unbatchedRow.opsPerSec).toFixed(2)}× the ops/s of the same stack unbatched, ` +
          `${((batchedRow.requestsPerOp ?? 0) > 0 ? 1 / (batchedRow.requestsPerOp ?? 1) : 0).toFixed(1)} keys per request on the wire` +
          (bestGet === undefined ? '' : `; ${(batchedRow.opsPerSec / bestGet.competitorOpsPerSec).toFixed(2)}× ${bestGet.competitor}'s concurrent get`),
      )
    }

    const ratios = results.flatMap(ratiosOf)
    console.log('\n## Summary: fp-memcache ops/s ÷ the fastest competitor on each workload')
    console.log(
      table(
        ['workload', 'fastest competitor', 'its ops/s', 'client', 'ratio', 'connection', 'ratio'],
        results.map((result) => {
          const [client, connection] = ['fp-memcache (client)', 'fp-memcache (connection)'].map((name) => ratios.find((r) => r.workload === result.id && r.ours === name))
          const competitor = client ?? connection
          const ours = (ratio: Ratio | undefined) => (ratio === undefined ? ['-', '-'] : [formatNumber(ratio.oursOpsPerSec), `${ratio.ratio.toFixed(2)}×`])
          return [result.id, competitor?.competitor ?? '-', competitor === undefined ? '-' : formatNumber(competitor.competitorOpsPerSec), ...ours(client), ...ours(connection)]
        }),
      ),
    )
    const wallSeconds = (performance.now() - wallStart) / 1000
    const loadAfter = os.loadavg()
    console.log(`\nwall time ${wallSeconds.toFixed(1)} s; load average now ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`)

    const file = join(resultsDir, quick ? 'latest-quick.json' : 'latest.json')
    mkdirSync(dirname(file), { recursive: true })
    const round = (rows: ReadonlyArray<Row>) =>
      rows.map((row) => ({
        ...row,
        opsPerSec: Math.round(row.opsPerSec),
        ...(row.p50Us === undefined ? {} : { p50Us: Number(row.p50Us.toFixed(1)) }),
        ...(row.p99Us === undefined ? {} : { p99Us: Number(row.p99Us.toFixed(1)) }),
        ...(row.requestsPerOp === undefined ? {} : { requestsPerOp: Number(row.requestsPerOp.toFixed(4)) }),
        ...(row.keysAtServerPerOp === undefined ? {} : { keysAtServerPerOp: Number(row.keysAtServerPerOp.toFixed(4)) }),
      }))
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          quick,
          repeats: REPEATS,
          machine: {
            node: process.version,
            runtime,
            cpus: cpus.length,
            model: cpus[0]?.model ?? '',
            loadBefore: loadBefore.map((x) => Number(x.toFixed(2))),
            loadAfter: loadAfter.map((x) => Number(x.toFixed(2))),
          },
          server: { version: before.version, threads: Number(before.threads), startedHere: fromEnv === undefined },
          wallSeconds: Number(wallSeconds.toFixed(1)),
          clients: clients.map((client) => ({ name: client.name, setup: client.notes['setup'] ?? 'default options' })),
          workloads: [...results, ...(batchingResult === undefined ? [] : [batchingResult])].map((result) => ({ ...result, rows: round(result.rows) })),
          ratios: ratios.map((ratio) => ({
            ...ratio,
            oursOpsPerSec: Math.round(ratio.oursOpsPerSec),
            competitorOpsPerSec: Math.round(ratio.competitorOpsPerSec),
            ratio: Number(ratio.ratio.toFixed(3)),
          })),
        },
        null,
        2,
      )}\n`,
    )
    console.log(`results written to ${file}`)
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)))
    await admin.close()
    await started?.stop()
  }
}

main().then(
  // Some competitors keep timers after closing (memcache-client waits up to 5 minutes on a socket
  // it let go): do not wait for them.
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  },
)
