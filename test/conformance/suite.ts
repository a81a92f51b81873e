/**
 * One behaviour suite, written once in Requests and Replies, run against every memcached we have:
 * the real memcached 1.6.18, the in-memory emulator transport, and the emulator served on a real
 * socket. A subject only says how to reach it and how to let time pass (the emulator moves its
 * clock; a real server is waited for, once per timing test, with margins of half a second around
 * memcached's one-second clock ticks).
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unknownCommand } from '../../src/protocol/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Meta from '../../src/protocol/meta.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import type { Transport } from '../../src/transport/transport.js'

export interface Subject {
  readonly transport: Transport
  /** Lets `seconds` pass for the server. */
  readonly elapse: (seconds: number) => Promise<void>
  /** The server's idea of now, in unix seconds. */
  readonly now: () => number
  /** Error lines that answered no request (the trailing `ERROR` of a bad data block...). */
  readonly unsolicited: ReadonlyArray<MemcacheError>
  readonly close: () => Promise<void>
}

export type MakeSubject = () => Promise<Subject>

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const text = (value: Uint8Array): string => Buffer.from(value).toString('latin1')

/** memcached's `-I 1m` limit minus the item header: the largest value for a key of `keyLength` bytes, flags 0. */
const largestValue = (keyLength: number): number => 1024 * 1024 - (48 + keyLength + 1 + 2 + 8)

const MAX_U64 = 0xffff_ffff_ffff_ffffn

