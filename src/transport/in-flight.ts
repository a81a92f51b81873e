/**
 * The requests a connection has written and not yet seen answered, oldest first.
 *
 * Two kinds of entries: a request waiting for its reply, and a run of "silent" markers standing for
 * consecutive `noreply` requests (memcached answers those with nothing, or with an error line).
 * Consecutive markers are one entry with a count, so a long stream of `noreply` writes costs
 * nothing per request. Removing from the front is amortised O(1).
 *
 * This is the connection's bookkeeping only: the matching rule that uses it is documented in
 * `connection.ts`.
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../error.js'
import type { Reply } from '../protocol/reply.js'
import type { Request } from '../protocol/request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A request written and waiting for its reply. @category model */
export interface Waiting {
  readonly _tag: 'Waiting'
  readonly request: Request
  /** When to give up, in `Date.now()` milliseconds; `Infinity` for never. */
  readonly deadline: number
  readonly settle: (result: Either<MemcacheError, Reply>) => void
}

/** `count` consecutive `noreply` requests whose silence is not confirmed yet. @category model */
export interface Silent {
  readonly _tag: 'Silent'
  count: number
}

/** @category model */
export type Entry = Waiting | Silent

/** @category model */
export interface InFlight {
  /** Appends a request that waits for a reply. */
  readonly pushWaiting: (entry: Waiting) => void
  /** Appends one `noreply` marker (merged into a trailing run). */
  readonly pushSilent: () => void
  /** The oldest entry. */
  readonly head: () => Entry | undefined
  /** Removes the oldest entry. */
  readonly shift: () => void
  /** Removes one marker from the run at the front; the run goes when it is empty. */
  readonly dropOneSilent: () => void
  /** The oldest request waiting for a reply, skipping markers. */
  readonly oldestWaiting: () => Waiting | undefined
  /** How many requests wait for a reply (markers not counted). */
  readonly waiting: () => number
  /** How many markers are unconfirmed. */
  readonly silent: () => number
  /** Empties the queue, returning the waiting requests oldest first. */
  readonly clear: () => ReadonlyArray<Waiting>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Compact the backing array once this many removed slots lead it (and they are most of it). */
const COMPACT_AFTER = 1024

/**
 * An empty queue.
 *
 * @example
 * const queue = makeInFlight()
 * queue.pushSilent()
 * queue.pushSilent()
 * queue.head() // { _tag: 'Silent', count: 2 }
 * @category constructors
 */
export const makeInFlight = (): InFlight => {
  let entries: Array<Entry | undefined> = []
  let first = 0
  let waitingCount = 0
  let silentCount = 0

  const head = (): Entry | undefined => entries[first]

  const shift = (): void => {
    const entry = entries[first]
    if (entry === undefined) return
    if (entry._tag === 'Waiting') waitingCount--
    else silentCount -= entry.count
    entries[first] = undefined
    first++
    if (first === entries.length) {
      entries = []
      first = 0
    } else if (first >= COMPACT_AFTER && first * 2 >= entries.length) {
      entries = entries.slice(first)
      first = 0
    }
  }

  return {
    pushWaiting: (entry) => {
      entries.push(entry)
      waitingCount++
    },
    pushSilent: () => {
      const last = entries[entries.length - 1]
      if (entries.length > first && last !== undefined && last._tag === 'Silent') last.count++
      else entries.push({ _tag: 'Silent', count: 1 })
      silentCount++
    },
    head,
    shift,
    dropOneSilent: () => {
      const entry = head()
      if (entry === undefined || entry._tag !== 'Silent') return
      if (entry.count > 1) {
        entry.count--
        silentCount--
      } else shift()
    },
    oldestWaiting: () => {
      // Runs are merged, so a waiting request is at most one step behind the front.
      for (let i = first; i < entries.length; i++) {
        const entry = entries[i]
        if (entry !== undefined && entry._tag === 'Waiting') return entry
      }
      return undefined
    },
    waiting: () => waitingCount,
    silent: () => silentCount,
    clear: () => {
      const waiting: Array<Waiting> = []
      for (let i = first; i < entries.length; i++) {
        const entry = entries[i]
        if (entry !== undefined && entry._tag === 'Waiting') waiting.push(entry)
      }
      entries = []
      first = 0
      waitingCount = 0
      silentCount = 0
      return waiting
    },
  }
}
