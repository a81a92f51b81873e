/**
 * The connection's receive buffer, without sockets: values stay intact however the bytes are
 * chunked, and a chunk is decoded where it lies when nothing is pending.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeReply } from '../../src/protocol/decode.js'
import * as Request from '../../src/protocol/request.js'
import { makeReceiveBuffer } from '../../src/transport/receive-buffer.js'

const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => new Uint8Array(Buffer.concat(parts))

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): ReadonlyArray<Uint8Array> => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Array<Uint8Array> = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    if (point > from) parts.push(bytes.slice(from, point))
    from = Math.max(from, point)
  }
  return parts
}

describe('receive buffer', () => {
  /**
   * Every value intact at the end, however the wire is cut. `transient`: each chunk arrives in one
   * read buffer, as a socket's shared one (`socket-reads.ts`), scribbled over once it was received.
   */
  const valuesSurvive = (transient: boolean): void => {
    const value = fc.uint8Array({ maxLength: 300 })
    const readBuffer = new Uint8Array(64 * 1024)
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (values, cuts) => {
        const wire = concat(values.flatMap((bytes, i) => [latin1(`VALUE k${i} 0 ${bytes.length}\r\n`), bytes, latin1('\r\nEND\r\n')]))
        const received = makeReceiveBuffer()
        const decoded: Array<Uint8Array> = []
        for (const part of splitAt(wire, cuts)) {
          readBuffer.set(part)
          const chunk = transient ? readBuffer.subarray(0, part.length) : part
          const bytes = received.append(chunk, transient)
          let offset = 0
          for (;;) {
            const result = decodeReply(Request.get([`k${decoded.length}`]), bytes, offset)
            if (E.isLeft(result)) throw new Error(result.left.message)
            if (O.isNone(result.right)) break
            const [reply, next] = result.right.value
            decoded.push(reply._tag === 'Values' ? (reply.items[0]?.value ?? new Uint8Array(0)) : new Uint8Array(0))
            offset = next
          }
          received.keep(bytes, offset)
          readBuffer.fill(0xee)
        }
        expect(received.pending()).toBe(0)
        expect(decoded.map((bytes) => Buffer.from(bytes).toString('hex'))).toEqual(values.map((bytes) => Buffer.from(bytes).toString('hex')))
      }),
    )
  }

  it('yields every value intact, whatever the chunking, after all later bytes were appended', () => valuesSurvive(false))

  it('yields every value intact from transient chunks (one read buffer, overwritten after each read)', () => valuesSurvive(true))

  it('copies a transient chunk when nothing is pending: small ones share a slab, large ones get their own buffer', () => {
    const received = makeReceiveBuffer()
    const readBuffer = latin1('END\r\n')
    const first = received.append(readBuffer, true)
    expect(first).not.toBe(readBuffer)
    expect(first.buffer).not.toBe(readBuffer.buffer)
    received.keep(first, first.length)
    const second = received.append(readBuffer, true)
    expect(second.buffer).toBe(first.buffer)
    expect(second.byteOffset).toBeGreaterThanOrEqual(first.byteOffset + first.length)
    received.keep(second, second.length)
    const large = new Uint8Array(5000).fill(0x61)
    const copy = received.append(large, true)
    expect(copy.buffer.byteLength).toBe(5000)
    expect(Buffer.from(copy).equals(Buffer.from(large))).toBe(true)
  })

  it('decodes straight from the chunk when nothing is pending', () => {
    const received = makeReceiveBuffer()
    const chunk = latin1('END\r\nEN')
    expect(received.append(chunk)).toBe(chunk)
    received.keep(chunk, 5)
    expect(received.pending()).toBe(2)
    expect(Buffer.from(received.append(latin1('D\r\n'))).toString()).toBe('END\r\n')
  })

  it('reserve: one buffer of the announced size, filled in place, the pending bytes and views intact', () => {
    const received = makeReceiveBuffer()
    const head = latin1('VALUE a 0 100000\r\nxy')
    received.keep(received.append(head), 0)
    received.reserve(head.length + 100_000)
    const first = received.append(new Uint8Array(1000).fill(0x61))
    const backing = first.buffer
    expect(backing.byteLength).toBeGreaterThanOrEqual(head.length + 100_000)
    received.keep(first, 0)
    // Filled in place: no new buffer until the reserved room is used up.
    for (let i = 0; i < 98; i++) received.keep(received.append(new Uint8Array(1000).fill(0x62)), 0)
    const last = received.append(latin1('\r\nEND\r\n'))
    expect(last.length).toBe(head.length + 99_000 + 7)
    expect(last.buffer).toBe(backing)
    expect(Buffer.from(last.subarray(0, head.length)).toString('latin1')).toBe('VALUE a 0 100000\r\nxy')
    expect(last[head.length]).toBe(0x61)
    expect(last[head.length + 1000]).toBe(0x62)
    expect(head[0]).toBe(0x56)
  })

  it('reserve with nothing pending, or room enough already, changes nothing', () => {
    const received = makeReceiveBuffer()
    received.reserve(1_000_000)
    const chunk = latin1('END\r\n')
    expect(received.append(chunk)).toBe(chunk)
    received.keep(chunk, 5)
    expect(received.pending()).toBe(0)
  })

  it('reserve for value after value (a multi-get) grows the room at least twofold: few buffers, O(n) copying', () => {
    const received = makeReceiveBuffer()
    const buffers = new Set<ArrayBufferLike>()
    let bytes = received.append(latin1('VALUE a 0 300000\r\n'))
    received.keep(bytes, 0)
    const size = 300_000
    for (let value = 0; value < 64; value++) {
      received.reserve(received.pending() + size + 2)
      for (let sent = 0; sent < size; sent += 50_000) {
        bytes = received.append(new Uint8Array(50_000))
        buffers.add(bytes.buffer)
        received.keep(bytes, 0)
      }
    }
    expect(received.pending()).toBe(64 * size + 'VALUE a 0 300000\r\n'.length)
    // Doubling from 300 kB to 19 MB: about log2(64) + 1 buffers, not one per value.
    expect(buffers.size).toBeLessThanOrEqual(9)
  })
})
