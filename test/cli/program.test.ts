/**
 * The program in this process: `run` with fake standard streams, against a real memcached.
 */
import { randomBytes } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run, type CliIO } from '../../src/cli/program.js'
import { createClient } from '../../src/client.js'
import { ketama } from '../../src/routing/ketama.js'
import { rendezvous } from '../../src/routing/rendezvous.js'
import { bytes } from '../../src/serde/bytes.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { closedPort } from '../transport/fakes.js'

interface Ran {
  readonly code: number
  readonly stdout: Buffer
  readonly text: string
  readonly stderr: string
}

interface Setup {
  readonly stdin?: Uint8Array
  readonly stdinTTY?: boolean
  readonly tty?: boolean
  readonly env?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
  readonly files?: Readonly<Record<string, string>>
}

let mc: MemcachedServer
let dead: string

const cli = async (argv: ReadonlyArray<string>, setup: Setup = {}): Promise<Ran> => {
  const out: Array<Buffer> = []
  let err = ''
  let clock = 0
  const io: CliIO = {
    argv,
    env: setup.env ?? { MEMCACHED_SERVERS: mc.server },
    stdin: { isTTY: setup.stdinTTY ?? false, read: async () => setup.stdin ?? new Uint8Array() },
    stdout: { write: (chunk) => out.push(Buffer.from(chunk)), isTTY: setup.tty ?? false },
    stderr: { write: (chunk) => (err += chunk.toString()), isTTY: false },
    readFile: (path) => {
      const text = setup.files?.[path]
      return text === undefined ? E.left(`ENOENT: ${path}`) : E.right(Buffer.from(text))
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms
    },
    version: '9.9.9',
    ...(setup.signal === undefined ? {} : { signal: setup.signal }),
  }
  const code = await run(io)
  const stdout = Buffer.concat(out)
  return { code, stdout, text: stdout.toString('utf8'), stderr: err }
}

/** The one line a failure writes on stderr. */
const oneErrorLine = (ran: Ran): string => {
  expect(ran.stderr.endsWith('\n')).toBe(true)
  expect(ran.stderr.trimEnd().split('\n')).toHaveLength(1)
  return ran.stderr
}

let key = 0
const fresh = (name: string): string => `cli:${name}:${++key}:${Date.now()}`

beforeAll(async () => {
  mc = await startMemcached()
  dead = `127.0.0.1:${await closedPort()}`
})
afterAll(() => mc.stop())

