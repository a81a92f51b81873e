/**
 * JSON text (UTF-8), stored with flags 2.
 *
 * Flags 2 is the `memcached` npm package's `FLAG_JSON`, so that client reads these values as
 * objects too. Reading accepts any flags: the bytes decide (invalid UTF-8 or JSON is a `Left`).
 *
 * Writing refuses what JSON would silently change — `NaN` and `±Infinity` (JSON writes `null`),
 * `undefined`, functions and symbols at the top level or inside arrays (JSON writes nothing or
 * `null`) — and what JSON refuses (`bigint`, cycles). The error names the path (`$.a[1]`) and, for
 * what JSON refuses, what to do instead. Any value plain JavaScript passes gives a `Right` or a
 * `Left`, never an exception (a `toJSON` or getter that throws is a `Left` with its message).
 * `undefined` object properties are dropped, as JSON does, so optional fields work; `toJSON`
 * (e.g. on `Date`) is honoured. `Map`, `Set` and class instances are written as JSON writes them
 * (`{}` and their own enumerable fields): use `codec` or `v8` for those.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { serdeError } from './error.js'
import type { Serde } from './serde.js'
import { decodeUtf8 } from './utf8.js'

const utf8Encoder = new TextEncoder()

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The flags `json` writes: 2 (`FLAG_JSON` of the `memcached` npm package).
 *
 * @example
 * JSON_FLAGS // 2
 * @category model
 */
