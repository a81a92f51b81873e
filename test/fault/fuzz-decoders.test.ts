/**
 * Fuzzing every decoder with hostile bytes: the reply decoder (whole and resumable, for every
 * request kind), the unsolicited-line decoder, the emulator's request-line parser and every serde's
 * `deserialize`. Inputs are random bytes and valid replies mutated (bytes inserted, deleted,
 * replaced, the reply cut), fed in random splits. Properties: never a throw; never a hang (each
 * call returns, and the resumable decoder is called at most once per chunk plus once); the
 * resumable decoder agrees with the whole-buffer one (same reply, or both refuse); a decoded
 * reply ends inside the bytes given.
 *
 * `npm test` runs a few thousand cases; `npm run soak` hundreds of thousands.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeReply, decodeUnsolicited, decodeUnsolicitedStep, type NeedMore } from '../../src/protocol/decode.js'
import * as R from '../../src/protocol/request.js'
import { parseLine } from '../../src/emulator/parse.js'
import * as serdes from '../../src/serde/index.js'
import type { Serde } from '../../src/serde/serde.js'
import { bytes, decodeAll, splitAt, stepAll } from '../protocol/support.js'
import { scaled, seedFor } from './support.js'

const RUNS = scaled(4000, 300_000)
const SERDE_RUNS = scaled(1000, 100_000)

/** One request of each kind and replies memcached could give it. */
const exchanges: ReadonlyArray<readonly [R.Request, ReadonlyArray<string>]> = [
  [R.get(['a', 'b']), ['VALUE a 3 4\r\n\r\n\0\xff\r\nVALUE b 0 0\r\n\r\nEND\r\n', 'END\r\n', 'VALUE b 1 5\r\nhello\r\nEND\r\n']],
  [R.gets(['a']), ['VALUE a 0 2 18446744073709551615\r\nok\r\nEND\r\n', 'END\r\n']],
  [R.gat(100, ['a', 'c']), ['VALUE c 9 1\r\nz\r\nEND\r\n']],
  [R.gats(0, ['a']), ['VALUE a 0 3 7\r\nabc\r\nEND\r\n']],
  [R.set('a', bytes('v')), ['STORED\r\n', 'NOT_STORED\r\n', 'SERVER_ERROR out of memory storing object\r\n', 'CLIENT_ERROR bad data chunk\r\n']],
  [R.cas('a', bytes('v'), 5n), ['EXISTS\r\n', 'NOT_FOUND\r\n', 'STORED\r\n']],
  [R.del('a'), ['DELETED\r\n', 'NOT_FOUND\r\n']],
  [R.incr('a', 1n), ['42\r\n', '18446744073709551615\r\n', 'NOT_FOUND\r\n', 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n']],
  [R.decr('a', 1n), ['0\r\n', 'NOT_FOUND\r\n']],
  [R.touch('a', 10), ['TOUCHED\r\n', 'NOT_FOUND\r\n']],
  [R.stats(), ['STAT pid 1\r\nSTAT version 1.6.21\r\nEND\r\n', 'END\r\n']],
  [R.stats('reset'), ['RESET\r\n']],
  [R.stats('items'), ['STAT items:1:number 3\r\nEND\r\n']],
  [R.flushAll(), ['OK\r\n']],
  [R.version, ['VERSION 1.6.21\r\n']],
  [R.verbosity(1), ['OK\r\n']],
  [R.cacheMemlimit(64), ['OK\r\n']],
  [R.raw('mn', 'line'), ['MN\r\n']],
  [R.raw('get a', 'values'), ['VALUE a 0 1\r\nx\r\nEND\r\n']],
  [R.raw('stats', 'stats'), ['STAT a b\r\nEND\r\n']],
  [R.raw('verbosity 1 noreply', 'none'), ['']],
]

const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

type Mutation =
  | { readonly _tag: 'insert'; readonly at: number; readonly data: Uint8Array }
  | { readonly _tag: 'delete'; readonly at: number; readonly length: number }
  | { readonly _tag: 'replace'; readonly at: number; readonly byte: number }
  | { readonly _tag: 'cut'; readonly at: number }

/** Bytes the protocol gives meaning to, more likely than chance, so mutations hit structure. */
const interesting = fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x20, 0x30, 0x39, 0x2d, 0x00, 0xff), fc.integer({ min: 0, max: 255 }))
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ _tag: fc.constant('insert' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ _tag: fc.constant('insert' as const), at: fc.nat(), data: fc.constantFrom('\r\n', 'END\r\n', 'VALUE a 0 99999\r\n', 'STAT x', '999999999999999999999', ' ').map(latin1) }),
  fc.record({ _tag: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ _tag: fc.constant('replace' as const), at: fc.nat(), byte: interesting }),
  fc.record({ _tag: fc.constant('cut' as const), at: fc.nat() }),
)

const mutate = (wire: Uint8Array, mutations: ReadonlyArray<Mutation>): Uint8Array =>
  mutations.reduce((current, change) => {
    const at = current.length === 0 ? 0 : change.at % (current.length + 1)
    switch (change._tag) {
      case 'insert':
        return bytes(current.subarray(0, at), change.data, current.subarray(at))
      case 'delete':
        return bytes(current.subarray(0, at), current.subarray(at + change.length))
      case 'replace': {
        const copy = Uint8Array.from(current)
        if (at < copy.length) copy[at] = change.byte
        return copy
      }
      case 'cut':
        return current.subarray(0, at)
    }
  }, wire)

