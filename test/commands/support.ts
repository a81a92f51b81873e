/**
 * A scripted Transport for command tests: every request goes through the real encoder first (so a
 * request the connection would refuse is refused here, with nothing "written"), then `answer`
 * decides the reply. `written` holds what reached the wire, as text.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../../src/error.js'
import { makeEncoder } from '../../src/protocol/encode.js'
import type { KeyOptions } from '../../src/protocol/key.js'
import * as Reply from '../../src/protocol/reply.js'
import type { Request } from '../../src/protocol/request.js'
import type { Transport } from '../../src/transport/transport.js'

export type Answer = (request: Request) => E.Either<MemcacheError, Reply.Reply> | Reply.Reply

export interface Scripted extends Transport {
  /** Requests that were encoded and "sent", in order. */
  readonly sent: Array<Request>
  /** Their wire text (latin1), in order. */
  readonly written: Array<string>
  readonly closed: () => boolean
}

export const scripted = (answer: Answer, options: KeyOptions = {}): Scripted => {
  const encode = makeEncoder(options)
  const sent: Array<Request> = []
  const written: Array<string> = []
  let closed = false
  return {
    sent,
    written,
    closed: () => closed,
    // Lazy like a real transport: nothing is sent until the TaskEither runs.
    send: (request) => () => {
      const chunks = encode(request)
      if (E.isLeft(chunks)) return Promise.resolve(E.left(chunks.left))
      sent.push(request)
      written.push(Buffer.concat(chunks.right.map((chunk) => Buffer.from(chunk))).toString('latin1'))
      const reply = answer(request)
      return Promise.resolve('_tag' in reply && (reply._tag === 'Left' || reply._tag === 'Right') ? (reply as E.Either<MemcacheError, Reply.Reply>) : E.right(reply as Reply.Reply))
    },
    close: async () => {
      closed = true
    },
  }
}

/** Always the same reply. */
export const always = (reply: Reply.Reply | E.Either<MemcacheError, Reply.Reply>): Scripted => scripted(() => reply)

export const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))
export const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8')

/**
 * A tiny memcached-like store answering get/gets/gat/gats/set/delete/touch/incr, enough for
 * properties over the commands' mapping. Values hits come back in request order, as memcached does.
 */
export const storeBacked = (initial: ReadonlyMap<string, Uint8Array> = new Map()): Scripted & { readonly data: Map<string, Reply.Item> } => {
  const data = new Map<string, Reply.Item>()
  let nextCas = 1n
  for (const [key, value] of initial) data.set(key, { key, flags: 0, value, cas: nextCas++ })
  const answer: Answer = (request) => {
    switch (request._tag) {
      case 'Get':
      case 'Gat':
        return Reply.values(request.keys.flatMap((key) => {
          const item = data.get(key)
          return item === undefined ? [] : [{ key, flags: item.flags, value: item.value }]
        }))
      case 'Gets':
      case 'Gats':
        return Reply.values(request.keys.flatMap((key) => {
          const item = data.get(key)
          return item === undefined ? [] : [item]
        }))
      case 'Store': {
        const exists = data.has(request.key)
        if ((request.command === 'add' && exists) || (request.command !== 'set' && request.command !== 'add' && !exists)) {
          return request.noreply ? Reply.noReply : Reply.notStored
        }
        data.set(request.key, { key: request.key, flags: request.flags, value: request.value, cas: nextCas++ })
        return request.noreply ? Reply.noReply : Reply.stored
      }
      case 'Delete': {
        const existed = data.delete(request.key)
        return request.noreply ? Reply.noReply : existed ? Reply.deleted : Reply.notFound
      }
      default:
        return E.left({ _tag: 'ProtocolError', message: `storeBacked does not answer ${request._tag}` })
    }
  }
  return Object.assign(scripted(answer), { data })
}
