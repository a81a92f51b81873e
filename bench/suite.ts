/**
 * The benchmark behind `npm run bench` (run through `bench/run.ts`, which compiles it first):
 * fp-memcache against a hand-written raw socket client (the floor, `raw.ts`) and the Node clients
 * people use (memjs, memcached, memcache-client), on memcached `-t 1` servers started for the run.
 *
 * Method. Every client runs in a process of its own (`clientProcess`; this file, started again
 * with the client's spec), as an application runs one client: the parent starts the servers and
 * the processes, sends them work and reads the server's counters between runs. Every workload runs
 * a fixed number of operations with a fixed number in flight (each completion starts the next).
 * Each client first warms up on each workload for a whole sample with every result checked (a
 * wrong value, a missing hit or a failure aborts the run). Then come `rounds` rounds (7; 3 with
 * `--quick`): in each, every workload is run by every client, in `SLICES` slices of its operations
 * taken in turn, clients in a rotating order, so that the machine's noise falls on all alike; each
 * row reports the median over the rounds and the spread (lowest and highest). Two numbers per
 * run: throughput (ops/s, or keys/s for multi-key gets) and the client process's own CPU time per
 * operation (`process.cpuUsage()` around the run, in the client's process: user + system, the
 * server being another process), in µs.
 *
 * Placement. With `taskset` and two CPUs or more to run on, the servers are pinned to the first
 * (CPU 0 here) and every client process to the others, as if server and client were different
 * machines. Left to the scheduler, a client's process sometimes shared memcached's CPU and
 * sometimes not, for a whole run: a round trip then cost 43 µs of the client's CPU or 60–80 µs,
 * for the same code, and the sequential get's ratios moved by ±30% from run to run.
 * `FP_MEMCACHE_BENCH_PIN=0` leaves placement to the scheduler.
 *
 * Then: memory per idle connection and per request in flight (heap and external bytes, measured
 * over many of them against a local server that never answers, with `--expose-gc`), and the
 * decoder against memcache-parser (`decoder.ts`). The results are printed, written to
 * `bench/results/latest.json` (`latest-quick.json` for `--quick`), and, on a full run, written
 * into README.md between `<!-- bench:start -->` and `<!-- bench:end -->`, with the issue's targets
 * marked met or not met.
 *
 * Options: `--quick` (a tenth of the operations, 3 rounds: for iterating), `--rounds=N`,
 * `--only=get,set,...` (workload ids), `--no-readme`, `--readme-only` (the README section again
 * from the last full run's results, nothing measured). `FP_MEMCACHE_BENCH_ROUNDS=N` sets the rounds too.
 */
import * as E from 'fp-ts/lib/Either.js'
import { execFileSync, fork } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { stats } from '../src/commands/stats.js'
import * as Request from '../src/protocol/request.js'
import { connect, type Connection } from '../src/transport/connection.js'
import { reconnecting } from '../src/transport/reconnecting.js'
import { memcacheClientClient, memcachedClient, memjsClient, type BenchClient } from './competitors.js'
import { compareDecoders, type DecoderComparison } from './decoder.js'
import { ourClient, ourMetaBatchedClient, ourMetaClient, ourRoutedClient, ourUnbatchedClient, type RoutedClient } from './ours.js'
import { rawSocketClient } from './raw.js'
import { startMemcached, type MemcachedServer } from '../test/support/memcached.js'

// -------------------------------------------------------------------------------------
// settings
// -------------------------------------------------------------------------------------

const argument = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
const quick = process.argv.includes('--quick')
const rounds = Number(argument('rounds') ?? process.env['FP_MEMCACHE_BENCH_ROUNDS'] ?? (quick ? 3 : 7))
const only = argument('only')?.split(',')
const selected = (id: string): boolean => only === undefined || only.some((wanted) => id === wanted || id.startsWith(`${wanted}-`))
const writeReadme = !quick && only === undefined && !process.argv.includes('--no-readme')
const scale = (full: number, floor = 200): number => (quick ? Math.max(floor, Math.round(full / 10)) : full)

const SMALL = 100
const SET_SIZE = 1024
const LARGE = 32 * 1024 * 1024
const KEYS = 1000
const MANY = 100
const IN_FLIGHT = 64
const SCALING = [1, 4, 16, 64, 256] as const
const SERVERS = 8
/**
 * Each round's sample of a client is taken in this many slices, the clients taking turns slice by
 * slice, so that the samples of one round span the same stretch of time: this machine's speed
 * drifts within seconds, and a whole sample per client let the drift fall on one client more than
 * another. Workloads of few operations (the 32 MiB value) are taken whole.
 */
const SLICES = 5

/** Where the servers and the client processes run: CPUs for `taskset -c`. */
interface Pinning {
  readonly servers: string
  readonly clients: string
}

/** The CPUs this process may run on (`taskset -p -c`: "0,1", "2-5"); none without `taskset`. */
const allowedCpus = (): ReadonlyArray<number> => {
  try {
    const listed = execFileSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' })
    return listed
      .slice(listed.lastIndexOf(':') + 1)
      .trim()
      .split(',')
      .flatMap((part) => {
        const [from = NaN, to = from] = part.split('-').map(Number)
        return Number.isInteger(from) && Number.isInteger(to) ? Array.from({ length: to - from + 1 }, (_, i) => from + i) : []
      })
  } catch {
    return []
  }
}

/** Servers on the first CPU this process may use, clients on the others; none with fewer than two, or when turned off. */
const planPinning = (): Pinning | undefined => {
  if (process.env['FP_MEMCACHE_BENCH_PIN'] === '0') return undefined
  const [server, ...clients] = allowedCpus()
  return server === undefined || clients.length === 0 ? undefined : { servers: String(server), clients: clients.join(',') }
}

/** Set by the parent process before it starts anything. */
let pinning: Pinning | undefined

/** Every thread of process `pid` on `cpus` (threads it starts later inherit it); false if `taskset` refused. */
const pin = (pid: number, cpus: string): boolean => {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    console.log(`  could not pin process ${pid} to CPU ${cpus}`)
    return false
  }
}

const placement = (): string => (pinning === undefined ? 'placement left to the scheduler' : `servers pinned to CPU ${pinning.servers}, clients to CPU ${pinning.clients}`)

