import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import {
  casMeta,
  counterMeta,
  deleteManyMeta,
  getAndTouchMeta,
  getManyMeta,
  getMeta,
  getsMeta,
  metaBatch,
  metaDebug,
  metaGet,
  metaNoop,
  setManyMeta,
} from '../../src/commands/meta.js'
import { serverError } from '../../src/protocol/error.js'
import * as M from '../../src/protocol/meta.js'
import { always, bytes, scripted } from './support.js'

describe('meta commands', () => {
  it('metaGet writes mg with the typed flags and yields the typed reply', async () => {
    const transport = always(M.metaReply('VA', { cas: 3n }, bytes('v')))
    expect(await metaGet('k', { returnValue: true, returnCas: true })(transport)()).toEqual(E.right(M.metaReply('VA', { cas: 3n }, bytes('v'))))
    expect(transport.written).toEqual(['mg k v c\r\n'])
  })

  it('a Failure reply is the Left it carries', async () => {
    const transport = always({ _tag: 'Failure', error: serverError('busy') })
    const result = await metaGet('k')(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('ServerError')
  })

  it('getMeta: VA is some({ bytes, flags }), EN is none', async () => {
    expect(await getMeta('k')(always(M.metaReply('VA', { clientFlags: 2 }, bytes('x'))))()).toEqual(E.right(O.some({ bytes: bytes('x'), flags: 2 })))
    const miss = always(M.metaReply('EN'))
    expect(await getMeta('k')(miss)()).toEqual(E.right(O.none))
    expect(miss.written).toEqual(['mg k v f\r\n'])
  })

  it('getsMeta needs the cas it asked for', async () => {
    const result = await getsMeta('k')(always(M.metaReply('VA', {}, bytes('x'))))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it('getAndTouchMeta writes mg with T', async () => {
    const transport = always(M.metaReply('EN'))
    await getAndTouchMeta('k', 60)(transport)()
    expect(transport.written).toEqual(['mg k v f T60\r\n'])
  })

  it('casMeta: HD with the new cas, EX, NF', async () => {
    const stored = always(M.metaReply('HD', { cas: 9n }))
    expect(await casMeta('k', { bytes: bytes('v'), flags: 1 }, 8n, { ttl: 5 })(stored)()).toEqual(E.right({ _tag: 'Stored', cas: 9n }))
    expect(stored.written).toEqual(['ms k 1 c F1 T5 C8\r\nv\r\n'])
    expect(await casMeta('k', { bytes: bytes('v'), flags: 0 }, 8n)(always(M.metaReply('EX')))()).toEqual(E.right({ _tag: 'Exists' }))
    expect(await casMeta('k', { bytes: bytes('v'), flags: 0 }, 8n)(always(M.metaReply('NF')))()).toEqual(E.right({ _tag: 'NotFound' }))
  })

  it('counterMeta: initial value and TTL in one ma', async () => {
    const transport = always(M.metaReply('VA', {}, bytes('10')))
    expect(await counterMeta('n', 2n, { initial: 10n, ttl: 60, mode: 'decr' })(transport)()).toEqual(E.right(O.some(10n)))
    expect(transport.written).toEqual(['ma n MD D2 N60 J10 T60 v\r\n'])
    expect(await counterMeta('n')(always(M.metaReply('NF')))()).toEqual(E.right(O.none))
  })

  it('getManyMeta: one batch, distinct keys, hits by key', async () => {
    const transport = scripted((request) =>
      request._tag === 'MetaBatch' ? M.metaBatchReply([M.metaReply('VA', { clientFlags: 0 }, bytes('A')), M.impliedReply(request.requests[1] as M.MetaKeyed)]) : M.metaNoopReply,
    )
    const found = await getManyMeta(['a', 'b', 'a'])(transport)()
    expect(found).toEqual(E.right(new Map([['a', { bytes: bytes('A'), flags: 0 }]])))
    expect(transport.written).toEqual(['mg a v f O0 q\r\nmg b v f O1 q\r\nmn\r\n'])
    const none = scripted(() => M.metaNoopReply)
    expect(await getManyMeta([])(none)()).toEqual(E.right(new Map()))
    expect(none.written).toEqual([])
  })

  it('getManyMeta: a member failure fails the call', async () => {
    const result = await getManyMeta(['a'])(always(M.metaBatchReply([{ _tag: 'Failure', error: serverError('x') }])))()
    expect(E.isLeft(result)).toBe(true)
  })

  it('setManyMeta yields the keys not stored; deleteManyMeta the keys not found', async () => {
    const stores = always(M.metaBatchReply([M.impliedReply(M.metaSet('a', bytes(''))), M.metaReply('NS')]))
    const entries = new Map([['a', { bytes: bytes('1'), flags: 0 }], ['b', { bytes: bytes('2'), flags: 0 }]])
    expect(await setManyMeta(entries, { ttl: 9 })(stores)()).toEqual(E.right(['b']))
    expect(stores.written).toEqual(['ms a 1 F0 T9 O0 q\r\n1\r\nms b 1 F0 T9 O1 q\r\n2\r\nmn\r\n'])
    const deletes = always(M.metaBatchReply([M.impliedReply(M.metaDelete('a')), M.metaReply('NF')]))
    expect(await deleteManyMeta(['a', 'b'])(deletes)()).toEqual(E.right(['b']))
  })

  it('metaBatch, metaNoop, metaDebug', async () => {
    expect(await metaBatch([])(always(M.metaNoopReply))()).toEqual(E.right([]))
    expect(await metaNoop()(always(M.metaNoopReply))()).toEqual(E.right(undefined))
    expect(await metaDebug('k')(always(M.metaDebugReply([['exp', '-1']])))()).toEqual(E.right(O.some(new Map([['exp', '-1']]))))
    expect(await metaDebug('k')(always(M.metaReply('EN')))()).toEqual(E.right(O.none))
  })

  it('a bad key is refused before anything is sent', async () => {
    const transport = always(M.metaNoopReply)
    const result = await getMeta(new Uint8Array(200))(transport)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidKey')
    expect(transport.written).toEqual([])
  })
})
