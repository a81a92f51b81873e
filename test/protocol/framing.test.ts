/**
 * The text framing's matcher without sockets: events in (written, abandoned, bytes), effects out
 * (deliver, discard, unsolicited, fail), for each of the five matching rules, then a model-based
 * property over random streams.
 */
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ReplyLimits } from '../../src/protocol/decode.js'
import { encode } from '../../src/protocol/encode.js'
import { clientError, serverError } from '../../src/protocol/error.js'
import type { MemcacheError } from '../../src/error.js'
import { STOP, textFraming, type Matcher } from '../../src/protocol/framing.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { bytes, oneByOne, splitAt } from './support.js'

// -------------------------------------------------------------------------------------
// a harness: a matcher, its effects recorded, and a receive loop as a connection runs it
// -------------------------------------------------------------------------------------

interface Entry {
  readonly request: R.Request
  readonly id: number
}

type Effect =
  | { readonly _tag: 'deliver'; readonly id: number; readonly reply: Reply.Reply }
  | { readonly _tag: 'discard'; readonly id: number; readonly reply: Reply.Reply }
  | { readonly _tag: 'unsolicited'; readonly error: MemcacheError }
  | { readonly _tag: 'fail'; readonly error: MemcacheError; readonly culprit: number | undefined }

interface Harness {
  readonly matcher: Matcher<Entry>
  readonly effects: Array<Effect>
  /** Writes a request: an entry when it expects a reply, a silent marker otherwise. */
  readonly write: (request: R.Request) => Entry | undefined
  /** Receives bytes as a connection does: pending bytes first, as long as the matcher reads on. */
  readonly feed: (chunk: string | Uint8Array) => void
  /** Bytes received and not consumed. */
  readonly pending: () => number
  /** How many times `receive` was called. */
  readonly calls: () => number
}

const harness = (onEffect: (effect: Effect, matcher: Matcher<Entry>) => void = () => undefined, limits?: ReplyLimits): Harness => {
  const effects: Array<Effect> = []
  let failed = false
  const record = (effect: Effect): void => {
    effects.push(effect)
    if (effect._tag === 'fail') failed = true
    onEffect(effect, matcher)
  }
  const matcher: Matcher<Entry> = textFraming.makeMatcher<Entry>({
    deliver: (entry, reply) => record({ _tag: 'deliver', id: entry.id, reply }),
    discard: (entry, reply) => record({ _tag: 'discard', id: entry.id, reply }),
    unsolicited: (error) => record({ _tag: 'unsolicited', error }),
    fail: (error, culprit) => record({ _tag: 'fail', error, culprit: culprit?.id }),
  }, limits)
  let next = 0
  let pending: Uint8Array = new Uint8Array(0)
  let awaited = 0
  let calls = 0
  return {
    matcher,
    effects,
    write: (request) => {
      if (!textFraming.expectsReply(request)) {
        matcher.writtenSilent(request)
        return undefined
      }
      const entry = { request, id: next++ }
      matcher.written(entry)
      return entry
    },
    feed: (chunk) => {
      if (failed) return
      const buffer = bytes(pending, chunk)
      if (buffer.length < awaited) {
        pending = buffer
        return
      }
      let offset = 0
      while (offset < buffer.length && !failed) {
        calls++
        const after = matcher.receive(buffer, offset)
        if (after === STOP) break
        expect(after).toBeGreaterThan(offset)
        offset = after
      }
      pending = buffer.subarray(offset)
      awaited = pending.length > 0 && !failed ? pending.length + matcher.needed() : 0
    },
    pending: () => pending.length,
    calls: () => calls,
  }
}

const delivered = (id: number, reply: Reply.Reply): Effect => ({ _tag: 'deliver', id, reply })
const none = Reply.values([])
const hit = (key: string, value: string): Reply.Values => Reply.values([{ key, flags: 0, value: bytes(value) }])
const v = bytes('v')

// -------------------------------------------------------------------------------------
// the five rules
// -------------------------------------------------------------------------------------