const resultsDir = process.env['FP_MEMCACHE_BENCH_RESULTS'] ?? join(dirname(fileURLToPath(import.meta.url)), 'results')
const readmePath = process.env['FP_MEMCACHE_BENCH_README']
const runtime = process.env['FP_MEMCACHE_BENCH_RUNTIME'] ?? 'as started'
/** The run's key prefix, the same in every client's process (the large-value client reads the raw socket's value). */
const runPrefix = process.env['FP_MEMCACHE_BENCH_PREFIX'] ?? `fpb${Math.random().toString(36).slice(2, 8)}`

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The keys one client works on (its own: libraries store values with different flags). */
interface KeySpace {
  readonly small: ReadonlyArray<string>
  readonly written: ReadonlyArray<string>
  readonly groups: ReadonlyArray<ReadonlyArray<string>>
  readonly large: string
}

/** Who runs a workload: ours, the floor, the other libraries. */
type Role = 'raw' | 'client' | 'unbatched' | 'meta' | 'meta-batched' | 'peer' | 'routed' | 'large'

interface Workload {
  readonly id: string
  readonly title: string
  readonly concurrency: number
  readonly ops: number
  readonly keysPerOp: number
  readonly roles: ReadonlyArray<Role>
  readonly op: (client: BenchClient, space: KeySpace) => (i: number) => Promise<unknown>
  /** Throws when the result of operation `i` is wrong. */
  readonly check: (client: BenchClient, space: KeySpace, i: number, result: unknown) => void
}

interface Run {
  readonly opsPerSec: number
  readonly cpuUsPerOp: number
}

interface Row {
  readonly client: string
  readonly role: Role
  readonly opsPerSec: number
  readonly keysPerSec: number
  readonly cpuUsPerOp: number
  readonly cpuUsPerKey: number
  /** Lowest and highest ops/s over the rounds. */
  readonly spread: readonly [number, number]
  readonly runs: ReadonlyArray<Run>
  /** Requests each server was sent per operation (the routed client only). */
  readonly requestsPerServerPerOp?: ReadonlyArray<number>
  /**
   * For gets on the primary server: the lowest share, over the measured runs, of the keys asked
   * for that the server counted as hits (`get_hits`). Below 1, some of the client's results did
   * not come from the server (a library-side cache, coalescing or a silent failure): the row is
   * left out of the peer comparisons.
   */
  readonly servedShare?: number
}

interface WorkloadResult {
  readonly id: string
  readonly title: string
  readonly concurrency: number
  readonly ops: number
  readonly keysPerOp: number
  readonly rows: ReadonlyArray<Row>
}

/** What a client's process answers for one run: elapsed seconds and its own CPU µs. */
interface Ran {
  readonly seconds: number
  readonly cpuUs: number
}

/**
 * One client in a process of its own (this file run as a worker, `clientProcess`): the parent
 * sends it workloads to warm up on and slices to run, and reads the server's counters around them.
 */
interface Remote {
  readonly name: string
  readonly setup: string
  readonly warm: (workload: Workload) => Promise<void>
  readonly run: (workload: Workload, ops: number, first: number) => Promise<Ran>
  /** Requests sent to each server so far (the routed client), or undefined. */
  readonly requestsPerServer: () => Promise<ReadonlyArray<number> | undefined>
  readonly close: () => Promise<void>
}

interface Participant {
  readonly client: Remote
  readonly role: Role
}

// -------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------

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
    written: Array.from({ length: KEYS }, (_, i) => `${base}w:${i}`),
    groups: Array.from({ length: KEYS / MANY }, (_, g) => small.slice(g * MANY, g * MANY + MANY)),
    large: `${base}large`,
  }
}

const at = <A>(items: ReadonlyArray<A>, i: number): A => items[i % items.length] as A

const sameBytes = (actual: Uint8Array | undefined, expected: Uint8Array): boolean =>
  actual !== undefined && Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)

const expectValue = (key: string, actual: Uint8Array | undefined, size: number): void => {
  if (!sameBytes(actual, valueFor(key, size))) {
    throw new Error(`wrong value for ${key}: ${actual === undefined ? 'a miss' : JSON.stringify(Buffer.from(actual.subarray(0, 60)).toString('latin1'))}`)
  }
}

// -------------------------------------------------------------------------------------
// workloads
// -------------------------------------------------------------------------------------

const getSmall = (id: string, title: string, concurrency: number, ops: number, roles: ReadonlyArray<Role>): Workload => ({
  id,
  title,
  concurrency,
  ops,
  keysPerOp: 1,
  roles,
  op: (client, space) => (i) => client.get(at(space.small, i)),
  check: (client, space, i, result) => expectValue(at(space.small, i), client.found(result), SMALL),
})

const getMany = (id: string, title: string, ops: number, roles: ReadonlyArray<Role>): Workload => ({
  id,
  title,
  concurrency: 8,
  ops,
  keysPerOp: MANY,
  roles,
  op: (client, space) => (i) => client.getMany(at(space.groups, i)),
  check: (client, space, i, result) => {
    const keys = at(space.groups, i)
    const found = client.foundMany(result, keys)
    if (found.size !== keys.length) throw new Error(`getMany found ${found.size} of ${keys.length} keys`)
    for (const key of keys) expectValue(key, found.get(key), SMALL)
  },
})

const PEERS_AND_US: ReadonlyArray<Role> = ['raw', 'client', 'meta', 'peer']

const workloads: ReadonlyArray<Workload> = [
  getSmall('get-seq', `sequential get, ${SMALL} B (1 in flight)`, 1, scale(5_000), ['raw', 'client', 'unbatched', 'meta', 'peer']),
  getSmall('get', `concurrent get, ${SMALL} B (${IN_FLIGHT} in flight)`, IN_FLIGHT, scale(120_000), ['raw', 'client', 'unbatched', 'meta', 'meta-batched', 'peer']),
  getMany('get-many', `get-many, ${MANY} keys, ${SMALL} B (8 in flight)`, scale(4_000), PEERS_AND_US),
  {
    id: 'set',
    title: `concurrent set, ${SET_SIZE / 1024} KiB (${IN_FLIGHT} in flight)`,
    concurrency: IN_FLIGHT,
    ops: scale(90_000),
    keysPerOp: 1,
    roles: PEERS_AND_US,
    op: (client, space) => {
      const values = space.written.map((key) => valueFor(key, SET_SIZE))
      return (i) => client.set(at(space.written, i), at(values, i))
    },
    check: (client, _space, i, result) => {
      if (!client.stored(result)) throw new Error(`set #${i} was not stored: ${describe(result)}`)
    },
  },
  ...SCALING.map((inFlight) =>
    getSmall(`scaling-${inFlight}`, `get, ${SMALL} B, ${inFlight} in flight`, inFlight, scale(inFlight === 1 ? 3_000 : 40_000), ['raw', 'client', 'unbatched', 'meta-batched']),
  ),
  getMany(`get-many-${SERVERS}`, `get-many, ${MANY} keys over ${SERVERS} servers (8 in flight)`, scale(2_000), ['routed']),
  {
    id: 'large',
    title: `get of one ${LARGE / (1024 * 1024)} MiB value (1 in flight)`,
    concurrency: 1,
    ops: quick ? 2 : 6,
    keysPerOp: 1,
    roles: ['raw', 'large'],
    op: (client, space) => () => client.get(space.large),
    check: (client, space, _i, result) => expectValue(space.large, client.found(result), LARGE),
  },
]

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

