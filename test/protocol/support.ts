/**
 * Shared helpers for the protocol tests: bytes from text, feeding a decoder chunk by chunk, a
 * test-only connection that decodes a queue of replies from arbitrary chunks, and a small
 * renderer that turns a `Reply` back into the bytes memcached would send.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { decodeReply, decodeStep, defaultReplyLimits, type DecodeResult, type NeedMore, type ReplyLimits } from '../../src/protocol/decode.js'
import type { Chunks } from '../../src/protocol/encode.js'
import type { MemcacheError } from '../../src/error.js'
import type { Failure, Item, Reply } from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'

// -------------------------------------------------------------------------------------
// bytes
// -------------------------------------------------------------------------------------

/** Plain `Uint8Array` (never a `Buffer`) of the parts joined; strings are UTF-8. */
export const bytes = (...parts: ReadonlyArray<string | Uint8Array>): Uint8Array => {
  const encoded = parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : part))
  const out = new Uint8Array(encoded.reduce((total, part) => total + part.length, 0))
  let at = 0
  for (const part of encoded) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Every byte value once, 0 to 255. */
export const allByteValues: Uint8Array = Uint8Array.from({ length: 256 }, (_, i) => i)

/** The chunks of an encoded request joined, as UTF-8 text (for readable assertion diffs). */
export const wireText = (chunks: Chunks): string => new TextDecoder().decode(bytes(...chunks))

/** One chunk per byte, each a fresh array (so no chunk can see the bytes after it). */
export const oneByOne = (wire: Uint8Array): ReadonlyArray<Uint8Array> => Array.from(wire, (byte) => Uint8Array.of(byte))

/** `wire` cut at the given (sorted, in-range) positions. */
export const splitAt = (wire: Uint8Array, cuts: ReadonlyArray<number>): ReadonlyArray<Uint8Array> => {
  const points = [0, ...[...cuts].sort((a, b) => a - b), wire.length]
  return points.slice(1).map((end, i) => wire.slice(points[i] ?? 0, end))
}

// -------------------------------------------------------------------------------------
// feeding one decoder
// -------------------------------------------------------------------------------------

export interface Fed {
  /** The first result that is not `right(none)`, or `right(none)` when the chunks ran out first. */
  readonly result: DecodeResult
  /** How many bytes had been fed when that result came (every shorter prefix needed more bytes). */
  readonly fed: number
}

/**
 * Feeds a growing buffer to the decoder of `request`: the empty buffer first, then after each
 * chunk the concatenation so far, always from offset 0. Stops at the first answer that is not
 * "need more bytes".
 */
export const decodeAll = (request: Request, chunks: ReadonlyArray<Uint8Array>, limits: ReplyLimits = defaultReplyLimits): Fed => {
  let buffer: Uint8Array = new Uint8Array(0)
  let result = decodeReply(request, buffer, 0, limits)
  for (const chunk of chunks) {
    if (E.isLeft(result) || O.isSome(result.right)) break
    buffer = bytes(buffer, chunk)
    result = decodeReply(request, buffer, 0, limits)
  }
  return { result, fed: buffer.length }
}

// -------------------------------------------------------------------------------------
// feeding the resumable decoder
// -------------------------------------------------------------------------------------

export interface Stepped extends Fed {
  /** `VALUE` and `STAT` lines parsed over all the calls (from the last step). */
  readonly headers: number
  /** How many times the decoder was called. */
  readonly calls: number
}

export interface StepOptions {
  /** Call the decoder only once the bytes it said it needs (`needed`) have arrived, as a connection does. */
  readonly honourNeeded?: boolean
  /**
   * Copy the bytes into a fresh buffer before each call, after 0, 1 or 2 junk bytes in turn, so
   * that the reply moves and starts at another offset each time (the resumed state must only
   * count from the reply's first byte). Otherwise the buffer grows as views on one array.
   */
  readonly moving?: boolean
  /** The reply limits every call is given. */
  readonly limits?: ReplyLimits
}

/**
 * Feeds `chunks` to `decodeStep`, resuming from the last `NeedMore` each time. The result is in
 * `decodeReply`'s shape (next counted from the reply's first byte), to compare with it.
 */
