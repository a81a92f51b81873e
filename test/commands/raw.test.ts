/**
 * `raw`: a line sent as written, its reply read in the shape asked for.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { raw } from '../../src/commands/raw.js'
import { unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always, bytes } from './support.js'

describe('raw', () => {
  it('yields the reply of the expected shape, data block included', async () => {
    const transport = always(Reply.line('STORED'))
    expect(await raw('set k 0 0 2', 'line', bytes('hi'))(transport)()).toEqual(E.right(Reply.line('STORED')))
    expect(transport.written).toEqual(['set k 0 0 2\r\nhi\r\n'])
    const stats = Reply.statsReply([['a', '1']])
    expect(await raw('stats detail dump', 'stats')(always(stats))()).toEqual(E.right(stats))
  })

  it('an error line is its Left; another shape is a ProtocolError', async () => {
    expect(await raw('bogus', 'line')(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
    const result = await raw('stats', 'values')(always(Reply.statsReply([])))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})