/** A request and hostile bytes for it: a valid reply mutated, or random bytes. */
const hostile: fc.Arbitrary<readonly [R.Request, Uint8Array]> = fc.oneof(
  fc
    .tuple(fc.nat({ max: exchanges.length - 1 }), fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([index, pick, mutations]) => {
      const [request, wires] = exchanges[index] as (typeof exchanges)[number]
      return [request, mutate(latin1(wires[pick % wires.length] ?? ''), mutations)] as const
    }),
  fc.tuple(fc.nat({ max: exchanges.length - 1 }), fc.uint8Array({ maxLength: 200 })).map(([index, data]) => [(exchanges[index] as (typeof exchanges)[number])[0], data] as const),
)

const cuts = fc.array(fc.nat(), { maxLength: 8 })

/** A reply decoded, or refused: what two decoders must agree on. */
const verdict = (result: E.Either<{ readonly _tag: string }, O.Option<readonly [unknown, number]>>): unknown =>
  E.isLeft(result) ? 'refused' : O.isNone(result.right) ? 'incomplete' : result.right.value

describe('reply decoders under hostile bytes', () => {
  it('never throw, agree whole and resumed, end inside the bytes given', () => {
    fc.assert(
      fc.property(hostile, cuts, ([request, wire], at) => {
        const chunks = splitAt(wire, at.map((cut) => cut % (wire.length + 1)))
        const whole = decodeAll(request, [wire])
        const resumed = stepAll(request, chunks, { honourNeeded: true })
        const moving = stepAll(request, chunks, { moving: true })
        expect(resumed.calls).toBeLessThanOrEqual(chunks.length + 1)
        expect(verdict(resumed.result)).toEqual(verdict(whole.result))
        expect(verdict(moving.result)).toEqual(verdict(whole.result))
        for (const { result } of [whole, resumed, moving]) {
          if (E.isLeft(result)) expect(typeof result.left._tag).toBe('string')
          else if (O.isSome(result.right)) expect(result.right.value[1]).toBeLessThanOrEqual(wire.length)
        }
      }),
      { numRuns: RUNS, seed: seedFor(1) },
    )
  })

  it('never throw at any offset of a buffer', () => {
    fc.assert(
      fc.property(hostile, fc.nat(), ([request, wire], offset) => {
        const from = offset % (wire.length + 1)
        const result = decodeReply(request, wire, from)
        if (E.isRight(result) && O.isSome(result.right)) {
          // A request without a reply (`noreply`) is answered by no bytes at all.
          if (R.expectsNoReply(request)) expect(result.right.value[1]).toBe(from)
          else expect(result.right.value[1]).toBeGreaterThan(from)
          expect(result.right.value[1]).toBeLessThanOrEqual(wire.length)
        }
      }),
      { numRuns: RUNS, seed: seedFor(2) },
    )
  })

  it('the unsolicited-line decoder never throws and agrees whole and resumed', () => {
    fc.assert(
      fc.property(hostile, cuts, ([, wire], at) => {
        const whole = decodeUnsolicited(wire, 0)
        let from: NeedMore | undefined
        let fed = 0
        let last: unknown = 'incomplete'
        for (const chunk of [...splitAt(wire, at.map((cut) => cut % (wire.length + 1))), new Uint8Array(0)]) {
          fed += chunk.length
          const step = decodeUnsolicitedStep(wire.subarray(0, fed), 0, from)
          if (E.isLeft(step)) {
            last = 'refused'
            break
          }
          if (step.right._tag === 'Decoded') {
            last = [step.right.reply, step.right.next]
            break
          }
          from = step.right
        }
        expect(last).toEqual(verdict(whole))
      }),
      { numRuns: RUNS, seed: seedFor(3) },
    )
  })
})

describe('the emulator parses hostile request lines', () => {
  const commandLines = fc.constantFrom('get a b\r\n', 'set k 0 0 5\r\n', 'cas k 1 2 3 4\r\n', 'incr k 99999999999999999999\r\n', 'gat -1 k\r\n', 'verbosity\r\n', 'stats detail dump\r\n', 'mg k v\r\n')
  it('never throws and never reads past the buffer', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(commandLines.map(latin1), fc.array(mutation, { maxLength: 4 })).map(([line, mutations]) => mutate(line, mutations)),
          fc.uint8Array({ maxLength: 300 }),
        ),
        fc.nat(),
        (line, offset) => {
          const from = offset % (line.length + 1)
          const parsed = parseLine(line, from)
          if (O.isSome(parsed)) expect(parsed.value[1]).toBeLessThanOrEqual(line.length)
        },
      ),
      { numRuns: RUNS, seed: seedFor(4) },
    )
  })
})

describe('every serde deserializes hostile values', () => {
  const all: ReadonlyArray<readonly [string, Serde<unknown>]> = [
    ['text', serdes.text as Serde<unknown>],
    ['bytes', serdes.bytes as Serde<unknown>],
    ['json', serdes.json],
    ['number', serdes.number as Serde<unknown>],
    ['bigint', serdes.bigint as Serde<unknown>],
    ['v8', serdes.v8],
    ['pymemcache', serdes.pymemcache as Serde<unknown>],
    ['memcachedNpm', serdes.memcachedNpm as Serde<unknown>],
  ]
  const flags = fc.oneof(fc.constantFrom(0, 1, 2, 4, 8, 16, 24, 0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff }))
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom('{"a":', '[1,2', '1e999', '-0', 'NaN', '\xff\xfe', '18446744073709551616', 'x\x9c\x00', '\x00\x00\x00').map(latin1),
  )
  it.each(all)('%s: a value or a SerdeError, never a throw', (_name, serde) => {
    fc.assert(
      fc.property(payload, flags, (data, flag) => {
        const result = serde.deserialize({ bytes: data, flags: flag })
        if (E.isLeft(result)) expect(result.left._tag).toBe('SerdeError')
      }),
      { numRuns: SERDE_RUNS, seed: seedFor(5) },
    )
  })
})