describe('get and set', () => {
  it('set then get prints KEY<TAB>VALUE; exit 0', async () => {
    const k = fresh('a')
    expect(await cli(['set', k, 'héllo wörld'])).toEqual({ code: 0, stdout: Buffer.alloc(0), text: '', stderr: '' })
    const got = await cli(['get', k])
    expect([got.code, got.text, got.stderr]).toEqual([0, `${k}\théllo wörld\n`, ''])
  })

  it('a miss: the hits printed, the missing keys named on stderr, exit 1', async () => {
    const [hit, miss] = [fresh('hit'), fresh('miss')]
    await cli(['set', hit, 'v'])
    const got = await cli(['get', hit, miss])
    expect([got.code, got.text]).toEqual([1, `${hit}\tv\n`])
    expect(oneErrorLine(got)).toBe(`fp-memcache: not found: ${miss}\n`)
  })

  it('--json prints one object: text, base64 for bytes that are not UTF-8, null for a miss', async () => {
    const [text, binary, miss] = [fresh('t'), fresh('b'), fresh('m')]
    await cli(['set', text, 'plain'])
    await cli(['set', binary], { stdin: new Uint8Array([0xff, 0x00, 0xfe]) })
    const got = await cli(['--json', 'get', text, binary, miss])
    expect(got.code).toBe(1)
    expect(JSON.parse(got.text)).toEqual({ [text]: 'plain', [binary]: { base64: Buffer.from([0xff, 0, 0xfe]).toString('base64') }, [miss]: null })
  })

  it('a value that is not UTF-8: its bytes into a pipe, a note on a terminal, exactly with --raw', async () => {
    const k = fresh('bin')
    const value = new Uint8Array([0x80, 0x0a, 0xff])
    await cli(['set', k], { stdin: value })
    expect((await cli(['get', k])).stdout).toEqual(Buffer.concat([Buffer.from(`${k}\t`), value, Buffer.from('\n')]))
    expect((await cli(['get', k], { tty: true })).text).toBe(`${k}\t<3 bytes, not UTF-8: use --raw or --json>\n`)
    expect((await cli(['get', '--raw', k])).stdout).toEqual(Buffer.from(value))
  })

  it('set reads stdin byte for byte when no VALUE is given', async () => {
    const k = fresh('stdin')
    const value = randomBytes(100 * 1024)
    expect((await cli(['set', k], { stdin: value })).code).toBe(0)
    expect((await cli(['get', '--raw', k])).stdout.equals(value)).toBe(true)
  })

  it('set --ttl stores with an expiry (a ttl in the past is gone at once)', async () => {
    const k = fresh('ttl')
    await cli(['set', '--ttl', '100', k, 'v'])
    expect((await cli(['get', k])).code).toBe(0)
    // memcached reads an exptime over 30 days as a unix time: 1 s after the epoch is long past.
    await cli(['set', k, 'v', '--ttl', String(60 * 60 * 24 * 30 + 1)])
    expect((await cli(['get', k])).code).toBe(1)
  })

  it('set with no VALUE and a terminal for stdin is a usage error (2), not a wait', async () => {
    const ran = await cli(['set', fresh('tty')], { stdinTTY: true })
    expect(ran.code).toBe(2)
    expect(oneErrorLine(ran)).toMatch(/no VALUE given and stdin is a terminal/)
  })

  it('add stores a new key (0) and refuses an existing one (1, said on stderr)', async () => {
    const k = fresh('add')
    expect((await cli(['add', k, 'one'])).code).toBe(0)
    const again = await cli(['add', k, 'two'])
    expect(again.code).toBe(1)
    expect(oneErrorLine(again)).toMatch(/^fp-memcache: not stored: /)
    expect((await cli(['get', k])).text).toBe(`${k}\tone\n`)
    expect(JSON.parse((await cli(['add', k, 'three', '--json'])).text)).toEqual({ key: k, stored: false })
  })

  it('get --raw takes exactly one key, and not with --json', async () => {
    expect((await cli(['get', '--raw', 'a', 'b'])).code).toBe(2)
    expect((await cli(['get', '--raw', '--json', 'a'])).code).toBe(2)
  })
})

describe('delete, incr, decr, touch', () => {
  it('delete: 0 when every key was there, 1 naming those that were not', async () => {
    const [a, b] = [fresh('d'), fresh('d')]
    await cli(['set', a, '1'])
    await cli(['set', b, '2'])
    expect((await cli(['delete', a, b])).code).toBe(0)
    await cli(['set', a, '1'])
    const ran = await cli(['delete', a, b, '--json'])
    expect(ran.code).toBe(1)
    expect(JSON.parse(ran.text)).toEqual({ [a]: true, [b]: false })
    expect(ran.stderr).toBe(`fp-memcache: not found: ${b}\n`)
  })

  it('incr and decr print the new value; N defaults to 1; a missing counter is 1', async () => {
    const k = fresh('n')
    expect((await cli(['incr', k])).code).toBe(1)
    await cli(['set', k, '10'])
    expect((await cli(['incr', k])).text).toBe('11\n')
    expect((await cli(['incr', k, '18446744073709551604'])).text).toBe('18446744073709551615\n')
    expect(JSON.parse((await cli(['decr', k, '5', '--json'])).text.replace(/(\d{16,})/, '"$1"'))).toEqual({ key: k, value: '18446744073709551610' })
    expect((await cli(['--json', 'decr', k, '5'])).text).toBe(`{"key":${JSON.stringify(k)},"value":18446744073709551605}\n`)
  })

  it('a delta that is not a whole number is a usage error', async () => {
    for (const delta of ['-1', '1.5', 'x']) {
      const ran = await cli(['incr', 'k', delta])
      expect(ran.code).toBe(2)
      expect(oneErrorLine(ran)).toMatch(/must be a whole number/)
    }
  })

  it('touch: 0 for a key that is there, 1 otherwise; the TTL must be seconds', async () => {
    const k = fresh('touch')
    expect((await cli(['touch', k, '10'])).code).toBe(1)
    await cli(['set', k, 'v'])
    expect((await cli(['touch', k, '10'])).code).toBe(0)
    expect((await cli(['touch', k, 'soon'])).code).toBe(2)
  })
})

