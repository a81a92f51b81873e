import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeReply, decodeStep, replyLimits } from '../../src/protocol/decode.js'
import * as M from '../../src/protocol/meta.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { bytes, decodeAll, oneByOne, splitAt, stepAll } from './support.js'

interface Row {
  readonly name: string
  readonly request: R.Request
  readonly wire: string
  readonly reply: Reply
}

const v = (text: string): Uint8Array => bytes(text)
const failure = (tag: string, reason: string) => expect.objectContaining({ _tag: 'Failure', error: expect.objectContaining({ _tag: tag, reason }) })

const rows: ReadonlyArray<Row> = [
  { name: 'mg hit with value', request: M.metaGet('a', { returnValue: true }), wire: 'VA 2\r\nhi\r\n', reply: M.metaReply('VA', {}, v('hi')) },
  { name: 'mg value holding CRLF', request: M.metaGet('a', { returnValue: true }), wire: 'VA 4\r\n\r\n\r\n\r\n', reply: M.metaReply('VA', {}, v('\r\n\r\n')) },
  { name: 'mg hit without value', request: M.metaGet('a'), wire: 'HD\r\n', reply: M.metaReply('HD') },
  { name: 'mg miss', request: M.metaGet('a', { returnValue: true }), wire: 'EN\r\n', reply: M.metaReply('EN') },
  {
    name: 'mg every returned flag',
    request: M.metaGet('a', { returnValue: true, returnCas: true, returnFlags: true, returnHit: true, returnKey: true, returnLastAccess: true, returnSize: true, returnTtl: true }),
    wire: 'VA 1 c18446744073709551615 f4294967295 h1 ka l3 s1 t-1\r\nx\r\n',
    reply: M.metaReply('VA', { cas: 18446744073709551615n, clientFlags: 4294967295, hit: true, key: 'a', lastAccess: 3, size: 1, ttl: -1 }, v('x')),
  },
  { name: 'mg win', request: M.metaGet('a', { returnValue: true, vivify: 30 }), wire: 'VA 0 W\r\n\r\n', reply: M.metaReply('VA', { win: true }, v('')) },
  { name: 'mg stale, already won', request: M.metaGet('a', { returnValue: true }), wire: 'VA 1 Z X\r\ns\r\n', reply: M.metaReply('VA', { alreadyWon: true, stale: true }, v('s')) },
  { name: 'mg stale and won', request: M.metaGet('a', { returnCas: true }), wire: 'HD c9 X W\r\n', reply: M.metaReply('HD', { cas: 9n, stale: true, win: true }) },
  { name: 'mg opaque echoed', request: M.metaGet('a', { opaque: 'o1' }), wire: 'EN Oo1\r\n', reply: M.metaReply('EN', { opaque: 'o1' }) },
  { name: 'mg binary key returned', request: M.metaGet(Uint8Array.of(0, 255), { returnKey: true }), wire: 'HD kAP8= b\r\n', reply: M.metaReply('HD', { key: Uint8Array.of(0, 255) }) },
  { name: 'mg prefixed key returned without the prefix', request: R.prefixed('p:')(M.metaGet('a', { returnKey: true })), wire: 'HD kp:a\r\n', reply: M.metaReply('HD', { key: 'a' }) },
  { name: 'mg unknown flag from a later server is skipped', request: M.metaGet('a'), wire: 'HD E5\r\n', reply: M.metaReply('HD') },
  { name: 'mg quiet miss: implied', request: M.metaGet('a', { returnValue: true, quiet: true }), wire: 'MN\r\n', reply: M.impliedReply(M.metaGet('a')) },
  { name: 'mg quiet hit', request: M.metaGet('a', { returnValue: true, quiet: true }), wire: 'VA 1\r\nx\r\nMN\r\n', reply: M.metaReply('VA', {}, v('x')) },
  { name: 'mg error line', request: M.metaGet('a'), wire: 'CLIENT_ERROR bad command line format\r\n', reply: failure('ClientError', 'bad command line format') as unknown as Reply },
  { name: 'mg ERROR (an old server)', request: M.metaGet('a'), wire: 'ERROR\r\n', reply: failure('UnknownCommand', '') as unknown as Reply },
  { name: 'ms stored with cas', request: M.metaSet('k', v('x'), { returnCas: true }), wire: 'HD c5\r\n', reply: M.metaReply('HD', { cas: 5n }) },
  { name: 'ms not stored', request: M.metaSet('k', v('x'), { mode: 'add' }), wire: 'NS\r\n', reply: M.metaReply('NS') },
  { name: 'ms exists', request: M.metaSet('k', v('x'), { compareCas: 1n }), wire: 'EX\r\n', reply: M.metaReply('EX') },
  { name: 'ms not found', request: M.metaSet('k', v('x'), { compareCas: 1n }), wire: 'NF\r\n', reply: M.metaReply('NF') },
  { name: 'ms quiet stored: implied HD', request: M.metaSet('k', v('x'), { quiet: true }), wire: 'MN\r\n', reply: M.impliedReply(M.metaSet('k', v('x'))) },
  { name: 'ms too large: typed', request: M.metaSet('k', v('x')), wire: 'SERVER_ERROR object too large for cache\r\n', reply: expect.objectContaining({ _tag: 'Failure', error: expect.objectContaining({ _tag: 'ValueTooLarge', key: 'k' }) }) as unknown as Reply },
  { name: 'md deleted', request: M.metaDelete('k'), wire: 'HD\r\n', reply: M.metaReply('HD') },
  { name: 'md not found', request: M.metaDelete('k'), wire: 'NF\r\n', reply: M.metaReply('NF') },
  { name: 'md quiet not found', request: M.metaDelete('k', { quiet: true }), wire: 'NF\r\nMN\r\n', reply: M.metaReply('NF') },
  { name: 'ma value', request: M.metaArithmetic('n', { returnValue: true, returnTtl: true, returnCas: true }), wire: 'VA 2 t-1 c3\r\n10\r\n', reply: M.metaReply('VA', { ttl: -1, cas: 3n }, v('10')) },
  { name: 'ma done', request: M.metaArithmetic('n'), wire: 'HD\r\n', reply: M.metaReply('HD') },
  { name: 'ma miss', request: M.metaArithmetic('n'), wire: 'NF\r\n', reply: M.metaReply('NF') },
  { name: 'mn', request: M.metaNoop, wire: 'MN\r\n', reply: M.metaNoopReply },
  { name: 'me', request: M.metaDebug('k'), wire: 'ME k exp=-1 la=0 cas=5 fetch=no cls=1 size=64\r\n', reply: M.metaDebugReply([['exp', '-1'], ['la', '0'], ['cas', '5'], ['fetch', 'no'], ['cls', '1'], ['size', '64']]) },
  { name: 'me miss', request: M.metaDebug('k'), wire: 'EN\r\n', reply: M.metaReply('EN') },
  {
    name: 'batch: hits, misses implied, in order',
    request: M.metaBatch([M.metaGet('a', { returnValue: true }), M.metaGet('b', { returnValue: true }), M.metaGet('c', { returnValue: true })]),
    wire: 'VA 1 O0\r\nA\r\nVA 1 O2\r\nC\r\nMN\r\n',
    reply: M.metaBatchReply([M.metaReply('VA', {}, v('A')), M.impliedReply(M.metaGet('b')), M.metaReply('VA', {}, v('C'))]),
  },
  {
    name: 'batch: every member silent',
    request: M.metaBatch([M.metaSet('a', v('1')), M.metaDelete('b')]),
    wire: 'MN\r\n',
    reply: M.metaBatchReply([M.impliedReply(M.metaSet('a', v('1'))), M.impliedReply(M.metaDelete('b'))]),
  },
  {
    name: 'batch: an error line attributed when it is the only silent request',
    request: M.metaBatch([M.metaSet('a', v('1')), M.metaSet('b', v('2')), M.metaDelete('c')]),
    wire: 'SERVER_ERROR out of memory storing object\r\nNS O1\r\nNF O2\r\nMN\r\n',
    reply: M.metaBatchReply([{ _tag: 'Failure', error: expect.objectContaining({ reason: 'out of memory storing object' }) } as unknown as M.MetaFailure, M.metaReply('NS'), M.metaReply('NF')]),
  },
  {
    name: 'batch: an error among several silent requests fails each of them, saying so',
    request: M.metaBatch([M.metaGet('a'), M.metaGet('b'), M.metaGet('c', { returnValue: true })]),
    wire: 'CLIENT_ERROR x\r\nVA 1 O2\r\nC\r\nMN\r\n',
    reply: M.metaBatchReply([
      { _tag: 'Failure', error: expect.objectContaining({ reason: expect.stringContaining('cannot be told') }) } as unknown as M.MetaFailure,
      { _tag: 'Failure', error: expect.objectContaining({ reason: expect.stringContaining('cannot be told') }) } as unknown as M.MetaFailure,
      M.metaReply('VA', {}, v('C')),
    ]),
  },
  {
    name: 'batch: a loud member always answers, so its error is its own',
    request: M.metaBatch([M.metaGet('a', { quiet: false }), M.metaGet('b')]),
    wire: 'CLIENT_ERROR x\r\nMN\r\n',
    reply: M.metaBatchReply([{ _tag: 'Failure', error: expect.objectContaining({ reason: 'x' }) } as unknown as M.MetaFailure, M.impliedReply(M.metaGet('b'))]),
  },
]