describe('text framing: rule 1, first in first out', () => {
  it('delivers replies to the requests in the order they were written', () => {
    const { write, feed, effects, matcher } = harness()
    write(R.get(['a']))
    write(R.set('b', v))
    write(R.del('c'))
    expect(matcher.waiting()).toBe(3)
    feed('VALUE a 0 1\r\n1\r\nEND\r\nSTORED\r\nNOT_FOUND\r\n')
    expect(effects).toEqual([delivered(0, hit('a', '1')), delivered(1, Reply.stored), delivered(2, Reply.notFound)])
    expect(matcher.waiting()).toBe(0)
  })

  it('delivers the same replies byte by byte, each line read once', () => {
    const wire = bytes('VALUE a 0 3\r\nabc\r\nEND\r\nSTORED\r\nSTAT pid 1\r\nSTAT x y\r\nEND\r\n')
    const { write, feed, effects } = harness()
    write(R.get(['a']))
    write(R.set('b', v))
    write(R.stats())
    for (const chunk of oneByOne(wire)) feed(chunk)
    expect(effects).toEqual([
      delivered(0, hit('a', 'abc')),
      delivered(1, Reply.stored),
      delivered(
        2,
        Reply.statsReply([
          ['pid', '1'],
          ['x', 'y'],
        ]),
      ),
    ])
  })

  it('keeps the order and the markers across a FIFO that empties, refills and compacts', () => {
    const { write, feed, effects, matcher } = harness()
    // One at a time (the FIFO empties after each reply), then a burst of 3000 answered in two
    // parts, the first of which leaves more than a thousand removed slots ahead of the rest.
    for (let i = 0; i < 3; i++) {
      write(R.get([`a${i}`]))
      feed('END\r\n')
    }
    for (let i = 0; i < 3000; i++) {
      if (i % 500 === 0) write(R.del(`m${i}`, true))
      write(R.get([`b${i}`]))
    }
    feed('END\r\n'.repeat(2500))
    expect(matcher.waiting()).toBe(500)
    feed('END\r\n'.repeat(500))
    // A marker with nothing behind it: its error line is reported, then the FIFO refills.
    write(R.del('late', true))
    feed('SERVER_ERROR late\r\n')
    write(R.get(['c']))
    feed('END\r\n')
    expect(effects.filter((effect) => effect._tag === 'deliver').map((effect) => (effect._tag === 'deliver' ? effect.id : -1))).toEqual(
      Array.from({ length: 3004 }, (_, id) => id),
    )
    expect(effects.filter((effect) => effect._tag !== 'deliver')).toEqual([{ _tag: 'unsolicited', error: serverError('late') }])
    expect(matcher.waiting()).toBe(0)
    expect(matcher.silent()).toBe(0)
  })

  it('says how many bytes a value still needs, so the connection waits for them', () => {
    const { write, feed, effects, matcher, calls, pending } = harness()
    write(R.get(['big']))
    const value = 'x'.repeat(10_000)
    feed('VALUE big 0 10000\r\nxx')
    expect(matcher.needed()).toBe(10_000 - 2 + 2)
    const before = calls()
    for (let at = 2; at < value.length; at += 100) feed(value.slice(at, at + 100))
    // Nothing was decoded while the value was arriving.
    expect(calls()).toBe(before)
    expect(pending()).toBeGreaterThan(10_000)
    feed('\r\nEND\r\n')
    expect(effects).toEqual([delivered(0, hit('big', value))])
  })

  it('fails the connection with the head as the culprit when its reply does not decode', () => {
    const { write, feed, effects } = harness()
    write(R.get(['a']))
    write(R.get(['b']))
    feed('HELLO\r\n')
    expect(effects).toEqual([{ _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError' }), culprit: 0 }])
  })

  it('treats CLIENT_ERROR after a storage command as the culprit’s ClientError', () => {
    const { write, feed, effects } = harness()
    write(R.set('a', v))
    feed('CLIENT_ERROR bad data chunk\r\n')
    expect(effects).toEqual([{ _tag: 'fail', error: clientError('bad data chunk'), culprit: 0 }])
  })

  it('delivers an in-step refusal as a Failure reply', () => {
    const { write, feed, effects } = harness()
    write(R.get(['a']))
    write(R.version)
    feed('SERVER_ERROR out of memory\r\nVERSION 1.6\r\n')
    expect(effects).toEqual([delivered(0, Reply.failure(serverError('out of memory'))), delivered(1, Reply.versionReply('1.6'))])
  })
})

describe('text framing: rules 2 and 4, silent markers confirmed by a later reply', () => {
  it('counts noreply requests as markers and drops those before a request once its reply comes', () => {
    const { write, feed, effects, matcher } = harness()
    write(R.set('a', v, { noreply: true }))
    write(R.del('b', true))
    write(R.get(['a']))
    write(R.incr('c', 1n, true))
    expect(matcher.silent()).toBe(3)
    expect(matcher.waiting()).toBe(1)
    feed('END\r\n')
    expect(effects).toEqual([delivered(0, none)])
    // The two before the get are confirmed silent; the one after it is still unconfirmed.
    expect(matcher.silent()).toBe(1)
  })

  it('confirms markers with a reply that arrives byte by byte', () => {
    const { write, feed, effects, matcher } = harness()
    write(R.set('a', v, { noreply: true }))
    write(R.get(['a']))
    for (const chunk of oneByOne(bytes('VALUE a 0 1\r\nx\r\nEND\r\n'))) feed(chunk)
    expect(effects).toEqual([delivered(0, hit('a', 'x'))])
    expect(matcher.silent()).toBe(0)
  })

  it('keeps a run of many markers as one counter', () => {
    const { write, feed, effects, matcher } = harness()
    for (let i = 0; i < 1000; i++) write(R.del(`k${i}`, true))
    expect(matcher.silent()).toBe(1000)
    feed('SERVER_ERROR a\r\nSERVER_ERROR b\r\n')
    expect(effects.map((effect) => effect._tag)).toEqual(['unsolicited', 'unsolicited'])
    expect(matcher.silent()).toBe(998)
  })
})

describe('text framing: rule 3, error lines behind markers', () => {
  it('reports an error line to unsolicited when no request waits behind the markers, and goes on', () => {
    const { write, feed, effects, matcher } = harness()
    write(R.set('a', v, { noreply: true }))
    feed('SERVER_ERROR out of memory storing object\r\n')
    expect(effects).toEqual([{ _tag: 'unsolicited', error: serverError('out of memory storing object') }])
    expect(matcher.silent()).toBe(0)
    write(R.version)
    feed('VERSION 1\r\n')
    expect(effects[1]).toEqual(delivered(0, Reply.versionReply('1')))
  })

  it('fails every request with ProtocolError when an error line cannot be attributed', () => {
    const { write, feed, effects } = harness()
    write(R.set('a', v, { noreply: true }))
    write(R.get(['a']))
    feed('SERVER_ERROR out of memory\r\n')
    expect(effects).toEqual([
      { _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('cannot be attributed') }), culprit: undefined },
    ])
  })

  it('decides on the error line only once it is whole, resuming where it stopped', () => {
    const { write, feed, effects } = harness()
    write(R.del('a', true))
    for (const chunk of oneByOne(bytes('CLIENT_ERROR bad command line format\r\n'))) feed(chunk)
    expect(effects).toEqual([{ _tag: 'unsolicited', error: clientError('bad command line format') }])
  })
})

describe('text framing: rule 5, nothing in flight', () => {
  it('reports an error line (a server saying goodbye)', () => {
    const { feed, effects } = harness()
    feed('ERROR Too many open connections\r\n')
    expect(effects).toEqual([{ _tag: 'unsolicited', error: serverError('Too many open connections') }])
  })

  it('fails on any other bytes', () => {
    const { feed, effects } = harness()
    feed('STORED\r\n')
    expect(effects).toEqual([
      { _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('no reply was awaited') }), culprit: undefined },
    ])
  })

  it('fails on bytes after the trailing markers too (they cannot be a noreply’s answer)', () => {
    const { write, feed, effects } = harness()
    write(R.del('a', true))
    feed('DELETED\r\n')
    expect(effects).toEqual([{ _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError' }), culprit: undefined }])
  })
})

// -------------------------------------------------------------------------------------
// abandoning, clearing
// -------------------------------------------------------------------------------------

describe('text framing: abandoned requests', () => {
  it('reads an abandoned request’s reply in turn and discards it', () => {
    const { write, feed, effects, matcher } = harness()
    const first = write(R.get(['a']))
    write(R.get(['b']))
    if (first === undefined) throw new Error('expected an entry')
    matcher.abandon(first)
    expect(matcher.waiting()).toBe(2)
    feed('VALUE a 0 1\r\nA\r\nEND\r\nVALUE b 0 1\r\nB\r\nEND\r\n')
    expect(effects).toEqual([{ _tag: 'discard', id: 0, reply: hit('a', 'A') }, delivered(1, hit('b', 'B'))])
    expect(matcher.waiting()).toBe(0)
  })

  it('discards a reply that was half read when its request was abandoned', () => {
    const { write, feed, effects, matcher } = harness()
    const entry = write(R.get(['a']))
    if (entry === undefined) throw new Error('expected an entry')
    feed('VALUE a 0 5\r\nab')
    matcher.abandon(entry)
    feed('cde\r\nEND\r\n')
    expect(effects).toEqual([{ _tag: 'discard', id: 0, reply: hit('a', 'abcde') }])
  })

  it('still fails the connection on a bad reply to an abandoned request', () => {
    const { write, feed, effects, matcher } = harness()
    const entry = write(R.set('a', v))
    if (entry === undefined) throw new Error('expected an entry')
    matcher.abandon(entry)
    feed('CLIENT_ERROR bad data chunk\r\n')
    expect(effects).toEqual([{ _tag: 'fail', error: clientError('bad data chunk'), culprit: 0 }])
  })
})

describe('text framing: clear', () => {
  it('returns the waiting entries oldest first, abandoned ones included, and starts afresh', () => {
    const { write, feed, effects, matcher } = harness()
    write(R.del('x', true))
    const a = write(R.get(['a']))
    const b = write(R.get(['b']))
    if (a === undefined) throw new Error('expected an entry')
    matcher.abandon(a)
    feed('VALUE a 0 9\r\nhalf')
    expect(matcher.clear()).toEqual([a, b])
    expect(matcher.waiting()).toBe(0)
    expect(matcher.silent()).toBe(0)
    expect(matcher.oldestWaiting()).toBeUndefined()
    // The half-read reply is forgotten: a new request decodes its own reply from its first byte.
    const fresh = harness()
    fresh.write(R.get(['c']))
    fresh.feed('END\r\n')
    expect(fresh.effects).toEqual([delivered(0, none)])
    expect(effects).toEqual([])
  })

  it('may be called by an effect in the middle of receiving, leaving a consistent state', () => {
    let clearing = true
    const { write, feed, effects, matcher } = harness((effect, inside) => {
      if (effect._tag === 'deliver' && clearing) {
        clearing = false
        expect(inside.clear().map((entry) => entry.id)).toEqual([1])
      }
    })
    write(R.get(['a']))
    write(R.get(['b']))
    feed('END\r\n')
    expect(effects).toEqual([delivered(0, none)])
    expect(matcher.waiting()).toBe(0)
    write(R.get(['c']))
    feed('END\r\n')
    expect(effects).toEqual([delivered(0, none), delivered(2, none)])
  })

  it('keeps its order across the compaction of a long queue', () => {
    const { write, feed, effects } = harness()
    for (let i = 0; i < 3000; i++) write(R.version)
    for (let i = 0; i < 2500; i++) feed(`VERSION ${i}\r\n`)
    for (let i = 0; i < 2000; i++) write(R.version)
    for (let i = 2500; i < 5000; i++) feed(`VERSION ${i}\r\n`)
    expect(effects).toHaveLength(5000)
    expect(effects.every((effect, i) => effect._tag === 'deliver' && effect.id === i && effect.reply._tag === 'Version' && effect.reply.version === String(i))).toBe(true)
  })
})

describe('textFraming', () => {
  it('writes requests with the protocol encoder and knows which ones get no reply', () => {
    expect(textFraming.name).toBe('text')
    expect(textFraming.makeEncoder()(R.get(['a']))).toEqual(encode(R.get(['a'])))
    expect(textFraming.makeEncoder({ allowUnicodeKeys: true })(R.get(['é']))).toSatisfy(E.isRight)
    expect([R.get(['a']), R.set('a', v), R.version, R.stats()].map(textFraming.expectsReply)).toEqual([true, true, true, true])
    expect([R.set('a', v, { noreply: true }), R.quit, R.shutdown(), R.raw('x', 'none')].map(textFraming.expectsReply)).toEqual([false, false, false, false])
  })
})

// -------------------------------------------------------------------------------------
// a model: random requests, their replies split anywhere, writes interleaved with reads
// -------------------------------------------------------------------------------------

interface Exchange {
  readonly request: R.Request
  /** What the server sends back (nothing for a noreply request). */
  readonly wire: string
  readonly reply: Reply.Reply | undefined
}

const key = fc.stringMatching(/^[a-z0-9]{1,8}$/)
const exchange: fc.Arbitrary<Exchange> = fc.oneof(
  fc.tuple(key, fc.option(fc.stringMatching(/^[ -~]{0,30}$/), { nil: undefined })).map(([name, found]) =>
    found === undefined
      ? { request: R.get([name]), wire: 'END\r\n', reply: none }
      : { request: R.get([name]), wire: `VALUE ${name} 0 ${found.length}\r\n${found}\r\nEND\r\n`, reply: hit(name, found) },
  ),
  key.map((name) => ({ request: R.set(name, v), wire: 'STORED\r\n', reply: Reply.stored })),
  key.map((name) => ({ request: R.del(name), wire: 'NOT_FOUND\r\n', reply: Reply.notFound })),
  key.map((name) => ({ request: R.set(name, v, { noreply: true }), wire: '', reply: undefined })),
  key.map((name) => ({ request: R.incr(name, 1n, true), wire: '', reply: undefined })),
  fc.constant<Exchange>({ request: R.version, wire: 'VERSION 1.6.18\r\n', reply: Reply.versionReply('1.6.18') }),
  fc.constant<Exchange>({ request: R.stats(), wire: 'STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n', reply: Reply.statsReply([['pid', '1'], ['uptime', '2']]) }),
)

describe('property: text framing matches the FIFO model', () => {
  it('delivers each reply to its request however the stream is split and whenever requests are written', () => {
    fc.assert(
      fc.property(
        fc.array(exchange, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (exchanges, cuts, eager) => {
          const wire = bytes(...exchanges.map((each) => each.wire))
          const chunks = splitAt(
            wire,
            [...new Set(cuts.map((cut) => cut % (wire.length + 1)))],
          )
          const { write, feed, effects, matcher, pending } = harness()
          // Where each reply's bytes start: a request must be written before them.
          const starts: Array<number> = []
          let at = 0
          for (const each of exchanges) {
            starts.push(at)
            at += bytes(each.wire).length
          }
          let written = 0
          let received = 0
          const writeUpTo = (end: number, extra: boolean): void => {
            while (written < exchanges.length && ((starts[written] as number) < end || (extra && eager[written] === true))) {
              write((exchanges[written] as Exchange).request)
              written++
            }
          }
          for (const chunk of chunks) {
            writeUpTo(received + chunk.length, true)
            feed(chunk)
            received += chunk.length
          }
          writeUpTo(Infinity, false)
          const expected = exchanges.flatMap((each, i) => (each.reply === undefined ? [] : [{ i, reply: each.reply }]))
          expect(effects).toEqual(expected.map(({ reply }, id) => delivered(id, reply)))
          expect(pending()).toBe(0)
          expect(matcher.waiting()).toBe(0)
          // Markers after the last request with a reply are never confirmed.
          let trailing = 0
          for (let i = exchanges.length - 1; i >= 0 && (exchanges[i] as Exchange).reply === undefined; i--) trailing++
          expect(matcher.silent()).toBe(trailing)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('text framing: reply limits', () => {
  const limits: ReplyLimits = { maxValueSize: 1024, maxStatsSize: 256 }

  it('fails the connection on a VALUE header over maxValueSize, blaming its request, before the value arrives', () => {
    const { write, feed, effects, pending } = harness(undefined, limits)
    write(R.get(['a']))
    write(R.get(['b']))
    feed('VALUE a 0 3\r\nabc\r\nEND\r\nVALUE b 0 1025\r\n')
    expect(effects).toEqual([
      delivered(0, hit('a', 'abc')),
      { _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('over maxValueSize (1024') }), culprit: 1 },
    ])
    // Nothing more is read or kept for it.
    feed('x'.repeat(4096))
    expect(effects).toHaveLength(2)
    expect(pending()).toBeLessThan(64)
  })

  it('fails the connection on a stats reply over maxStatsSize, byte by byte too', () => {
    const { write, feed, effects } = harness(undefined, limits)
    write(R.stats())
    for (const byte of oneByOne(bytes('STAT name value\r\n'.repeat(100)))) feed(byte)
    expect(effects).toEqual([{ _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError', message: expect.stringContaining('maxStatsSize') }), culprit: 0 }])
  })

  it('uses the default limits when given none (a 64 MiB + 1 header is refused)', () => {
    const { write, feed, effects } = harness()
    write(R.get(['a']))
    feed(`VALUE a 0 ${64 * 1024 * 1024 + 1}\r\n`)
    expect(effects).toEqual([{ _tag: 'fail', error: expect.objectContaining({ _tag: 'ProtocolError' }), culprit: 0 }])
  })
})
