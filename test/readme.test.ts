/**
 * The README's code is code, and so is the guides' (docs/guide/*.md): every ```ts block
 * type-checks on its own (it imports or defines every name it uses), and the blocks marked
 * `<!-- runnable -->` run, as a user would paste them, against an embedded server (the address
 * `127.0.0.1:11211` in them is replaced by that server's).
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from '../src/emulator/serve.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface Block {
  /** The markdown file, relative to the repository. */
  readonly source: string
  readonly line: number
  readonly code: string
  readonly runnable: boolean
}

const blocksOf = (source: string, markdown: string): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  const fence = /(?:<!--\s*(runnable)\s*-->\s*\n)?```ts\n([\s\S]*?)```/g
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const line = markdown.slice(0, match.index).split('\n').length
    blocks.push({ source, line, code: match[2] ?? '', runnable: match[1] === 'runnable' })
  }
  return blocks
}

const guides = readdirSync(join(root, 'docs/guide'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/guide/${name}`)
const blocks = ['README.md', ...guides].flatMap((source) => blocksOf(source, readFileSync(join(root, source), 'utf8')))
// Inside the project, so that `fp-memcache` and fp-ts resolve as they do for the examples.
const work = mkdtempSync(join(root, '.readme-check-'))
const fileOf = (block: Block): string => join(work, `block-${block.source.replaceAll('/', '~')}-line-${block.line}.ts`)

let server: Served | undefined

beforeAll(async () => {
  for (const block of blocks) writeFileSync(fileOf(block), `${block.code}\nexport {}\n`)
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true, noUnusedLocals: false, rootDir: '..' }, include: ['*.ts'] }),
  )
  const started = await serve({ port: 0 })()
  if (E.isLeft(started)) throw new Error(started.left.message)
  server = started.right
})

afterAll(async () => {
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('README and guide code blocks', () => {
  it('has code blocks, some of them runnable, in the README and in every guide', () => {
    expect(blocks.length).toBeGreaterThan(5)
    for (const guide of guides) expect(blocks.some((block) => block.source === guide)).toBe(true)
    expect(blocks.some((block) => block.runnable)).toBe(true)
  })

  it('each type-checks on its own', () => {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(work, 'tsconfig.json')], { encoding: 'utf8' })
    // Name the README line of each error, not the temporary file.
    const report = tsc.stdout.replace(
      /[^\s]*block-([^\s]*?)-line-(\d+)\.ts\((\d+),(\d+)\)/g,
      (_all, source: string, line: string, row: string) => `${source.replaceAll('~', '/')}:${Number(line) + Number(row)}`,
    )
    expect(report).toBe('')
    expect(tsc.status).toBe(0)
  }, 120_000)

  describe.each(blocks.filter((block) => block.runnable))('the runnable block at $source line $line', (block) => {
    it('runs against an embedded server', async () => {
      const address = server?.server ?? ''
      const commandsBefore = (server?.engine.stat('cmd_get') ?? 0) + (server?.engine.stat('cmd_set') ?? 0)
      writeFileSync(fileOf(block), `${block.code.replaceAll('127.0.0.1:11211', address)}\nexport {}\n`)
      // Asynchronously: the embedded server lives in this process and must go on answering.
      const run = await new Promise<{ readonly code: number | null; readonly stderr: string }>((done) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', fileOf(block)],
          { cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMCACHED_SERVERS: address, TSX_TSCONFIG_PATH: join(work, 'tsconfig.json') } },
          (_error, _stdout, stderr) => done({ code: child.exitCode, stderr }),
        )
      })
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      // A block that names a server really talked to it (a failed connect would have been a quiet Left).
      const commandsAfter = (server?.engine.stat('cmd_get') ?? 0) + (server?.engine.stat('cmd_set') ?? 0)
      if (block.code.includes('127.0.0.1:11211')) expect(commandsAfter).toBeGreaterThan(commandsBefore)
    }, 90_000)
  })
})