/** Runs operations `first .. first + ops - 1` with `concurrency` in flight; returns the elapsed seconds and CPU µs. */
const drive = async (
  client: BenchClient,
  op: (i: number) => Promise<unknown>,
  ops: number,
  concurrency: number,
  onResult?: (i: number, result: unknown) => void,
  first = 0,
): Promise<{ readonly seconds: number; readonly cpuUs: number }> => {
  const fail = (i: number, result: unknown): never => {
    throw new Error(`${client.name}: operation #${i} failed: ${describe(result)}`)
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = first + next++
      const result = await op(i)
      if (client.failed(result)) fail(i, result)
      onResult?.(i, result)
    }
  }
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker))
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return { seconds, cpuUs: used.user + used.system }
}

const slicesOf = (workload: Workload): number => (workload.ops >= SLICES * 200 ? SLICES : 1)

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

const warmUp = async (workload: Workload, participants: ReadonlyArray<Participant>): Promise<void> => {
  for (const { client } of participants) {
    try {
      await client.warm(workload)
    } catch (error) {
      throw new Error(`${client.name} failed the warm-up of "${workload.title}": ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }
}

/** `rounds` rounds; in each, every workload by every one of its participants (rotating order). */
const runRounds = async (
  chosen: ReadonlyArray<Workload>,
  participantsOf: (workload: Workload) => ReadonlyArray<Participant>,
  serverHits: () => Promise<number>,
): Promise<ReadonlyArray<WorkloadResult>> => {
  const runs = new Map<string, Array<Run>>()
  const served = new Map<string, number>()
  // Measured runs are not checked value by value (that would be the client's CPU too): the
  // server's own count of hits says whether every key asked for reached it.
  const countsHits = (workload: Workload, role: Role): boolean =>
    role !== 'routed' && (workload.id.startsWith('get') || workload.id.startsWith('scaling') || workload.id === 'large')
  const routedBefore = new Map<string, Array<number>>()
  const keyOf = (workload: Workload, client: Remote): string => `${workload.id}\u0000${client.name}`
  for (const workload of chosen) await warmUp(workload, participantsOf(workload))
  for (let round = 0; round < rounds; round++) {
    for (const workload of chosen) {
      const participants = participantsOf(workload)
      const slices = slicesOf(workload)
      const totals = participants.map(() => ({ seconds: 0, cpuUs: 0, hits: 0 }))
      let first = 0
      for (let slice = 0; slice < slices; slice++) {
        const ops = Math.floor(workload.ops / slices) + (slice < workload.ops % slices ? 1 : 0)
        for (let n = 0; n < participants.length; n++) {
          const index = (n + round + slice) % participants.length
          const { client, role } = participants[index] as Participant
          const total = totals[index] as { seconds: number; cpuUs: number; hits: number }
          const before = role === 'routed' ? await client.requestsPerServer() : undefined
          const hitsBefore = countsHits(workload, role) ? await serverHits() : undefined
          const { seconds, cpuUs } = await client.run(workload, ops, first)
          total.seconds += seconds
          total.cpuUs += cpuUs
          if (hitsBefore !== undefined) total.hits += (await serverHits()) - hitsBefore
          const after = before === undefined ? undefined : await client.requestsPerServer()
          if (before !== undefined && after !== undefined) {
            const sums = routedBefore.get(workload.id) ?? before.map(() => 0)
            after.forEach((count, s) => (sums[s] = (sums[s] ?? 0) + count - (before[s] ?? 0)))
            routedBefore.set(workload.id, sums)
          }
        }
        first += ops
      }
      participants.forEach(({ client, role }, index) => {
        const total = totals[index] as { seconds: number; cpuUs: number; hits: number }
        if (countsHits(workload, role)) {
          const share = total.hits / (workload.ops * workload.keysPerOp)
          served.set(keyOf(workload, client), Math.min(share, served.get(keyOf(workload, client)) ?? Infinity))
          if (share < 0.999) console.log(`  ${client.name} on "${workload.title}": the server counted ${(share * 100).toFixed(1)}% of the hits asked for`)
        }
        const list = runs.get(keyOf(workload, client)) ?? []
        list.push({ opsPerSec: workload.ops / total.seconds, cpuUsPerOp: total.cpuUs / workload.ops })
        runs.set(keyOf(workload, client), list)
      })
    }
    console.log(`round ${round + 1} of ${rounds} done`)
  }
  return chosen.map((workload) => ({
    id: workload.id,
    title: workload.title,
    concurrency: workload.concurrency,
    ops: workload.ops,
    keysPerOp: workload.keysPerOp,
    rows: participantsOf(workload).map(({ client, role }): Row => {
      const list = runs.get(keyOf(workload, client)) ?? []
      const opsPerSec = median(list.map((run) => run.opsPerSec))
      const cpuUsPerOp = median(list.map((run) => run.cpuUsPerOp))
      const throughputs = list.map((run) => run.opsPerSec)
      const perServer = routedBefore.get(workload.id)
      return {
        client: client.name,
        role,
        opsPerSec,
        keysPerSec: opsPerSec * workload.keysPerOp,
        cpuUsPerOp,
        cpuUsPerKey: cpuUsPerOp / workload.keysPerOp,
        spread: [Math.min(...throughputs), Math.max(...throughputs)],
        runs: list,
        ...(role === 'routed' && perServer !== undefined ? { requestsPerServerPerOp: perServer.map((count) => count / (workload.ops * rounds)) } : {}),
        ...(served.has(keyOf(workload, client)) ? { servedShare: served.get(keyOf(workload, client)) ?? 0 } : {}),
      }
    }),
  }))
}

// -------------------------------------------------------------------------------------
// client processes
// -------------------------------------------------------------------------------------

/**
 * Which client a process runs. Each client runs in a process of its own, as an application runs
 * one: side by side in one process, the library's several configurations here (batched, unbatched,
 * meta, routed) share its functions, whose call sites V8 then sees with several shapes and
 * targets. In one process with a raw socket, 64 gets in flight, the default client's CPU per get
 * rose by 10–40% against the raw socket's once the other configurations had run there (three
 * runs), where running the default client alone for as long lowered it; the other clients run one
 * configuration each and lose nothing to it.
 */
type ClientKind = 'raw' | 'client' | 'unbatched' | 'meta' | 'meta-batched' | 'large' | 'memjs' | 'memcached' | 'memcache-client' | 'routed'

interface ClientSpec {
  readonly kind: ClientKind
  /** Its key space (`keySpace(index)`). */
  readonly index: number
  readonly server: string
  /** The routed client's servers. */
  readonly servers: ReadonlyArray<string>
  /** Whether it stores the 32 MiB value (the raw socket does, for itself and the large-value client). */
  readonly seedLarge: boolean
  /** The key space whose 32 MiB value the large-value client reads. */
  readonly largeFrom: number
}

type Command =
  | { readonly kind: 'warm'; readonly workload: string }
  | { readonly kind: 'run'; readonly workload: string; readonly ops: number; readonly first: number }
  | { readonly kind: 'requests' }
  | { readonly kind: 'close' }

type Answer =
  | { readonly kind: 'ready'; readonly name: string; readonly setup: string }
  | { readonly kind: 'done' }
  | { readonly kind: 'ran'; readonly seconds: number; readonly cpuUs: number }
  | { readonly kind: 'requests'; readonly counts: ReadonlyArray<number> | undefined }
  | { readonly kind: 'error'; readonly message: string }

const WORKER = 'FP_MEMCACHE_BENCH_CLIENT'

/** The clients on one server, by kind. */
const onOneServer: Readonly<Record<Exclude<ClientKind, 'routed'>, (server: string) => BenchClient | Promise<BenchClient>>> = {
  raw: rawSocketClient,
  client: ourClient,
  large: ourClient,
  unbatched: ourUnbatchedClient,
  meta: ourMetaClient,
  'meta-batched': ourMetaBatchedClient,
  memjs: memjsClient,
  memcached: memcachedClient,
  'memcache-client': memcacheClientClient,
}

const openClient = async (spec: ClientSpec): Promise<BenchClient> =>
  spec.kind === 'routed' ? ourRoutedClient(spec.servers) : onOneServer[spec.kind](spec.server)

const workloadById = (id: string): Workload => {
  const found = workloads.find((workload) => workload.id === id)
  if (found === undefined) throw new Error(`no workload ${id}`)
  return found
}

/** This file run as one client's process: it stores its values, then runs what the parent asks. */
const clientProcess = async (spec: ClientSpec): Promise<void> => {
  const client = await openClient(spec)
  const space = spec.kind === 'large' ? { ...keySpace(spec.index), large: keySpace(spec.largeFrom).large } : keySpace(spec.index)
  if (spec.kind !== 'large') await seed(client, space, spec.seedLarge)
  const reply = (answer: Answer): void => {
    process.send?.(answer)
  }
  const handle = async (command: Command): Promise<Answer> => {
    switch (command.kind) {
      case 'warm': {
        const workload = workloadById(command.workload)
        // A whole sample, every result checked: the JIT has settled by the first measured run.
        const warmOps = workload.id === 'large' ? 2 : workload.ops
        await drive(client, workload.op(client, space), warmOps, workload.concurrency, (i, result) => workload.check(client, space, i, result))
        return { kind: 'done' }
      }
      case 'run': {
        const workload = workloadById(command.workload)
        const ran = await drive(client, workload.op(client, space), command.ops, workload.concurrency, undefined, command.first)
        return { kind: 'ran', ...ran }
      }
      case 'requests':
        return { kind: 'requests', counts: (client as Partial<RoutedClient>).requestsPerServer?.() }
      case 'close':
        await client.close().catch(() => undefined)
        // Replied to, then gone (some clients keep timers after closing).
        setImmediate(() => process.exit(0))
        return { kind: 'done' }
    }
  }
  // Orphaned (the parent died): nothing will ask again.
  process.once('disconnect', () => process.exit(0))
  process.on('message', (command: Command) => {
    void handle(command).then(reply, (error: unknown) => reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) }))
  })
  reply({ kind: 'ready', name: client.name, setup: client.notes['setup'] ?? '' })
}

/** Starts `spec`'s process and waits until its values are stored. */
const startClient = (spec: ClientSpec): Promise<Remote> =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
      env: { ...process.env, [WORKER]: JSON.stringify(spec), FP_MEMCACHE_BENCH_PREFIX: runPrefix },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let waiting: { readonly resolve: (answer: Answer) => void; readonly reject: (error: Error) => void } | undefined
    const ask = (command: Command): Promise<Answer> =>
      new Promise((answered, failed) => {
        waiting = { resolve: answered, reject: failed }
        child.send(command)
      })
    const expect = async <K extends Answer['kind']>(command: Command, kind: K): Promise<Extract<Answer, { kind: K }>> => {
      const answer = await ask(command)
      if (answer.kind !== kind) throw new Error(`${spec.kind}: expected ${kind}, got ${JSON.stringify(answer)}`)
      return answer as Extract<Answer, { kind: K }>
    }
    if (pinning !== undefined && child.pid !== undefined) pin(child.pid, pinning.clients)
    child.on('message', (answer: Answer) => {
      if (answer.kind === 'ready') {
        resolve({
          name: answer.name,
          setup: answer.setup,
          warm: async (workload) => {
            await expect({ kind: 'warm', workload: workload.id }, 'done')
          },
          run: async (workload, ops, first) => {
            const { seconds, cpuUs } = await expect({ kind: 'run', workload: workload.id, ops, first }, 'ran')
            return { seconds, cpuUs }
          },
          requestsPerServer: async () => (await expect({ kind: 'requests' }, 'requests')).counts,
          close: async () => {
            await expect({ kind: 'close' }, 'done').catch(() => undefined)
            child.kill()
          },
        })
        return
      }
      const current = waiting
      waiting = undefined
      if (answer.kind === 'error') current?.reject(new Error(answer.message))
      else current?.resolve(answer)
    })
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      const error = new Error(`the ${spec.kind} client's process exited (${code ?? signal ?? '?'})`)
      waiting?.reject(error)
      reject(error)
    })
  })

