/**
 * memcached's text protocol from the server's side, last step: a `Reply` into the bytes memcached
 * 1.6.18 writes for it. Every word comes from the protocol's one table (`REPLY_WORDS`, `WORDS`),
 * the one the client's decoder reads with. Values are referenced, never copied; the one-word
 * replies are written from bytes made once.
 *
 * @since 0.2.0
 */
import { CLUSTER_CONFIG_KEY, CONFIG_WORD, formatClusterConfig } from '../protocol/cluster-config.js'
import * as Reply from '../protocol/reply.js'
import { REPLY_WORDS, WORDS, type WordReply } from '../protocol/words.js'

// -------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------

const CRLF = new Uint8Array([13, 10])

const lineBytes = (text: string): Uint8Array => Buffer.from(text + '\r\n', 'latin1')

const END = lineBytes(WORDS.end)

/** The line of each one-word reply, made once: no allocation per `STORED`. */
const WORD_LINES: { readonly [K in WordReply['_tag']]: ReadonlyArray<Uint8Array> } = {
  Stored: [lineBytes(REPLY_WORDS.Stored)],
  NotStored: [lineBytes(REPLY_WORDS.NotStored)],
  Exists: [lineBytes(REPLY_WORDS.Exists)],
  NotFound: [lineBytes(REPLY_WORDS.NotFound)],
  Deleted: [lineBytes(REPLY_WORDS.Deleted)],
  Touched: [lineBytes(REPLY_WORDS.Touched)],
  Ok: [lineBytes(REPLY_WORDS.Ok)],
  Reset: [lineBytes(REPLY_WORDS.Reset)],
}

const NOTHING: ReadonlyArray<Uint8Array> = []

const failureLine = (failure: Reply.Failure): string => {
  const error = failure.error
  switch (error._tag) {
    case 'ClientError':
      return `${WORDS.clientError} ${error.reason}`
    case 'ServerError':
      return `${WORDS.serverError} ${error.reason}`
    case 'UnknownCommand':
      return error.reason === '' ? WORDS.error : `${WORDS.error} ${error.reason}`
    case 'ValueTooLarge':
      return `${WORDS.serverError} object too large for cache`
  }
}

const pushItems = (items: ReadonlyArray<Reply.Item>, chunks: Array<Uint8Array>): void => {
  for (const item of items) {
    const cas = item.cas === undefined ? '' : ` ${item.cas}`
    chunks.push(lineBytes(`${WORDS.value} ${item.key} ${item.flags} ${item.value.length}${cas}`))
    if (item.value.length > 0) chunks.push(item.value)
    chunks.push(CRLF)
  }
}

/**
 * The `VALUE` lines and values of some hits, without the `END` line: one slice of a long
 * multi-get's reply (`renderReply` of the whole `Values` reply is the slices joined, then `END`).
 *
 * @example
 * renderItems([{ key: 'k', flags: 0, value: bytes('v') }]) // [bytes('VALUE k 0 1\r\n'), bytes('v'), bytes('\r\n')]
 * @category rendering
 */
export const renderItems = (items: ReadonlyArray<Reply.Item>): ReadonlyArray<Uint8Array> => {
  const chunks: Array<Uint8Array> = []
  pushItems(items, chunks)
  return chunks
}

/** The line that ends a retrieval's reply. @category rendering */
export const END_LINE: Uint8Array = END

/**
 * The bytes memcached writes for `reply`. Values are referenced, not copied; the returned chunks
 * may be shared between calls, so they must not be changed.
 *
 * @example
 * renderReply(Reply.stored) // [bytes('STORED\r\n')]
 * renderReply(Reply.numeric(7n)) // [bytes('7\r\n')]
 * @category rendering
 */
export const renderReply = (reply: Reply.Reply): ReadonlyArray<Uint8Array> => {
  switch (reply._tag) {
    case 'Values': {
      const chunks: Array<Uint8Array> = []
      pushItems(reply.items, chunks)
      chunks.push(END)
      return chunks
    }
    case 'Stats':
      return [Buffer.from(reply.entries.map(([name, value]) => `${WORDS.stat} ${name} ${value}\r\n`).join('') + `${WORDS.end}\r\n`, 'latin1')]
    case 'Stored':
    case 'NotStored':
    case 'Exists':
    case 'NotFound':
    case 'Deleted':
    case 'Touched':
    case 'Ok':
    case 'Reset':
      return WORD_LINES[reply._tag]
    case 'Numeric':
      return [lineBytes(reply.value.toString())]
    case 'Version':
      return [lineBytes(`${WORDS.version} ${reply.version}`)]
    case 'Line':
      return [lineBytes(reply.line)]
    case 'NoReply':
      return NOTHING
    case 'Failure':
      return [lineBytes(failureLine(reply))]
    case 'ClusterConfig': {
      const payload = formatClusterConfig(reply)
      return [lineBytes(`${CONFIG_WORD} ${CLUSTER_CONFIG_KEY} 0 ${payload.length}`), payload, CRLF, END]
    }
    default:
      // The client's meta reply shapes: the engine's meta answers are `ServedMeta`, written by meta-render.
      return [lineBytes(WORDS.error)]
  }
}
