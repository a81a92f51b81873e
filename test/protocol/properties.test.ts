import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeReply } from '../../src/protocol/decode.js'
import { clientError, serverError, unknownCommand, valueTooLarge } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { bytes, drain, render, splitAt, stepAll } from './support.js'

// -------------------------------------------------------------------------------------
// arbitraries: a request and the reply the server gives it
// -------------------------------------------------------------------------------------

interface Exchange {
  readonly request: R.Request
  readonly reply: Reply.Reply
}

const NUM_RUNS = 300

const fromCodes = (codes: ReadonlyArray<number>) => String.fromCharCode(...codes)
const printable = fc.integer({ min: 0x21, max: 0x7e })
const asciiKey = fc.array(printable, { minLength: 1, maxLength: 40 }).map(fromCodes)
const unicodeKey = fc
  .array(fc.oneof(printable.map((code) => String.fromCharCode(code)), fc.constantFrom('é', 'ß', '日', '本', '😀')), { minLength: 1, maxLength: 20 })
  .map((chars) => chars.join(''))
const key = fc.oneof({ weight: 4, arbitrary: asciiKey }, { weight: 1, arbitrary: unicodeKey })
const flags = fc.integer({ min: 0, max: 0xffff_ffff })
const exptime = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })
const MAX_U64 = 2n ** 64n - 1n
/** Every decimal length from 1 to 20 digits is as likely (the parser takes a fast path up to 15). */
const u64 = fc
  .integer({ min: 1, max: 20 })
  .chain((digits) => fc.bigInt({ min: digits === 1 ? 0n : 10n ** BigInt(digits - 1), max: digits === 20 ? MAX_U64 : 10n ** BigInt(digits) - 1n }))
const value = fc.uint8Array({ maxLength: 100 }).map((array) => Uint8Array.from(array))
/** Text with spaces that does not start with a space (reasons, versions, stat values). */
const words = fc
  .tuple(fc.integer({ min: 0x61, max: 0x7a }), fc.array(fc.oneof(printable, fc.constant(0x20)), { maxLength: 30 }))
  .map(([first, rest]) => fromCodes([first, ...rest]))

const retrieval: fc.Arbitrary<Exchange> = fc
  .record({
    command: fc.constantFrom('get', 'gets', 'gat', 'gats'),
    keys: fc.uniqueArray(key, { minLength: 1, maxLength: 6 }),
    exptime,
  })
  .chain(({ command, keys, exptime: ttl }) => {
    const withCas = command === 'gets' || command === 'gats'
    const request =
      command === 'get' ? R.get(keys) : command === 'gets' ? R.gets(keys) : command === 'gat' ? R.gat(ttl, keys) : R.gats(ttl, keys)
    const hit = (name: string): fc.Arbitrary<Reply.Item> =>
      withCas
        ? fc.record({ flags, value, cas: u64 }).map((found) => ({ key: name, ...found }))
        : fc.record({ flags, value }).map((found) => ({ key: name, ...found }))
    return fc
      .tuple(...keys.map((name) => fc.option(hit(name), { nil: undefined })))
      .map((found) => ({ request, reply: Reply.values(found.filter((item): item is Reply.Item => item !== undefined)) }))
  })

const storeCommand = fc.constantFrom<R.StoreCommand>('set', 'add', 'replace', 'append', 'prepend')

const storage: fc.Arbitrary<Exchange> = fc.oneof(
  fc.record({
    request: fc.tuple(storeCommand, key, value, flags, exptime).map(([command, name, data, f, ttl]) => R.store(command, name, data, { flags: f, exptime: ttl })),
    reply: fc.constantFrom<Reply.Reply>(Reply.stored, Reply.notStored, Reply.failure(serverError('out of memory storing object'))),
  }),
  fc.record({
    request: fc.tuple(key, value, u64).map(([name, data, unique]) => R.cas(name, data, unique)),
    reply: fc.constantFrom<Reply.Reply>(Reply.stored, Reply.exists, Reply.notFound),
  }),
  fc.tuple(key, value).map(([name, data]) => ({ request: R.set(name, data), reply: Reply.failure(valueTooLarge(name, data.length)) })),
  fc.tuple(storeCommand, key, value).map(([command, name, data]) => ({ request: R.store(command, name, data, { noreply: true }), reply: Reply.noReply })),
)

