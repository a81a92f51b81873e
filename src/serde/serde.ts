/**
 * A `Serde<A>` turns values into the bytes and flags memcached stores, and back.
 *
 * @since 0.1.0
 */
import type * as E from 'fp-ts/lib/Either.js'
import type { SerdeError } from '../protocol/error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What memcached stores for one item besides its key.
 * @category model
 */
export interface Encoded {
  readonly bytes: Uint8Array
  readonly flags: number
}

/**
 * @example
 * const text: Serde<string> = {
 *   serialize: (value) => E.right({ bytes: new TextEncoder().encode(value), flags: 0 }),
 *   deserialize: ({ bytes }) => E.right(new TextDecoder().decode(bytes)),
 * }
 * @category model
 */
export interface Serde<A> {
  readonly serialize: (value: A) => E.Either<SerdeError, Encoded>
  readonly deserialize: (encoded: Encoded) => E.Either<SerdeError, A>
}
