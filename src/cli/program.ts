/**
 * The `fp-memcache` command line as a function of its inputs and outputs: `run(io)` parses
 * `io.argv` with commander, runs one command on the library's own clients (`createClient` with
 * the `bytes` serde, so values go through byte for byte) and answers the exit code. It writes only
 * to `io.stdout` / `io.stderr`, reads only `io.stdin` / `io.readFile`, and closes every client it
 * made before it answers, so a process that ran it exits on its own. `main.ts` wires it to the
 * process.
 *
 * Keyed commands (`get`, `set`, `add`, `delete`, `incr`, `decr`, `touch`) use one client over all
 * the servers, placing keys with `--hashing`; per-server commands (`stats`, `flush`, `version`,
 * `watch`) use one client per server and report each; `route` opens nothing: it asks the same
 * `Hashing` values the router uses.
 *
 * Output: on a terminal, tables are aligned with a header; into a pipe they are tab-separated
 * lines without one; `--json` writes one JSON object (bigint counters as exact numbers). A value
 * that is not UTF-8 is written as its bytes by `get` (on a terminal, a note in its place), as
 * `{ "base64": ... }` with `--json`, and exactly, with nothing around it, by `get --raw KEY`.
 *
 * @since 0.2.0
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import * as E from 'fp-ts/lib/Either.js'
import { createClient, type Client } from '../client.js'
import { command, firstInvalidKey } from '../commands/command.js'
import { parseStatValue, stats as generalStats, type StatRecord } from '../commands/stats.js'
import type { MemcacheError } from '../error.js'
import * as Request from '../protocol/request.js'
import { ketama } from '../routing/ketama.js'
import { rendezvous } from '../routing/rendezvous.js'
import { bytes } from '../serde/bytes.js'
import type { CallOptions } from '../transport/context.js'
import { jsonBytes, oneLine, table, toJson, tsv, utf8Text, type JsonValue } from './format.js'
import { defaultServers, EXIT, exitCodeOf, toSettings, type ExitCode, type GlobalFlags, type Settings } from './options.js'
import { runWatch } from './watch.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Where the program writes: a stream and whether it is a terminal.
 *
 * @example
 * const stdout: Output = { write: (chunk) => void process.stdout.write(chunk), isTTY: process.stdout.isTTY === true }
 * @category model
 */
export interface Output {
  readonly write: (chunk: string | Uint8Array) => void
  readonly isTTY: boolean
}

/**
 * Where `set` reads a value given no VALUE argument.
 *
 * @example
 * const stdin: Input = { isTTY: false, read: async () => new TextEncoder().encode('hello') }
 * @category model
 */
export interface Input {
  readonly isTTY: boolean
  /** Everything up to the end of input. */
  readonly read: () => Promise<Uint8Array>
}

/**
 * Everything the program touches.
 *
 * @example
 * const code = await run({ argv: ['get', 'greeting'], env: process.env, stdin, stdout, stderr, readFile })
 * @category model
 */
export interface CliIO {
  /** The arguments after the program's name. */
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdin: Input
  readonly stdout: Output
  readonly stderr: Output
  /** A file's bytes (`--tls-ca`...), or why it cannot be read. */
  readonly readFile: (path: string) => E.Either<string, Uint8Array>
  /** Ctrl-C: ends `watch` (exit 0), interrupts other commands (exit 130). */
  readonly signal?: AbortSignal
  /** `watch`'s clock. Default `Date.now`. */
  readonly now?: () => number
  /** `watch`'s wait between refreshes; resolves early when the signal fires. Default a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>
  /** What `--version` prints. */
  readonly version?: string
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const STATS_ARGUMENTS = ['settings', 'items', 'slabs', 'sizes', 'conns'] as const

type StatsArgument = (typeof STATS_ARGUMENTS)[number]

/** A timer that the signal ends early, and that is cleared then: nothing is left to keep a process alive. */
const timerSleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

const integerAtLeast =
  (least: number, what: string) =>
  (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < least) throw new InvalidArgumentError(`must be ${what}.`)
    return value
  }

const seconds = integerAtLeast(0, 'a whole number of seconds, 0 or more')
const positive = integerAtLeast(1, 'a whole number, 1 or more')

const milliseconds = (text: string): number => {
  const value = Number(text)
  if (text.trim() === '' || Number.isNaN(value) || value < 0) throw new InvalidArgumentError('must be a number of milliseconds, 0 or more (0: no limit).')
  return value
}