describe('meta decode: table', () => {
  describe.each(rows)('$name', (row) => {
    const wire = bytes(row.wire)
    it('whole', () => {
      expect(decodeReply(row.request, wire, 0)).toEqual(E.right(O.some([row.reply, wire.length])))
    })
    it('byte by byte', () => {
      const fed = decodeAll(row.request, oneByOne(wire))
      expect(fed.result).toEqual(E.right(O.some([row.reply, wire.length])))
      expect(fed.fed).toBe(wire.length)
    })
    it('byte by byte, resumed, moving buffers', () => {
      expect(stepAll(row.request, oneByOne(wire), { moving: true }).result).toEqual(E.right(O.some([row.reply, wire.length])))
    })
  })
})

interface Broken {
  readonly name: string
  readonly request: R.Request
  readonly wire: string
  readonly mentions: string
}

const broken: ReadonlyArray<Broken> = [
  { name: 'a single request answered with another opaque', request: M.metaGet('a', { opaque: 'x' }), wire: 'EN Oy\r\n', mentions: 'matches no request' },
  { name: 'a single request without opaque answered with one', request: M.metaGet('a'), wire: 'EN Oy\r\n', mentions: 'matches no request' },
  { name: 'an opaque request answered without', request: M.metaGet('a', { opaque: 'x' }), wire: 'EN\r\n', mentions: 'matches no request' },
  { name: 'a batch reply naming no member', request: M.metaBatch([M.metaGet('a')]), wire: 'HD O7\r\nMN\r\n', mentions: 'matches no request' },
  { name: 'a batch member answered twice', request: M.metaBatch([M.metaGet('a'), M.metaGet('b')]), wire: 'HD O0\r\nHD O0\r\nMN\r\n', mentions: 'answered already' },
  { name: 'batch replies out of order', request: M.metaBatch([M.metaGet('a'), M.metaGet('b')]), wire: 'HD O1\r\nHD O0\r\nMN\r\n', mentions: 'out of order' },
  { name: 'a batch opaque with a leading zero', request: M.metaBatch([M.metaGet('a')]), wire: 'HD O00\r\nMN\r\n', mentions: 'matches no request' },
  { name: 'more error lines than requests', request: M.metaBatch([M.metaGet('a')]), wire: 'CLIENT_ERROR a\r\nCLIENT_ERROR b\r\nMN\r\n', mentions: 'out of step' },
  { name: 'a loud member that said nothing', request: M.metaBatch([M.metaGet('a', { quiet: false })]), wire: 'MN\r\n', mentions: 'out of step' },
  { name: 'mg answering NS', request: M.metaGet('a'), wire: 'NS\r\n', mentions: 'does not answer' },
  { name: 'mg with v answering HD', request: M.metaGet('a', { returnValue: true }), wire: 'HD\r\n', mentions: 'does not answer' },
  { name: 'ms answering EN', request: M.metaSet('a', v('x')), wire: 'EN\r\n', mentions: 'does not answer' },
  { name: 'another key returned', request: M.metaGet('a', { returnKey: true }), wire: 'HD kb\r\n', mentions: 'names key' },
  { name: 'a text reply to a meta request', request: M.metaGet('a'), wire: 'END\r\n', mentions: 'unexpected meta reply' },
  { name: 'MN to a single loud request', request: M.metaGet('a'), wire: 'MN\r\n', mentions: 'MN arrived' },
  { name: 'a bad cas token', request: M.metaGet('a', { returnCas: true }), wire: 'HD cx\r\n', mentions: 'bad c flag' },
  { name: 'a VA without a size', request: M.metaGet('a', { returnValue: true }), wire: 'VA\r\n', mentions: 'without a size' },
  { name: 'a value not followed by CRLF', request: M.metaGet('a', { returnValue: true }), wire: 'VA 1\r\nxy\r\n', mentions: 'not followed by CRLF' },
  { name: 'mn answered HD', request: M.metaNoop, wire: 'HD\r\n', mentions: 'other than MN' },
]

