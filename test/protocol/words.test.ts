/**
 * The one table of reply words: spelled as memcached's protocol.txt spells them, and every one-word
 * reply read back by the client's decoder from the line the emulator writes for it (whole and byte
 * by byte), so the decoder and the emulator agree on each word.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { renderReply } from '../../src/emulator/render.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { REPLY_WORDS, WORDS, type WordReply } from '../../src/protocol/words.js'
import { bytes, decodeAll, oneByOne } from './support.js'

/** For each one-word reply, a request memcached answers with it; typed so a new word needs a row. */
const askedBy: { readonly [K in WordReply['_tag']]: readonly [WordReply, R.Request] } = {
  Stored: [Reply.stored, R.set('k', bytes('v'))],
  NotStored: [Reply.notStored, R.store('add', 'k', bytes('v'))],
  Exists: [Reply.exists, R.cas('k', bytes('v'), 1n)],
  NotFound: [Reply.notFound, R.del('k')],
  Deleted: [Reply.deleted, R.del('k')],
  Touched: [Reply.touched, R.touch('k', 10)],
  Ok: [Reply.ok, R.flushAll()],
  Reset: [Reply.reset, R.stats('reset')],
}

describe('REPLY_WORDS and WORDS', () => {
  it("spell memcached's words", () => {
    expect(REPLY_WORDS).toEqual({
      Stored: 'STORED',
      NotStored: 'NOT_STORED',
      Exists: 'EXISTS',
      NotFound: 'NOT_FOUND',
      Deleted: 'DELETED',
      Touched: 'TOUCHED',
      Ok: 'OK',
      Reset: 'RESET',
    })
    expect(WORDS).toEqual({
      end: 'END',
      value: 'VALUE',
      stat: 'STAT',
      version: 'VERSION',
      error: 'ERROR',
      clientError: 'CLIENT_ERROR',
      serverError: 'SERVER_ERROR',
      memlimit: 'MEMLIMIT_',
    })
  })
})

describe.each(Object.values(askedBy).map(([reply, request]) => ({ tag: reply._tag, reply, request })))('$tag', ({ tag, reply, request }) => {
  const wire = bytes(...renderReply(reply))

  it('is the line the emulator writes', () => {
    expect(new TextDecoder().decode(wire)).toBe(`${REPLY_WORDS[tag]}\r\n`)
  })

  it('whole', () => {
    expect(decodeAll(request, [wire]).result).toEqual(E.right(O.some([reply, wire.length])))
  })

  it('byte by byte', () => {
    expect(decodeAll(request, oneByOne(wire)).result).toEqual(E.right(O.some([reply, wire.length])))
  })
})