describe('per-server commands', () => {
  it('version: SERVER<TAB>VERSION into a pipe, a table on a terminal, an object with --json', async () => {
    const piped = await cli(['version'])
    expect(piped.text).toMatch(new RegExp(`^${mc.server.replace(/[.[\]]/g, '\\$&')}\\t\\d+\\.\\d+\\.\\d+\\n$`))
    expect((await cli(['version'], { tty: true })).text.split('\n')[0]).toMatch(/^SERVER\s+VERSION$/)
    expect(Object.keys(JSON.parse((await cli(['version', '--json'])).text) as object)).toEqual([mc.server])
  })

  it('stats: SERVER<TAB>STAT<TAB>VALUE into a pipe, an aligned table on a terminal, numbers in JSON', async () => {
    const piped = await cli(['stats'])
    expect(piped.code).toBe(0)
    expect(piped.text).toContain(`${mc.server}\tcurr_connections\t`)
    const terminal = (await cli(['stats'], { tty: true })).text.split('\n')
    expect(terminal[0]).toMatch(new RegExp(`^STAT\\s+${mc.server.replace(/[.[\]]/g, '\\$&')}$`))
    expect(terminal.find((line) => line.startsWith('curr_connections'))).toMatch(/^curr_connections\s+\d+$/)
    const parsed = JSON.parse((await cli(['--json', 'stats'])).text) as Record<string, Record<string, unknown>>
    expect(typeof parsed[mc.server]?.['pid']).toBe('number')
    expect(typeof parsed[mc.server]?.['version']).toBe('string')
  })

  it('stats GROUP asks for that group; an unknown group is a usage error', async () => {
    const settings = JSON.parse((await cli(['stats', 'settings', '--json'])).text) as Record<string, Record<string, unknown>>
    expect(settings[mc.server]?.['tcpport']).toBe(mc.port)
    const ran = await cli(['stats', 'everything'])
    expect(ran.code).toBe(2)
    expect(oneErrorLine(ran)).toMatch(/'everything' is invalid .*Allowed choices are settings, items/)
  })

  it('a server that does not answer: the others reported, it named on stderr, exit 3', async () => {
    const ran = await cli(['--servers', `${mc.server},${dead}`, 'version', '--json'])
    expect(ran.code).toBe(3)
    const parsed = JSON.parse(ran.text) as Record<string, unknown>
    expect(typeof parsed[mc.server]).toBe('string')
    expect(parsed[dead]).toEqual({ error: expect.stringContaining(dead) })
    expect(oneErrorLine(ran)).toContain(dead)
  })

  it('flush empties the server now; --delay later', async () => {
    const [now, later] = [fresh('f'), fresh('f')]
    await cli(['set', now, 'v'])
    expect((await cli(['flush', '--json'])).text).toBe(`{${JSON.stringify(mc.server)}:true}\n`)
    expect((await cli(['get', now])).code).toBe(1)
    await cli(['set', later, 'v'])
    expect((await cli(['flush', '--delay', '100'])).code).toBe(0)
    expect((await cli(['get', later])).code).toBe(0)
    // Cancel the pending flush so other tests keep their keys.
    await cli(['flush', '--delay', '0'])
  })
})

