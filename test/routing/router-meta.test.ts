/** The router and meta requests: placement by key (binary keys as their UTF-8 text), batches split per node. */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import * as M from '../../src/protocol/meta.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { rendezvousRouter, type Node } from '../../src/routing/router.js'

const text = (value: string): Uint8Array => new TextEncoder().encode(value)

/** A node answering every meta get with its own name as the value, and recording what it got. */
const namedNode = (name: string) => {
  const sent: Array<R.Request> = []
  const node: Node = {
    name,
    transport: {
      send: (request) => {
        sent.push(request)
        if (request._tag === 'MetaBatch') return TE.right(M.metaBatchReply(request.requests.map(() => M.metaReply('VA', {}, text(name)))))
        if (request._tag === 'MetaGet') return TE.right(M.metaReply('VA', {}, text(name)))
        if (request._tag === 'Get') return TE.right(Reply.values([{ key: request.keys[0] ?? '', flags: 0, value: text(name) }]))
        return TE.left({ _tag: 'ProtocolError', message: 'unexpected' } as const)
      },
      close: () => Promise.resolve(),
    },
  }
  return { node, sent }
}

const nodeNames = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211']

const ownerOfReply = (result: E.Either<unknown, Reply.Reply>): string => {
  if (E.isLeft(result)) throw new Error('left')
  const reply = result.right
  if (reply._tag === 'MetaReply') return new TextDecoder().decode(reply.value)
  if (reply._tag === 'Values') return new TextDecoder().decode(reply.items[0]?.value)
  throw new Error(reply._tag)
}

describe('router: meta requests', () => {
  it('a binary key lands where the text key with the same bytes lands', async () => {
    const router = rendezvousRouter(nodeNames.map((name) => namedNode(name).node))
    for (let i = 0; i < 40; i++) {
      const key = `user:${i}:é`
      const viaText = ownerOfReply(await router.send(R.get([key]))())
      const viaBinary = ownerOfReply(await router.send(M.metaGet(text(key), { returnValue: true }))())
      const viaMeta = ownerOfReply(await router.send(M.metaGet(key, { returnValue: true }))())
      expect(viaBinary).toBe(viaText)
      expect(viaMeta).toBe(viaText)
    }
  })

  it('a batch is split into one batch per node and merged back in request order', async () => {
    const nodes = nodeNames.map(namedNode)
    const router = rendezvousRouter(nodes.map((each) => each.node))
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    const result = await router.send(M.metaBatch(keys.map((key) => M.metaGet(key, { returnValue: true }))))()
    if (E.isLeft(result) || result.right._tag !== 'MetaBatchReply') throw new Error('expected a batch reply')
    // Each node got exactly one batch.
    for (const each of nodes) expect(each.sent.filter((request) => request._tag === 'MetaBatch').length).toBe(1)
    // Each member's reply is the one of the node its key belongs to.
    for (let i = 0; i < keys.length; i++) {
      const owner = ownerOfReply(await router.send(R.get([keys[i] as string]))())
      const member = result.right.replies[i]
      expect(member?._tag === 'MetaReply' && new TextDecoder().decode(member.value)).toBe(owner)
    }
  })

  it('mn names no key: refused', async () => {
    const router = rendezvousRouter(nodeNames.map((name) => namedNode(name).node))
    const result = await router.send(M.metaNoop)()
    expect(E.isLeft(result) && result.left._tag).toBe('InvalidArgument')
  })
})