export const stepAll = (request: Request, chunks: ReadonlyArray<Uint8Array>, options: StepOptions = {}): Stepped => {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  const all = new Uint8Array(total)
  let fed = 0
  let calls = 0
  let from: NeedMore | undefined
  let waitFor = 0
  let headers = 0
  const call = (): DecodeResult | undefined => {
    calls++
    const junk = options.moving === true ? calls % 3 : 0
    const buffer = options.moving === true ? bytes(new Uint8Array(junk).fill(0x2a), all.subarray(0, fed)) : all.subarray(0, fed)
    const step = decodeStep(request, buffer, junk, from, options.limits)
    if (E.isLeft(step)) return step
    if (step.right._tag === 'Decoded') {
      headers = step.right.headers
      return E.right(O.some([step.right.reply, step.right.next - junk]))
    }
    from = step.right
    headers = from.headers
    if (!(from.needed > 0)) throw new Error(`NeedMore must need at least one byte, says ${from.needed}`)
    waitFor = fed + from.needed
    return undefined
  }
  let result = call()
  for (const chunk of chunks) {
    if (result !== undefined) break
    all.set(chunk, fed)
    fed += chunk.length
    if (options.honourNeeded === true && fed < waitFor) continue
    result = call()
  }
  return { result: result ?? E.right(O.none), fed, headers, calls }
}

// -------------------------------------------------------------------------------------
// a test-only connection
// -------------------------------------------------------------------------------------

export interface Drained {
  readonly replies: ReadonlyArray<Reply>
  /** Bytes received but not consumed by any reply. */
  readonly leftover: number
  /** Requests still waiting for their reply. */
  readonly waiting: number
}

/**
 * What a connection does with a queue of requests in flight: keep the unconsumed bytes, append
 * each chunk as it arrives, decode the head of the queue as often as a full reply is there.
 * A `left` stops everything, as a real connection would be destroyed.
 */
export const drain = (requests: ReadonlyArray<Request>, chunks: ReadonlyArray<Uint8Array>): E.Either<MemcacheError, Drained> => {
  const replies: Array<Reply> = []
  let queue = 0
  let leftover: Uint8Array = new Uint8Array(0)
  const step = (buffer: Uint8Array): E.Either<MemcacheError, Uint8Array> => {
    let offset = 0
    while (queue < requests.length) {
      const result = decodeReply(requests[queue] as Request, buffer, offset)
      if (E.isLeft(result)) return result
      if (O.isNone(result.right)) break
      const [reply, next] = result.right.value
      replies.push(reply)
      offset = next
      queue++
    }
    return E.right(buffer.subarray(offset))
  }
  const first = step(leftover)
  if (E.isLeft(first)) return first
  for (const chunk of chunks) {
    const next = step(bytes(leftover, chunk))
    if (E.isLeft(next)) return next
    leftover = next.right
  }
  return E.right({ replies, leftover: leftover.length, waiting: requests.length - queue })
}

// -------------------------------------------------------------------------------------
// rendering replies as memcached sends them
// -------------------------------------------------------------------------------------

const renderItem = (item: Item): Uint8Array =>
  bytes(`VALUE ${item.key} ${item.flags} ${item.value.length}${item.cas === undefined ? '' : ` ${item.cas}`}\r\n`, item.value, '\r\n')

const simpleLines: Partial<Record<Reply['_tag'], string>> = {
  Stored: 'STORED',
  NotStored: 'NOT_STORED',
  Exists: 'EXISTS',
  NotFound: 'NOT_FOUND',
  Deleted: 'DELETED',
  Touched: 'TOUCHED',
  Ok: 'OK',
  Reset: 'RESET',
}

const renderFailure = (error: Failure['error']): Uint8Array => {
  switch (error._tag) {
    case 'ClientError':
      return bytes(`CLIENT_ERROR ${error.reason}\r\n`)
    case 'ServerError':
      return bytes(`SERVER_ERROR ${error.reason}\r\n`)
    case 'UnknownCommand':
      return bytes(error.reason === '' ? 'ERROR\r\n' : `ERROR ${error.reason}\r\n`)
    case 'ValueTooLarge':
      return bytes('SERVER_ERROR object too large for cache\r\n')
  }
}

/**
 * The wire form of `reply`. A `ValueTooLarge` failure renders as memcached's
 * `SERVER_ERROR object too large for cache`.
 */
export const render = (reply: Reply): Uint8Array => {
  switch (reply._tag) {
    case 'Values':
      return bytes(...reply.items.map(renderItem), 'END\r\n')
    case 'Numeric':
      return bytes(`${reply.value}\r\n`)
    case 'Stats':
      return bytes(...reply.entries.map(([name, value]) => `STAT ${name} ${value}\r\n`), 'END\r\n')
    case 'Version':
      return bytes(`VERSION ${reply.version}\r\n`)
    case 'Line':
      return bytes(`${reply.line}\r\n`)
    case 'NoReply':
      return new Uint8Array(0)
    case 'Failure':
      return renderFailure(reply.error)
    default:
      return bytes(`${simpleLines[reply._tag] ?? ''}\r\n`)
  }
}
