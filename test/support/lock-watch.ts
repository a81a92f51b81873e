/**
 * A middleware for the stampede proofs: it reads the answer to every stampede lookup (`mg` with
 * `N`) and counts its flags (`W` won, `Z` another caller won, `X` stale), and it tells callers
 * apart by the `AbortSignal` each one passes, so a test knows how many distinct callers found the
 * lock taken: proof that they really waited, not merely that the numbers came out right.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Middleware } from '../../src/transport/transport.js'

export interface LockWatch {
  readonly middleware: Middleware
  readonly flags: { lookups: number; W: number; Z: number; X: number }
  /** Callers (by their signal) whose lookup answered `Z` at least once. */
  readonly waiters: () => number
  /** Resolves once `count` distinct callers found the lock taken. */
  readonly waitersReach: (count: number) => Promise<void>
  /** Called with each caller the first time its lookup answers `Z`. */
  readonly onFirstWait: (listener: () => void) => void
}

export const lockWatch = (): LockWatch => {
  const flags = { lookups: 0, W: 0, Z: 0, X: 0 }
  const waiting = new Set<AbortSignal>()
  const listeners: Array<() => void> = []
  const thresholds: Array<{ readonly count: number; readonly resolve: () => void }> = []
  const noteWaiter = (signal: AbortSignal | undefined): void => {
    if (signal === undefined || waiting.has(signal)) return
    waiting.add(signal)
    for (const listener of listeners) listener()
    for (const threshold of thresholds) if (waiting.size >= threshold.count) threshold.resolve()
  }
  const middleware: Middleware = (next) => ({
    send: (request, context) => async () => {
      const result = await next.send(request, context)()
      if (request._tag === 'MetaGet' && request.flags.vivify !== undefined && E.isRight(result) && result.right._tag === 'MetaReply') {
        const { win, alreadyWon, stale } = result.right.returned
        flags.lookups++
        if (win === true) flags.W++
        if (stale === true) flags.X++
        if (alreadyWon === true) {
          flags.Z++
          noteWaiter(context?.signal)
        }
      }
      return result
    },
    close: next.close,
  })
  return {
    middleware,
    flags,
    waiters: () => waiting.size,
    waitersReach: (count) =>
      new Promise((resolve) => {
        if (waiting.size >= count) resolve()
        else thresholds.push({ count, resolve })
      }),
    onFirstWait: (listener) => {
      listeners.push(listener)
    },
  }
}
