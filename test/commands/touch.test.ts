/**
 * `touch`: TOUCHED, NOT_FOUND and noreply read as booleans; a Failure is its Left.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { touch } from '../../src/commands/touch.js'
import { unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always } from './support.js'

describe('touch', () => {
  it('is true on TOUCHED, false on NOT_FOUND, true with noreply', async () => {
    const transport = always(Reply.touched)
    expect(await touch('k', 100)(transport)()).toEqual(E.right(true))
    expect(transport.written).toEqual(['touch k 100\r\n'])
    expect(await touch('k', 100)(always(Reply.notFound))()).toEqual(E.right(false))
    expect(await touch('k', 100, { noreply: true })(always(Reply.noReply))()).toEqual(E.right(true))
  })

  it('a Failure is its Left', async () => {
    expect(await touch('k', 1)(always(Reply.failure(unknownCommand(''))))()).toEqual(E.left(unknownCommand('')))
  })
})
