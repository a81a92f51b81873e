/**
 * The built executable, as users run it: `node scripts/build.mjs --transpile-only --out-dir
 * <tmp>/dist` once (the same ES modules `npm run build` writes, without its type-check, which the
 * suite does already; a folder of its own, beside a copy of package.json and a link to
 * node_modules, so it never races test/package over dist/; test/package runs the full build and the
 * installed bin), then `dist/cli/main.js` in a child process against real memcached:
 * its stdout, stderr and exit code, stdin piped in, and that it exits on its own. A guard kills a
 * child that never exits — a bound against a hang, not a timing assertion.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import { ketama } from '../../src/routing/ketama.js'
import { rendezvous } from '../../src/routing/rendezvous.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { closedPort } from '../transport/fakes.js'

interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: Buffer
  readonly stderr: string
  /** `false` when the guard had to kill it. */
  readonly exited: boolean
}

interface Options {
  readonly stdin?: Uint8Array
  readonly env?: Readonly<Record<string, string>>
  /** Called with the child once its stdout has given this many bytes... */
  readonly onOutput?: (child: ReturnType<typeof spawn>, stdout: Buffer) => void
}

const repository = resolve('.')
let work: string
let binary: string
let mc: MemcachedServer
let dead: string

const cli = (args: ReadonlyArray<string>, options: Options = {}): Promise<Exited> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [binary, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MEMCACHED_SERVERS: mc.server, ...options.env },
    })
    const out: Array<Buffer> = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk)
      options.onOutput?.(child, Buffer.concat(out))
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('close', (code, signal) => {
      clearTimeout(guard)
      done({ code, signal, stdout: Buffer.concat(out), stderr, exited: signal !== 'SIGKILL' })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.stdin ?? new Uint8Array())
  })

const text = (exited: Exited): string => exited.stdout.toString('utf8')

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fp-memcache-cli-'))
  // The package's own layout: dist/ beside package.json (the CLI reads its version there, and Node
  // its "type": "module"), node_modules for commander and fp-ts.
  copyFileSync(join(repository, 'package.json'), join(work, 'package.json'))
  symlinkSync(realpathSync(join(repository, 'node_modules')), join(work, 'node_modules'), 'dir')
  const started = Date.now()
  const build = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(process.execPath, [join(repository, 'scripts/build.mjs'), '--transpile-only', '--out-dir', join(work, 'dist')], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('close', (code) => done({ code, output }))
  })
  if (build.code !== 0) throw new Error(`the build failed:\n${build.output}`)
  // For the report on how long the build takes here; nothing is asserted about it.
  console.info(`test/cli: node scripts/build.mjs took ${Date.now() - started} ms`)
  binary = join(work, 'dist', 'cli', 'main.js')
  mc = await startMemcached()
  dead = `127.0.0.1:${await closedPort()}`
}, 240_000)