// -------------------------------------------------------------------------------------
// memory
// -------------------------------------------------------------------------------------

interface MemoryResult {
  readonly bytesPerIdleConnection: number
  readonly rawBytesPerIdleSocket: number
  readonly bytesPerRequestInFlight: number
  readonly gcExposed: boolean
}

const settle = async (): Promise<number> => {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/** A server that accepts and never answers: what is in flight stays in flight. */
const silentServer = (): Promise<{ readonly server: string; readonly stop: () => Promise<void> }> =>
  new Promise((resolve) => {
    const sockets = new Set<net.Socket>()
    const listener = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    })
    listener.listen(0, '127.0.0.1', () => {
      const address = listener.address() as net.AddressInfo
      resolve({
        server: `127.0.0.1:${address.port}`,
        stop: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            listener.close(() => done())
          }),
      })
    })
  })

const measureMemory = async (): Promise<MemoryResult> => {
  const silent = await silentServer()
  try {
    const count = quick ? 100 : 400
    const base = await settle()
    const connections: Array<Connection> = []
    for (let i = 0; i < count; i++) {
      const opened = await connect({ server: silent.server })()
      if (E.isLeft(opened)) throw new Error(opened.left.message)
      connections.push(opened.right)
    }
    const withConnections = await settle()
    await Promise.all(connections.map((connection) => connection.close()))
    const afterClose = await settle()
    const sockets: Array<net.Socket> = []
    for (let i = 0; i < count; i++) {
      sockets.push(
        await new Promise<net.Socket>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port: Number(silent.server.split(':')[1]) }, () => resolve(socket))
        }),
      )
    }
    const withSockets = await settle()
    for (const socket of sockets) socket.destroy()
    await settle()

    const requests = quick ? 2_000 : 20_000
    const opened = await connect({ server: silent.server, timeout: 0 })()
    if (E.isLeft(opened)) throw new Error(opened.left.message)
    const connection = opened.right
    const before = await settle()
    const keys = Array.from({ length: requests }, (_, i) => `${runPrefix}:m:${i}`)
    const answers = keys.map((key) => connection.send(Request.get([key]))())
    const inFlight = await settle()
    await connection.close()
    await Promise.all(answers)
    return {
      bytesPerIdleConnection: (withConnections - base) / count,
      rawBytesPerIdleSocket: (withSockets - afterClose) / count,
      // The keys are made before the first measure: they are the caller's. The answers' promises count.
      bytesPerRequestInFlight: (inFlight - before) / requests,
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    }
  } finally {
    await silent.stop()
  }
}

