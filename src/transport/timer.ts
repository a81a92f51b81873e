/**
 * Timer delays as Node accepts them. `setTimeout` fires after 1 ms for a delay that is not a
 * finite number within 2³¹−1 ms, which would turn "wait forever" (`Infinity`) into "fail now":
 * every timeout of the library goes through `timerDelay` instead.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The longest delay `setTimeout` honours, in milliseconds (about 24.8 days).
 *
 * @example
 * MAX_TIMER_DELAY // 2147483647
 * @category model
 */
export const MAX_TIMER_DELAY = 0x7fff_ffff

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * `ms` when it is a delay a timer should be set for, `undefined` when no timer should be set:
 * zero, negative, `NaN`, `Infinity` and anything beyond `MAX_TIMER_DELAY` mean "no deadline".
 *
 * @example
 * timerDelay(250) // 250
 * timerDelay(Infinity) // undefined
 * @category utils
 */
export const timerDelay = (ms: number): number | undefined => (Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMER_DELAY ? ms : undefined)
