/**
 * `close()` ends every wait in every layer at once. A full stack — `createClient` with a pool per
 * server, retry (3 attempts, 5 s apart), batching and `withTimeout(200)` — against a server that
 * never answers and one that is down, with requests asleep between retries, waiting in a batching
 * window, waiting for a connection, and in flight; then `close()`. Every request must have settled
 * by the time `close()` resolved (no waiting for a retry's sleep or a timer: the test would outlive
 * its own timeout), and nothing the library made may be left: no timer (ref'd or not), no socket.
 *
 * What the library made is told apart from what the test runner made by the stack at creation
 * (an async hook sees every timer, immediate and socket, `unref`'d ones included, which Node's
 * `getActiveResourcesInfo` does not list); the `getActiveResourcesInfo` counts are compared too.
 */
import { createHook } from 'node:async_hooks'
import * as E from 'fp-ts/lib/Either.js'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client.js'
import type { MemcacheError } from '../../src/error.js'
import { fromPymemcacheOptions, withRetry } from '../../src/middleware/retry.js'
import { withTimeout } from '../../src/middleware/timeout.js'
import { closedPort, fakeServer, type FakeServer } from '../transport/fakes.js'

const SOURCES = fileURLToPath(new URL('../../src/', import.meta.url))
// A TLS socket's TLSWRAP is reported destroyed only when garbage-collected; the TCPWRAP under it is
// the handle, and is tracked.
const TRACKED = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPCONNECTWRAP', 'PIPEWRAP'])

/** Timers, immediates and sockets created by the library's code while it runs, until destroyed. */
const trackLibraryResources = () => {
  const live = new Map<number, { readonly type: string; readonly stack: string }>()
  const hook = createHook({
    init: (asyncId, type) => {
      if (!TRACKED.has(type)) return
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 40
      const stack = new Error().stack ?? ''
      Error.stackTraceLimit = limit
      if (stack.includes(SOURCES)) live.set(asyncId, { type, stack })
    },
    destroy: (asyncId) => {
      live.delete(asyncId)
    },
  })
  hook.enable()
  return {
    live: () => [...live.values()].map(({ type, stack }) => `${type}${stack.slice(stack.indexOf('\n'), stack.indexOf('\n') + 400)}`),
    created: () => live.size,
    stop: () => hook.disable(),
  }
}

/** Ref'd timers and sockets, as Node counts what keeps a process alive. */
const activeHandles = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout' || name === 'TCPSocketWrap' || name === 'TLSWrap').length

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

const silentServer = async (): Promise<FakeServer> => {
  const server = await fakeServer()
  cleanups.push(server.close)
  return server
}

/** Settles `outcome` into `settled` under `name`, so the test can see what had settled when. */
const recorder = () => {
  const settled = new Map<string, E.Either<MemcacheError, unknown>>()
  const started: Array<Promise<unknown>> = []
  return {
    settled,
    started,
    record: (name: string, outcome: Promise<E.Either<MemcacheError, unknown>>): void => {
      started.push(outcome.then((result) => settled.set(name, result)))
    },
  }
}