export const conformanceSuite = (name: string, makeSubject: MakeSubject): void => {
  describe(`conformance: ${name}`, () => {
    let subject: Subject
    const extra: Array<Subject> = []
    beforeAll(async () => {
      subject = await makeSubject()
    })
    afterAll(async () => {
      await Promise.all([subject, ...extra].map((each) => each?.close()))
    })

    const sendTo = async (target: Subject, request: Request.Request): Promise<Reply.Reply> => {
      const result = await target.transport.send(request)()
      if (E.isLeft(result)) throw new Error(`${Request.commandName(request)} failed: ${result.left._tag}: ${result.left.message}`)
      return result.right
    }
    const send = (request: Request.Request) => sendTo(subject, request)
    const attempt = (request: Request.Request) => subject.transport.send(request)()

    const itemsOf = async (request: Request.Request, target = subject): Promise<ReadonlyArray<Reply.Item>> => {
      const reply = await sendTo(target, request)
      if (reply._tag !== 'Values') throw new Error(`expected values, got ${JSON.stringify(reply)}`)
      return reply.items
    }
    const valueOf = async (key: string): Promise<string | undefined> => {
      const [item] = await itemsOf(Request.get([key]))
      return item === undefined ? undefined : text(item.value)
    }
    const casOf = async (key: string): Promise<bigint | undefined> => (await itemsOf(Request.gets([key])))[0]?.cas
    const set = (key: string, value: string | Uint8Array, options?: Request.WriteOptions) =>
      send(Request.set(key, typeof value === 'string' ? bytes(value) : value, options))
    const statsOf = async (target: Subject, argument?: Request.StatsArgument): Promise<ReadonlyMap<string, string>> => {
      const reply = await sendTo(target, Request.stats(argument))
      if (reply._tag !== 'Stats') throw new Error(`expected stats, got ${reply._tag}`)
      return new Map(reply.entries)
    }
    const failureOf = (reply: Reply.Reply): string => (reply._tag === 'Failure' ? `${reply.error._tag}: ${'reason' in reply.error ? reply.error.reason : ''}` : reply._tag)

    describe('storage commands', () => {
      it('set, add and replace follow their rules', async () => {
        expect(await send(Request.store('add', 'st:add', bytes('one')))).toEqual(Reply.stored)
        expect(await send(Request.store('add', 'st:add', bytes('two')))).toEqual(Reply.notStored)
        expect(await valueOf('st:add')).toBe('one')
        expect(await send(Request.store('replace', 'st:missing', bytes('x')))).toEqual(Reply.notStored)
        expect(await valueOf('st:missing')).toBeUndefined()
        expect(await send(Request.store('replace', 'st:add', bytes('three'), { flags: 7 }))).toEqual(Reply.stored)
        expect(await itemsOf(Request.get(['st:add']))).toEqual([{ key: 'st:add', flags: 7, value: bytes('three') }])
        expect(await set('st:add', 'four', { flags: 4294967295 })).toEqual(Reply.stored)
        expect((await itemsOf(Request.get(['st:add'])))[0]?.flags).toBe(4294967295)
      })

      it('append and prepend need an item, and keep its flags and exptime', async () => {
        expect(await send(Request.store('append', 'st:none', bytes('x')))).toEqual(Reply.notStored)
        expect(await send(Request.store('prepend', 'st:none', bytes('x')))).toEqual(Reply.notStored)
        expect(await valueOf('st:none')).toBeUndefined()
        await set('st:ap', 'middle', { flags: 3, exptime: 3600 })
        // A negative exptime would expire the item at once if append used it: it must not.
        expect(await send(Request.store('append', 'st:ap', bytes('>end'), { flags: 99, exptime: -1 }))).toEqual(Reply.stored)
        expect(await send(Request.store('prepend', 'st:ap', bytes('start<'), { flags: 98, exptime: -1 }))).toEqual(Reply.stored)
        expect(await itemsOf(Request.get(['st:ap']))).toEqual([{ key: 'st:ap', flags: 3, value: bytes('start<middle>end') }])
      })

      it('delete answers DELETED once, then NOT_FOUND', async () => {
        await set('st:del', 'x')
        expect(await send(Request.del('st:del'))).toEqual(Reply.deleted)
        expect(await send(Request.del('st:del'))).toEqual(Reply.notFound)
        expect(await valueOf('st:del')).toBeUndefined()
      })

      it('a multi-get answers hits in request order, misses left out, repeats repeated', async () => {
        await set('st:m1', 'one')
        await set('st:m3', 'three')
        const items = await itemsOf(Request.get(['st:m3', 'st:m2', 'st:m1', 'st:m3']))
        expect(items.map((item) => [item.key, text(item.value)])).toEqual([
          ['st:m3', 'three'],
          ['st:m1', 'one'],
          ['st:m3', 'three'],
        ])
      })

      it('stores empty and binary values byte for byte', async () => {
        const every = new Uint8Array(256).map((_, index) => index)
        const tricky = bytes('\r\nEND\r\nVALUE st:bin 0 5\r\n\r\n')
        expect(await set('st:empty', '')).toEqual(Reply.stored)
        expect(await set('st:bin', every)).toEqual(Reply.stored)
        expect(await set('st:tricky', tricky)).toEqual(Reply.stored)
        const items = await itemsOf(Request.get(['st:empty', 'st:bin', 'st:tricky']))
        expect(items.map((item) => Array.from(item.value))).toEqual([[], Array.from(every), Array.from(tricky)])
      })
    })

    describe('cas', () => {
      it('stores with the current unique only, and refuses stale, zero and missing ones', async () => {
        await set('cas:k', 'v1')
        const unique = await casOf('cas:k')
        expect(typeof unique).toBe('bigint')
        expect(await send(Request.cas('cas:k', bytes('v2'), unique ?? 0n))).toEqual(Reply.stored)
        expect(await send(Request.cas('cas:k', bytes('v3'), unique ?? 0n))).toEqual(Reply.exists)
        expect(await send(Request.cas('cas:k', bytes('v3'), 0n))).toEqual(Reply.exists)
        expect(await valueOf('cas:k')).toBe('v2')
        expect(await send(Request.cas('cas:nope', bytes('v'), 1n))).toEqual(Reply.notFound)
      })

      it('every write takes a new, larger unique; touch keeps it', async () => {
        await set('cas:w', '1')
        const first = (await casOf('cas:w')) ?? 0n
        await send(Request.store('append', 'cas:w', bytes('0')))
        const appended = (await casOf('cas:w')) ?? 0n
        await send(Request.incr('cas:w', 1n))
        const incremented = (await casOf('cas:w')) ?? 0n
        expect(appended).toBeGreaterThan(first)
        expect(incremented).toBeGreaterThan(appended)
        expect(await send(Request.touch('cas:w', 3600))).toEqual(Reply.touched)
        expect(await casOf('cas:w')).toBe(incremented)
        const [gats] = await itemsOf(Request.gats(3600, ['cas:w']))
        expect(gats?.cas).toBe(incremented)
      })
    })

    describe('incr and decr', () => {
      it('count, wrap at 2^64 and stop at 0', async () => {
        expect(await send(Request.incr('num:missing', 1n))).toEqual(Reply.notFound)
        expect(await send(Request.decr('num:missing', 1n))).toEqual(Reply.notFound)
        await set('num:n', '1')
        expect(await send(Request.incr('num:n', 41n))).toEqual(Reply.numeric(42n))
        expect(await send(Request.decr('num:n', 2n))).toEqual(Reply.numeric(40n))
        expect(await send(Request.decr('num:n', 1000n))).toEqual(Reply.numeric(0n))
        await set('num:max', MAX_U64.toString())
        expect(await send(Request.incr('num:max', 1n))).toEqual(Reply.numeric(0n))
        await set('num:max', MAX_U64.toString())
        expect(await send(Request.incr('num:max', MAX_U64))).toEqual(Reply.numeric(MAX_U64 - 1n))
      })

      it('rewrite a shorter number in place, padded with spaces, and a longer one at its length', async () => {
        await set('num:pad', '100', { flags: 5 })
        expect(await send(Request.decr('num:pad', 1n))).toEqual(Reply.numeric(99n))
        expect(await valueOf('num:pad')).toBe('99 ')
        expect(await send(Request.decr('num:pad', 95n))).toEqual(Reply.numeric(4n))
        expect(await valueOf('num:pad')).toBe('4  ')
        expect(await send(Request.incr('num:pad', 1000n))).toEqual(Reply.numeric(1004n))
        expect(await itemsOf(Request.get(['num:pad']))).toEqual([{ key: 'num:pad', flags: 5, value: bytes('1004') }])
      })

      it('read numbers as strtoull does: spaces, signs, leading zeros', async () => {
        const cases: ReadonlyArray<readonly [string, Reply.Reply | 'non-numeric']> = [
          [' 12', Reply.numeric(13n)],
          ['12 abc', Reply.numeric(13n)],
          ['+5', Reply.numeric(6n)],
          ['-0', Reply.numeric(1n)],
          ['000000000000000000000000001', Reply.numeric(2n)],
          ['-1', 'non-numeric'],
          ['12abc', 'non-numeric'],
          ['abc', 'non-numeric'],
          ['', 'non-numeric'],
          ['  ', 'non-numeric'],
          ['0x10', 'non-numeric'],
          ['18446744073709551616', 'non-numeric'],
        ]
        for (const [value, expected] of cases) {
          await set('num:parse', value)
          const reply = await send(Request.incr('num:parse', 1n))
          if (expected === 'non-numeric') {
            expect(failureOf(reply), JSON.stringify(value)).toBe('ClientError: cannot increment or decrement non-numeric value')
          } else {
            expect(reply, JSON.stringify(value)).toEqual(expected)
          }
        }
      })
    })

    describe('expiry', () => {
      it('follows exptime (relative, absolute, negative), touch, gat and gats', async () => {
        const now = Math.floor(subject.now())
        await set('exp:1s', 'x', { exptime: 1 })
        await set('exp:5s', 'x', { exptime: 5 })
        await set('exp:never', 'x')
        await set('exp:negative', 'x', { exptime: -1 })
        await set('exp:past', 'x', { exptime: now - 100 })
        await set('exp:future', 'x', { exptime: now + 3600 })
        await set('exp:touched', 'x')
        await set('exp:gat', 'gat')
        await set('exp:gats', 'gats', { exptime: 3600 })
        await set('exp:touch-negative', 'x')
        expect(await valueOf('exp:negative')).toBeUndefined()
        expect(await valueOf('exp:past')).toBeUndefined()
        expect(await send(Request.touch('exp:touched', 1))).toEqual(Reply.touched)
        expect(await send(Request.touch('exp:missing', 1))).toEqual(Reply.notFound)
        expect(await itemsOf(Request.gat(1, ['exp:gat', 'exp:missing']))).toEqual([{ key: 'exp:gat', flags: 0, value: bytes('gat') }])
        const unique = await casOf('exp:gats')
        expect(await itemsOf(Request.gats(1, ['exp:gats']))).toEqual([{ key: 'exp:gats', flags: 0, value: bytes('gats'), cas: unique }])
        expect(await send(Request.touch('exp:touch-negative', -1))).toEqual(Reply.touched)
        expect(await valueOf('exp:touch-negative')).toBeUndefined()
        expect(await valueOf('exp:5s')).toBe('x')

        await subject.elapse(1.5)

        const alive = await itemsOf(
          Request.get(['exp:1s', 'exp:5s', 'exp:never', 'exp:future', 'exp:touched', 'exp:gat', 'exp:gats']),
        )
        expect(alive.map((item) => item.key)).toEqual(['exp:5s', 'exp:never', 'exp:future'])
      })
    })

    describe('flush_all', () => {
      it('now, and with a delay that spares items written after the flush point', async () => {
        await set('fl:before', 'x')
        expect(await send(Request.flushAll())).toEqual(Reply.ok)
        expect(await valueOf('fl:before')).toBeUndefined()
        await set('fl:after', 'x')
        expect(await valueOf('fl:after')).toBe('x')

        expect(await send(Request.flushAll(3))).toEqual(Reply.ok)
        await set('fl:during', 'x')
        expect(await valueOf('fl:after')).toBe('x')
        expect(await valueOf('fl:during')).toBe('x')

        // memcached flushes at tick T+2 everything written up to and during that tick: wait past it.
        await subject.elapse(3.2)

        expect(await valueOf('fl:after')).toBeUndefined()
        expect(await valueOf('fl:during')).toBeUndefined()
        await set('fl:later', 'x')
        expect(await valueOf('fl:later')).toBe('x')
        expect(await send(Request.flushAll(undefined, true))).toEqual(Reply.noReply)
        expect(await valueOf('fl:later')).toBeUndefined()
      })
    })

    describe('limits', () => {
      it('stores the largest value that fits 1 MiB with its header, refuses one byte more and drops the old value', async () => {
        const key = 'big:k'
        expect(await set(key, new Uint8Array(largestValue(key.length)).fill(120))).toEqual(Reply.stored)
        expect((await itemsOf(Request.get([key])))[0]?.value.length).toBe(largestValue(key.length))
        const tooLarge = await set(key, new Uint8Array(largestValue(key.length) + 1))
        expect(tooLarge._tag === 'Failure' && tooLarge.error._tag).toBe('ValueTooLarge')
        expect(await valueOf(key)).toBeUndefined()
        expect(await send(Request.version)).toMatchObject({ _tag: 'Version' })
      })

      it('refuses an append that would pass the limit with NOT_STORED', async () => {
        await set('big:ap', new Uint8Array(600_000))
        expect(await send(Request.store('append', 'big:ap', new Uint8Array(448_000)))).toEqual(Reply.stored)
        expect(await send(Request.store('append', 'big:ap', new Uint8Array(500_000)))).toEqual(Reply.notStored)
        expect((await itemsOf(Request.get(['big:ap'])))[0]?.value.length).toBe(1_048_000)
      })

      it('refuses keys over 250 bytes on the wire, and our encoder refuses them before', async () => {
        const long = 'k'.repeat(251)
        expect(failureOf(await send(Request.raw(`get ok ${long}`, 'values')))).toBe('ClientError: bad command line format')
        expect(failureOf(await send(Request.raw(`touch ${long} 10`, 'line')))).toBe('ClientError: bad command line format')
        const refused = await attempt(Request.get([long]))
        expect(E.isLeft(refused) && refused.left._tag).toBe('InvalidKey')
        expect(await set('k'.repeat(250), 'x')).toEqual(Reply.stored)
      })
    })

    describe('the text protocol', () => {
      it('answers malformed lines as memcached does', async () => {
        const line = async (command: string) => failureOf(await send(Request.raw(command, 'line')))
        expect(await line('bogus')).toBe('UnknownCommand: ')
        expect(await line('get')).toBe('UnknownCommand: ')
        expect(await line('touch tp:k abc')).toBe('ClientError: invalid exptime argument')
        expect(await line('incr tp:k -1')).toBe('ClientError: invalid numeric delta argument')
        expect(await line('delete tp:k 5')).toBe('ClientError: bad command line format.  Usage: delete <key> [noreply]')
        expect(await line('set tp:k 0 0 -1')).toBe('ClientError: bad command line format')
        expect(await line('flush_all soon')).toBe('ClientError: invalid exptime argument')
        expect(await line('verbosity')).toBe('UnknownCommand: ')
        expect(await line('shutdown')).toBe('ServerError: shutdown not enabled')
        expect(await send(Request.raw('stats nonsense', 'stats'))).toEqual(Reply.failure(unknownCommand('')))
      })

      it('answers a data block of the wrong length with bad data chunk, then reads on', async () => {
        const before = subject.unsolicited.length
        const reply = await send(Request.raw('set tp:chunk 0 0 1', 'line', bytes('xx')))
        expect(failureOf(reply)).toBe('ClientError: bad data chunk')
        // The "\n" left over is read as an empty command: ERROR, which answers no request.
        expect(await send(Request.version)).toMatchObject({ _tag: 'Version' })
        expect(subject.unsolicited.slice(before).map((error) => error._tag)).toEqual(['UnknownCommand'])
        expect(await valueOf('tp:chunk')).toBeUndefined()
      })

      it('pipelines hundreds of requests and answers each its own', async () => {
        const count = 200
        const writes = Array.from({ length: count }, (_, index) => subject.transport.send(Request.set(`pipe:${index}`, bytes(`value ${index}`)))())
        const reads = Array.from({ length: count }, (_, index) => subject.transport.send(Request.get([`pipe:${index}`, 'pipe:none']))())
        const results = await Promise.all([...writes, ...reads])
        expect(results.slice(0, count)).toEqual(Array.from({ length: count }, () => E.right(Reply.stored)))
        results.slice(count).forEach((result, index) => {
          expect(E.isRight(result) && result.right._tag === 'Values' && result.right.items.map((item) => text(item.value))).toEqual([`value ${index}`])
        })
      })

      it('noreply writes say nothing and still happen, even when refused', async () => {
        expect(await send(Request.set('nr:k', bytes('5'), { noreply: true }))).toEqual(Reply.noReply)
        expect(await send(Request.incr('nr:k', 2n, true))).toEqual(Reply.noReply)
        expect(await send(Request.store('add', 'nr:k', bytes('no'), { noreply: true }))).toEqual(Reply.noReply)
        expect(await send(Request.touch('nr:k', 3600, true))).toEqual(Reply.noReply)
        expect(await send(Request.version)).toMatchObject({ _tag: 'Version' })
        expect(await valueOf('nr:k')).toBe('7')
        expect(await send(Request.del('nr:k', true))).toEqual(Reply.noReply)
        expect(await valueOf('nr:k')).toBeUndefined()
      })

      it('answers version, verbosity and cache_memlimit', async () => {
        const version = await send(Request.version)
        expect(version._tag === 'Version' && version.version).toMatch(/^1\.6\.18/)
        expect(await send(Request.verbosity(1))).toEqual(Reply.ok)
        expect(await send(Request.verbosity(0))).toEqual(Reply.ok)
        expect(await send(Request.cacheMemlimit(64))).toEqual(Reply.ok)
        expect(failureOf(await send(Request.cacheMemlimit(4)))).toBe('ServerError: MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m')
      })
    })


    describe('the meta protocol, through the client codec', () => {
      const metaOf = async (request: Meta.MetaKeyed): Promise<Meta.MetaReply> => {
        const reply = await send(request)
        if (reply._tag !== 'MetaReply') throw new Error(`expected a meta reply, got ${JSON.stringify(reply)}`)
        return reply
      }
      const batchOf = async (requests: ReadonlyArray<Meta.MetaKeyed>): Promise<ReadonlyArray<Meta.MetaReply | Meta.MetaFailure>> => {
        const reply = await send(Meta.metaBatch(requests))
        if (reply._tag !== 'MetaBatchReply') throw new Error(`expected a batch reply, got ${JSON.stringify(reply)}`)
        return reply.replies
      }
      const refusal = async (request: Meta.MetaRequest): Promise<string> => {
        const result = await attempt(request)
        return E.isLeft(result) ? `${result.left._tag}: ${'argument' in result.left ? result.left.argument : ''}` : `sent: ${result.right._tag}`
      }

      it('ms and mg with flags: client flags, TTL, cas, key, size, hit, opaque echoed', async () => {
        const stored = await metaOf(Meta.metaSet('mt:f', bytes('hello'), { clientFlags: 7, ttl: 3600, returnCas: true, returnKey: true, opaque: 'o1' }))
        expect(stored).toMatchObject({ code: 'HD', returned: { key: 'mt:f', opaque: 'o1' } })
        const cas = stored.returned.cas
        expect(typeof cas).toBe('bigint')
        const got = await metaOf(
          Meta.metaGet('mt:f', { returnValue: true, returnCas: true, returnFlags: true, returnKey: true, returnSize: true, returnHit: true, returnTtl: true, opaque: 'abc' }),
        )
        expect(got).toMatchObject({ code: 'VA', returned: { cas, clientFlags: 7, key: 'mt:f', size: 5, hit: false, opaque: 'abc' } })
        expect(text(got.value ?? new Uint8Array())).toBe('hello')
        expect(got.returned.ttl).toBeGreaterThan(3500)
        expect((await metaOf(Meta.metaGet('mt:f', { returnHit: true }))).returned.hit).toBe(true)
        expect(await metaOf(Meta.metaGet('mt:none', { returnValue: true, opaque: 'x' }))).toEqual(Meta.metaReply('EN', { opaque: 'x' }))
        // The text protocol reads what meta wrote, flags included.
        expect(await itemsOf(Request.get(['mt:f']))).toEqual([{ key: 'mt:f', flags: 7, value: bytes('hello') }])
      })

      it('a quiet batch closed by mn: each member answered in order, suppressed replies implied', async () => {
        await set('mt:q1', 'one')
        const replies = await batchOf([
          Meta.metaGet('mt:q1', { returnValue: true }),
          Meta.metaGet('mt:q-none', { returnValue: true }),
          Meta.metaSet('mt:q2', bytes('two')),
          Meta.metaSet('mt:q1', bytes('no'), { mode: 'add' }),
          Meta.metaDelete('mt:q-none'),
          Meta.metaDelete('mt:q2'),
        ])
        expect(replies.map((reply) => (reply._tag === 'Failure' ? reply._tag : `${reply.code}${reply.implied === true ? ' implied' : ''}`))).toEqual([
          'VA',
          'EN implied',
          'HD implied',
          'NS',
          'NF',
          'HD implied',
        ])
        const [first] = replies
        expect(first?._tag === 'MetaReply' && text(first.value ?? new Uint8Array())).toBe('one')
        expect(await send(Meta.metaNoop)).toEqual(Meta.metaNoopReply)
        // A single quiet request: its mn tells that the reply was suppressed.
        expect(await metaOf(Meta.metaSet('mt:q3', bytes('3'), { quiet: true }))).toEqual({ ...Meta.metaReply('HD'), implied: true })
        expect(await valueOf('mt:q3')).toBe('3')
      })

      it('a binary key goes base64 and reads back with a text get of its bytes; k returns the bytes', async () => {
        expect((await metaOf(Meta.metaSet(bytes('mt:bin'), bytes('b64')))).code).toBe('HD')
        expect(await valueOf('mt:bin')).toBe('b64')
        const binary = Uint8Array.of(0, 0xff, 0x20, 0x0d, 0x0a)
        await metaOf(Meta.metaSet(binary, bytes('raw')))
        const back = await metaOf(Meta.metaGet(binary, { returnValue: true, returnKey: true }))
        expect(back.returned.key).toEqual(binary)
        expect(text(back.value ?? new Uint8Array())).toBe('raw')
        expect((await metaOf(Meta.metaDelete(binary))).code).toBe('HD')
        expect((await metaOf(Meta.metaGet(binary, {}))).code).toBe('EN')
      })

      it('N vivifies a miss: the first caller wins, the next sees Z; the winner writes back with C', async () => {
        // The stub is an empty value: VA 0 with W.
        const first = await metaOf(Meta.metaGet('mt:viv', { returnValue: true, returnCas: true, vivify: 30 }))
        expect(first.code).toBe('VA')
        expect(first.value?.length).toBe(0)
        expect(first.returned).toMatchObject({ win: true })
        const second = await metaOf(Meta.metaGet('mt:viv', { returnValue: true, vivify: 30 }))
        expect(second.code).toBe('VA')
        expect(second.returned).toMatchObject({ alreadyWon: true })
        expect(second.returned.win).toBeUndefined()
        expect((await metaOf(Meta.metaSet('mt:viv', bytes('v1'), { compareCas: first.returned.cas ?? 0n }))).code).toBe('HD')
        const after = await metaOf(Meta.metaGet('mt:viv', { returnValue: true, vivify: 30 }))
        expect(after.returned).toEqual({})
        expect(text(after.value ?? new Uint8Array())).toBe('v1')
      })

      it('R hands one caller a W to recache while the TTL is under its threshold', async () => {
        await set('mt:rc', 'old', { exptime: 100 })
        const far = await metaOf(Meta.metaGet('mt:rc', { returnValue: true, recache: 30 }))
        expect(far.returned.win).toBeUndefined()
        const near = await metaOf(Meta.metaGet('mt:rc', { returnValue: true, recache: 1000 }))
        expect(near.returned).toMatchObject({ win: true })
        const next = await metaOf(Meta.metaGet('mt:rc', { returnValue: true, recache: 1000 }))
        expect(next.returned).toMatchObject({ alreadyWon: true })
        expect(text(next.value ?? new Uint8Array())).toBe('old')
      })

      it('md I marks stale: readers see X, one wins W; ms C on the stale item stores and clears it', async () => {
        await set('mt:inv', 'v1')
        expect((await metaOf(Meta.metaDelete('mt:inv', { invalidate: true, ttl: 30 }))).code).toBe('HD')
        const stale = await metaOf(Meta.metaGet('mt:inv', { returnValue: true, returnCas: true }))
        expect(stale.returned).toMatchObject({ stale: true, win: true })
        expect(text(stale.value ?? new Uint8Array())).toBe('v1')
        const other = await metaOf(Meta.metaGet('mt:inv', { returnValue: true }))
        expect(other.returned).toMatchObject({ stale: true, alreadyWon: true })
        expect((await metaOf(Meta.metaSet('mt:inv', bytes('v2'), { compareCas: stale.returned.cas ?? 0n }))).code).toBe('HD')
        const fresh = await metaOf(Meta.metaGet('mt:inv', { returnValue: true }))
        expect(fresh.returned).toEqual({})
        expect(text(fresh.value ?? new Uint8Array())).toBe('v2')
      })

      it('ma: N with J creates at the initial value, then counts; modes, NF on a miss', async () => {
        const created = await metaOf(Meta.metaArithmetic('mt:ctr', { vivify: 60, initial: 10n, returnValue: true }))
        expect(created.code).toBe('VA')
        expect(text(created.value ?? new Uint8Array())).toBe('10')
        const counted = await metaOf(Meta.metaArithmetic('mt:ctr', { vivify: 60, initial: 10n, delta: 5n, returnValue: true }))
        expect(text(counted.value ?? new Uint8Array())).toBe('15')
        const down = await metaOf(Meta.metaArithmetic('mt:ctr', { mode: 'decr', delta: 100n, returnValue: true }))
        expect(text(down.value ?? new Uint8Array())).toBe('0')
        expect((await metaOf(Meta.metaArithmetic('mt:ctr'))).code).toBe('HD')
        // Rewritten in place at the length it had ('15'), as incr does.
        expect(await valueOf('mt:ctr')).toBe('1 ')
        expect((await metaOf(Meta.metaArithmetic('mt:ctr-none', { returnValue: true }))).code).toBe('NF')
      })

      it('EX, NS and NF: a stale cas, add on a present key, replace and delete of a missing one', async () => {
        const stored = await metaOf(Meta.metaSet('mt:codes', bytes('a'), { returnCas: true }))
        const cas = stored.returned.cas ?? 0n
        await set('mt:codes', 'b')
        expect((await metaOf(Meta.metaSet('mt:codes', bytes('c'), { compareCas: cas }))).code).toBe('EX')
        expect((await metaOf(Meta.metaDelete('mt:codes', { compareCas: cas }))).code).toBe('EX')
        expect((await metaOf(Meta.metaSet('mt:codes', bytes('c'), { mode: 'add' }))).code).toBe('NS')
        expect((await metaOf(Meta.metaSet('mt:codes-none', bytes('c'), { mode: 'replace' }))).code).toBe('NS')
        expect((await metaOf(Meta.metaSet('mt:codes-none', bytes('c'), { compareCas: 1n }))).code).toBe('NF')
        expect((await metaOf(Meta.metaDelete('mt:codes-none'))).code).toBe('NF')
        expect(await valueOf('mt:codes')).toBe('b')
      })

      it('me answers the item metadata, EN on a miss', async () => {
        await set('mt:me', 'x')
        const debug = await send(Meta.metaDebug('mt:me'))
        expect(debug._tag === 'MetaDebugReply' && new Map(debug.entries).get('exp')).toBe('-1')
        expect(await send(Meta.metaDebug('mt:me-none'))).toMatchObject({ _tag: 'MetaReply', code: 'EN' })
      })

      it('every mg flag at once fits the token limit; the encoder refuses a bad opaque and a long binary key before sending', async () => {
        // Typed flags are each sent once, so no request can pass memcached's token limit
        // (MAX_META_TOKENS): the longest mg, binary key, opaque and quiet included, is answered.
        const everything: Meta.MetaGetFlags = {
          returnValue: true, returnCas: true, returnFlags: true, returnHit: true, returnKey: true, returnLastAccess: true, returnSize: true,
          returnTtl: true, noBump: true, touch: 100, vivify: 100, recache: 1, opaque: 'o'.repeat(Meta.MAX_OPAQUE_LENGTH), quiet: true,
        }
        await metaOf(Meta.metaSet(bytes('mt:all'), bytes('x')))
        const all = await metaOf(Meta.metaGet(bytes('mt:all'), everything))
        expect(all).toMatchObject({ code: 'VA', returned: { key: bytes('mt:all'), size: 1, opaque: 'o'.repeat(Meta.MAX_OPAQUE_LENGTH) } })
        expect(await refusal(Meta.metaGet('mt:err', { ...everything, opaque: 'o'.repeat(Meta.MAX_OPAQUE_LENGTH + 1) }))).toBe('InvalidArgument: opaque')
        expect(await refusal(Meta.metaGet('mt:err', { ...everything, opaque: 'has space' }))).toBe('InvalidArgument: opaque')
        expect(await refusal(Meta.metaSet(new Uint8Array(Meta.MAX_BINARY_KEY_LENGTH + 1), bytes('x')))).toBe('InvalidKey: ')
        expect(await refusal(Meta.metaBatch([Meta.metaGet('mt:a', { opaque: '1' })]))).toBe('InvalidArgument: opaque')
        expect(await send(Request.version)).toMatchObject({ _tag: 'Version' })
      })
    })

    describe('stats', () => {
      it('count what a known sequence did', async () => {
        const fresh = await makeSubject()
        extra.push(fresh)
        const on = (request: Request.Request) => sendTo(fresh, request)
        expect(await on(Request.stats('reset'))).toEqual(Reply.reset)
        const before = await statsOf(fresh)
        await on(Request.set('s:a', bytes('1')))
        await on(Request.set('s:b', bytes('b')))
        await on(Request.set('s:gone', bytes('x'), { exptime: -1 }))
        await on(Request.get(['s:a', 's:none', 's:b'])) // 2 hits, 1 miss
        // 1 miss. Not asserted as get_expired: memcached's LRU maintainer may reclaim the item first.
        await on(Request.get(['s:gone']))
        await on(Request.gets(['s:a'])) // 1 hit
        await on(Request.del('s:b')) // hit
        await on(Request.del('s:b')) // miss
        await on(Request.incr('s:a', 1n)) // hit
        await on(Request.incr('s:none', 1n)) // miss
        await on(Request.decr('s:a', 1n)) // hit
        await on(Request.decr('s:none', 1n)) // miss
        const unique = (await itemsOf(Request.gets(['s:a']), fresh))[0]?.cas ?? 0n // 1 hit
        await on(Request.cas('s:a', bytes('2'), unique)) // hit
        await on(Request.cas('s:a', bytes('3'), unique)) // badval
        await on(Request.cas('s:none', bytes('3'), 1n)) // miss
        await on(Request.touch('s:a', 100)) // hit
        await on(Request.touch('s:none', 100)) // miss
        await on(Request.gat(100, ['s:a', 's:none'])) // touch: 1 hit, 1 miss; not a get
        await on(Request.store('add', 's:a', bytes('no'))) // counted as a set
        await on(Request.flushAll(1000)) // counted, flushes nothing yet
        const after = await statsOf(fresh)
        const delta = (name: string) => Number(after.get(name)) - Number(before.get(name))
        const counted = Object.fromEntries(
          [
            'cmd_get', 'get_hits', 'get_misses', 'cmd_set', 'delete_hits', 'delete_misses',
            'incr_hits', 'incr_misses', 'decr_hits', 'decr_misses', 'cas_hits', 'cas_badval', 'cas_misses',
            'cmd_touch', 'touch_hits', 'touch_misses', 'cmd_flush', 'curr_items',
          ].map((stat) => [stat, delta(stat)]),
        )
        expect(counted).toEqual({
          cmd_get: 6, get_hits: 4, get_misses: 2, cmd_set: 7, delete_hits: 1, delete_misses: 1,
          incr_hits: 1, incr_misses: 1, decr_hits: 1, decr_misses: 1, cas_hits: 1, cas_badval: 1, cas_misses: 1,
          cmd_touch: 4, touch_hits: 2, touch_misses: 2, cmd_flush: 1, curr_items: 1,
        })
        // Three sets and a cas link items. memcached links one more when its LRU maintainer holds
        // the item as incr/decr rewrites it (then not in place), so only a floor is certain.
        expect(delta('total_items')).toBeGreaterThanOrEqual(4)
        expect(after.get('version')).toMatch(/^1\.6\.18/)
        expect(Number(after.get('curr_connections'))).toBeGreaterThanOrEqual(1)
        expect(Number(after.get('limit_maxbytes'))).toBe(64 * 1024 * 1024)
        expect(Number(after.get('time'))).toBeCloseTo(fresh.now(), -1)
        await on(Request.flushAll())
      })

      it('answers settings, items, slabs, sizes and conns', async () => {
        await set('sx:k', 'x')
        const settings = await statsOf(subject, 'settings')
        expect(settings.get('item_size_max')).toBe('1048576')
        expect(settings.get('cas_enabled')).toBe('yes')
        const items = await statsOf(subject, 'items')
        expect([...items.keys()].some((name) => /^items:\d+:number$/.test(name))).toBe(true)
        const slabs = await statsOf(subject, 'slabs')
        expect(Number(slabs.get('active_slabs'))).toBeGreaterThanOrEqual(1)
        expect(Number(slabs.get('total_malloced'))).toBeGreaterThan(0)
        expect(await statsOf(subject, 'sizes')).toEqual(new Map([['sizes_status', 'disabled']]))
        const conns = await statsOf(subject, 'conns')
        expect([...conns.keys()].some((name) => /^\d+:addr$/.test(name))).toBe(true)
      })
    })
  })
}
