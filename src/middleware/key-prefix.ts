/**
 * `withKeyPrefix`: one keyspace per application on a shared cache.
 *
 * Every keyed request (`get`, `gets`, `gat`, `gats`, storage, `cas`, `delete`, `incr`, `decr`,
 * `touch`) leaves with its `prefix` field set; the encoder writes `prefix + key` (checking the
 * 250 bytes on the whole, a refusal naming the caller's key) and the decoder answers for the
 * caller's key, so the layers above never see the prefix and neither keys nor replies are
 * rebuilt here. The prefix itself is checked once, when the middleware is made. `raw` requests
 * pass through untouched (their line is the caller's to write), and so does everything without a key.
 *
 * Nested prefixes compose as namespaces: the layer nearer the wire owns the keyspace below it, so
 * its prefix goes in front of any prefix a layer above already set. `pipe(node,
 * withKeyPrefix('tenant:'), withKeyPrefix('app:'))` sends `tenant:app:key`: what is built on a
 * prefixed transport cannot leave its namespace.
 *
 * Where it sits: below the router when placement must match clients that route on the
 * unprefixed key (pymemcache's `HashClient` with `key_prefix` does), i.e. one per node; anywhere
 * above the connection otherwise.
 *
 * @since 0.1.0
 */
import * as TE from 'fp-ts/lib/TaskEither.js'
import { invalidArgument } from '../protocol/error.js'
import { prefixProblem, type KeyOptions } from '../protocol/key.js'
import { isKeyed, prefixed } from '../protocol/request.js'
import { emptyContext } from '../transport/context.js'
import type { Middleware } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Prefixes every key with `prefix` (checked here, once, with `allowUnicodeKeys` as the
 * connection's). An invalid prefix fails every keyed request with `InvalidArgument` (nothing is
 * sent) and lets the others through; `''` changes nothing.
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
    if (problem !== undefined) {
      const refused = TE.left(invalidArgument('keyPrefix', `${JSON.stringify(prefix)}: ${problem}`))
      return {
        send: (request, context = emptyContext) => (isKeyed(request) ? refused : next.send(request, context)),
        close: next.close,
      }
    }
    const withThisPrefix = prefixed(prefix)
    return {
      send: (request, context = emptyContext) => next.send(withThisPrefix(request), context),
      close: next.close,
    }
  }
