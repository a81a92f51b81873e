import * as E from 'fp-ts/lib/Either.js'
import { connectError } from '../../src/transport/error.js'
import { type MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'
import type { Node } from '../../src/routing/router.js'
import type { RequestContext } from '../../src/transport/context.js'

export type Outcome = E.Either<MemcacheError, Reply.Reply>

/**
 * An in-test memcached node: a map of text values that answers get/set/delete/stats/version, can
 * be switched down (every request fails with `ConnectError`) or held (requests wait until let go).
 */
export const fakeNode = (name: string) => {
  const data = new Map<string, Uint8Array>()
  const sent: Array<Request> = []
  const contexts: Array<RequestContext | undefined> = []
  let down: MemcacheError | undefined
  let failWith: ((request: Request) => Outcome | undefined) | undefined
  let held: Array<() => void> | undefined
  let closed = 0

  const answer = (request: Request): Outcome => {
    const scripted = failWith?.(request)
    if (scripted !== undefined) return scripted
    if (down !== undefined) return E.left(down)
    switch (request._tag) {
      case 'Get':
      case 'Gets':
      case 'Gat':
      case 'Gats':
        return E.right(
          Reply.values(
            request.keys.flatMap((key) => {
              const value = data.get(key)
              return value === undefined ? [] : [{ key, flags: 0, value }]
            }),
          ),
        )
      case 'Store':
        data.set(request.key, request.value)
        return E.right(request.noreply ? Reply.noReply : Reply.stored)
      case 'Delete':
        return E.right(data.delete(request.key) ? Reply.deleted : Reply.notFound)
      case 'Stats':
        return E.right(Reply.statsReply([['node', name]]))
      case 'Version':
        return E.right(Reply.versionReply(`1.6.18 ${name}`))
      case 'FlushAll':
        data.clear()
        return E.right(Reply.ok)
      case 'Raw':
        return E.right(Reply.line(`raw at ${name}`))
      default:
        return E.right(Reply.ok)
    }
  }

  const node: Node = {
    name,
    transport: {
      send: (request, context) => async () => {
        sent.push(request)
        contexts.push(context)
        if (held !== undefined) await new Promise<void>((resolve) => held?.push(resolve))
        return answer(request)
      },
      close: async () => {
        closed++
      },
    },
  }

  return {
    node,
    name,
    data,
    sent,
    /** The context each request came with, in the order of `sent`. */
    contexts,
    closedCount: () => closed,
    /** Every request fails with `ConnectError` until `up()`. */
    down: () => {
      down = connectError(name, 'ECONNREFUSED', 'connection refused')
    },
    up: () => {
      down = undefined
    },
    /** Answer requests with `script` where it returns an outcome. */
    script: (script: ((request: Request) => Outcome | undefined) | undefined) => {
      failWith = script
    },
    /** Requests wait until `release()`. */
    hold: () => {
      held ??= []
    },
    release: () => {
      const waiting = held ?? []
      held = undefined
      for (const resume of waiting) resume()
    },
    keysSent: () => sent.flatMap((request) => ('keys' in request ? [...request.keys] : 'key' in request ? [request.key] : [])),
  }
}

export type FakeNode = ReturnType<typeof fakeNode>

export const text = (value: string) => new TextEncoder().encode(value)

export const itemKeys = (outcome: Outcome): ReadonlyArray<string> =>
  E.isRight(outcome) && outcome.right._tag === 'Values' ? outcome.right.items.map((item) => item.key) : []

export const itemTexts = (outcome: Outcome): ReadonlyArray<string> =>
  E.isRight(outcome) && outcome.right._tag === 'Values' ? outcome.right.items.map((item) => new TextDecoder().decode(item.value)) : []
