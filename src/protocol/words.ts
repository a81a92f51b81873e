/**
 * The words of memcached's text protocol replies, in one table: the client's decoder reads them
 * and the emulator's front end writes them, so the two can never disagree on a spelling.
 *
 * @since 0.2.0
 */
import type { Reply } from './reply.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The replies that are one fixed word on their own line. @category model */
export type WordReply = Extract<Reply, { readonly _tag: 'Stored' | 'NotStored' | 'Exists' | 'NotFound' | 'Deleted' | 'Touched' | 'Ok' | 'Reset' }>

/**
 * The line of each one-word reply.
 *
 * @example
 * REPLY_WORDS.NotStored // 'NOT_STORED'
 * @category model
 */
export const REPLY_WORDS: { readonly [K in WordReply['_tag']]: string } = {
  Stored: 'STORED',
  NotStored: 'NOT_STORED',
  Exists: 'EXISTS',
  NotFound: 'NOT_FOUND',
  Deleted: 'DELETED',
  Touched: 'TOUCHED',
  Ok: 'OK',
  Reset: 'RESET',
}

/**
 * The words that open or close the other replies and the error lines.
 *
 * @example
 * `${WORDS.value} k 0 1` // 'VALUE k 0 1'
 * @category model
 */
export const WORDS = {
  end: 'END',
  value: 'VALUE',
  stat: 'STAT',
  version: 'VERSION',
  error: 'ERROR',
  clientError: 'CLIENT_ERROR',
  serverError: 'SERVER_ERROR',
  memlimit: 'MEMLIMIT_',
} as const

/**
 * The words of the meta protocol's replies: the return codes, the `mn` fence and `me`'s line.
 *
 * @example
 * `${META_WORDS.value} 2` // 'VA 2'
 * @category model
 */
export const META_WORDS = {
  done: 'HD',
  value: 'VA',
  miss: 'EN',
  notFound: 'NF',
  notStored: 'NS',
  exists: 'EX',
  noop: 'MN',
  debug: 'ME',
} as const