describe('meta decode: desyncs are refused', () => {
  describe.each(broken)('$name', (row) => {
    const wire = bytes(row.wire)
    it('whole', () => {
      const result = decodeReply(row.request, wire, 0)
      expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
      expect(E.isLeft(result) ? result.left.message : '').toContain(row.mentions)
    })
    it('byte by byte', () => {
      const result = stepAll(row.request, oneByOne(wire)).result
      expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
    })
  })
  it('a VA over maxValueSize is refused on its header', () => {
    const result = decodeReply(M.metaGet('a', { returnValue: true }), bytes('VA 100\r\n'), 0, replyLimits({ maxValueSize: 10 }))
    expect(E.isLeft(result) && result.left.message).toContain('maxValueSize')
  })
  it('a line without CRLF past the line limit is refused', () => {
    const result = decodeReply(M.metaGet('a'), bytes('HD ' + 'x'.repeat(9000)), 0)
    expect(E.isLeft(result)).toBe(true)
  })
  it('a NeedMore says how many bytes a value still needs', () => {
    const step = decodeStep(M.metaGet('a', { returnValue: true }), bytes('VA 10\r\nab'), 0)
    expect(E.isRight(step) && step.right._tag === 'NeedMore' && step.right.needed).toBe(10)
  })
})

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

