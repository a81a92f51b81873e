/**
 * Meta results into bytes: the reply line with flags in order, values referenced, quiet replies
 * written as nothing, errors and `ME` lines as the text protocol writes them.
 */
import { describe, expect, it } from 'vitest'
import type { MetaReply } from '../../src/emulator/meta-engine.js'
import { metaLine, renderMeta } from '../../src/emulator/meta-render.js'
import { clientError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const text = (chunks: ReadonlyArray<Uint8Array>): string => Buffer.concat(chunks).toString('latin1')
const meta = (code: MetaReply['code'], flags: MetaReply['flags'], value?: Uint8Array, silent = false): MetaReply => ({ _tag: 'ServedMeta', code, flags, value, silent })

describe('renderMeta', () => {
  it.each([
    [meta('HD', []), 'HD\r\n'],
    [meta('HD', [['c', '5'], ['k', 'a2V5'], ['b', ''], ['O', '99'], ['W', '']]), 'HD c5 ka2V5 b O99 W\r\n'],
    [meta('VA', [['t', '-1']], bytes('hi')), 'VA 2 t-1\r\nhi\r\n'],
    [meta('VA', [], bytes('')), 'VA 0\r\n\r\n'],
    [meta('EN', [['O', '1']]), 'EN O1\r\n'],
    [meta('NS', [['c', '0']]), 'NS c0\r\n'],
    [meta('HD', [['c', '5']], undefined, true), ''],
    [Reply.failure(clientError('invalid flag')), 'CLIENT_ERROR invalid flag\r\n'],
    [Reply.line('ME k exp=-1 la=0 cas=1 fetch=no cls=1 size=61'), 'ME k exp=-1 la=0 cas=1 fetch=no cls=1 size=61\r\n'],
  ])('%o is written as memcached writes it', (result, expected) => {
    expect(text(renderMeta(result))).toBe(expected)
  })

  it('references a value, never copies it', () => {
    const value = bytes('value')
    expect(renderMeta(meta('VA', [], value))[1]).toBe(value)
  })

  it('metaLine is the line without its ending', () => {
    expect(metaLine(meta('VA', [['s', '3']], bytes('abc')))).toBe('VA 3 s3')
  })
})
