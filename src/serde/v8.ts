/**
 * Node's structured-clone format (`node:v8` `serialize` / `deserialize`), stored with flags 32:
 * the Node counterpart of Python's pickle.
 *
 * It keeps what JSON loses — `Map`, `Set`, `Date`, `RegExp`, `bigint`, typed arrays and `Buffer`s,
 * `undefined`, `NaN`, `-0`, shared and cyclic references — but only Node reads it, and only a
 * Node whose V8 format version is at least the writer's. Functions, symbols and class instances'
 * prototypes are not kept (functions and symbols are refused with a `Left`). Unlike pickle it
 * never runs code while reading, so reading a foreign value is safe; malformed bytes are a `Left`.
 *
 * @since 0.1.0
 */
import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8'
import * as E from 'fp-ts/lib/Either.js'
import { serdeError } from './error.js'
import type { Serde } from './serde.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The flags the `v8` serde writes: 32 (bit 5), a bit that pymemcache, python-memcached and the
 * `memcached` npm package leave alone, so none of them mistakes these bytes for its own format.
 *
 * @example
 * V8_FLAGS // 32
 * @category model
 */
export const V8_FLAGS = 32

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Any structured-cloneable value. Reads as `unknown`: pair it with `codec` for a checked type.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * pipe(v8.serialize(new Map([['a', 1n]])), E.chain(v8.deserialize)) // right(Map { 'a' => 1n })
 * v8.serialize(() => 1) // left(SerdeError: cannot write the value with node:v8: ...could not be cloned.)
 * @category constructors
 */
export const v8: Serde<unknown> = {
  serialize: (value) => {
    try {
      return E.right({ bytes: v8Serialize(value), flags: V8_FLAGS })
    } catch (error) {
      return E.left(serdeError(V8_FLAGS, `cannot write the value with node:v8: ${reason(error)}`))
    }
  },
  deserialize: (encoded) => {
    try {
      return E.right(v8Deserialize(encoded.bytes) as unknown)
    } catch (error) {
      return E.left(serdeError(encoded.flags, `value is not in node:v8 format: ${reason(error)}`))
    }
  },
}