const delta = (text: string): bigint => {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('must be a whole number, 0 or more.')
  return BigInt(text)
}

/** A commander error as one line: `fp-memcache: unknown option '--x' (Did you mean --json?)`. */
const usageLine = (message: string): string => `fp-memcache: ${oneLine(message.replace(/^error: /, '').trim())}\n`

/** Help and `--version` are successes; every other parse error is a usage error. */
const commanderExit = (error: CommanderError): ExitCode =>
  error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage

const toUtf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8')

const concat = (...parts: ReadonlyArray<string | Uint8Array>): Uint8Array => Buffer.concat(parts.map((part) => (typeof part === 'string' ? toUtf8(part) : part)))

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The commander program for `io`; each action hands its exit code to `settle`. Exposed for tests
 * that look at the program itself (its commands, its help); `run` is what runs it.
 *
 * @example
 * let code = 0
 * await makeProgram(io, (result) => (code = result)).parseAsync(['version'], { from: 'user' })
 * @category constructors
 */
export const makeProgram = (io: CliIO, settle: (code: ExitCode) => void): Command => {
  const call: CallOptions = io.signal === undefined ? {} : { signal: io.signal }
  const say = (line: string): void => io.stderr.write(`fp-memcache: ${oneLine(line)}\n`)
  const failed = (error: MemcacheError): ExitCode => {
    say(error.message)
    return exitCodeOf(error)
  }
  const usage = (message: string): ExitCode => {
    say(message)
    return EXIT.usage
  }
  const json = (value: JsonValue): void => io.stdout.write(`${toJson(value)}\n`)
  /** Rows as a table with `header` on a terminal, as tab-separated lines otherwise. */
  const rows = (header: ReadonlyArray<string>, cells: ReadonlyArray<ReadonlyArray<string>>): void =>
    io.stdout.write(io.stdout.isTTY ? table(header, cells) : tsv(cells))

  const program = new Command('fp-memcache')
  const flags = (): GlobalFlags => program.opts<GlobalFlags>()

  /** Runs `action` with the settings the global flags describe (a usage error when they cannot work). */
  const withSettings = (action: (settings: Settings) => Promise<ExitCode>): Promise<ExitCode> => {
    const settings = toSettings(flags(), io.readFile)
    return E.isLeft(settings) ? Promise.resolve(usage(settings.left)) : action(settings.right)
  }

  /** One client over every server, keys placed by `--hashing`; closed when `action` is done. */
  const withCluster = (action: (client: Client<Uint8Array>) => Promise<ExitCode>): Promise<ExitCode> =>
    withSettings(async (settings) => {
      const client = createClient({ ...settings.client, servers: settings.servers, hashing: settings.hashing, serde: bytes })
      try {
        return await action(client)
      } finally {
        await client.close()
      }
    })

  /** `ask` run on a client per server at once, each result with its server; the clients closed after. */
  const perServer = <A>(
    ask: (client: Client<Uint8Array>) => Promise<E.Either<MemcacheError, A>>,
    report: (results: ReadonlyArray<{ readonly server: string; readonly result: E.Either<MemcacheError, A> }>) => ExitCode,
  ): Promise<ExitCode> =>
    withSettings(async (settings) => {
      const clients = settings.servers.map((server) => ({ server, client: createClient({ ...settings.client, servers: [server], serde: bytes }) }))
      try {
        const results = await Promise.all(clients.map(async ({ server, client }) => ({ server, result: await ask(client) })))
        return report(results)
      } finally {
        await Promise.all(clients.map(({ client }) => client.close()))
      }
    })

  /** Per-server results: the failures said on stderr, exit 3 when there was one. */
  const reportFailures = (results: ReadonlyArray<{ readonly server: string; readonly result: E.Either<MemcacheError, unknown> }>): ExitCode => {
    let code: ExitCode = EXIT.ok
    for (const { result } of results) if (E.isLeft(result)) code = failed(result.left)
    return code
  }

  /** A commander action that hands its exit code to `settle`. */
  const act =
    <Args extends ReadonlyArray<unknown>>(action: (...args: Args) => Promise<ExitCode>) =>
    async (...args: Args): Promise<void> =>
      settle(await action(...args))

  /** The value for `set` / `add`: the argument's UTF-8 bytes, or stdin's bytes as they are. */
  const valueOf = async (value: string | undefined): Promise<E.Either<string, Uint8Array>> => {
    if (value !== undefined) return E.right(toUtf8(value))
    if (io.stdin.isTTY) return E.left('no VALUE given and stdin is a terminal: give VALUE, or pipe the value in (fp-memcache set KEY < file)')
    return E.right(await io.stdin.read())
  }

  const store = (name: 'set' | 'add') =>
    act(async (key: string, value: string | undefined, options: { readonly ttl?: number }) => {
      const read = await valueOf(value)
      if (E.isLeft(read)) return usage(read.left)
      return withCluster(async (client) => {
        const result = await client[name](key, read.right, { ...call, ...(options.ttl === undefined ? {} : { exptime: options.ttl }) })()
        if (E.isLeft(result)) return failed(result.left)
        if (flags().json) json({ key, stored: result.right })
        if (result.right) return EXIT.ok
        say(name === 'add' ? `not stored: ${key} (add stores only a key that is not there)` : `not stored: ${key}`)
        return EXIT.miss
      })
    })

  program
    .name('fp-memcache')
    .description('memcached from the command line, on the fp-memcache client: get, set, delete, stats, route, watch...')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(usageLine(text)),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .version(io.version ?? 'unknown', '-V, --version', 'print the version of fp-memcache')
    .option('--servers <list>', 'servers, comma-separated host:port, [v6]:port or unix:/path', defaultServers(io.env))
    .addOption(new Option('--hashing <name>', 'how keys are placed over several servers').choices(['rendezvous', 'ketama']).default('rendezvous'))
    .option('--timeout <ms>', 'milliseconds for each command and to connect (default 1000; 0: no limit)', milliseconds)
    .option('--tls', 'connect with TLS')
    .option('--tls-ca <file>', 'TLS: the CA certificate (PEM) to trust (implies --tls)')
    .option('--tls-cert <file>', 'TLS: a client certificate (PEM) (implies --tls)')
    .option('--tls-key <file>', "TLS: the client certificate's key (PEM) (implies --tls)")
    .option('--tls-servername <name>', 'TLS: the name the server certificate must have (implies --tls)')
    .option('--tls-insecure', 'TLS without checking the server certificate (implies --tls)')
    .option('--json', 'print JSON (one object; watch: one per line)', false)
    .addHelpText(
      'after',
      '\nThe default for --servers is MEMCACHED_SERVERS, else 127.0.0.1:11211.\nExit codes: 0 success, 1 miss / not stored / not found, 2 usage error, 3 connection or server failure.',
    )

  program
    .command('get')
    .description('print KEY<TAB>VALUE for each key found (exit 1 when one is missing)')
    .argument('<key...>', 'keys to read')
    .option('--raw', "write one key's value exactly as stored, nothing else (for binary values)")
    .action(
      act(async (keys: ReadonlyArray<string>, options: { readonly raw?: boolean }) => {
            if (options.raw === true && keys.length !== 1) return usage('get --raw reads exactly one key')
            if (options.raw === true && flags().json) return usage('get: --raw and --json cannot be used together')
            return withCluster(async (client) => {
              const result = await client.getMany(keys, call)()
              if (E.isLeft(result)) return failed(result.left)
              const found = result.right
              const missing = keys.filter((key) => !found.has(key))
              if (flags().json) {
                json(Object.fromEntries(keys.map((key) => {
                  const value = found.get(key)
                  return [key, value === undefined ? null : jsonBytes(value)]
                })))
              } else {
                for (const key of keys) {
                  const value = found.get(key)
                  if (value === undefined) continue
                  if (options.raw === true) io.stdout.write(value)
                  else if (io.stdout.isTTY && utf8Text(value) === undefined) io.stdout.write(`${key}\t<${value.byteLength} bytes, not UTF-8: use --raw or --json>\n`)
                  else io.stdout.write(concat(key, '\t', value, '\n'))
                }
              }
              if (missing.length === 0) return EXIT.ok
              say(`not found: ${missing.join(' ')}`)
              return EXIT.miss
            })
      }),
    )

  program
    .command('set')
    .description('store VALUE (or stdin, byte for byte) under KEY')
    .argument('<key>', 'the key')
    .argument('[value]', 'the value (UTF-8); absent: read from stdin')
    .option('--ttl <seconds>', 'expire after this many seconds (0: never)', seconds)
    .action(store('set'))

  program
    .command('add')
    .description('store VALUE (or stdin) under KEY only if KEY is not there (exit 1 when it is)')
    .argument('<key>', 'the key')
    .argument('[value]', 'the value (UTF-8); absent: read from stdin')
    .option('--ttl <seconds>', 'expire after this many seconds (0: never)', seconds)
    .action(store('add'))

  program
    .command('delete')
    .description('delete keys (exit 1 when one was not there)')
    .argument('<key...>', 'keys to delete')
    .action(
      act(async (keys: ReadonlyArray<string>) =>
        withCluster(async (client) => {
            const result = await client.deleteMany(keys, call)()
            if (E.isLeft(result)) return failed(result.left)
            const missing = new Set(result.right)
            if (flags().json) json(Object.fromEntries(keys.map((key) => [key, !missing.has(key)])))
            if (missing.size === 0) return EXIT.ok
            say(`not found: ${result.right.join(' ')}`)
            return EXIT.miss
          }),
        ),
    )

  for (const name of ['incr', 'decr'] as const) {
    program
      .command(name)
      .description(`${name === 'incr' ? 'add N to' : 'subtract N from'} the counter KEY and print its new value (exit 1 when KEY is not there)`)
      .argument('<key>', 'the counter')
      .argument('[n]', 'a whole number (default 1)', delta)
      .action(
        act(async (key: string, amount: bigint | undefined) =>
          withCluster(async (client) => {
              const result = await client[name](key, amount ?? 1n, call)()
              if (E.isLeft(result)) return failed(result.left)
              const value = result.right
              if (flags().json) json({ key, value: value._tag === 'Some' ? value.value : null })
              else if (value._tag === 'Some') io.stdout.write(`${value.value}\n`)
              if (value._tag === 'Some') return EXIT.ok
              say(`not found: ${key}`)
              return EXIT.miss
            }),
          ),
      )
  }

  program
    .command('touch')
    .description('set the expiry of KEY to TTL seconds from now (exit 1 when KEY is not there)')
    .argument('<key>', 'the key')
    .argument('<ttl>', 'seconds (0: never expire)', seconds)
    .action(
      act(async (key: string, ttl: number) =>
        withCluster(async (client) => {
            const result = await client.touch(key, ttl, call)()
            if (E.isLeft(result)) return failed(result.left)
            if (flags().json) json({ key, touched: result.right })
            if (result.right) return EXIT.ok
            say(`not found: ${key}`)
            return EXIT.miss
          }),
        ),
    )

  program
    .command('stats')
    .description('print each server\'s stats (a table on a terminal, SERVER<TAB>STAT<TAB>VALUE lines in a pipe)')
    .addArgument(new Command().createArgument('[group]', 'a group of stats instead of the general ones').choices(STATS_ARGUMENTS))
    .action(
      act(async (group: StatsArgument | undefined) =>
        perServer(
            (client) => command(Request.stats(group), { Stats: (reply) => E.right(reply.entries) }, call)(client.transport)(),
            (results) => {
              if (flags().json) {
                json(
                  Object.fromEntries(
                    results.map(({ server, result }) => [
                      server,
                      E.isLeft(result) ? { error: result.left.message } : Object.fromEntries(result.right.map(([name, value]) => [name, parseStatValue(value)])),
                    ]),
                  ),
                )
              } else if (io.stdout.isTTY) {
                const names = [...new Set(results.flatMap(({ result }) => (E.isRight(result) ? result.right.map(([name]) => name) : [])))]
                const byServer = results.map(({ result }) => new Map(E.isRight(result) ? result.right : []))
                io.stdout.write(
                  table(
                    ['STAT', ...results.map(({ server }) => server)],
                    names.map((name) => [name, ...byServer.map((values) => values.get(name) ?? '')]),
                  ),
                )
              } else {
                io.stdout.write(tsv(results.flatMap(({ server, result }) => (E.isRight(result) ? result.right.map(([name, value]) => [server, name, value]) : []))))
              }
              return reportFailures(results)
            },
          ),
        ),
    )

  program
    .command('flush')
    .description('invalidate every item on every server (flush_all)')
    .option('--delay <seconds>', 'invalidate in this many seconds instead of now', seconds)
    .action(
      act(async (options: { readonly delay?: number }) =>
        perServer(
            (client) => client.flushAll({ ...call, ...(options.delay === undefined ? {} : { delay: options.delay }) })(),
            (results) => {
              if (flags().json) json(Object.fromEntries(results.map(({ server, result }) => [server, E.isLeft(result) ? { error: result.left.message } : true])))
              return reportFailures(results)
            },
          ),
        ),
    )

  program
    .command('version')
    .description("print each server's memcached version")
    .action(
      act(() =>
        perServer(
          (client) => client.version(call)(),
          (results) => {
            if (flags().json) json(Object.fromEntries(results.map(({ server, result }) => [server, E.isLeft(result) ? { error: result.left.message } : result.right])))
            else rows(['SERVER', 'VERSION'], results.flatMap(({ server, result }) => (E.isRight(result) ? [[server, result.right]] : [])))
            return reportFailures(results)
          },
        ),
      ),
    )

  program
    .command('route')
    .description('print the server each key lives on, with rendezvous and with ketama hashing (opens no connection)')
    .argument('<key...>', 'keys to place')
    .action(
      act(async (keys: ReadonlyArray<string>) =>
        withSettings(async (settings) => {
            const invalid = firstInvalidKey(keys, { allowUnicodeKeys: false })
            if (invalid !== undefined) return failed(invalid)
            const placements = { rendezvous: rendezvous.place(settings.servers), ketama: ketama.place(settings.servers) }
            // With one server there is no router: the key lives there, whatever the hashing.
            const owner = (hashing: 'rendezvous' | 'ketama', key: string): string => {
              const placed = placements[hashing].ownerOf(key)
              return placed._tag === 'Some' ? placed.value : ''
            }
            if (flags().json) {
              json(Object.fromEntries(keys.map((key) => [key, { rendezvous: owner('rendezvous', key), ketama: owner('ketama', key), used: owner(settings.hashing, key) }])))
            } else {
              const mark = (hashing: 'rendezvous' | 'ketama'): string => `${hashing.toUpperCase()}${settings.hashing === hashing ? ' (used)' : ''}`
              rows(['KEY', mark('rendezvous'), mark('ketama')], keys.map((key) => [key, owner('rendezvous', key), owner('ketama', key)]))
            }
            return EXIT.ok
          }),
        ),
    )

  program
    .command('watch')
    .description('a live view of each server: hit ratio, ops/s, memory, items, connections (Ctrl-C to stop)')
    .option('--interval <ms>', 'milliseconds between refreshes', positive, 1000)
    .option('--count <n>', 'stop after this many refreshes (exit 3 when a server failed at the last one)', positive)
    .action(
      act(async (options: { readonly interval: number; readonly count?: number }) =>
        withSettings(async (settings) => {
            const clients = new Map(settings.servers.map((server) => [server, createClient({ ...settings.client, servers: [server], serde: bytes })]))
            try {
              return await runWatch({
                servers: settings.servers,
                sample: async (server): Promise<E.Either<MemcacheError, StatRecord>> => {
                  const client = clients.get(server)
                  return client === undefined ? E.left({ _tag: 'NoServers', message: `no client for ${server}` }) : generalStats(call)(client.transport)()
                },
                write: (text) => io.stdout.write(text),
                now: io.now ?? Date.now,
                sleep: io.sleep ?? timerSleep,
                interval: options.interval,
                mode: flags().json ? 'json' : io.stdout.isTTY ? 'terminal' : 'lines',
                ...(options.count === undefined ? {} : { count: options.count }),
                ...(io.signal === undefined ? {} : { signal: io.signal }),
              })
            } finally {
              await Promise.all([...clients.values()].map((client) => client.close()))
            }
          }),
        ),
    )

  return program
}

/**
 * Runs the command line `io.argv` and answers its exit code: 0 success, 1 a miss (not found, not
 * stored), 2 a usage error, 3 a connection or server failure, 130 interrupted. Never rejects.
 *
 * @example
 * const code = await run({ argv: ['--servers', '127.0.0.1:11211', 'get', 'greeting'], env: {}, stdin, stdout, stderr, readFile })
 * @category utils
 */
export const run = async (io: CliIO): Promise<ExitCode> => {
  let code: ExitCode = EXIT.ok
  const program = makeProgram(io, (result) => {
    code = result
  })
  try {
    await program.parseAsync([...io.argv], { from: 'user' })
    return code
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error)
    io.stderr.write(`fp-memcache: unexpected failure: ${oneLine(error instanceof Error ? error.message : String(error))}\n`)
    return EXIT.failure
  }
}
