/**
 * What the proofs in this folder share: the size of a run (small in `npm test`, large under
 * `npm run soak`), a watch on unhandled rejections, a child-process runner, and a watchdog that
 * counts a request as hung when it has not settled long after its deadline.
 */

/** `npm run soak` sets it; `npm test` does not. */
export const SOAK = process.env['FP_MEMCACHE_SOAK'] === '1'

/** `small` in `npm test`, `large` in the soak run. */
export const scaled = (small: number, large: number): number => (SOAK ? large : small)

/** A seed for the fault PRNG: `FP_MEMCACHE_SEED` to replay a run, otherwise a fixed one per test. */
export const seedFor = (fixed: number): number => {
  const given = process.env['FP_MEMCACHE_SEED']
  return given === undefined ? fixed : Number(given) + fixed
}

/**
 * Collects every unhandled rejection from now until `stop()` (which returns them): a request that
 * rejects where nobody listens is a bug the suite must see, not a warning on stderr.
 */
export const watchUnhandledRejections = (): { readonly stop: () => ReadonlyArray<unknown> } => {
  const seen: Array<unknown> = []
  const listener = (reason: unknown): void => {
    seen.push(reason)
  }
  process.on('unhandledRejection', listener)
  return {
    stop: () => {
      process.off('unhandledRejection', listener)
      return seen
    },
  }
}

/** What settling a request looked like: its value, or `'hung'` when the watchdog gave up first. */
export type Watched<A> =
  | { readonly _tag: 'Settled'; readonly value: A }
  | { readonly _tag: 'Rejected'; readonly error: unknown }
  | { readonly _tag: 'Hung' }

/**
 * Runs `task` and gives up on it `patienceMs` later. The patience is the request's own deadline
 * plus a generous margin: a request counted `Hung` is one that ignored its deadline, not a slow one.
 */
export const watched = <A>(task: () => Promise<A>, patienceMs: number): Promise<Watched<A>> =>
  new Promise((resolve) => {
    let done = false
    const watchdog = setTimeout(() => {
      done = true
      resolve({ _tag: 'Hung' })
    }, patienceMs)
    void task().then(
      (value) => {
        if (done) return
        done = true
        clearTimeout(watchdog)
        resolve({ _tag: 'Settled', value })
      },
      (error: unknown) => {
        if (done) return
        done = true
        clearTimeout(watchdog)
        // A rejected TaskEither is a broken promise of the API: surface it to assert on.
        resolve({ _tag: 'Rejected', error })
      },
    )
  })

/** Adds one to `tally[name]`. */
export const count = (tally: Record<string, number>, name: string): void => {
  tally[name] = (tally[name] ?? 0) + 1
}
