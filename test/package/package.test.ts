/**
 * The package as its users get it: `npm run build` (ES modules in dist/, CommonJS in dist/cjs/),
 * `npm pack`, the tarball installed with fp-ts and io-ts into a throwaway project; then every
 * subpath is loaded from an ES module and from CommonJS and used for real (a set and a get on the
 * in-memory transport), and a TypeScript consumer is type-checked under `node16` (an `.mts` and a
 * `.cts` file), `bundler` and `node` (node10, through `typesVersions`) resolution.
 *
 * Nothing is fetched: fp-ts, io-ts and commander are linked from this checkout's node_modules (`file:`), the
 * install runs `--offline` with its own npm cache, and tsc is this checkout's, with its Node types.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SUBPATHS = ['protocol', 'transport', 'middleware', 'serde', 'routing', 'pool', 'emulator', 'keyv'] as const

interface Run {
  readonly code: number
  /** stdout and stderr, for the failure message. */
  readonly output: string
  readonly stdout: string
}

const repository = resolve('.')
const modules = realpathSync(join(repository, 'node_modules'))

/** Runs a program to its end; never rejects (a failure is a non-zero code, its output says why). */
const run = (file: string, args: ReadonlyArray<string>, cwd: string, env: Readonly<Record<string, string>> = {}): Promise<Run> =>
  new Promise((done) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      done({ code, stdout, output: `${stdout}\n${stderr}${error === null ? '' : `\n${error.message}`}` })
    })
  })

const succeeded = (result: Run): string => {
  if (result.code !== 0) throw new Error(result.output)
  return result.stdout
}

let dir: string
let consumer: string
let npmEnv: Record<string, string>

// Every subpath imported, something real called, and the CommonJS copy used by ES module code: the
// two builds hold no shared state, so values made by one work with the other.
const ESM = `
import { createRequire } from 'node:module'
import * as root from 'fp-memcache'
${SUBPATHS.map((subpath) => `import * as ${subpath} from 'fp-memcache/${subpath}'`).join('\n')}

const loaded = { root, ${SUBPATHS.join(', ')} }
const exported = Object.fromEntries(Object.entries(loaded).map(([name, module]) => [name, Object.keys(module).length > 0]))
const memory = emulator.memoryTransport()
const { set, get } = root.commands(serde.text)
const stored = await set('k', 'from esm')(memory)()
const found = await get('k')(memory)()
await memory.close()
const fromCommonJs = createRequire(import.meta.url)('fp-memcache/emulator').memoryTransport()
const crossed = [await set('k', 'crossed')(fromCommonJs)(), await get('k')(fromCommonJs)()]
const store = keyv.makeKeyvStore({ transport: emulator.memoryTransport(), namespace: 'n' })
const keyvStore = [await store.set('n:k', 'kept'), await store.get('n:k')]
await store.disconnect()
console.log(JSON.stringify({ exported, stored, found, crossed, keyvStore, version: protocol.encode(protocol.Request.version)._tag }))
`

const CJS = `
const root = require('fp-memcache')
const { memoryTransport } = require('fp-memcache/emulator')
const loaded = { root, ${SUBPATHS.map((subpath) => `${subpath}: require('fp-memcache/${subpath}')`).join(', ')} }
const exported = Object.fromEntries(Object.entries(loaded).map(([name, module]) => [name, Object.keys(module).length > 0]))
const transport = memoryTransport()
const { set, get } = root.commands(loaded.serde.text)
const main = async () => {
  const stored = await set('k', 'from cjs')(transport)()
  const found = await get('k')(transport)()
  await transport.close()
  const manifest = require('fp-memcache/package.json').name
  const store = loaded.keyv.makeKeyvStore({ transport: memoryTransport(), namespace: 'n' })
  const keyvStore = [await store.set('n:k', 'kept'), await store.get('n:k')]
  await store.disconnect()
  console.log(JSON.stringify({ exported, stored, found, manifest, keyvStore, address: loaded.transport.parseAddress('127.0.0.1:11211')._tag }))
}
main()
`

// One source, checked as an ES module and as CommonJS (node16), for a bundler, and under node10.
const TYPESCRIPT = `
import * as E from 'fp-ts/lib/Either.js'
import type * as O from 'fp-ts/lib/Option.js'
import { commands, createClient, type MemcacheError, type Transport } from 'fp-memcache'
import { Request, encode } from 'fp-memcache/protocol'
import { connect, parseAddress } from 'fp-memcache/transport'
import { withTimeout } from 'fp-memcache/middleware'
import { text } from 'fp-memcache/serde'
import { rendezvous, type Hashing } from 'fp-memcache/routing'
import { makePooled } from 'fp-memcache/pool'
import { memoryTransport } from 'fp-memcache/emulator'
import { makeKeyvStore, type KeyvMemcache } from 'fp-memcache/keyv'

const transport: Transport = withTimeout(100)(memoryTransport())
const { set, get } = commands(text)
export const roundTrip = async (): Promise<E.Either<MemcacheError, O.Option<string>>> => {
  await set('k', 'v')(transport)()
  return get('k')(transport)()
}
export const wire = E.isRight(encode(Request.get(['k'])))
export const address = parseAddress('127.0.0.1:11211')
export const hashing: Hashing = rendezvous
export const pooled = (): Transport => makePooled(connect({ server: '127.0.0.1:11211' }), { maxSize: 2 })
export const client = createClient({ servers: '127.0.0.1:11211' })
export const store: KeyvMemcache = makeKeyvStore({ transport: memoryTransport(), allowFlushAll: true })
// @ts-expect-error the types are real, not \`any\`: a key is a string
export const wrong = get(42)
`

