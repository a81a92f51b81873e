/**
 * A byte budget several connections draw from: `serve` gives one to all its sessions for the
 * command lines they hold while waiting for a newline, so a server's input buffers are bounded
 * in total (a cap per connection would still grow with the number of connections).
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Bytes taken from a shared limit and given back. Not a class: a record of functions over one count. @category model */
export interface Budget {
  readonly limit: number
  /** Bytes taken now. */
  readonly used: () => number
  /** Takes `bytes` when they fit under the limit (`true`), else takes nothing (`false`). */
  readonly take: (bytes: number) => boolean
  /** Gives back `bytes` taken before. */
  readonly give: (bytes: number) => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * An untouched budget of `limit` bytes.
 *
 * @example
 * const budget = makeBudget(100)
 * budget.take(60) // true
 * budget.take(60) // false: 120 would be over the limit
 * budget.give(60)
 * budget.used() // 0
 * @category constructors
 */
export const makeBudget = (limit: number): Budget => {
  let used = 0
  return {
    limit,
    used: () => used,
    take: (bytes) => {
      if (used + bytes > limit) return false
      used += bytes
      return true
    },
    give: (bytes) => {
      used = Math.max(0, used - bytes)
    },
  }
}