// -------------------------------------------------------------------------------------
// output
// -------------------------------------------------------------------------------------

const thousands = (value: number): string =>
  value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : value >= 1e3 ? `${(value / 1e3).toFixed(value >= 1e5 ? 0 : 1)}k` : value.toFixed(0)
const micro = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2))

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

const markdown = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')

const printWorkload = (result: WorkloadResult): void => {
  const many = result.keysPerOp > 1
  console.log(`\n## ${result.title} — ${result.ops.toLocaleString('en-US')} ops × ${rounds} rounds`)
  console.log(
    table(
      ['client', many ? 'keys/s' : 'ops/s', 'spread (min–max)', many ? 'CPU µs/key' : 'CPU µs/op', 'per server/op'],
      result.rows.map((row) => [
        row.client,
        thousands(many ? row.keysPerSec : row.opsPerSec),
        `${thousands(row.spread[0] * (many ? result.keysPerOp : 1))}–${thousands(row.spread[1] * (many ? result.keysPerOp : 1))}`,
        micro(many ? row.cpuUsPerKey : row.cpuUsPerOp),
        (row.requestsPerServerPerOp?.map((n) => n.toFixed(2)).join(' ') ?? '') + (verified(row) ? '' : ` (unverified: the server counted ${((row.servedShare ?? 0) * 100).toFixed(0)}% of the hits)`),
      ]),
    ),
  )
}

/** A cell: throughput and CPU per op (per key for multi-key workloads). */
const cell = (result: WorkloadResult, row: Row | undefined): string => {
  if (row === undefined) return '—'
  if (!verified(row)) return `unverified (the server counted ${((row.servedShare ?? 0) * 100).toFixed(0)}% of the hits)`
  const many = result.keysPerOp > 1
  return `${thousands(many ? row.keysPerSec : row.opsPerSec)}${many ? ' keys/s' : ''}, ${micro(many ? row.cpuUsPerKey : row.cpuUsPerOp)} µs`
}

interface Target {
  readonly target: string
  readonly measured: string
  readonly met: boolean | undefined
}

const rowOf = (result: WorkloadResult | undefined, role: Role): Row | undefined => result?.rows.find((row) => row.role === role)
/** A row whose gets the server did not all count as hits is not a result to compare with. */
const verified = (row: Row): boolean => row.servedShare === undefined || row.servedShare >= 0.999
const peersOf = (result: WorkloadResult | undefined): ReadonlyArray<Row> => result?.rows.filter((row) => row.role === 'peer' && verified(row)) ?? []
const fastestPeer = (result: WorkloadResult | undefined): Row | undefined => peersOf(result).reduce<Row | undefined>((a, b) => (a === undefined || b.opsPerSec > a.opsPerSec ? b : a), undefined)
const leanestPeer = (result: WorkloadResult | undefined): Row | undefined => peersOf(result).reduce<Row | undefined>((a, b) => (a === undefined || b.cpuUsPerOp < a.cpuUsPerOp ? b : a), undefined)

const ratioTarget = (target: string, numerator: number | undefined, denominator: number | undefined, required: number, label: string, atMost = false): Target => {
  if (numerator === undefined || denominator === undefined || denominator === 0) return { target, measured: 'not measured', met: undefined }
  const ratio = numerator / denominator
  return { target, measured: `${ratio.toFixed(2)}× ${label}`, met: atMost ? ratio <= required : ratio >= required }
}