const lines: fc.Arbitrary<Exchange> = fc.oneof(
  fc.record({ request: key.map((name) => R.del(name)), reply: fc.constantFrom<Reply.Reply>(Reply.deleted, Reply.notFound) }),
  fc.record({ request: fc.tuple(key, exptime).map(([name, ttl]) => R.touch(name, ttl)), reply: fc.constantFrom<Reply.Reply>(Reply.touched, Reply.notFound) }),
  fc.record({
    request: fc.tuple(fc.boolean(), key, u64).map(([up, name, delta]) => (up ? R.incr(name, delta) : R.decr(name, delta))),
    reply: fc.oneof(u64.map(Reply.numeric), fc.constant<Reply.Reply>(Reply.notFound), words.map((reason) => Reply.failure(clientError(reason)))),
  }),
  fc.record({
    request: fc.constantFrom<R.Request>(R.flushAll(), R.flushAll(30), R.verbosity(1), R.cacheMemlimit(64)),
    reply: fc.constant<Reply.Reply>(Reply.ok),
  }),
  fc.record({ request: fc.constant<R.Request>(R.version), reply: words.map(Reply.versionReply) }),
  fc.record({
    request: fc.constantFrom<R.StatsArgument | undefined>(undefined, 'items', 'slabs', 'settings', 'sizes', 'conns').map(R.stats),
    reply: fc
      .array(fc.tuple(fc.array(printable, { minLength: 1, maxLength: 20 }).map(fromCodes), fc.oneof(words, fc.constant(''))), { maxLength: 8 })
      .map(Reply.statsReply),
  }),
  fc.constant<Exchange>({ request: R.stats('reset'), reply: Reply.reset }),
  fc.record({
    request: fc.constant<R.Request>(R.raw('lru_crawler crawl all', 'line')),
    reply: fc.array(fc.integer({ min: 0x61, max: 0x7a }), { minLength: 1, maxLength: 20 }).map((codes) => Reply.line(fromCodes(codes))),
  }),
  fc.record({
    request: fc.constantFrom<R.Request>(R.get(['a']), R.del('a'), R.version, R.stats()),
    reply: fc.oneof(
      words.map((reason) => Reply.failure(serverError(reason))),
      words.map((reason) => Reply.failure(clientError(reason))),
      fc.constant(Reply.failure(unknownCommand(''))),
    ),
  }),
  fc.constantFrom<Exchange>(
    { request: R.del('a', true), reply: Reply.noReply },
    { request: R.incr('a', 1n, true), reply: Reply.noReply },
    { request: R.quit, reply: Reply.noReply },
    { request: R.raw('verbosity 1 noreply', 'none'), reply: Reply.noReply },
  ),
)

const exchange: fc.Arbitrary<Exchange> = fc.oneof({ weight: 3, arbitrary: retrieval }, { weight: 2, arbitrary: storage }, { weight: 2, arbitrary: lines })

const consumedBy = (reply: Reply.Reply, wire: Uint8Array): number => (reply._tag === 'NoReply' ? 0 : wire.length)

// -------------------------------------------------------------------------------------
// (1) round trips
// -------------------------------------------------------------------------------------

describe('property: rendered replies decode back to themselves', () => {
  it('whole, at any offset, and never before the last byte', () => {
    fc.assert(
      fc.property(exchange, fc.uint8Array({ maxLength: 8 }), ({ request, reply }, junk) => {
        const wire = render(reply)
        expect(decodeReply(request, wire, 0)).toEqual(E.right(O.some([reply, consumedBy(reply, wire)])))
        // After bytes that belong to earlier replies.
        const shifted = bytes(junk, wire)
        expect(decodeReply(request, shifted, junk.length)).toEqual(E.right(O.some([reply, junk.length + consumedBy(reply, wire)])))
        if (reply._tag !== 'NoReply') {
          for (let end = 0; end < wire.length; end++) expect(decodeReply(request, wire.subarray(0, end), 0)).toEqual(E.right(O.none))
        }
      }),
      { numRuns: NUM_RUNS },
    )
  })
})

// -------------------------------------------------------------------------------------
// (2) a queue of replies split anywhere
// -------------------------------------------------------------------------------------

const queue = fc.array(exchange, { minLength: 1, maxLength: 30 })

const withCuts = <A extends { readonly wire: Uint8Array }>(arbitrary: fc.Arbitrary<A>) =>
  arbitrary.chain((subject) =>
    fc
      .oneof(
        fc.uniqueArray(fc.integer({ min: 0, max: subject.wire.length }), { maxLength: 40 }),
        // Byte by byte, on streams small enough to keep the suite fast.
        fc.constant(subject.wire.length <= 2048 ? Array.from({ length: subject.wire.length }, (_, i) => i) : []),
      )
      .map((cuts) => ({ ...subject, cuts })),
  )

