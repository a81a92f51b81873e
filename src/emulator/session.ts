/**
 * memcached's text protocol from the server's side, the connection: one client's state machine
 * over `parseCommand` and `renderReply` (and `renderMeta` for the meta commands, whose `ms` data
 * blocks are read as a `set`'s are, and whose errors after the length is read swallow the block). It keeps the start of a line until its newline comes,
 * reads data blocks by their length (a block that does not end in `\r\n` is `CLIENT_ERROR bad data
 * chunk`, and the bytes after it are read as the next command, like memcached), swallows refused
 * values without buffering them, silences `noreply`, stacks replies as memcached does between
 * writes, and ends on `quit`.
 *
 * Costs are bounded, whatever a client sends:
 * - Time linear in the input: a line arriving in pieces is searched for its newline only in the
 *   new bytes and copied once when it is whole; a multi-get's keys are read from the line one by
 *   one, never split into an array (see `counters`).
 * - Work per call: one call answers at most `keysPerSlice` keys or `bytesPerSlice` bytes of
 *   replies, then returns with `more` set; `resume` goes on. A front end serving many clients
 *   yields between slices, so one multi-get of 200,000 hits does not stall the others.
 * - Memory: a data block's room is reserved in the engine before it is read (`Engine.admit`) and
 *   released if the client goes first (`close`); lines held while their newline has not come are
 *   taken from a `lineMemory` budget shared with other sessions, and a client that would go over
 *   it is answered `SERVER_ERROR out of memory reading request` and closed, as memcached does when
 *   it cannot grow its read buffer.
 *
 * @since 0.2.0
 */
import { clientError, serverError } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import * as R from '../protocol/request.js'
import type { Budget } from './budget.js'
import { joinBytes } from './bytes.js'
import type { ConnectionHandle } from './connections.js'
import type { Admission, DataChunk, Engine } from './engine.js'
import { renderMeta } from './meta-render.js'
import {
  findTooLongKey,
  LINE_LIMIT,
  lineEnd,
  mayGrowLongLine,
  nextKey,
  parseCommand,
  requestOf,
  retrievalRequest,
  type KeySpan,
  type Retrieval,
} from './parse.js'
import { END_LINE, renderItems, renderReply } from './render.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** What a session writes back after some bytes came in. @category model */
export interface SessionOutput {
  readonly chunks: ReadonlyArray<Uint8Array>
  /** Close the connection once `chunks` are written (`quit`, or memcached's `conn_closing`). */
  readonly close: boolean
  /**
   * Work is left (the rest of a multi-get, or commands already received): call `resume` for the
   * next slice, after letting other clients run. Until then, feed the session no more bytes.
   */
  readonly more: boolean
}

/** What a session has done so far, to show its costs are linear. @category model */
export interface SessionCounters {
  /** Bytes looked at to find newlines and keys. */
  readonly bytesScanned: number
  /** Bytes copied to keep lines and data blocks across calls. */
  readonly bytesCopied: number
  /** Calls that returned with `more` set: slices a long reply or a long batch was cut into. */
  readonly slices: number
}

/** One client connection's state machine. @category model */
export interface Session {
  /**
   * Feeds the client's next bytes; returns what to write. The bytes are kept, not copied, while
   * the output says `more`: do not change them until then.
   */
  readonly receive: (bytes: Uint8Array) => SessionOutput
  /** The next slice of work after an output with `more`. */
  readonly resume: () => SessionOutput
  /** The client is gone: gives back reserved room and held line bytes. Later calls answer nothing. */
  readonly close: () => void
  readonly counters: () => SessionCounters
}

/**
 * Options of `makeSession`: the connection it counts for and its budgets.
 * @category model
 */
export interface SessionOptions {
  /** Counts commands and traffic for `stats`. */
  readonly connection?: ConnectionHandle
  /** Where lines waiting for their newline take their bytes from; default: no limit. */
  readonly lineMemory?: Budget
  /** Keys answered per slice. Default `KEYS_PER_SLICE`. */
  readonly keysPerSlice?: number
  /** Bytes of replies per slice (a slice may overshoot by one value). Default `BYTES_PER_SLICE`. */
  readonly bytesPerSlice?: number
}

/** memcached's `-R`: commands handled before the replies stacked so far are written. @category model */
export const REQUESTS_PER_EVENT = 20

/** Keys a session answers before it lets other clients run. @category model */
export const KEYS_PER_SLICE = 1000