/** The faster meta row of a workload: single `mg`s pipelined, or merged into quiet batches. */
const fasterMeta = (result: WorkloadResult | undefined): Row | undefined =>
  [rowOf(result, 'meta'), rowOf(result, 'meta-batched')].reduce<Row | undefined>(
    (best, row) => (row === undefined || !verified(row) ? best : best === undefined || row.opsPerSec > best.opsPerSec ? row : best),
    undefined,
  )

/**
 * The issue's "batched (or meta-pipelined) concurrent single gets" target: the faster of text
 * batching and the meta paths counts, and both are shown.
 */
const batchedOrMeta = (get: WorkloadResult | undefined): Target => {
  const peer = fastestPeer(get)
  // The client batches by default.
  const batched = rowOf(get, 'client')
  const meta = fasterMeta(get)
  const best = [batched, meta].reduce<Row | undefined>((a, b) => (b === undefined || !verified(b) ? a : a === undefined || b.opsPerSec > a.opsPerSec ? b : a), undefined)
  const target = ratioTarget('batched (or meta-pipelined) concurrent gets ≥ 3× the fastest peer', best?.opsPerSec, peer?.opsPerSec, 3, peer?.client ?? '')
  const ratio = (row: Row | undefined): string => (row === undefined || peer === undefined ? '—' : `${(row.opsPerSec / peer.opsPerSec).toFixed(2)}×`)
  return best === undefined ? target : { ...target, measured: `${target.measured}: fp-memcache (batching on) ${ratio(batched)}, ${meta?.client ?? 'meta'} ${ratio(meta)}` }
}

/** A target measured on the default client, with the same ratio for `batching: false` beside it. */
const withUnbatched = (target: Target, unbatched: number | undefined, denominator: number | undefined): Target =>
  unbatched === undefined || denominator === undefined || denominator === 0 || target.met === undefined
    ? target
    : { ...target, measured: `${target.measured} (batching off: ${(unbatched / denominator).toFixed(2)}×)` }

const targetsOf = (
  results: ReadonlyArray<WorkloadResult>,
  decoder: ReadonlyArray<DecoderComparison>,
): ReadonlyArray<Target> => {
  const find = (id: string) => results.find((result) => result.id === id)
  const get = find('get')
  const seq = find('get-seq')
  const many = find('get-many')
  const set = find('set')
  const large = find('large')
  const routed = rowOf(find(`get-many-${SERVERS}`), 'routed')
  const decoderAt = (bytes: number) => decoder.find((row) => row.valueBytes === bytes && row.keysPerGet === 1)
  const fastest = (result: WorkloadResult | undefined) => fastestPeer(result)
  const roundTrips = routed?.requestsPerServerPerOp
  return [
    withUnbatched(
      ratioTarget('concurrent get: client CPU/op ≤ 0.5× the leanest peer', rowOf(get, 'client')?.cpuUsPerOp, leanestPeer(get)?.cpuUsPerOp, 0.5, leanestPeer(get)?.client ?? '', true),
      rowOf(get, 'unbatched')?.cpuUsPerOp,
      leanestPeer(get)?.cpuUsPerOp,
    ),
    withUnbatched(
      ratioTarget('concurrent get: throughput ≥ 0.95× raw socket', rowOf(get, 'client')?.opsPerSec, rowOf(get, 'raw')?.opsPerSec, 0.95, 'raw socket'),
      rowOf(get, 'unbatched')?.opsPerSec,
      rowOf(get, 'raw')?.opsPerSec,
    ),
    batchedOrMeta(get),
    ratioTarget('get-many ≥ 3× the fastest peer (keys/s)', rowOf(many, 'client')?.keysPerSec, fastest(many)?.keysPerSec, 3, fastest(many)?.client ?? ''),
    ratioTarget('concurrent set ≥ 2× the fastest peer', rowOf(set, 'client')?.opsPerSec, fastest(set)?.opsPerSec, 2, fastest(set)?.client ?? ''),
    withUnbatched(ratioTarget('sequential get ≥ 0.95× raw socket', rowOf(seq, 'client')?.opsPerSec, rowOf(seq, 'raw')?.opsPerSec, 0.95, 'raw socket'), rowOf(seq, 'unbatched')?.opsPerSec, rowOf(seq, 'raw')?.opsPerSec),
    ratioTarget('decoder ≥ 5× memcache-parser at 100 B', decoderAt(100)?.oursPerSec, decoderAt(100)?.parserPerSec, 5, 'memcache-parser'),
    ratioTarget('decoder ≥ 4× memcache-parser at 4 KiB', decoderAt(4096)?.oursPerSec, decoderAt(4096)?.parserPerSec, 4, 'memcache-parser'),
    // Receive time is the inverse of ops/s at one in flight.
    ratioTarget('32 MiB value: receive time ≤ 2× raw socket', rowOf(large, 'raw')?.opsPerSec, rowOf(large, 'large')?.opsPerSec, 2, "raw socket's time", true),
    roundTrips === undefined
      ? { target: `get-many over ${SERVERS} servers: 1 round trip per server`, measured: 'not measured', met: undefined }
      : {
          target: `get-many over ${SERVERS} servers: 1 round trip per server`,
          measured: `at most ${Math.max(...roundTrips).toFixed(2)} requests per server per get-many`,
          met: roundTrips.every((count) => count <= 1),
        },
  ]
}

const verdict = (met: boolean | undefined): string => (met === undefined ? 'pending' : met ? 'met' : 'not met')

/** A row of the text against meta table: both cells and their ratios. */
const textAgainstMeta = (result: WorkloadResult): ReadonlyArray<string> => {
  // Meta's single gets are not merged: compare them with text gets that are not either.
  const text = (rowOf(result, 'unbatched') ?? rowOf(result, 'client')) as Row
  const meta = rowOf(result, 'meta') as Row
  return [result.title, cell(result, text), cell(result, meta), `${(meta.opsPerSec / text.opsPerSec).toFixed(2)}×`, `${(meta.cpuUsPerOp / text.cpuUsPerOp).toFixed(2)}×`]
}

interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly memcached: string
  readonly date: string
  /** Where the processes ran (absent in results from before pinning). */
  readonly placement?: string
}

