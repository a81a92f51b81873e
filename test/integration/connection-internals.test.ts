/**
 * The connection's two pieces of bookkeeping, without sockets: the receive buffer (values stay
 * intact however the bytes are chunked) and the in-flight FIFO (matches a naive model).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeReply } from '../../src/protocol/decode.js'
import * as Request from '../../src/protocol/request.js'
import { makeInFlight, type Waiting } from '../../src/transport/in-flight.js'
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
  it('yields every value intact, whatever the chunking, after all later bytes were appended', () => {
    const value = fc.uint8Array({ maxLength: 300 })
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (values, cuts) => {
        const wire = concat(values.flatMap((bytes, i) => [latin1(`VALUE k${i} 0 ${bytes.length}\r\n`), bytes, latin1('\r\nEND\r\n')]))
        const received = makeReceiveBuffer()
        const decoded: Array<Uint8Array> = []
        for (const chunk of splitAt(wire, cuts)) {
          const bytes = received.append(chunk)
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
        }
        expect(received.pending()).toBe(0)
        expect(decoded.map((bytes) => Buffer.from(bytes).toString('hex'))).toEqual(values.map((bytes) => Buffer.from(bytes).toString('hex')))
      }),
    )
  })

  it('decodes straight from the chunk when nothing is pending', () => {
    const received = makeReceiveBuffer()
    const chunk = latin1('END\r\nEN')
    expect(received.append(chunk)).toBe(chunk)
    received.keep(chunk, 5)
    expect(received.pending()).toBe(2)
    expect(Buffer.from(received.append(latin1('D\r\n'))).toString()).toBe('END\r\n')
  })
})

describe('in-flight FIFO', () => {
  type Operation = { readonly _tag: 'waiting' } | { readonly _tag: 'silent' } | { readonly _tag: 'shift' } | { readonly _tag: 'dropOne' }
  // Slightly more pushes than removals, so the queue both grows and compacts its backing array.
  const operation: fc.Arbitrary<Operation> = fc.oneof(
    { arbitrary: fc.constant({ _tag: 'waiting' as const }), weight: 4 },
    { arbitrary: fc.constant({ _tag: 'silent' as const }), weight: 2 },
    { arbitrary: fc.constant({ _tag: 'shift' as const }), weight: 4 },
    { arbitrary: fc.constant({ _tag: 'dropOne' as const }), weight: 1 },
  )

  it('behaves as a plain list of waiting requests and markers', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 500, maxLength: 2000 }), (operations) => {
        const queue = makeInFlight()
        // The model: one element per request, markers unmerged.
        const model: Array<Waiting | 'silent'> = []
        let id = 0
        for (const step of operations) {
          switch (step._tag) {
            case 'waiting': {
              const entry: Waiting = { _tag: 'Waiting', request: Request.get([`k${id++}`]), deadline: id, settle: () => undefined }
              queue.pushWaiting(entry)
              model.push(entry)
              break
            }
            case 'silent':
              queue.pushSilent()
              model.push('silent')
              break
            case 'shift': {
              const head = model[0]
              if (head === 'silent') while (model[0] === 'silent') model.shift()
              else model.shift()
              queue.shift()
              break
            }
            case 'dropOne':
              if (model[0] === 'silent') model.shift()
              queue.dropOneSilent()
              break
          }
          const head = queue.head()
          expect(head === undefined ? undefined : head._tag === 'Silent' ? 'silent' : head).toBe(model[0])
          expect(queue.oldestWaiting()).toBe(model.find((entry) => entry !== 'silent'))
        }
        expect(queue.waiting()).toBe(model.filter((entry) => entry !== 'silent').length)
        expect(queue.silent()).toBe(model.filter((entry) => entry === 'silent').length)
        expect(queue.clear()).toEqual(model.filter((entry) => entry !== 'silent'))
        expect(queue.head()).toBeUndefined()
      }),
      { numRuns: 30 },
    )
  })

  it('keeps order across the compaction of a long queue', () => {
    const queue = makeInFlight()
    const entries = Array.from({ length: 5000 }, (_, i): Waiting => ({ _tag: 'Waiting', request: Request.get([`k${i}`]), deadline: i, settle: () => undefined }))
    const seen: Array<number> = []
    entries.slice(0, 3000).forEach(queue.pushWaiting)
    for (let i = 0; i < 2500; i++) {
      seen.push(queue.head() === undefined ? -1 : entries.indexOf(queue.head() as Waiting))
      queue.shift()
    }
    entries.slice(3000).forEach(queue.pushWaiting)
    while (queue.head() !== undefined) {
      seen.push(entries.indexOf(queue.head() as Waiting))
      queue.shift()
    }
    expect(seen).toEqual(entries.map((_, i) => i))
    expect(queue.waiting()).toBe(0)
  })
})
