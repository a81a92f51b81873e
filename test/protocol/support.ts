/**
 * Shared helpers for the protocol tests: bytes from text, feeding a decoder chunk by chunk, a
 * test-only connection that decodes a queue of replies from arbitrary chunks, and a small
 * renderer that turns a `Reply` back into the bytes memcached would send.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { decodeReply, type DecodeResult } from '../../src/protocol/decode.js'
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
export const decodeAll = (request: Request, chunks: ReadonlyArray<Uint8Array>): Fed => {
  let buffer: Uint8Array = new Uint8Array(0)
  let result = decodeReply(request, buffer, 0)
  for (const chunk of chunks) {
    if (E.isLeft(result) || O.isSome(result.right)) break
    buffer = bytes(buffer, chunk)
    result = decodeReply(request, buffer, 0)
  }
  return { result, fed: buffer.length }
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
