/**
 * memcached's key rules, checked before a single byte is written.
 *
 * A key is 1..250 bytes with no space and no control byte (0x00-0x20, 0x7f). Non-ASCII keys are
 * refused unless the caller allows unicode keys, in which case they are sent as UTF-8 and the
 * byte length (not the string length) is what must fit. Lone UTF-16 surrogates are always refused:
 * they have no UTF-8 form and would reach the server as replacement bytes.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from '../describe.js'
import { invalidKey, type InvalidKey } from './error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How keys are checked: which bytes are allowed, and the prefix they are sent with.
 * @category model
 */
export interface KeyOptions {
  /** Accept non-ASCII keys (sent as UTF-8). Default `false`, as pymemcache's `allow_unicode_keys`. */
  readonly allowUnicodeKeys?: boolean
}

/** The longest key memcached accepts, in bytes. @category model */
export const MAX_KEY_LENGTH = 250

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const describeByte = (code: number): string =>
  code === 0x20 ? 'space' : code === 0x09 ? 'tab' : code === 0x0d ? 'CR' : code === 0x0a ? 'LF' : code === 0 ? 'NUL' : `control byte 0x${code.toString(16).padStart(2, '0')}`

/**
 * The UTF-8 byte count of `text` (what memcached measures a key and a command line by), without
 * asking `Buffer` when the text is ASCII.
 *
 * @example
 * byteLength('user:1') // 6
 * byteLength('clé') // 4
 * @category utils
 */
export const byteLength = (text: string): number => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8')
  return text.length
}

/**
 * Why `key` is refused, or `undefined` when it is a valid key. Cheap: no allocation for valid keys.
 *
 * @example
 * keyProblem('a b') // 'space at index 1'
 * keyProblem('ok') // undefined
 * @category utils
 */
export const keyProblem = (key: string, options: KeyOptions = {}): string | undefined => {
  // Plain JavaScript may pass anything: a number would otherwise go on the wire as its digits.
  if (typeof key !== 'string') return `a key must be a string, got ${describeValue(key)}`
  const length = key.length
  if (length === 0) return 'empty key'
  let ascii = true
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f) return `${describeByte(code)} at index ${i}`
    if (code > 0x7f) {
      if (options.allowUnicodeKeys !== true) return `non-ASCII character at index ${i} (allow unicode keys to send it as UTF-8)`
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = key.charCodeAt(i + 1)
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return `lone surrogate at index ${i}`
        i++
      }
      ascii = false
    }
  }
  const bytes = ascii ? length : Buffer.byteLength(key, 'utf8')
  if (bytes > MAX_KEY_LENGTH) return `${bytes} bytes long, the limit is ${MAX_KEY_LENGTH}`
  return undefined
}

/**
 * Checks one key.
 *
 * @example
 * validateKey()('user:1') // right('user:1')
 * validateKey()('a\r\nflush_all') // left(InvalidKey)
 * @category utils
 */
export const validateKey =
  (options: KeyOptions = {}) =>
  (key: string): E.Either<InvalidKey, string> => {
    const problem = keyProblem(key, options)
    return problem === undefined ? E.right(key) : E.left(invalidKey(key, problem))
  }

/**
 * Why `prefix` cannot prefix keys, or `undefined`. A prefix follows the key rules, except that it
 * may be empty and may not take all 250 bytes (something must follow it).
 *
 * @example
 * prefixProblem('app:') // undefined
 * prefixProblem('my app') // 'space at index 2'
 * @category utils
 */
export const prefixProblem = (prefix: string, options: KeyOptions = {}): string | undefined => {
  if (prefix === '') return undefined
  const problem = keyProblem(prefix, options)
  if (problem !== undefined) return problem
  const bytes = byteLength(prefix)
  return bytes >= MAX_KEY_LENGTH ? `${bytes} bytes long, leaving no room for a key` : undefined
}

/**
 * The `InvalidKey` for `key` sent after `prefix` (checked on its own: see `prefixProblem`), or
 * `undefined` when it may be sent: the key's own rules, and the 250 bytes counting the prefix. The
 * error names the caller's key. The one rule the encoder and the many-key commands share.
 *
 * @example
 * keyError('k'.repeat(60), 'p'.repeat(200)) // InvalidKey: 260 bytes long with the prefix ...
 * keyError('a b', '') // InvalidKey: space at index 1
 * @category utils
 */
export const keyError = (key: string, prefix: string, options: KeyOptions = {}): InvalidKey | undefined => {
  const problem = keyProblem(key, options)
  if (prefix === '') return problem === undefined ? undefined : invalidKey(key, problem)
  const keyBytes = byteLength(key)
  // A key problem on a key that fits alone is in its bytes; one too long alone is too long with the prefix too.
  if (problem !== undefined && keyBytes <= MAX_KEY_LENGTH) return invalidKey(key, problem)
  const total = byteLength(prefix) + keyBytes
  return total > MAX_KEY_LENGTH
    ? invalidKey(key, `${total} bytes long with the prefix ${JSON.stringify(prefix)}: the ${MAX_KEY_LENGTH}-byte limit includes the prefix`)
    : undefined
}
