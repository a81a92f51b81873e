#!/usr/bin/env node
/**
 * The `fp-memcache` executable (package.json `bin`): `run` wired to this process. The first
 * Ctrl-C is handed to the program (it ends `watch` with exit 0, interrupts other commands); a
 * second one kills the process as usual. The exit code is set, not forced: the program has
 * closed every client, so nothing is left to keep the process alive once the output is written.
 *
 * @since 0.2.0
 */
import { readFileSync } from 'node:fs'
import { isatty } from 'node:tty'
import * as E from 'fp-ts/lib/Either.js'
import { run } from './program.js'

/** The package's version, from the package.json two folders up (in `src/cli` and in `dist/cli`). */
const packageVersion = (): string => {
  try {
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const version = typeof manifest === 'object' && manifest !== null ? (manifest as Readonly<Record<string, unknown>>)['version'] : undefined
    return typeof version === 'string' ? version : 'unknown'
  } catch {
    return 'unknown'
  }
}

const readStdin = async (): Promise<Uint8Array> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks)
}

const readFile = (path: string): E.Either<string, Uint8Array> => {
  try {
    return E.right(readFileSync(path))
  } catch (error) {
    return E.left(error instanceof Error ? error.message : String(error))
  }
}

const interrupt = new AbortController()
process.once('SIGINT', () => interrupt.abort())
// A reader that went away (`fp-memcache stats | head -1`) is not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

void run({
  argv: process.argv.slice(2),
  env: process.env,
  // isatty, not process.stdin.isTTY: stdin is opened only when a value is read from it.
  stdin: { isTTY: isatty(0), read: readStdin },
  stdout: { write: (chunk) => void process.stdout.write(chunk), isTTY: process.stdout.isTTY === true },
  stderr: { write: (chunk) => void process.stderr.write(chunk), isTTY: process.stderr.isTTY === true },
  readFile,
  signal: interrupt.signal,
  version: packageVersion(),
}).then((code) => {
  process.exitCode = code
})