describe('close() ends every wait in every layer', () => {
  it('retry sleeps, batching windows, withTimeout timers, pool waits and requests in flight: all settled by the time close resolves, nothing left', async () => {
    const silent = await silentServer()
    const down = `127.0.0.1:${await closedPort()}`
    const handlesBefore = activeHandles()
    const tracker = trackLibraryResources()
    try {
      let retries = 0
      let retried: () => void = () => undefined
      const client = createClient({
        servers: [silent.server, down],
        pool: { size: 2 },
        batching: { window: 20 },
        // No client deadline: the stack's own timers (withTimeout's) bound each attempt, as in the issue.
        timeout: 0,
        connectTimeout: 60_000,
        middleware: [
          withRetry({
            ...fromPymemcacheOptions({ attempts: 3, retryDelay: 5000 }),
            onRetry: () => {
              retries++
              retried()
            },
          }),
          withTimeout(200),
        ],
      })
      const { settled, started, record } = recorder()

      // Phase 1: requests that fail their first attempt (the silent server times out after 200 ms,
      // the down one refuses) and go to sleep for 5 s before the next.
      const sleepers = 12
      const allAsleep = new Promise<void>((resolve) => {
        retried = () => {
          if (retries >= sleepers) resolve()
        }
      })
      for (let i = 0; i < sleepers / 2; i++) {
        record(`get ${i}`, client.get(`sleeper:${i}`)())
        record(`set ${i}`, client.set(`sleeper:${i}`, 'v')())
      }
      await allAsleep
      expect(settled.size).toBe(0)

      // Phase 2: requests caught mid-way when close comes — in a batching window, waiting for a
      // connection or in flight on one, each under a withTimeout timer.
      for (let i = 0; i < 6; i++) {
        record(`late get ${i}`, client.get(`late:${i}`)())
        record(`late set ${i}`, client.set(`late:${i}`, 'v')())
      }
      record('late getMany', client.getMany(['late:a', 'late:b', 'late:c'])())
      await turn()
      expect(settled.size).toBe(0)

      await client.close()
      await turn()
      // Every request settled by now, not after a retry's 5 s sleep or a 200 ms timer.
      expect(settled.size).toBe(started.length)
      await Promise.all(started)
      for (const [name, result] of settled) expect([name, E.isLeft(result)]).toEqual([name, true])

      await turn()
      await turn()
      expect(tracker.live()).toEqual([])
      expect(activeHandles()).toBeLessThanOrEqual(handlesBefore)
      // Sanity: the tracker saw the library at work (timers and sockets were made and released).
      expect(retries).toBeGreaterThanOrEqual(sleepers)
    } finally {
      tracker.stop()
    }
  })

  it('requests with no deadline at all (in flight, in a 60 s batching window, asleep for 60 s) are answered by close, not by a timer', async () => {
    const silent = await silentServer()
    const down = `127.0.0.1:${await closedPort()}`
    const tracker = trackLibraryResources()
    try {
      let retried: () => void = () => undefined
      const client = createClient({
        servers: [silent.server, down],
        pool: true,
        batching: { window: 60_000 },
        timeout: 0,
        connectTimeout: 60_000,
        retry: { attempts: 3, retryDelay: 60_000, onRetry: () => retried() },
      })
      const { settled, started, record } = recorder()
      // Nothing bounds these but close: a close that waited for them, or sent the batch on, would hang.
      const asleep = new Promise<void>((resolve) => (retried = resolve))
      for (let i = 0; i < 40 && settled.size === 0; i++) record(`set ${i}`, client.set(`k${i}`, 'v')())
      await asleep
      for (let i = 0; i < 5; i++) record(`get ${i}`, client.get(`g${i}`)())
      await turn()
      expect(settled.size).toBe(0)
      await client.close()
      await turn()
      expect(settled.size).toBe(started.length)
      for (const result of settled.values()) expect(E.isLeft(result)).toBe(true)
      await turn()
      await turn()
      expect(tracker.live()).toEqual([])
    } finally {
      tracker.stop()
    }
  })

  it('connects in progress (a TLS handshake that never completes) are abandoned by close, pooled or not', async () => {
    const silent = await silentServer()
    const handlesBefore = activeHandles()
    const tracker = trackLibraryResources()
    try {
      const pooled = createClient({ servers: silent.server, tls: true, pool: true, timeout: 0, connectTimeout: 60_000 })
      const single = createClient({ servers: silent.server, tls: true, timeout: 0, connectTimeout: 60_000, batching: true })
      const { settled, started, record } = recorder()
      for (let i = 0; i < 5; i++) {
        record(`pooled ${i}`, pooled.get(`k${i}`)())
        record(`single ${i}`, single.get(`k${i}`)())
      }
      // Both clients have a socket open, in the TLS handshake.
      await silent.connection(1)
      await turn()
      expect(settled.size).toBe(0)
      await Promise.all([pooled.close(), single.close()])
      await turn()
      expect(settled.size).toBe(started.length)
      for (const result of settled.values()) expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'ConnectionClosed' })))
      await Promise.all(silent.connections.map((connection) => connection.closed))
      await turn()
      await turn()
      expect(tracker.live()).toEqual([])
      expect(activeHandles()).toBeLessThanOrEqual(handlesBefore)
    } finally {
      tracker.stop()
    }
  })
})