describe('property: a stream of many replies in random chunks', () => {
  it('decodes to the same replies however it is split', () => {
    const stream = withCuts(queue.map((exchanges) => ({ exchanges, wire: bytes(...exchanges.map(({ reply }) => render(reply))) })))
    fc.assert(
      fc.property(stream, ({ exchanges, wire, cuts }) => {
        const drained = drain(
          exchanges.map(({ request }) => request),
          splitAt(wire, cuts),
        )
        expect(drained).toEqual(E.right({ replies: exchanges.map(({ reply }) => reply), leftover: 0, waiting: 0 }))
      }),
      { numRuns: NUM_RUNS },
    )
  })
})

// -------------------------------------------------------------------------------------
// (3) garbage never throws
// -------------------------------------------------------------------------------------

const everyRequest: ReadonlyArray<R.Request> = [
  R.get(['a', 'b', 'k']),
  R.gets(['a', 'k']),
  R.gat(1, ['a']),
  R.gats(1, ['a', 'b']),
  R.set('k', bytes('v')),
  R.store('add', 'k', bytes('v')),
  R.cas('k', bytes('v'), 1n),
  R.set('k', bytes('v'), { noreply: true }),
  R.del('k'),
  R.incr('k', 1n),
  R.decr('k', 1n),
  R.touch('k', 1),
  R.stats(),
  R.stats('reset'),
  R.flushAll(),
  R.version,
  R.verbosity(1),
  R.cacheMemlimit(64),
  R.quit,
  R.shutdown(),
  R.raw('x', 'line'),
  R.raw('x', 'values'),
  R.raw('x', 'stats'),
  R.raw('x', 'none'),
]

const replyTags: ReadonlySet<string> = new Set([
  'Values', 'Stored', 'NotStored', 'Exists', 'NotFound', 'Deleted', 'Touched', 'Ok', 'Reset', 'Numeric', 'Stats', 'Version', 'Line', 'NoReply', 'Failure',
])
const leftTags: ReadonlySet<string> = new Set(['ProtocolError', 'ClientError', 'UnknownCommand'])

/** Decodes and checks the shape of whatever comes back; returns where the next reply starts, or undefined to stop. */
const decodeChecked = (request: R.Request, buffer: Uint8Array, offset: number): number | undefined => {
  const result = decodeReply(request, buffer, offset)
  if (E.isLeft(result)) {
    expect(leftTags.has(result.left._tag)).toBe(true)
    expect(typeof result.left.message).toBe('string')
    return undefined
  }
  if (O.isNone(result.right)) return undefined
  const [reply, next] = result.right.value
  expect(replyTags.has(reply._tag)).toBe(true)
  if (R.expectsNoReply(request)) {
    expect(reply._tag).toBe('NoReply')
    expect(next).toBe(offset)
  } else {
    expect(next).toBeGreaterThan(offset)
    expect(next).toBeLessThanOrEqual(buffer.length)
  }
  if (reply._tag === 'Values') {
    for (const found of reply.items) {
      expect(found.value.buffer).toBe(buffer.buffer)
      expect(found.value.byteOffset).toBeGreaterThanOrEqual(buffer.byteOffset + offset)
      expect(found.value.byteOffset + found.value.length).toBeLessThanOrEqual(buffer.byteOffset + next)
    }
  }
  return next
}

const soup = fc
  .array(
    fc.constantFrom(
      'VALUE ', 'VALUE a 0 1\r\n', 'END', 'END\r\n', '\r\n', '\r', '\n', ' ', '0', '1', '42', '18446744073709551616', '4294967296',
      'a', 'b', 'k', 'STAT ', 'STAT a b\r\n', 'ERROR', 'ERROR:', 'CLIENT_ERROR', 'SERVER_ERROR', 'object too large', 'STORED', 'NOT_FOUND',
      'RESET', 'VERSION ', 'OK', 'MEMLIMIT_', '-', 'é', '\x00', '\xff',
    ),
    { maxLength: 60 },
  )
  .map((parts) => bytes(...parts))

const garbage = fc.oneof(fc.uint8Array({ maxLength: 300 }), soup)