const RESOLUTIONS = {
  node16: { module: 'node16', moduleResolution: 'node16', files: ['esm.mts', 'cjs.cts'] },
  bundler: { module: 'esnext', moduleResolution: 'bundler', files: ['main.ts'] },
  node10: { module: 'commonjs', moduleResolution: 'node', files: ['main.ts'] },
} as const

type Resolution = keyof typeof RESOLUTIONS

let typeChecks: Record<Resolution, Promise<Run>> | undefined

const typeCheck = (resolution: Resolution): Promise<Run> => {
  const { files, ...options } = RESOLUTIONS[resolution]
  const config = `tsconfig.${resolution}.json`
  writeFileSync(
    join(consumer, config),
    JSON.stringify({
      compilerOptions: {
        ...options,
        target: 'ES2022',
        lib: ['ES2022'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(modules, '@types')],
      },
      files,
    }),
  )
  return run(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', config], consumer)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fp-memcache-package-'))
  consumer = join(dir, 'consumer')
  mkdirSync(consumer)
  npmEnv = {
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_loglevel: 'error',
  }
  succeeded(await run('npm', ['run', 'build'], repository, npmEnv))
  const packed = JSON.parse(succeeded(await run('npm', ['pack', '--json', '--pack-destination', dir], repository, npmEnv))) as ReadonlyArray<{ readonly filename: string }>
  const tarball = join(dir, packed[0]?.filename ?? 'missing.tgz')
  // The package's own dependency (commander, for the CLI) linked too, so the install stays offline.
  const dependencies = {
    'fp-memcache': `file:${tarball}`,
    'fp-ts': `file:${join(modules, 'fp-ts')}`,
    'io-ts': `file:${join(modules, 'io-ts')}`,
    commander: `file:${join(modules, 'commander')}`,
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'fp-memcache-consumer', private: true, dependencies }))
  succeeded(await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], consumer, npmEnv))
  writeFileSync(join(consumer, 'esm.mjs'), ESM)
  writeFileSync(join(consumer, 'cjs.cjs'), CJS)
  for (const file of ['esm.mts', 'cjs.cts', 'main.ts']) writeFileSync(join(consumer, file), TYPESCRIPT)
  // Started together: the machine may have cores to spare.
  typeChecks = { node16: typeCheck('node16'), bundler: typeCheck('bundler'), node10: typeCheck('node10') }
}, 240_000)

afterAll(async () => {
  if (typeChecks !== undefined) await Promise.all(Object.values(typeChecks))
  rmSync(dir, { recursive: true, force: true })
})

const everyModule = Object.fromEntries(['root', ...SUBPATHS].map((name) => [name, true]))

describe('the packed package', () => {
  it('is imported from an ES module, every subpath, and works with its CommonJS copy', { timeout: 60_000 }, async () => {
    const output = JSON.parse(succeeded(await run(process.execPath, ['esm.mjs'], consumer)))
    expect(output).toEqual({
      exported: everyModule,
      stored: { _tag: 'Right', right: true },
      found: { _tag: 'Right', right: { _tag: 'Some', value: 'from esm' } },
      crossed: [
        { _tag: 'Right', right: true },
        { _tag: 'Right', right: { _tag: 'Some', value: 'crossed' } },
      ],
      keyvStore: [true, 'kept'],
      version: 'Right',
    })
  })

  it('is required from CommonJS, every subpath', { timeout: 60_000 }, async () => {
    const output = JSON.parse(succeeded(await run(process.execPath, ['cjs.cjs'], consumer)))
    expect(output).toEqual({
      exported: everyModule,
      stored: { _tag: 'Right', right: true },
      found: { _tag: 'Right', right: { _tag: 'Some', value: 'from cjs' } },
      manifest: 'fp-memcache',
      keyvStore: [true, 'kept'],
      address: 'Right',
    })
  })

  it('installs the fp-memcache command (package bin), which runs from the tarball', { timeout: 60_000 }, async () => {
    const help = await run(join(consumer, 'node_modules', '.bin', 'fp-memcache'), ['route', '--help'], consumer)
    expect(succeeded(help)).toContain('Usage: fp-memcache route')
    const route = await run(join(consumer, 'node_modules', '.bin', 'fp-memcache'), ['--servers', '127.0.0.1:1,127.0.0.1:2', '--json', 'route', 'k'], consumer)
    expect(Object.keys(JSON.parse(succeeded(route)) as object)).toEqual(['k'])
  })

  it.each(Object.keys(RESOLUTIONS) as ReadonlyArray<Resolution>)('type-checks a TypeScript consumer under moduleResolution %s', { timeout: 120_000 }, async (resolution) => {
    const result = await (typeChecks as Record<Resolution, Promise<Run>>)[resolution]
    expect(result.output.trim()).toBe('')
    expect(result.code).toBe(0)
  })
})
