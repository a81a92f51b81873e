/**
 * `renderReply` alone: every reply's bytes, spelled from the protocol's one word table, and read
 * back by the client's own decoder.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { END_LINE, renderItems, renderReply } from '../../src/emulator/render.js'
import { decodeReply } from '../../src/protocol/decode.js'
import { clientError, serverError, unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { REPLY_WORDS, type WordReply } from '../../src/protocol/words.js'

const text = (chunks: ReadonlyArray<Uint8Array>): string => Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))).toString('latin1')

const wordReplies: ReadonlyArray<readonly [WordReply, Request.Request]> = [
  [Reply.stored, Request.set('k', new Uint8Array())],
  [Reply.notStored, Request.store('add', 'k', new Uint8Array())],
  [Reply.exists, Request.cas('k', new Uint8Array(), 1n)],
  [Reply.notFound, Request.del('k')],
  [Reply.deleted, Request.del('k')],
  [Reply.touched, Request.touch('k', 1)],
  [Reply.ok, Request.flushAll()],
  [Reply.reset, Request.stats('reset')],
]

describe('renderReply', () => {
  it.each(wordReplies)('writes $0._tag as its word from the shared table, and the decoder reads it back', (reply, request) => {
    const chunks = renderReply(reply)
    expect(text(chunks)).toBe(`${REPLY_WORDS[reply._tag]}\r\n`)
    expect(decodeReply(request, Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))), 0)).toEqual(E.right(O.some([reply, text(chunks).length])))
  })

  it('writes values by reference, with cas when the reply has it', () => {
    const value = new Uint8Array([0, 13, 10, 255])
    const chunks = renderReply(Reply.values([{ key: 'k', flags: 3, value, cas: 9n }, { key: 'e', flags: 0, value: new Uint8Array() }]))
    expect(text(chunks)).toBe('VALUE k 3 4 9\r\n\u0000\r\n\u00ff\r\nVALUE e 0 0\r\n\r\nEND\r\n')
    expect(chunks[1]).toBe(value)
  })

  it('writes numbers, versions, stats, raw lines, failures, and nothing for noreply', () => {
    expect(text(renderReply(Reply.numeric(18446744073709551615n)))).toBe('18446744073709551615\r\n')
    expect(text(renderReply(Reply.versionReply('1.6.18')))).toBe('VERSION 1.6.18\r\n')
    expect(text(renderReply(Reply.statsReply([['pid', '1'], ['uptime', '2']])))).toBe('STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n')
    expect(text(renderReply(Reply.statsReply([])))).toBe('END\r\n')
    expect(text(renderReply(Reply.line('MN')))).toBe('MN\r\n')
    expect(text(renderReply(Reply.failure(clientError('bad data chunk'))))).toBe('CLIENT_ERROR bad data chunk\r\n')
    expect(text(renderReply(Reply.failure(serverError('out of memory'))))).toBe('SERVER_ERROR out of memory\r\n')
    expect(text(renderReply(Reply.failure(unknownCommand(''))))).toBe('ERROR\r\n')
    expect(text(renderReply(Reply.failure(unknownCommand('too many'))))).toBe('ERROR too many\r\n')
    expect(renderReply(Reply.noReply)).toEqual([])
  })
})

describe('renderItems', () => {
  it('writes the hits without END: slices of a reply that, joined and ended, are renderReply of the whole', () => {
    const items = [
      { key: 'a', flags: 1, value: new Uint8Array(Buffer.from('xy')) },
      { key: 'b', flags: 0, value: new Uint8Array(), cas: 7n },
    ]
    expect(text(renderItems(items))).toBe('VALUE a 1 2\r\nxy\r\nVALUE b 0 0 7\r\n\r\n')
    expect(text([...renderItems(items.slice(0, 1)), ...renderItems(items.slice(1)), END_LINE])).toBe(text(renderReply(Reply.values(items))))
  })
})