describe('route', () => {
  const servers = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211']
  const keys = Array.from({ length: 30 }, (_, index) => `user:${index}`)

  it('names the server each key lives on with both hashings, as the library places it, opening nothing', async () => {
    const ran = await cli(['--servers', servers.join(','), '--json', 'route', ...keys])
    expect(ran.code).toBe(0)
    const placed = JSON.parse(ran.text) as Record<string, { rendezvous: string; ketama: string; used: string }>
    const byRendezvous = rendezvous.place(servers)
    const byKetama = ketama.place(servers)
    for (const k of keys) {
      const expected = { rendezvous: byRendezvous.ownerOf(k), ketama: byKetama.ownerOf(k) }
      expect(placed[k]).toEqual({
        rendezvous: expected.rendezvous._tag === 'Some' ? expected.rendezvous.value : 'none',
        ketama: expected.ketama._tag === 'Some' ? expected.ketama.value : 'none',
        used: expected.rendezvous._tag === 'Some' ? expected.rendezvous.value : 'none',
      })
    }
    // The two hashings disagree on some keys: the output shows both.
    expect(keys.some((k) => placed[k]?.rendezvous !== placed[k]?.ketama)).toBe(true)
  })

  it('marks the hashing in use; tab-separated into a pipe', async () => {
    const terminal = await cli(['--servers', servers.join(','), '--hashing', 'ketama', 'route', 'a'], { tty: true })
    expect(terminal.text.split('\n')[0]).toMatch(/^KEY\s+RENDEZVOUS\s+KETAMA \(used\)$/)
    const piped = await cli(['--servers', servers.join(','), 'route', 'a'])
    expect(piped.text.split('\t')).toHaveLength(3)
  })

  it('a key memcached would refuse is a usage error', async () => {
    const ran = await cli(['route', 'has space'])
    expect(ran.code).toBe(2)
    oneErrorLine(ran)
  })
})

describe('the cluster client places keys with --hashing', () => {
  it('a key set through the CLI is on the server route names, for both hashings', async () => {
    const other = await startMemcached()
    try {
      const both = `${mc.server},${other.server}`
      for (const hashing of ['rendezvous', 'ketama'] as const) {
        const keys = Array.from({ length: 12 }, (_, index) => fresh(`${hashing}${index}`))
        for (const k of keys) expect((await cli(['--servers', both, '--hashing', hashing, 'set', k, 'v'])).code).toBe(0)
        const placed = JSON.parse((await cli(['--servers', both, '--hashing', hashing, '--json', 'route', ...keys])).text) as Record<string, { used: string }>
        const direct = [mc.server, other.server].map((server) => ({ server, client: createClient({ servers: server, serde: bytes }) }))
        for (const k of keys) {
          for (const { server, client } of direct) {
            const found = await client.get(k)()
            expect([k, server, E.isRight(found) && found.right._tag === 'Some']).toEqual([k, server, placed[k]?.used === server])
          }
        }
        await Promise.all(direct.map(({ client }) => client.close()))
      }
    } finally {
      await other.stop()
    }
  })
})

describe('watch', () => {
  it('--count N: N refreshes, one line per server each into a pipe, then exit 0', async () => {
    const ran = await cli(['watch', '--count', '3', '--interval', '250'])
    expect(ran.code).toBe(0)
    const lines = ran.text.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(new RegExp(`^time=1970-01-01T00:00:00.000Z server=${mc.server.replace(/[.[\]]/g, '\\$&')} hit_ratio=\\S+ ops_per_s=- bytes=\\d+`))
    expect(lines[1]).toMatch(/^time=1970-01-01T00:00:00.250Z .* ops_per_s=\d+\.\d /)
  })

  it('--json: one object per server and refresh', async () => {
    const ran = await cli(['--json', '--servers', `${mc.server},${dead}`, 'watch', '--count', '2'])
    expect(ran.code).toBe(3)
    const objects = ran.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(objects.map((object) => [object['server'], 'error' in object])).toEqual([
      [mc.server, false],
      [dead, true],
      [mc.server, false],
      [dead, true],
    ])
  })

  it('ends with 0 when interrupted', async () => {
    const interrupt = new AbortController()
    const ran = cli(['watch'], { signal: interrupt.signal, tty: true })
    interrupt.abort()
    expect((await ran).code).toBe(0)
  })

  it('--count and --interval must be whole numbers from 1', async () => {
    expect((await cli(['watch', '--count', '0'])).code).toBe(2)
    expect((await cli(['watch', '--interval', 'fast'])).code).toBe(2)
  })
})

