/**
 * The meta commands from the server's side, last step: a `MetaResult` into the bytes memcached
 * 1.6.18 writes: `<code>[ <size>]( <flag><text>)*\r\n`, then the value and `\r\n` for `VA`.
 * Errors and `ME` lines are text protocol replies (`render.ts`). The reply words are the meta
 * protocol's own and live here.
 *
 * @since 0.2.0
 */
import type { MetaReply, MetaResult } from './meta-engine.js'
import { renderReply } from './render.js'

// -------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------

const CRLF = new Uint8Array([13, 10])
const NOTHING: ReadonlyArray<Uint8Array> = []

/**
 * The reply line of a meta reply, without its line ending.
 *
 * @example
 * metaLine({ _tag: 'ServedMeta', code: 'HD', flags: [['c', '5'], ['W', '']], value: undefined, silent: false }) // 'HD c5 W'
 * @category rendering
 */
export const metaLine = (reply: MetaReply): string => {
  let line: string = reply.code
  if (reply.code === 'VA') line += ` ${reply.value?.length ?? 0}`
  for (const [flag, text] of reply.flags) line += ` ${flag}${text}`
  return line
}

/**
 * The bytes memcached writes for a meta command's result: nothing when quiet mode dropped it.
 * A value is referenced, not copied.
 *
 * @example
 * renderMeta({ _tag: 'ServedMeta', code: 'VA', flags: [], value: bytes('hi'), silent: false }) // [bytes('VA 2\r\n'), bytes('hi'), bytes('\r\n')]
 * @category rendering
 */
export const renderMeta = (result: MetaResult): ReadonlyArray<Uint8Array> => {
  if (result._tag !== 'ServedMeta') return renderReply(result)
  if (result.silent) return NOTHING
  const head = Buffer.from(metaLine(result) + '\r\n', 'latin1')
  if (result.code !== 'VA' || result.value === undefined) return [head]
  return result.value.length > 0 ? [head, result.value, CRLF] : [head, CRLF]
}
