/**
 * Connection benchmark against a local memcached started for the run: sequential round trips per
 * second (one `get` at a time, awaiting each) and pipelined `get`s per second (a window of
 * requests in flight on one connection), over TCP and over a unix socket.
 *
 * Run: `npx tsx bench/connection.ts [seconds-per-case]` (default 3).
 *
 * Every reply is checked (the right key, the right value length), so a broken connection cannot
 * report a fast time. The numbers depend on the machine and on whatever else runs on it: they are
 * for comparing changes on one machine, not for quoting.
 */
import * as E from 'fp-ts/lib/Either.js'
import { performance } from 'node:perf_hooks'
import * as Request from '../src/protocol/request.js'
import { connect, type Connection } from '../src/transport/connection.js'
import { startMemcached } from '../test/support/memcached.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

interface Result {
  readonly name: string
  readonly operations: number
  readonly seconds: number
}

// -------------------------------------------------------------------------------------
// cases
// -------------------------------------------------------------------------------------

const KEYS = 1000
const keyOf = (i: number): string => `bench:${i % KEYS}`

const check = (result: E.Either<unknown, unknown>, key: string, size: number): void => {
  if (E.isLeft(result)) throw new Error(`request failed: ${JSON.stringify(result.left)}`)
  const reply = result.right as { readonly _tag: string; readonly items?: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }> }
  const item = reply.items?.[0]
  if (reply._tag !== 'Values' || item === undefined || item.key !== key || item.value.length !== size) {
    throw new Error(`wrong reply for ${key}: ${JSON.stringify(reply)}`)
  }
}

const sequential = async (name: string, connection: Connection, seconds: number, size: number): Promise<Result> => {
  const end = performance.now() + seconds * 1000
  let operations = 0
  const started = performance.now()
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++, operations++) {
      const key = keyOf(operations)
      check(await connection.send(Request.get([key]))(), key, size)
    }
  }
  return { name, operations, seconds: (performance.now() - started) / 1000 }
}

/** Keeps `window` gets in flight: each completion sends the next. */
const pipelined = (name: string, connection: Connection, seconds: number, size: number, window: number): Promise<Result> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const end = started + seconds * 1000
    let sent = 0
    let done = 0
    let stopping = false
    const next = (): void => {
      if (stopping) return
      const key = keyOf(sent++)
      void connection.send(Request.get([key]))().then((result) => {
        try {
          check(result, key, size)
        } catch (error) {
          stopping = true
          reject(error)
          return
        }
        done++
        if (done % 1000 === 0 && performance.now() >= end) stopping = true
        if (!stopping) next()
        else if (done === sent) resolve({ name, operations: done, seconds: (performance.now() - started) / 1000 })
      })
    }
    for (let i = 0; i < window; i++) next()
  })

// -------------------------------------------------------------------------------------
// main
// -------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  const seconds = Number(process.argv[2] ?? '3')
  const tcp = await startMemcached()
  const unix = await startMemcached({ unixSocket: true })
  const results: Array<Result> = []
  try {
    for (const [transportName, server] of [
      ['tcp', tcp.server],
      ['unix', unix.server],
    ] as const) {
      const opened = await connect({ server, timeout: 10_000 })()
      if (E.isLeft(opened)) throw new Error(opened.left.message)
      const connection = opened.right
      for (const size of [100, 4096]) {
        const value = new Uint8Array(size).fill(120)
        await Promise.all(Array.from({ length: KEYS }, (_, i) => connection.send(Request.set(keyOf(i), value))()))
        // Warm up the JIT on both paths before measuring.
        await sequential('warm-up', connection, 0.5, size)
        await pipelined('warm-up', connection, 0.5, size, 100)
        results.push(await sequential(`${transportName} sequential get, ${size} B`, connection, seconds, size))
        for (const window of [100, 1000]) {
          results.push(await pipelined(`${transportName} pipelined get (${window} in flight), ${size} B`, connection, seconds, size, window))
        }
      }
      await connection.close()
    }
  } finally {
    await tcp.stop()
    await unix.stop()
  }
  for (const result of results) {
    const perSecond = Math.round(result.operations / result.seconds)
    console.log(`${result.name.padEnd(48)} ${String(perSecond).padStart(9)} ops/s  (${result.operations} in ${result.seconds.toFixed(1)} s)`)
  }
}

void main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
