/**
 * memcached's text protocol from the server's side, the connection: one client's state machine
 * over `parseLine` and `renderReply`. It buffers input until a line is whole, reads data blocks by
 * their length (a block that does not end in `\r\n` is `CLIENT_ERROR bad data chunk`, and the bytes
 * after it are read as the next command, like memcached), swallows refused values without
 * buffering them, silences `noreply`, stacks replies as memcached does between writes, and ends on
 * `quit`.
 *
 * @since 0.2.0
 */
import * as O from 'fp-ts/lib/Option.js'
import type * as Reply from '../protocol/reply.js'
import * as R from '../protocol/request.js'
import { joinBytes } from './bytes.js'
import type { ConnectionHandle } from './connections.js'
import type { Engine } from './engine.js'
import { parseLine, requestOf, type StorageHeader } from './parse.js'
import { renderReply } from './render.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What a session writes back after some bytes came in. @category model */
export interface SessionOutput {
  readonly chunks: ReadonlyArray<Uint8Array>
  /** Close the connection once `chunks` are written (`quit`, or memcached's `conn_closing`). */
  readonly close: boolean
}

/** One client connection's state machine. @category model */
export interface Session {
  readonly receive: (bytes: Uint8Array) => SessionOutput
}

/** memcached's `-R`: commands handled before the replies stacked so far are written. @category model */
export const REQUESTS_PER_EVENT = 20

type Mode =
  | { readonly _tag: 'Lines' }
  /** Reading a data block into `block` (value and its `\r\n`). */
  | { readonly _tag: 'Data'; readonly header: StorageHeader; readonly block: Uint8Array; filled: number }
  /** Discarding a refused data block without buffering it. */
  | { readonly _tag: 'Swallow'; remaining: number }

const LINES: Mode = { _tag: 'Lines' }
const EMPTY = new Uint8Array(0)
const CR = 13
const LF = 10

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * One connection to `engine`: feed it the client's bytes as they arrive, write back what it returns.
 *
 * @example
 * const session = makeSession(makeEngine())
 * session.receive(new TextEncoder().encode('set k 0 0 1\r\nx\r\nget k\r\n'))
 * // { chunks: ['STORED\r\n', 'VALUE k 0 1\r\n', 'x', '\r\n', 'END\r\n'], close: false }
 * @category constructors
 */
export const makeSession = (engine: Engine, connection?: ConnectionHandle): Session => {
  let pending: Uint8Array = EMPTY
  let mode: Mode = LINES
  let closed = false

  const receive = (bytes: Uint8Array): SessionOutput => {
    if (closed) return { chunks: [], close: true }
    const chunks: Array<Uint8Array> = []
    const reply = (response: Reply.Reply, silent: boolean) => {
      if (!silent) for (const chunk of renderReply(response)) chunks.push(chunk)
    }
    const buffer = pending.length === 0 ? bytes : joinBytes([pending, bytes])
    let offset = 0
    // memcached writes its stacked replies every `REQUESTS_PER_EVENT` commands and when it needs
    // more bytes (here: when `receive` returns); replies after `sent` are not out yet.
    let sent = 0
    let commands = 0
    // The first command of a read event comes before memcached's first countdown.
    let batch = REQUESTS_PER_EVENT + 1
    while (!closed) {
      if (mode._tag === 'Swallow') {
        const taken = Math.min(mode.remaining, buffer.length - offset)
        mode.remaining -= taken
        offset += taken
        if (mode.remaining > 0) break
        mode = LINES
        continue
      }
      if (mode._tag === 'Data') {
        const taken = Math.min(mode.block.length - mode.filled, buffer.length - offset)
        mode.block.set(buffer.subarray(offset, offset + taken), mode.filled)
        mode.filled += taken
        offset += taken
        if (mode.filled < mode.block.length) break
        const { header, block } = mode
        mode = LINES
        const valid = block[header.length] === CR && block[header.length + 1] === LF
        const request = requestOf(header, block.subarray(0, header.length))
        // Under noreply even `bad data chunk` is silent, as memcached's out_string makes it.
        reply(engine.store(request, valid ? 'valid' : 'bad'), header.noreply)
        continue
      }
      const parsed = parseLine(buffer, offset)
      if (O.isNone(parsed)) break
      const [command, next] = parsed.value
      offset = next
      connection?.commandReceived()
      if (commands === batch) {
        sent = chunks.length
        commands = 0
        batch = REQUESTS_PER_EVENT
      }
      commands++
      switch (command._tag) {
        case 'Close':
          closed = true
          break
        case 'Answer':
          if (command.partial !== undefined) {
            engine.execute(command.partial)
            // memcached's process_get_command releases every stacked reply before its error line.
            chunks.length = sent
          }
          reply(command.reply, command.silent)
          break
        case 'Storage': {
          const { header } = command
          const refused = engine.admit(header.command, header.key, header.flags, header.length)
          if (refused !== undefined) {
            reply(refused, header.noreply)
            mode = { _tag: 'Swallow', remaining: header.length + 2 }
          } else {
            mode = { _tag: 'Data', header, block: new Uint8Array(header.length + 2), filled: 0 }
          }
          break
        }
        case 'Execute':
          if (command.request._tag === 'Quit') {
            closed = true
            break
          }
          reply(engine.execute(command.request), R.expectsNoReply(command.request))
          break
      }
    }
    pending = closed ? EMPTY : buffer.slice(offset)
    let written = 0
    for (const chunk of chunks) written += chunk.length
    connection?.traffic(bytes.length, written)
    return { chunks, close: closed }
  }

  return { receive }
}
