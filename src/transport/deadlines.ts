/**
 * Many waiting things with deadlines, watched by one timer set for the earliest.
 *
 * A client gives every command a deadline, so a timer per request (set, then cleared when the
 * reply comes) would be the cost of every request. Here a deadline costs a slot in an array: the
 * timer is set when the first entry comes and moved only for an earlier deadline, and when it
 * fires the entries whose deadline passed are expired and it is set again for the earliest of the
 * others. Entries are expected to be answered about in the order they were added (a connection's
 * replies come in order), so answered ones are dropped from the front as they are answered: the
 * queue holds about what is in flight. Its arrays are reused once emptied, so a connection with
 * one request at a time allocates nothing here per request.
 *
 * The timer is `unref`'d and is not cleared when the queue empties (that would cost a timer per
 * round trip): it fires once, finds nothing, and is set again by the next entry.
 *
 * @since 0.2.0
 */
import { MAX_TIMER_DELAY } from './timer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a queue needs to know of its entries.
 *
 * @example
 * const watch: DeadlineWatch<Waiting> = { deadlineOf: (entry) => entry.deadline, isDone: (entry) => entry.done, expire: (entry) => abandon(entry) }
 * @category model
 */
export interface DeadlineWatch<T> {
  /** The entry's deadline, in `Date.now()` milliseconds. */
  readonly deadlineOf: (entry: T) => number
  /** Answered or gone: it is no longer watched. */
  readonly isDone: (entry: T) => boolean
  /** Its deadline passed at `now` (it is dropped from the queue). */
  readonly expire: (entry: T, now: number) => void
}

/**
 * Entries watched until they are done or their deadline passes.
 *
 * @example
 * const queue: DeadlineQueue<Waiting> = makeDeadlineQueue(watch)
 * queue.add(entry)
 * @category model
 */
export interface DeadlineQueue<T> {
  /** Watches `entry` (whose `deadlineOf` is finite). */
  readonly add: (entry: T) => void
  /** Drops the entries at the front that are done: call it when entries are answered. */
  readonly dropDone: () => void
  /** Watches nothing any more: the timer goes. */
  readonly clear: () => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Drop the front of the arrays once this many done entries lead them (and are most of them). */
const COMPACT_AFTER = 1024

/**
 * A deadline queue over `watch`.
 *
 * @example
 * const queue = makeDeadlineQueue<Waiting>({
 *   deadlineOf: (entry) => entry.deadline,
 *   isDone: (entry) => entry.done,
 *   expire: (entry) => abandon(entry, timeout(...)),
 * })
 * queue.add(entry) // when it is written
 * queue.dropDone() // when replies are delivered
 * @category constructors
 */
export const makeDeadlineQueue = <T>(watch: DeadlineWatch<T>): DeadlineQueue<T> => {
  // The entries watched are `entries[first .. end)`, in the order added.
  let entries: Array<T | undefined> = []
  let first = 0
  let end = 0
  let timer: NodeJS.Timeout | undefined
  let timerAt = Infinity

  const reset = (): void => {
    first = 0
    end = 0
    // A burst's array is not kept once it is over.
    if (entries.length > COMPACT_AFTER) entries = []
  }

  const arm = (at: number): void => {
    if (timer !== undefined) {
      if (timerAt <= at) return
      clearTimeout(timer)
    }
    timerAt = at
    timer = setTimeout(check, Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(at - Date.now())))).unref()
  }

  function check(): void {
    timer = undefined
    timerAt = Infinity
    const now = Date.now()
    let earliest = Infinity
    let kept = 0
    // Expired entries go, the others move to the front, in order (`end` is read at each step:
    // an entry added meanwhile is looked at too).
    for (let i = first; i < end; i++) {
      const entry = entries[i] as T
      entries[i] = undefined
      if (watch.isDone(entry)) continue
      const deadline = watch.deadlineOf(entry)
      if (deadline <= now) watch.expire(entry, now)
      else {
        entries[kept++] = entry
        if (deadline < earliest) earliest = deadline
      }
    }
    first = 0
    end = kept
    if (end === 0) reset()
    if (earliest < Infinity) arm(earliest)
  }

  return {
    add: (entry) => {
      entries[end++] = entry
      arm(watch.deadlineOf(entry))
    },
    dropDone: () => {
      // A slot `check` has emptied counts as done: `expire` may lead here while it runs.
      for (let entry = entries[first]; first < end && (entry === undefined || watch.isDone(entry)); entry = entries[first]) entries[first++] = undefined
      if (first === end) reset()
      else if (first >= COMPACT_AFTER && first * 2 >= end) {
        entries = entries.slice(first, end)
        end -= first
        first = 0
      }
    },
    clear: () => {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      timerAt = Infinity
      entries = []
      first = 0
      end = 0
    },
  }
}
