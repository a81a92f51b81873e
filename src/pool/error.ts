/**
 * Errors of the pool layer.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A pool stayed full for the whole acquire timeout.
 * @category model
 */
export interface PoolExhausted {
  readonly _tag: 'PoolExhausted'
  readonly waited: number
  readonly message: string
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * poolExhausted(1000)
 * @category constructors
 */
export const poolExhausted = (waited: number): PoolExhausted => ({
  _tag: 'PoolExhausted',
  waited,
  message: `no pooled connection became free within ${waited} ms`,
})