describe('global options and usage', () => {
  it('--servers defaults to MEMCACHED_SERVERS, and is taken after the command too', async () => {
    const k = fresh('env')
    expect((await cli(['set', k, 'v'], { env: { MEMCACHED_SERVERS: mc.server } })).code).toBe(0)
    expect((await cli(['get', k, '--servers', mc.server], { env: {} })).text).toBe(`${k}\tv\n`)
    // Without either, 127.0.0.1:11211: its name is in the error when nothing listens there, its answer otherwise.
    const fallback = await cli(['--timeout', '200', 'version', '--json'], { env: {} })
    expect(Object.keys(JSON.parse(fallback.text) as object)).toEqual(['127.0.0.1:11211'])
  })

  it('a connection failure: exit 3, one line on stderr naming the server', async () => {
    const ran = await cli(['--servers', dead, 'get', 'k'])
    expect(ran.code).toBe(3)
    expect(oneErrorLine(ran)).toContain(dead)
  })

  it('usage errors exit 2 with one line on stderr, never 1', async () => {
    for (const argv of [
      [],
      ['bogus'],
      ['get'],
      ['get', 'k', '--nope'],
      ['--hashing', 'modulo', 'get', 'k'],
      ['--timeout', '-5', 'get', 'k'],
      ['set', 'k', 'v', '--ttl', 'never'],
      ['set', 'k', 'v', 'extra'],
      ['--servers', 'a,,b', 'get', 'k'],
      ['--tls-ca', '/missing.pem', 'get', 'k'],
      ['get', 'has space'],
    ]) {
      const ran = await cli(argv)
      expect([argv, ran.code]).toEqual([argv, 2])
      if (argv.length > 0) expect([argv, ran.stderr.trimEnd().split('\n').length]).toEqual([argv, 1])
    }
  })

  it('--help, per command too, prints usage on stdout and exits 0; --version prints the version', async () => {
    const help = await cli(['--help'])
    expect([help.code, help.stderr]).toEqual([0, ''])
    expect(help.text).toContain('Usage: fp-memcache [options] [command]')
    expect(help.text).toContain('Exit codes: 0 success, 1 miss')
    for (const name of ['get', 'set', 'add', 'delete', 'incr', 'decr', 'touch', 'stats', 'flush', 'version', 'route', 'watch']) {
      const ran = await cli([name, '--help'])
      expect([name, ran.code, ran.text.split('\n')[0]]).toEqual([name, 0, expect.stringMatching(new RegExp(`^Usage: fp-memcache ${name}`))])
    }
    expect((await cli(['help', 'set'])).text).toContain('--ttl <seconds>')
    expect(await cli(['--version'])).toMatchObject({ code: 0, text: '9.9.9\n' })
  })

  it('--tls: the client connects with TLS (a plain server never completes the handshake: exit 3)', async () => {
    const ran = await cli(['--tls-insecure', '--timeout', '300', 'version'])
    expect(ran.code).toBe(3)
    oneErrorLine(ran)
  })

  it('a command interrupted before it finished exits 130', async () => {
    const interrupt = new AbortController()
    interrupt.abort()
    expect((await cli(['get', 'k'], { signal: interrupt.signal })).code).toBe(130)
  })
})
