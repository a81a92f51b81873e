/**
 * The request context: what travels with one request through every layer, beside the request
 * itself — the caller's `AbortSignal`, an absolute deadline every layer spends from, and
 * per-request options (may this request be retried).
 *
 * Every layer honours it: a layer that waits (a connection for its reply, a pool for a free
 * connection, a reconnect, a batching window, a retry's sleep) stops waiting when the signal fires
 * or the deadline passes, and answers `Aborted` or `Timeout`; a layer that would start work (a
 * retry's next attempt, a write) does not start it. A layer that passes the request on passes the
 * context on unchanged, or tightened (a `withTimeout` sets an earlier deadline), never loosened.
 *
 * The empty context `{}` costs nothing: no timer and no listener is set for it.
 *
 * @since 0.2.0
 */
import { aborted, timeout, type Aborted, type Timeout } from './error.js'
import { timerDelay } from './timer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What travels with one request through every layer (like undici's dispatch options).
 *
 * @example
 * const context: RequestContext = { signal: AbortSignal.timeout(500), deadline: Date.now() + 250, retry: true }
 * @category model
 */
export interface RequestContext {
  /** The caller gave up: stop waiting, never start another attempt. */
  readonly signal?: AbortSignal
  /** Absolute time (`Date.now()` milliseconds) by which the outcome is needed; each layer spends from it. */
  readonly deadline?: number
  /**
   * This request may be retried even if it is not idempotent (`incr`, `append`, `cas`...): the
   * caller accepts that it may be applied twice. `false` forbids retrying it at all.
   */
  readonly retry?: boolean
}

/**
 * The options commands take per call, turned into a context by `toContext`.
 * @category model
 */
export interface CallOptions {
  /** Give up when this signal fires: the command answers `Aborted`. */
  readonly signal?: AbortSignal
  /** Milliseconds for the whole command, from the call; then it answers `Timeout`. */
  readonly timeout?: number
  /** May this call be retried by a `withRetry` below it (see `RequestContext.retry`). */
  readonly retry?: boolean
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The context with nothing in it: no signal, no deadline, default retry rules.
 *
 * @example
 * transport.send(Request.version, emptyContext)
 * @category constructors
 */
export const emptyContext: RequestContext = Object.freeze({})

/**
 * `context` with a deadline no later than `ms` from `now` (when the returned function is called,
 * not when `withinMs` is): an earlier deadline already there wins.
 * An `ms` that is not a positive finite timer delay (`Infinity`, 0) leaves the context as it is.
 *
 * @example
 * withinMs(250)({ signal }) // { signal, deadline: Date.now() + 250 }
 * @category constructors
 */
export const withinMs =
  (ms: number) =>
  (context: RequestContext, now: number = Date.now()): RequestContext => {
    if (timerDelay(ms) === undefined) return context
    const deadline = now + ms
    if (context.deadline !== undefined && context.deadline <= deadline) return context
    // A literal for the empty context: a spread costs more, and this runs for every command of a client.
    return context === emptyContext ? { deadline } : { ...context, deadline }
  }

/**
 * The context for one call's options, on top of `base` (a client's defaults): the call's signal,
 * its timeout as a deadline from `now`, its retry permission.
 *
 * @example
 * toContext({ timeout: 100, signal: controller.signal }) // { signal, deadline: now + 100 }
 * @category constructors
 */
export const toContext = (options: CallOptions | undefined, base: RequestContext = emptyContext, now?: number): RequestContext => {
  // The clock is read only for a timeout (by `withinMs`): a call without options costs nothing here.
  if (options === undefined) return base
  let context = base
  if (options.signal !== undefined) context = { ...context, signal: options.signal }
  if (options.retry !== undefined) context = { ...context, retry: options.retry }
  return options.timeout === undefined ? context : withinMs(options.timeout)(context, now)
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const reasonOf = (signal: AbortSignal): string => {
  const reason: unknown = signal.reason
  if (reason instanceof Error) return reason.message
  return reason === undefined ? 'aborted' : String(reason)
}

/**
 * Milliseconds left before the deadline (`Infinity` without one; 0 or less once it passed).
 *
 * @example
 * remainingMs({ deadline: Date.now() + 50 }) // about 50
 * @category utils
 */
export const remainingMs = (context: RequestContext, now: number = Date.now()): number =>
  context.deadline === undefined ? Infinity : context.deadline - now

/**
 * Why a request must not go on, or `undefined` while it may: `Aborted` once the signal fired,
 * `Timeout` once the deadline passed. `request` names the command and `where` the layer or node
 * in the error.
 *
 * @example
 * interruption({ deadline: 0 }, 'get', 'pool') // Timeout
 * @category utils
 */
export const interruption = (context: RequestContext, request: string, where: string, now: number = Date.now()): Aborted | Timeout | undefined => {
  if (context.signal?.aborted === true) return aborted(request, reasonOf(context.signal))
  if (context.deadline !== undefined && context.deadline <= now) return timeout(Math.max(0, Math.round(now - context.deadline)), request, where)
  return undefined
}

/**
 * Calls `interrupt` once, with `Aborted` or `Timeout`, when the signal fires or the deadline
 * passes, whichever comes first; returns the function that stops watching. A context with neither
 * costs no timer and no listener. The timer is `unref`'d: a pending deadline never keeps a process
 * alive by itself.
 *
 * @example
 * const stop = watch(context, 'get', 'pool', (error) => resolve(E.left(error)))
 * // ...when the wait ends for another reason:
 * stop()
 * @category utils
 */
export const watch = (context: RequestContext, request: string, where: string, interrupt: (error: Aborted | Timeout) => void): (() => void) => {
  const { signal, deadline } = context
  if (signal === undefined && deadline === undefined) return noop
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const stop = (): void => {
    if (stopped) return
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  const fire = (): void => {
    if (stopped) return
    const error = interruption(context, request, where) ?? timeout(0, request, where)
    stop()
    interrupt(error)
  }
  const onAbort = (): void => fire()
  if (signal !== undefined) {
    if (signal.aborted) {
      fire()
      return stop
    }
    signal.addEventListener('abort', onAbort, { once: true })
  }
  if (deadline !== undefined) {
    const left = deadline - Date.now()
    if (left <= 0) fire()
    else {
      const delay = timerDelay(Math.ceil(left))
      if (delay !== undefined) timer = setTimeout(fire, delay).unref()
    }
  }
  return stop
}

const noop = (): void => undefined
