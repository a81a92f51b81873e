/**
 * `touch`: set a new expiry without fetching the value.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as Request from '../protocol/request.js'
import { noreplyOf, command, type Command, type CommandDefaults, type NoreplyOption } from './command.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `touch` with `noreply` defaulting to `defaults.noreply`.
 *
 * @example
 * const quietTouch = touching({ noreply: true })
 * @category constructors
 */
export const touching =
  (defaults?: CommandDefaults) =>
  (key: string, exptime: number, options?: NoreplyOption): Command<boolean> => {
    const req = Request.touch(key, exptime, noreplyOf(options, defaults))
    return command(req, {
      Touched: () => E.right(true),
      NotFound: () => E.right(false),
      ...(req.noreply ? { NoReply: () => E.right(true) } : {}),
    }, options)
  }

/**
 * `touch <key> <exptime>`: `true` when the key exists (and now expires at `exptime`).
 *
 * @example
 * touch('session:42', 1800)(transport) // right(true)
 * @category constructors
 */
export const touch: (key: string, exptime: number, options?: NoreplyOption) => Command<boolean> = touching()