export const JSON_FLAGS = 2

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const isIdentifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const segment = (key: string | number): string =>
  typeof key === 'number' ? `[${key}]` : isIdentifier.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`

// What JSON.stringify writes for `value` under `key`: the result of its toJSON, if it has one.
const toJsonOf = (value: unknown, key: string | number): unknown => {
  if (typeof value !== 'object' || value === null) return value
  const method: unknown = Reflect.get(value, 'toJSON')
  return typeof method === 'function' ? (method.call(value, String(key)) as unknown) : value
}

interface Unfaithful {
  readonly what: string
  readonly path: string
}

// A second pass after JSON.stringify succeeded (so no cycles and no bigints are left): finds what
// it silently turned into null or dropped. Twice as fast as a replacer function.
const findUnfaithful = (value: unknown, key: string | number, inArray: boolean): Unfaithful | undefined => {
  const written = toJsonOf(value, key)
  if (typeof written === 'number' || written instanceof Number) {
    const number = Number(written)
    return Number.isFinite(number) ? undefined : { what: String(number), path: '' }
  }
  if (written === undefined || typeof written === 'function' || typeof written === 'symbol') {
    return inArray ? { what: written === undefined ? 'undefined' : `a ${typeof written}`, path: '' } : undefined
  }
  if (typeof written !== 'object' || written === null) return undefined
  if (Array.isArray(written)) {
    for (let index = 0; index < written.length; index++) {
      const found = findUnfaithful(written[index], index, true)
      if (found !== undefined) return { what: found.what, path: segment(index) + found.path }
    }
    return undefined
  }
  for (const name of Object.keys(written)) {
    const found = findUnfaithful(Reflect.get(written, name), name, false)
    if (found !== undefined) return { what: found.what, path: segment(name) + found.path }
  }
  return undefined
}

// Why JSON.stringify threw, found again by walking the value as it does: a bigint, or an object
// that is its own ancestor. Undefined when the walk finds neither (a toJSON that threw).
const findUnwritable = (value: unknown, key: string | number, ancestors: Array<object>): Unfaithful | undefined => {
  const written = toJsonOf(value, key)
  if (typeof written === 'bigint' || written instanceof BigInt) return { what: 'bigint', path: '' }
  if (typeof written !== 'object' || written === null) return undefined
  if (ancestors.includes(written)) return { what: 'cycle', path: '' }
  ancestors.push(written)
  const names: ReadonlyArray<string | number> = Array.isArray(written) ? Array.from({ length: written.length }, (_, index) => index) : Object.keys(written)
  for (const name of names) {
    const found = findUnwritable(Reflect.get(written, name), name, ancestors)
    if (found !== undefined) return { what: found.what, path: segment(name) + found.path }
  }
  ancestors.pop()
  return undefined
}

const at = (path: string): string => (path === '' ? 'the top level' : '$' + path)

const reasonOf = (error: unknown): string =>
  // V8's message for a cycle spans several lines; an error message is one.
  (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ')

const stringifyFailure = (value: unknown, error: unknown): string => {
  const found = findUnwritable(value, '', [])
  if (found?.what === 'bigint') {
    return `cannot write a bigint as JSON (at ${at(found.path)}): JSON has no bigints; convert it to a string or a number first, or use the v8 serde`
  }
  if (found?.what === 'cycle') {
    return `cannot write a cyclic value as JSON (${at(found.path)} refers back to a value that contains it): use the v8 serde, which keeps cycles`
  }
  return `cannot write the value as JSON: ${reasonOf(error)}`
}

/**
 * The JSON text of `value`, or why it has no faithful JSON form (see the module notes). Shared
 * with the serdes that embed JSON (`memcachedNpm`).
 *
 * @example
 * toJsonText({ a: [1, 2] }) // right('{"a":[1,2]}')
 * toJsonText({ a: [1, NaN] }) // left('cannot write NaN as JSON (at $.a[1])')
 * toJsonText({ n: 1n }) // left('cannot write a bigint as JSON (at $.n): JSON has no bigints; ...')
 * @category utils
 */
export const toJsonText = (value: unknown): E.Either<string, string> => {
  let written: string | undefined
  try {
    written = JSON.stringify(value)
  } catch (error) {
    try {
      return E.left(stringifyFailure(value, error))
    } catch {
      // The second walk failed too (a toJSON or a getter that throws, a value nested too deep).
      return E.left(`cannot write the value as JSON: ${reasonOf(error)}`)
    }
  }
  if (written === undefined) {
    return E.left(
      value === undefined
        ? 'cannot write undefined as JSON (at the top level): JSON has no undefined; store null, or use delete to remove a key'
        : `cannot write a ${typeof value} as JSON (at the top level)`,
    )
  }
  try {
    const found = findUnfaithful(value, '', false)
    return found === undefined ? E.right(written) : E.left(`cannot write ${found.what} as JSON (at ${at(found.path)})`)
  } catch (error) {
    // Only a value that changes between two reads gets here (a getter or toJSON that throws the second time).
    return E.left(`cannot write the value as JSON: ${reasonOf(error)}`)
  }
}

/**
 * Parses JSON text, with the parser's reason in the `Left`.
 *
 * @example
 * parseJsonText('[1]') // right([1])
 * parseJsonText('{') // left('invalid JSON: ...')
 * @category utils
 */
export const parseJsonText = (source: string): E.Either<string, unknown> => {
  try {
    return E.right(JSON.parse(source) as unknown)
  } catch (error) {
    return E.left(`invalid JSON: ${reasonOf(error)}`)
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Any JSON value. Reads as `unknown`: pair it with `codec` to get a checked type back.
 *
 * @example
 * json.serialize({ a: 1 }) // right({ bytes: <{"a":1}>, flags: 2 })
 * json.deserialize({ bytes: new TextEncoder().encode('{"a":'), flags: 2 })
 * // left({ _tag: 'SerdeError', flags: 2, message: 'invalid JSON: ...' })
 * @category constructors
 */
export const json: Serde<unknown> = {
  serialize: (value) =>
    pipe(
      toJsonText(value),
      E.mapLeft((reason) => serdeError(JSON_FLAGS, reason)),
      // JSON.stringify escapes lone surrogates, so its text always encodes faithfully.
      E.map((source) => ({ bytes: utf8Encoder.encode(source), flags: JSON_FLAGS })),
    ),
  deserialize: (encoded) =>
    pipe(
      decodeUtf8(encoded.flags)(encoded.bytes),
      E.chain((source) =>
        pipe(
          parseJsonText(source),
          E.mapLeft((reason) => serdeError(encoded.flags, reason)),
        ),
      ),
    ),
}
