/**
 * `raw`: a command line of the caller's own, for what the typed commands do not cover (`lru_crawler`, `slabs
 * reassign`, `stats detail on`...). Key rules do not apply; the line must hold no CR or LF.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Line, NoReply, Reset, StatsReply, Values } from '../protocol/reply.js'
import * as Request from '../protocol/request.js'
import type { CallOptions } from '../transport/context.js'
import { command, type Command, type ReplyCases } from './command.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What each way of reading a raw reply yields. @category model */
export interface RawReplies {
  readonly line: Line
  readonly values: Values
  /** `Reset` for `stats reset`. */
  readonly stats: StatsReply | Reset
  readonly none: NoReply
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Sends `line` (and `data` as a data block, if given) and reads the reply as `expect` says. An
 * error line (`ERROR`, `CLIENT_ERROR ...`, `SERVER_ERROR ...`) is the `Left` it names.
 *
 * @example
 * raw('lru_crawler metadump all', 'line')(transport) // right({ _tag: 'Line', line: '...' })
 * raw('stats detail dump', 'stats')(transport)
 * @category constructors
 */
export const raw = <K extends Request.RawExpect>(line: string, expect: K, data?: Uint8Array, options?: CallOptions): Command<RawReplies[K]> =>
  command(Request.raw(line, expect, data), rawCases[expect], options)

const rawCases: { readonly [K in Request.RawExpect]: ReplyCases<RawReplies[K]> } = {
  line: { Line: E.right },
  values: { Values: E.right },
  stats: { Stats: E.right, Reset: E.right },
  none: { NoReply: E.right },
}