const readmeSection = (
  machine: Machine,
  results: ReadonlyArray<WorkloadResult>,
  memory: MemoryResult | undefined,
  decoder: ReadonlyArray<DecoderComparison>,
  targets: ReadonlyArray<Target>,
  roundsRun: number = rounds,
): string => {
  const peerNames = [...new Set(results.flatMap((result) => peersOf(result).map((row) => row.client)))]
  const main = results.filter((result) => ['get-seq', 'get', 'get-many', 'set'].includes(result.id))
  const lines: Array<string> = []
  lines.push(
    `Measured by \`npm run bench\` on ${machine.date.slice(0, 10)}: ${machine.cores} × ${machine.cpu}, Node ${machine.node}, memcached ${machine.memcached} (\`-t 1\`, started for the run)${machine.placement === undefined ? '' : `; ${machine.placement}`}. ` +
      `Median of ${roundsRun} interleaved rounds; each cell is throughput and the client process's own CPU time per operation (per key for get-many).`,
    '',
  )
  lines.push(
    markdown(
      ['workload', 'raw socket', 'fp-memcache', 'fp-memcache, batching off', 'fp-memcache meta', 'fp-memcache + meta batching', ...peerNames],
      main.map((result) => [
        result.title,
        cell(result, rowOf(result, 'raw')),
        cell(result, rowOf(result, 'client')),
        cell(result, rowOf(result, 'unbatched')),
        cell(result, rowOf(result, 'meta')),
        cell(result, rowOf(result, 'meta-batched')),
        ...peerNames.map((name) => cell(result, result.rows.find((row) => row.client === name))),
      ]),
    ),
  )
  const compared = main.filter((result) => rowOf(result, 'client') !== undefined && rowOf(result, 'meta') !== undefined)
  if (compared.length > 0) {
    lines.push(
      '',
      'Text against meta, the same client, each request on its own (text with batching off where it applies: the meta commands are not batched) — a throughput ratio above 1: meta is faster; a CPU ratio below 1: meta is leaner:',
      '',
    )
    lines.push(markdown(['workload', 'text', 'meta', 'meta/text throughput', 'meta/text CPU per op'], compared.map(textAgainstMeta)))
  }
  const scaling = results.filter((result) => result.id.startsWith('scaling-'))
  if (scaling.length > 0) {
    lines.push('', 'Scaling of a 100 B get with the number in flight:', '')
    lines.push(
      markdown(
        ['in flight', 'raw socket', 'fp-memcache', 'fp-memcache, batching off', 'fp-memcache + meta batching'],
        scaling.map((result) => [
          String(result.concurrency),
          cell(result, rowOf(result, 'raw')),
          cell(result, rowOf(result, 'client')),
          cell(result, rowOf(result, 'unbatched')),
          cell(result, rowOf(result, 'meta-batched')),
        ]),
      ),
    )
  }
  const routedResult = results.find((result) => result.id === `get-many-${SERVERS}`)
  const routed = rowOf(routedResult, 'routed')
  const large = results.find((result) => result.id === 'large')
  lines.push('')
  if (routedResult !== undefined && routed !== undefined) {
    lines.push(
      `- get-many of ${MANY} keys over ${SERVERS} servers: ${cell(routedResult, routed)}; requests per server per get-many: ${routed.requestsPerServerPerOp?.map((n) => n.toFixed(2)).join(', ') ?? '?'}.`,
    )
  }
  if (large !== undefined) {
    const raw = rowOf(large, 'raw')
    const ours = rowOf(large, 'large')
    if (raw !== undefined && ours !== undefined) {
      lines.push(
        `- one 32 MiB value: ${(1000 / ours.opsPerSec).toFixed(1)} ms to receive (${micro(ours.cpuUsPerOp / 1000)} ms CPU), raw socket ${(1000 / raw.opsPerSec).toFixed(1)} ms (${micro(raw.cpuUsPerOp / 1000)} ms CPU).`,
      )
    }
  }
  if (memory !== undefined) {
    lines.push(
      `- memory (heap + external${memory.gcExposed ? ', after gc' : ', no --expose-gc: rough'}): ${Math.round(memory.bytesPerIdleConnection).toLocaleString('en-US')} B per idle connection (a bare net.Socket: ${Math.round(memory.rawBytesPerIdleSocket).toLocaleString('en-US')} B), ${Math.round(memory.bytesPerRequestInFlight).toLocaleString('en-US')} B per get in flight.`,
    )
  }
  if (decoder.length > 0) {
    lines.push('', 'The decoder alone against memcache-parser (memcache-client\'s), same bytes in memory:', '')
    lines.push(
      markdown(
        ['reply', 'fp-memcache replies/s', 'memcache-parser replies/s', 'ratio'],
        decoder.map((row) => [row.case, thousands(row.oursPerSec), thousands(row.parserPerSec), `${row.ratio.toFixed(2)}×`]),
      ),
    )
  }
  lines.push('', 'Targets of issue 15, as ratios in this run:', '')
  lines.push(markdown(['target', 'measured', ''], targets.map((target) => [target.target, target.measured, verdict(target.met)])))
  return lines.join('\n')
}

const START = '<!-- bench:start -->'
const END = '<!-- bench:end -->'

const updateReadme = (path: string, section: string): void => {
  const text = readFileSync(path, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start < 0 || end < start) {
    console.log(`README not updated: no ${START} … ${END} markers in ${path}`)
    return
  }
  writeFileSync(path, `${text.slice(0, start + START.length)}\n${section}\n${text.slice(end)}`)
  console.log(`README updated: ${path}`)
}

// -------------------------------------------------------------------------------------
// main
// -------------------------------------------------------------------------------------

/** Stores every value a space needs with the client's own `set`. */
const seed = async (client: BenchClient, space: KeySpace, withLarge: boolean): Promise<void> => {
  const writes: Array<readonly [string, Buffer]> = space.small.map((key) => [key, valueFor(key, SMALL)] as const)
  if (withLarge) writes.push([space.large, valueFor(space.large, LARGE)])
  for (let start = 0; start < writes.length; start += 100) {
    const results = await Promise.all(writes.slice(start, start + 100).map(([key, value]) => client.set(key, value)))
    results.forEach((result, i) => {
      if (client.failed(result) || !client.stored(result)) {
        throw new Error(`${client.name} could not store ${writes[start + i]?.[0] ?? '?'}: ${describe(result)}`)
      }
    })
  }
}

/**
 * `--readme-only`: writes the README section again from `bench/results/latest.json` (the last full
 * run), with this file's tables and targets, and measures nothing.
 */