const keyArbitrary = fc.stringMatching(/^[a-z0-9:]{1,12}$/)
/** A batch of gets and what memcached answers: each member hit (with a value), or missed. */
const batchArbitrary = fc
  .array(fc.record({ key: keyArbitrary, hit: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }) }), { minLength: 1, maxLength: 30 })
  .map((members) => {
    const request = M.metaBatch(members.map((member) => M.metaGet(member.key, { returnValue: true })))
    const parts: Array<Uint8Array> = []
    const replies: Array<M.MetaReply> = []
    members.forEach((member, index) => {
      if (member.hit === undefined) replies.push(M.impliedReply(request.requests[index] as M.MetaKeyed))
      else {
        parts.push(bytes(`VA ${member.hit.length} O${index}\r\n`), member.hit, bytes('\r\n'))
        replies.push(M.metaReply('VA', {}, member.hit))
      }
    })
    parts.push(bytes('MN\r\n'))
    return { request, wire: bytes(...parts), reply: M.metaBatchReply(replies) }
  })

describe('meta decode: properties', () => {
  it('a batch reply decodes the same however it is split', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.array(fc.nat(), { maxLength: 12 }), ({ request, wire, reply }, cuts) => {
        const chunks = splitAt(wire, cuts.map((cut) => cut % (wire.length + 1)))
        const expected = E.right(O.some([reply, wire.length]))
        expect(stepAll(request, chunks, { honourNeeded: true, moving: true }).result).toEqual(expected)
        expect(decodeAll(request, chunks).result).toEqual(expected)
      }),
    )
  })

  it('resuming the same NeedMore twice gives the same result (a NeedMore is a value)', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.nat(), ({ request, wire, reply }, cut) => {
        const at = cut % wire.length
        const first = decodeStep(request, wire.subarray(0, at), 0)
        if (E.isLeft(first) || first.right._tag !== 'NeedMore') return
        const from = first.right
        const once = decodeStep(request, wire, 0, from)
        const twice = decodeStep(request, wire, 0, from)
        expect(E.isRight(once) && once.right._tag === 'Decoded' && once.right.reply).toEqual(reply)
        expect(E.isRight(twice) && twice.right._tag === 'Decoded' && twice.right.reply).toEqual(reply)
      }),
    )
  })

  it('replies in any other order than the members fail: opaque tokens must rise', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.nat(), (count, seed) => {
        const request = M.metaBatch(Array.from({ length: count }, (_, index) => M.metaGet(`k${index}`)))
        const first = seed % count
        const second = (first + 1 + (seed % (count - 1))) % count
        const wire = bytes(`HD O${Math.max(first, second)}\r\nHD O${Math.min(first, second)}\r\nMN\r\n`)
        const result = decodeReply(request, wire, 0)
        expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
      }),
    )
  })

  it('random bytes never throw, for any meta request', () => {
    const requests: ReadonlyArray<R.Request> = [
      M.metaGet('a', { returnValue: true, returnKey: true, returnCas: true }),
      M.metaGet('a', { quiet: true, returnValue: true }),
      M.metaSet('a', v('x')),
      M.metaArithmetic('n', { returnValue: true }),
      M.metaNoop,
      M.metaDebug('a'),
      M.metaBatch([M.metaGet('a', { returnValue: true }), M.metaDelete('b')]),
    ]
    fc.assert(
      fc.property(fc.constantFrom(...requests), fc.uint8Array({ maxLength: 200 }), fc.constantFrom('', 'VA 3 O0\r\n', 'HD O1\r\n', 'MN\r\n'), (request, garbage, lead) => {
        const wire = bytes(lead, garbage)
        expect(() => decodeReply(request, wire, 0)).not.toThrow()
        expect(() => stepAll(request, oneByOne(wire))).not.toThrow()
      }),
    )
  })
})