/** Bytes of replies a session makes before it lets other clients run. @category model */
export const BYTES_PER_SLICE = 256 * 1024

/** Bytes of a multi-get line scanned for a too long key before other clients run (a key costs far more than a byte). */
const SCAN_BYTES_PER_SLICE = 256 * 1024

type Mode =
  | { readonly _tag: 'Lines' }
  /**
   * Reading a data block into `block` (value and its `\r\n`), in room the engine reserved;
   * `finish` stores it and says what to write.
   */
  | {
      readonly _tag: 'Data'
      readonly length: number
      readonly finish: (value: Uint8Array, chunk: DataChunk) => ReadonlyArray<Uint8Array>
      readonly block: Uint8Array
      filled: number
      readonly admission: Admission
    }
  /** Discarding a refused data block without buffering it. */
  | { readonly _tag: 'Swallow'; remaining: number }

/**
 * A retrieval being answered, slice by slice: first its line is scanned for a too long key (which
 * silences the lookups and ends in an error), then its keys are looked up.
 */
interface Job {
  readonly retrieval: Retrieval
  /** How far the scan for a too long key got. */
  scanned: number
  /** The keys to look up: all of them, or those before a too long one. */
  keys: KeySpan
  tooLongKey: boolean
  /** Where the next key is looked for in the line. */
  position: number
}

const LINES: Mode = { _tag: 'Lines' }
const NOTHING: ReadonlyArray<Uint8Array> = []
const CR = 13
const LF = 10
/** The bytes of a line `mayGrowLongLine` needs: 100 spaces and `gets `. */
const LONG_LINE_HEAD = 106

const BAD_FORMAT = Reply.failure(clientError('bad command line format'))
const OUT_OF_MEMORY_READING = Reply.failure(serverError('out of memory reading request'))

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * One connection to `engine`: feed it the client's bytes as they arrive, write back what it returns.
 *
 * @example
 * const session = makeSession(makeEngine())
 * session.receive(new TextEncoder().encode('set k 0 0 1\r\nx\r\nget k\r\n'))
 * // { chunks: ['STORED\r\n', 'VALUE k 0 1\r\n', 'x', '\r\n', 'END\r\n'], close: false, more: false }
 * @category constructors
 */