describe('property: garbage never throws', () => {
  it('random bytes give a left, need-more, or a well-formed reply, for every kind of request', () => {
    fc.assert(
      fc.property(garbage, fc.nat(), (buffer, at) => {
        const offset = at % (buffer.length + 1)
        for (const request of everyRequest) decodeChecked(request, buffer, offset)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  const mutation = fc.record({ kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) })
  const mutate = (wire: Uint8Array, changes: ReadonlyArray<{ kind: string; at: number; byte: number }>): Uint8Array => {
    let out = Array.from(wire)
    for (const { kind, at, byte } of changes) {
      const position = at % (out.length + 1)
      if (kind === 'replace' && position < out.length) out[position] = byte
      else if (kind === 'insert') out.splice(position, 0, byte)
      else if (kind === 'delete') out.splice(position, 1)
      else if (kind === 'truncate') out = out.slice(0, position)
    }
    return Uint8Array.from(out)
  }

  it('mutated streams of valid replies never throw, and decoding stays inside the buffer', () => {
    fc.assert(
      fc.property(fc.array(exchange, { minLength: 1, maxLength: 8 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (exchanges, changes) => {
        const wire = mutate(bytes(...exchanges.map(({ reply }) => render(reply))), changes)
        let offset: number | undefined = 0
        for (const { request } of exchanges) {
          offset = decodeChecked(request, wire, offset)
          if (offset === undefined) break
        }
      }),
      { numRuns: NUM_RUNS },
    )
  })
})

// -------------------------------------------------------------------------------------
// (4) values that look like protocol survive untouched
// -------------------------------------------------------------------------------------

describe('property: values holding protocol text', () => {
  it('a value containing END or VALUE lines comes back byte for byte, however the stream is split', () => {
    const tricky = fc.constantFrom('\r\nEND\r\n', 'VALUE x 0 1\r\n', 'END\r\n', 'VALUE b 0 1\r\nz\r\nEND\r\n', '\r\n', 'STORED\r\n')
    const valueWithTrick = fc
      .tuple(value, tricky, fc.nat(), value)
      .map(([head, trick, at, tail]) => {
        const position = at % (head.length + 1)
        return bytes(head.subarray(0, position), trick, head.subarray(position), tail)
      })
    const subject = withCuts(
      fc.tuple(valueWithTrick, valueWithTrick, flags).map(([first, second, f]) => {
        const request = R.get(['x', 'a', 'b'])
        const reply = Reply.values([
          { key: 'x', flags: f, value: first },
          { key: 'b', flags: 0, value: second },
        ])
        return { request, reply, wire: bytes(render(reply), 'STORED\r\n') }
      }),
    )
    fc.assert(
      fc.property(subject, ({ request, reply, wire, cuts }) => {
        const drained = drain([request, R.set('x', bytes('1'))], splitAt(wire, cuts))
        expect(drained).toEqual(E.right({ replies: [reply, Reply.stored], leftover: 0, waiting: 0 }))
      }),
      { numRuns: NUM_RUNS },
    )
  })
})

// -------------------------------------------------------------------------------------
// (5) resumed decoding reads the same replies
// -------------------------------------------------------------------------------------

describe('property: the resumable decoder', () => {
  it('gives the whole decoder’s reply however the reply is split, moved, and whether or not the caller waits for `needed`', () => {
    const subject = withCuts(exchange.map((each) => ({ ...each, wire: render(each.reply) })))
    fc.assert(
      fc.property(subject, fc.boolean(), fc.boolean(), ({ request, reply, wire, cuts }, honourNeeded, moving) => {
        const resumed = stepAll(request, splitAt(wire, cuts), { honourNeeded, moving })
        expect(resumed.result).toEqual(E.right(O.some([reply, consumedBy(reply, wire)])))
        const headers = reply._tag === 'Values' ? reply.items.length : reply._tag === 'Stats' ? reply.entries.length : 0
        expect(resumed.headers).toBe(headers)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it('garbage split anywhere gives what the whole decoder gives, never throwing', () => {
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(), { maxLength: 20 }), (buffer, cuts) => {
        const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))]
        for (const request of everyRequest) {
          const whole = decodeReply(request, buffer, 0)
          const resumed = stepAll(request, splitAt(buffer, points), { honourNeeded: true })
          if (E.isLeft(whole)) expect(resumed.result).toMatchObject(E.left({ _tag: whole.left._tag }))
          else expect(resumed.result).toEqual(whole)
        }
      }),
      { numRuns: NUM_RUNS },
    )
  })
})
