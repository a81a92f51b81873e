/**
 * Runs a TypeScript file in a child Node process (through tsx, so it can import `src/`), for tests
 * about what a process does on its own: exit when its work is done, or keep running while a
 * request waits. A guard kills a child that never exits — a bound against a hang, not a timing
 * assertion: an exit at any time before it counts.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

export interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** `false` when the guard had to kill it. */
  readonly exited: boolean
}

/**
 * Runs `command args` and collects its output; a guard kills it after `guardMs` (default 15 s).
 */
export const runChild = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Readonly<Record<string, string>>; readonly guardMs?: number } = {},
): Promise<Outcome> =>
  new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      done({ code: null, stdout, stderr, exited: false })
    }, options.guardMs ?? 15_000)
    child.once('exit', (code) => {
      clearTimeout(guard)
      done({ code, stdout, stderr, exited: true })
    })
  })

/** Runs a TypeScript file with tsx (so it can import `src/`), as `runChild`. */
export const runTsx = (
  script: string,
  options: { readonly args?: ReadonlyArray<string>; readonly env?: Readonly<Record<string, string>>; readonly guardMs?: number } = {},
): Promise<Outcome> => runChild(resolve('node_modules/.bin/tsx'), [script, ...(options.args ?? [])], options)
