/**
 * `withKeyPrefix`: one keyspace per application on a shared cache.
 *
 * Every key a request names is sent as `prefix + key`, and the keys of `VALUE` replies come back
 * without it, so the layers above never see the prefix. The whole key is checked before anything
 * is sent: `prefix + key` must fit memcached's 250 bytes, and a refusal names the caller's key.
 * `raw` requests pass through untouched (their line is the caller's to write).
 *
 * Where it sits: below the router when placement must match clients that route on the
 * unprefixed key (pymemcache's `HashClient` with `key_prefix` does), i.e. one per node; anywhere
 * above the connection otherwise.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { invalidArgument, invalidKey, protocolError } from '../protocol/error.js'
import { type MemcacheError } from '../error.js'
import { byteLength, keyProblem, MAX_KEY_LENGTH, type KeyOptions } from '../protocol/key.js'
import { values, type Item, type Reply } from '../protocol/reply.js'
import { isRetrieval, isSingleKey, type Request } from '../protocol/request.js'
import { thenEither, type Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Why `prefix` cannot prefix keys, or `undefined`. A prefix follows the key rules, except that
 * it may not be the whole 250 bytes (something must follow it).
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
  return byteLength(prefix) >= MAX_KEY_LENGTH ? `${byteLength(prefix)} bytes long, leaving no room for a key` : undefined
}

const prefixKey =
  (prefix: string, prefixBytes: number, options: KeyOptions) =>
  (key: string): E.Either<MemcacheError, string> => {
    const problem = keyProblem(key, options)
    if (problem !== undefined) return E.left(invalidKey(key, problem))
    const total = prefixBytes + byteLength(key)
    return total > MAX_KEY_LENGTH
      ? E.left(invalidKey(key, `${total} bytes long with the prefix ${JSON.stringify(prefix)}, the limit is ${MAX_KEY_LENGTH}`))
      : E.right(prefix + key)
  }

const rewrite = (request: Request, withPrefix: (key: string) => E.Either<MemcacheError, string>): E.Either<MemcacheError, Request> => {
  if (isRetrieval(request)) {
    const keys: Array<string> = []
    for (const key of request.keys) {
      const prefixed = withPrefix(key)
      if (E.isLeft(prefixed)) return prefixed
      keys.push(prefixed.right)
    }
    return E.right({ ...request, keys })
  }
  if (isSingleKey(request)) {
    return pipe(
      withPrefix(request.key),
      E.map((key) => ({ ...request, key })),
    )
  }
  return E.right(request)
}

const stripItems = (prefix: string, reply: Reply): E.Either<MemcacheError, Reply> => {
  if (reply._tag !== 'Values') return E.right(reply)
  const items: Array<Item> = []
  for (const item of reply.items) {
    if (!item.key.startsWith(prefix)) return E.left(protocolError(`reply names key ${JSON.stringify(item.key)} without the prefix ${JSON.stringify(prefix)}`))
    items.push({ ...item, key: item.key.slice(prefix.length) })
  }
  return E.right(values(items))
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Prefixes every key with `prefix` (checked as a whole, `allowUnicodeKeys` as the connection's).
 * An invalid prefix fails every keyed request with `InvalidArgument`; `''` changes nothing.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * const scoped = pipe(connection, withKeyPrefix('billing:'))
 * await get('invoice:7')(scoped)() // sends "get billing:invoice:7", answers for 'invoice:7'
 * @category constructors
 */
export const withKeyPrefix =
  (prefix: string, options: KeyOptions = {}): Middleware =>
  (next) => {
    if (prefix === '') return next
    const problem = prefixProblem(prefix, options)
    const withPrefix: (key: string) => E.Either<MemcacheError, string> =
      problem === undefined ? prefixKey(prefix, byteLength(prefix), options) : () => E.left(invalidArgument('keyPrefix', `${JSON.stringify(prefix)}: ${problem}`))
    return {
      send: (request) => {
        const prefixed = rewrite(request, withPrefix)
        return E.isLeft(prefixed) ? TE.left(prefixed.left) : thenEither(next.send(prefixed.right), (reply) => stripItems(prefix, reply))
      },
      close: next.close,
    }
  }
