/**
 * Virtual time for tests of code that sleeps: `sleep` registers a timer on a clock only the test
 * moves, and `run(work)` fires the timers one by one, in time order, whenever nothing else can
 * move, until `work` is done. A test of backoffs and expiries therefore takes no real time, and
 * the order of events is the same on every run.
 */

interface Timer {
  readonly at: number
  readonly order: number
  readonly fire: () => void
}

/** A clock, its sleep, and the loop that runs virtual time. */
export interface VirtualClock {
  readonly now: () => number
  /** Moves the clock forward without firing anything (what a slow computation would take). */
  readonly advance: (ms: number) => void
  /** Resolves when the clock reaches `now() + ms`, or at once when `signal` fires. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Runs virtual time, timer after timer, until `work` is done; a wait with nothing scheduled is a deadlock. */
  readonly run: <T>(work: Promise<T>) => Promise<T>
}

/**
 * A clock starting at `start` (ms). `busy` says when something outside the clock is still moving
 * (requests in flight on a socket): time does not move until it has been false for two turns.
 */
export const makeVirtualClock = (start = 0, busy: () => boolean = () => false): VirtualClock => {
  let current = start
  let order = 0
  const timers: Array<Timer> = []
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted === true) return resolve()
      const onAbort = (): void => {
        const index = timers.indexOf(timer)
        if (index >= 0) timers.splice(index, 1)
        resolve()
      }
      const timer: Timer = {
        at: current + Math.max(0, ms),
        order: order++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      timers.push(timer)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  /** Until nothing can move without time passing: every promise chain has moved, no request is out. */
  const quiet = async (): Promise<void> => {
    for (let still = 0; still < 2; ) {
      await new Promise((resolve) => setImmediate(resolve))
      still = busy() ? 0 : still + 1
    }
  }
  const run = async <T>(work: Promise<T>): Promise<T> => {
    let done = false
    const watched = work.finally(() => {
      done = true
    })
    for (;;) {
      await quiet()
      if (done) return watched
      timers.sort((a, b) => a.at - b.at || a.order - b.order)
      const next = timers.shift()
      if (next === undefined) throw new Error('deadlock: the work waits and nothing is scheduled')
      current = Math.max(current, next.at)
      next.fire()
    }
  }
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
    sleep,
    run,
  }
}