afterAll(async () => {
  await mc?.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('the built executable', () => {
  it('is dist/cli/main.js, an ES module starting with #!/usr/bin/env node, executable', () => {
    expect(readFileSync(binary, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
    expect(statSync(binary).mode & 0o111).toBe(0o111)
    const manifest = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { bin?: Record<string, string> }
    expect(manifest.bin).toEqual({ 'fp-memcache': './dist/cli/main.js' })
  })

  it('set and get: exit 0, KEY<TAB>VALUE on stdout, nothing on stderr; a miss exits 1', async () => {
    const key = `bin:${Date.now()}`
    expect(await cli(['set', key, 'hello'])).toMatchObject({ code: 0, stderr: '', exited: true })
    const got = await cli(['get', key])
    expect([got.code, text(got), got.stderr]).toEqual([0, `${key}\thello\n`, ''])
    const missed = await cli(['get', `${key}:missing`])
    expect([missed.code, text(missed), missed.stderr]).toEqual([1, '', `fp-memcache: not found: ${key}:missing\n`])
  })

  it('a random 100 KiB file piped into set comes back byte for byte from get --raw', async () => {
    const key = `bin:file:${Date.now()}`
    const file = randomBytes(100 * 1024)
    expect(await cli(['set', key], { stdin: file })).toMatchObject({ code: 0, stderr: '' })
    const got = await cli(['get', '--raw', key])
    expect(got.code).toBe(0)
    expect(got.stdout.length).toBe(file.length)
    expect(got.stdout.equals(file)).toBe(true)
  })

  it('--json output parses: get, stats, version', async () => {
    const key = `bin:json:${Date.now()}`
    await cli(['set', key, '42'])
    expect(JSON.parse(text(await cli(['--json', 'get', key])))).toEqual({ [key]: '42' })
    const stats = JSON.parse(text(await cli(['stats', '--json']))) as Record<string, Record<string, unknown>>
    expect(typeof stats[mc.server]?.['curr_connections']).toBe('number')
    expect(typeof stats[mc.server]?.['uptime']).toBe('number')
    expect(Object.keys(JSON.parse(text(await cli(['version', '--json']))) as object)).toEqual([mc.server])
  })

  it('a usage error exits 2 with one line on stderr', async () => {
    for (const args of [['bogus'], ['get'], ['incr', 'k', 'lots'], ['--hashing', 'modulo', 'route', 'k']]) {
      const ran = await cli(args)
      expect([args, ran.code, ran.stderr.trimEnd().split('\n').length, ran.stderr.startsWith('fp-memcache: ')]).toEqual([args, 2, 1, true])
    }
  })

  it('a server that refuses connections: exit 3, one line on stderr naming it, and the process exits', async () => {
    const ran = await cli(['--servers', dead, 'get', 'k'])
    expect(ran).toMatchObject({ code: 3, exited: true })
    expect(ran.stderr).toMatch(new RegExp(`^fp-memcache: .*${dead.replace(/\./g, '\\.')}.*\\n$`))
  })

  it('--help per command exits 0', async () => {
    const ran = await cli(['set', '--help'])
    expect(ran.code).toBe(0)
    expect(text(ran)).toContain('Usage: fp-memcache set [options] <key> [value]')
    expect(text(await cli(['--version']))).toBe(`${(JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { version: string }).version}\n`)
  })

  it('route agrees with the library: a key set through the CLI is on the server route names', async () => {
    const other = await startMemcached()
    try {
      const servers = `${mc.server},${other.server}`
      const keys = Array.from({ length: 8 }, (_, index) => `bin:route:${Date.now()}:${index}`)
      const placed = JSON.parse(text(await cli(['--servers', servers, '--hashing', 'ketama', '--json', 'route', ...keys]))) as Record<string, Record<string, string>>
      const names = [mc.server, other.server]
      for (const key of keys) {
        const owners = { rendezvous: rendezvous.place(names).ownerOf(key), ketama: ketama.place(names).ownerOf(key) }
        expect(placed[key]).toEqual({
          rendezvous: owners.rendezvous._tag === 'Some' ? owners.rendezvous.value : '',
          ketama: owners.ketama._tag === 'Some' ? owners.ketama.value : '',
          used: owners.ketama._tag === 'Some' ? owners.ketama.value : '',
        })
        expect((await cli(['--servers', servers, '--hashing', 'ketama', 'set', key, 'v'])).code).toBe(0)
        const onOwner = createClient({ servers: placed[key]?.['used'] ?? '' })
        const found = await onOwner.get(key)()
        await onOwner.close()
        expect(E.isRight(found) && found.right._tag).toBe('Some')
      }
    } finally {
      await other.stop()
    }
  })

  it('watch into a pipe: one line per server per refresh; --count ends it with 0', async () => {
    const ran = await cli(['watch', '--count', '2', '--interval', '20'])
    expect(ran.code).toBe(0)
    const lines = text(ran).trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line).toMatch(/^time=\S+ server=\S+ hit_ratio=\S+ ops_per_s=\S+ bytes=\d+ limit_maxbytes=\d+ items=\d+ connections=\d+$/)
  })

  it('watch ends on Ctrl-C (SIGINT) with exit 0 and the refreshes it drew', async () => {
    let interrupted = false
    const ran = await cli(['watch', '--interval', '50'], {
      onOutput: (child, stdout) => {
        // After two refreshes, as a person would press Ctrl-C while watching.
        if (!interrupted && stdout.toString().split('\n').length > 2) {
          interrupted = true
          child.kill('SIGINT')
        }
      },
    })
    expect(ran).toMatchObject({ code: 0, signal: null, exited: true, stderr: '' })
    expect(text(ran).trimEnd().split('\n').length).toBeGreaterThanOrEqual(2)
  })
})