const rewriteReadme = (): void => {
  if (readmePath === undefined) throw new Error('no README path (run through npm run bench)')
  const saved = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8')) as {
    readonly machine: Machine
    readonly workloads: ReadonlyArray<WorkloadResult>
    readonly memory?: MemoryResult
    readonly decoder: ReadonlyArray<DecoderComparison>
    readonly rounds: number
  }
  updateReadme(readmePath, readmeSection(saved.machine, saved.workloads, saved.memory, saved.decoder, targetsOf(saved.workloads, saved.decoder), saved.rounds))
}

const main = async (): Promise<void> => {
  const worker = process.env[WORKER]
  if (worker !== undefined) return clientProcess(JSON.parse(worker) as ClientSpec)
  if (process.argv.includes('--readme-only')) return rewriteReadme()
  const oneThread = { memoryMb: 256, itemSizeMax: '64m', extraArgs: ['-t', '1'] }
  const chosen = workloads.filter((workload) => selected(workload.id))
  const needsRouted = chosen.some((workload) => workload.roles.includes('routed'))
  const primary = await startMemcached(oneThread)
  pinning = planPinning()
  // Pinned or not at all: a server that could not be pinned leaves every process to the scheduler.
  if (pinning !== undefined && !pin(primary.pid(), pinning.servers)) pinning = undefined
  const others: Array<MemcachedServer> = []
  const admin = reconnecting({ server: primary.server })
  const closing: Array<Remote> = []
  try {
    if (needsRouted) for (let i = 0; i < SERVERS; i++) others.push(await startMemcached({ memoryMb: 16, extraArgs: ['-t', '1'] }))
    if (pinning !== undefined) for (const other of others) pin(other.pid(), pinning.servers)
    const serverStats = await stats()(admin)()
    if (E.isLeft(serverStats)) throw new Error(`stats failed: ${serverStats.left.message}`)
    const cpus = os.cpus()
    const machine: Machine = {
      cpu: cpus[0]?.model.trim() ?? 'cpu',
      cores: cpus.length,
      node: process.version,
      memcached: String(serverStats.right.version),
      date: new Date().toISOString(),
      placement: placement(),
    }
    console.log(`# fp-memcache benchmark${quick ? ' (--quick)' : ''}: ${rounds} rounds`)
    console.log(`memcached ${machine.memcached} -t 1 at ${primary.server}; node ${machine.node} (${runtime}); ${machine.cores} × ${machine.cpu}; ${machine.placement}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)

    // Each client in a process of its own, started one after the other (the raw socket first: it
    // stores the 32 MiB value the large-value client reads).
    const kinds: ReadonlyArray<readonly [ClientKind, Role]> = [
      ['raw', 'raw'],
      ['client', 'client'],
      ['unbatched', 'unbatched'],
      ['meta', 'meta'],
      ['meta-batched', 'meta-batched'],
      ['large', 'large'],
      ['memjs', 'peer'],
      ['memcached', 'peer'],
      ['memcache-client', 'peer'],
      ['routed', 'routed'],
    ]
    const wanted = new Set(chosen.flatMap((workload) => workload.roles))
    const participants: Array<Participant> = []
    for (const [index, [kind, role]] of kinds.entries()) {
      if (!wanted.has(role)) continue
      const remote = await startClient({
        kind,
        index,
        server: primary.server,
        servers: others.map((other) => other.server),
        seedLarge: kind === 'raw' && chosen.some((workload) => workload.id === 'large'),
        largeFrom: 0,
      })
      closing.push(remote)
      participants.push({ client: remote, role })
    }
    const participantsOf = (workload: Workload): ReadonlyArray<Participant> => participants.filter(({ role }) => workload.roles.includes(role))

    const wallStart = performance.now()
    const serverHits = async (): Promise<number> => {
      const counted = await stats()(admin)()
      if (E.isLeft(counted)) throw new Error(`stats failed: ${counted.left.message}`)
      return Number(counted.right.get_hits)
    }
    const results = await runRounds(chosen, participantsOf, serverHits)
    for (const result of results) printWorkload(result)

    const memory = selected('memory') ? await measureMemory() : undefined
    if (memory !== undefined) {
      console.log(
        `\n## memory: ${Math.round(memory.bytesPerIdleConnection)} B per idle connection (bare socket ${Math.round(memory.rawBytesPerIdleSocket)} B), ` +
          `${Math.round(memory.bytesPerRequestInFlight)} B per get in flight${memory.gcExposed ? '' : ' (no --expose-gc: rough)'}`,
      )
    }
    const decoder = selected('decoder') ? compareDecoders(quick ? 0.2 : 0.6, quick ? 1 : rounds) : []
    if (decoder.length > 0) {
      console.log('\n## decoder vs memcache-parser')
      console.log(table(['reply', 'fp-memcache/s', 'memcache-parser/s', 'ratio'], decoder.map((row) => [row.case, thousands(row.oursPerSec), thousands(row.parserPerSec), `${row.ratio.toFixed(2)}×`])))
    }
    const targets = targetsOf(results, decoder)
    console.log('\n## targets (issue 15)')
    console.log(table(['target', 'measured', ''], targets.map((target) => [target.target, target.measured, verdict(target.met)])))
    const wallSeconds = (performance.now() - wallStart) / 1000
    console.log(`\nwall time ${wallSeconds.toFixed(1)} s; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)

    const file = join(resultsDir, quick ? 'latest-quick.json' : 'latest.json')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(
      file,
      `${JSON.stringify({ machine: { ...machine, runtime }, quick, rounds, wallSeconds, clients: closing.map((one) => ({ name: one.name, setup: one.setup })), workloads: results, memory, decoder, targets }, null, 2)}\n`,
    )
    console.log(`results written to ${file}`)
    if (writeReadme && readmePath !== undefined) updateReadme(readmePath, readmeSection(machine, results, memory, decoder, targets))
  } finally {
    await Promise.all(closing.map((one) => one.close().catch(() => undefined)))
    await admin.close()
    await Promise.all([primary, ...others].map((one) => one.stop()))
  }
}

main().then(
  // Some competitors keep timers after closing (memcache-client waits up to 5 minutes on a socket
  // it let go): do not wait for them. A client's process lives until its parent closes it.
  () => {
    if (process.env[WORKER] === undefined) process.exit(0)
  },
  (error: unknown) => {
    console.error(`bench aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  },
)