export const makeSession = (engine: Engine, connection?: ConnectionHandle, options: SessionOptions = {}): Session => {
  const handle = connection ?? options.connection
  const lineMemory = options.lineMemory
  const keysPerSlice = Math.max(1, options.keysPerSlice ?? KEYS_PER_SLICE)
  const bytesPerSlice = Math.max(1, options.bytesPerSlice ?? BYTES_PER_SLICE)

  /** Bytes received and not read yet; the first from `inputOffset`. */
  const input: Array<Uint8Array> = []
  let inputOffset = 0
  /** The start of a line whose newline has not come: copies, in order. */
  let partial: Array<Uint8Array> = []
  let partialLength = 0
  /** Whether the partial line went over `LINE_LIMIT` as a multi-get memcached keeps reading. */
  let longLineAllowed = false
  /** Bytes taken from `lineMemory` for the partial line, or for the joined line a job reads. */
  let heldLineBytes = 0
  let mode: Mode = LINES
  let job: Job | undefined
  let closed = false
  let bytesScanned = 0
  let bytesCopied = 0
  let slices = 0

  const holdLine = (bytes: number): boolean => {
    if (lineMemory !== undefined && !lineMemory.take(bytes)) return false
    heldLineBytes += bytes
    return true
  }

  const releaseLine = (): void => {
    lineMemory?.give(heldLineBytes)
    heldLineBytes = 0
  }

  const close = (): void => {
    closed = true
    if (mode._tag === 'Data') mode.admission.release()
    mode = LINES
    job = undefined
    input.length = 0
    partial = []
    partialLength = 0
    releaseLine()
  }

  /** The start of the partial line, for `mayGrowLongLine`. */
  const partialHead = (): Uint8Array => {
    const head: Array<Uint8Array> = []
    let length = 0
    for (const piece of partial) {
      if (length >= LONG_LINE_HEAD) break
      head.push(piece)
      length += piece.length
    }
    return joinBytes(head)
  }

  const run = (): SessionOutput => {
    if (closed) return { chunks: [], close: true, more: false }
    const chunks: Array<Uint8Array> = []
    let outputBytes = 0
    let keys = 0
    const emit = (reply: ReadonlyArray<Uint8Array>): void => {
      for (const chunk of reply) {
        chunks.push(chunk)
        outputBytes += chunk.length
      }
    }
    const reply = (response: Reply.Reply, silent: boolean): void => {
      if (!silent) emit(renderReply(response))
    }
    let scannedForLongKeys = 0
    const spent = (): boolean => keys >= keysPerSlice || outputBytes >= bytesPerSlice
    // memcached writes its stacked replies every `REQUESTS_PER_EVENT` commands and when it needs
    // more bytes (here: when the call returns); replies after `sent` are not out yet.
    let sent = 0
    let commands = 0
    // The first command of a read event comes before memcached's first countdown.
    let batch = REQUESTS_PER_EVENT + 1

    /** Scans the job's line for a too long key until it is done (`true`) or the slice is spent. */
    const scan = (current: Job): boolean => {
      const span = current.retrieval.keys
      while (current.scanned < span.to) {
        const allowance = SCAN_BYTES_PER_SLICE - scannedForLongKeys
        if (allowance <= 0) return false
        const result = findTooLongKey(span, current.scanned, allowance)
        const reached = result._tag === 'TooLong' ? result.at : result.to
        scannedForLongKeys += reached - current.scanned
        bytesScanned += reached - current.scanned
        if (result._tag === 'Scanned') {
          current.scanned = result.to
          continue
        }
        current.scanned = span.to
        current.keys = { ...span, to: result.at }
        current.tooLongKey = true
        // memcached's process_get_command releases every stacked reply before its error line;
        // the keys it looks up first answer nothing, so the replies can go now.
        chunks.length = sent
      }
      return true
    }

    /** Answers keys of the job until it is done (`true`) or the slice is spent. */
    const advance = (current: Job): boolean => {
      if (!scan(current)) return false
      const { retrieval } = current
      const found: Array<string> = []
      while (keys < keysPerSlice && outputBytes < bytesPerSlice) {
        // Keys are answered in groups, so a slice's budget is checked against real output.
        const group = Math.min(keysPerSlice - keys, 100)
        const start = current.position
        while (found.length < group) {
          const next = nextKey(current.keys, current.position)
          if (next === undefined) {
            current.position = current.keys.to
            break
          }
          found.push(next[0])
          current.position = next[1]
        }
        bytesScanned += current.position - start
        if (found.length === 0) break
        keys += found.length
        const answered = engine.execute(retrievalRequest(retrieval.command, retrieval.exptime, found))
        // A multi-get stopped by a too long key looks its keys up for their effects, silently.
        if (answered._tag === 'Values' && !current.tooLongKey) emit(renderItems(answered.items))
        found.length = 0
      }
      if (current.position < current.keys.to) return false
      if (current.tooLongKey) reply(BAD_FORMAT, false)
      else emit([END_LINE])
      return true
    }

    /** Reads one step from `bytes` at `offset` (a line, or part of a data block); returns the new offset. */
    const step = (bytes: Uint8Array, offset: number): number => {
      if (mode._tag === 'Swallow') {
        const taken = Math.min(mode.remaining, bytes.length - offset)
        mode.remaining -= taken
        if (mode.remaining === 0) mode = LINES
        return offset + taken
      }
      if (mode._tag === 'Data') {
        const taken = Math.min(mode.block.length - mode.filled, bytes.length - offset)
        mode.block.set(bytes.subarray(offset, offset + taken), mode.filled)
        bytesCopied += taken
        mode.filled += taken
        if (mode.filled < mode.block.length) return offset + taken
        const { length, block, finish } = mode
        mode = LINES
        const valid = block[length] === CR && block[length + 1] === LF
        emit(finish(block.subarray(0, length), valid ? 'valid' : 'bad'))
        return offset + taken
      }
      const newline = bytes.indexOf(LF, offset)
      bytesScanned += (newline < 0 ? bytes.length : newline + 1) - offset
      if (newline < 0) {
        // Keep the start of the line; only the bytes still to come are searched next time.
        const rest = bytes.subarray(offset)
        if (!holdLine(rest.length)) {
          reply(OUT_OF_MEMORY_READING, false)
          close()
          return bytes.length
        }
        partial.push(rest.slice())
        partialLength += rest.length
        bytesCopied += rest.length
        if (partialLength > LINE_LIMIT && !longLineAllowed) {
          longLineAllowed = mayGrowLongLine(partialHead())
          if (!longLineAllowed) close()
        }
        return bytes.length
      }
      let line: Uint8Array
      if (partialLength === 0) {
        line = bytes.subarray(offset, lineEnd(bytes, offset, newline))
      } else {
        const tail = bytes.subarray(offset, newline + 1)
        if (!holdLine(tail.length)) {
          reply(OUT_OF_MEMORY_READING, false)
          close()
          return bytes.length
        }
        const whole = joinBytes([...partial, tail])
        bytesCopied += whole.length
        partial = []
        partialLength = 0
        longLineAllowed = false
        line = whole.subarray(0, lineEnd(whole, 0, whole.length - 1))
      }
      command(line)
      return newline + 1
    }

    const command = (line: Uint8Array): void => {
      const parsed = parseCommand(line)
      handle?.commandReceived()
      if (commands === batch) {
        sent = chunks.length
        commands = 0
        batch = REQUESTS_PER_EVENT
      }
      commands++
      switch (parsed._tag) {
        case 'Close':
          close()
          break
        case 'Answer':
          reply(parsed.reply, parsed.silent)
          break
        case 'Retrieval':
          // Parsing searched the whole line for a NUL byte.
          bytesScanned += line.length
          job = { retrieval: parsed, scanned: parsed.keys.from, keys: parsed.keys, tooLongKey: false, position: parsed.keys.from }
          break
        case 'Storage': {
          const { header } = parsed
          const admitted = engine.admit(header.command, header.key, header.flags, header.length)
          if (admitted._tag === 'Admitted') {
            // Under noreply even `bad data chunk` is silent, as memcached's out_string makes it.
            const finish = (value: Uint8Array, chunk: DataChunk): ReadonlyArray<Uint8Array> => {
              const stored = engine.store(requestOf(header, value), chunk, admitted)
              return header.noreply ? NOTHING : renderReply(stored)
            }
            mode = { _tag: 'Data', length: header.length, finish, block: new Uint8Array(header.length + 2), filled: 0, admission: admitted }
          } else {
            reply(admitted, header.noreply)
            mode = { _tag: 'Swallow', remaining: header.length + 2 }
          }
          break
        }
        case 'MetaAnswer':
          reply(parsed.reply, false)
          if (parsed.swallow > 0) mode = { _tag: 'Swallow', remaining: parsed.swallow }
          break
        case 'MetaRequest':
          emit(renderMeta(engine.executeMeta(parsed.request)))
          break
        case 'MetaSet': {
          const { header } = parsed
          // memcached allocates an `ms` item as a `set`'s: a refused one drops the old item in every mode.
          const admitted = engine.admit('set', header.key, header.options.clientFlags, header.length)
          if (admitted._tag === 'Admitted') {
            const finish = (value: Uint8Array, chunk: DataChunk): ReadonlyArray<Uint8Array> => renderMeta(engine.storeMeta(header, value, chunk, admitted))
            mode = { _tag: 'Data', length: header.length, finish, block: new Uint8Array(header.length + 2), filled: 0, admission: admitted }
          } else {
            // Meta errors are written even under `q`.
            reply(admitted, false)
            mode = { _tag: 'Swallow', remaining: header.length + 2 }
          }
          break
        }
        case 'Execute':
          if (parsed.request._tag === 'Quit') {
            close()
            break
          }
          reply(engine.execute(parsed.request), R.expectsNoReply(parsed.request))
          break
      }
      if (job === undefined) releaseLine()
    }

    while (!closed) {
      if (job !== undefined) {
        if (!advance(job)) break
        job = undefined
        releaseLine()
        continue
      }
      if (spent()) break
      const bytes = input[0]
      if (bytes === undefined) break
      inputOffset = step(bytes, inputOffset)
      if (inputOffset >= bytes.length) {
        input.shift()
        inputOffset = 0
      }
    }
    const more = !closed && (job !== undefined || input.length > 0)
    if (more) slices++
    let written = 0
    for (const chunk of chunks) written += chunk.length
    handle?.traffic(0, written)
    return { chunks, close: closed, more }
  }

  return {
    receive: (bytes) => {
      if (closed) return { chunks: [], close: true, more: false }
      handle?.traffic(bytes.length, 0)
      if (bytes.length > 0) input.push(bytes)
      return run()
    },
    resume: run,
    close,
    counters: () => ({ bytesScanned, bytesCopied, slices }),
  }
}
