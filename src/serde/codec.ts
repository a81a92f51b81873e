/**
 * Checks what comes back from the cache with an io-ts type.
 *
 * A cache outlives deployments: the value under a key may have been written by an older version
 * of the application, or by another one. `codec(Type, inner)` reads with `inner`, then decodes with
 * `Type`, so such a value is a `Left` naming the path that did not fit, never a wrongly typed `A`.
 * Writing encodes with `Type` first (so `DateFromISOString` and friends work) and then `inner`;
 * a value that is not an `A` (`Type.is` refuses it — plain JavaScript can pass anything) is a
 * `Left`, never handed to an `encode` that would throw on it or write it wrongly.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type * as t from 'io-ts'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
import type { Encoded, Serde } from './serde.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * An inner serde fit for a type whose output is `O`: it must accept `O` when writing.
 *
 * @example
 * import { json } from './json.js'
 * const writesUsers: Writes<{ readonly name: string }> = json // json accepts anything
 * @category model
 */
export interface Writes<O> {
  readonly serialize: (value: O) => E.Either<SerdeError, Encoded>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const MAX_SHOWN_ERRORS = 5

const show = (value: unknown): string => {
  let shown: string
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
  } catch {
    shown = Object.prototype.toString.call(value)
  }
  return shown.length > 60 ? shown.slice(0, 60) + '…' : shown
}

const isIdentifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const tagOf = (decoder: t.Decoder<unknown, unknown>): unknown => ('_tag' in decoder ? decoder._tag : undefined)

/**
 * `$.user.tags[2]` from an io-ts context: the keys walked from the root. Union and intersection
 * members are not part of the value's path (io-ts keys them by member index), so they are skipped.
 *
 * @example
 * // for t.type({ tags: t.array(t.string) }) given { tags: ['a', 1] }: '$.tags[1]'
 * @category utils
 */
export const pathOf = (context: t.Context): string => {
  let path = '$'
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]
    const key = context[i]?.key ?? ''
    const parentTag = parent === undefined ? undefined : tagOf(parent.type)
    if (key === '' || parentTag === 'UnionType' || parentTag === 'IntersectionType') continue
    path += /^\d+$/.test(key) ? `[${key}]` : isIdentifier.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
  }
  return path
}

/**
 * One line per failing path: `at $.age: expected number, got "x"`, at most five, then a count.
 *
 * @example
 * import * as t from 'io-ts'
 * import * as E from 'fp-ts/lib/Either.js'
 * const result = t.type({ age: t.number }).decode({ age: 'x' })
 * if (E.isLeft(result)) formatErrors(result.left) // 'at $.age: expected number, got "x"'
 * @category utils
 */
export const formatErrors = (errors: t.Errors): string => {
  const lines: Array<string> = []
  const seen = new Set<string>()
  for (const error of errors) {
    const last = error.context[error.context.length - 1]
    const line =
      error.message ??
      `at ${pathOf(error.context)}: expected ${last?.type.name ?? 'a valid value'}, got ${show(error.value)}`
    if (seen.has(line)) continue
    seen.add(line)
    lines.push(line)
  }
  const shown = lines.slice(0, MAX_SHOWN_ERRORS).join('; ')
  return lines.length > MAX_SHOWN_ERRORS ? `${shown}; and ${lines.length - MAX_SHOWN_ERRORS} more` : shown
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

// Why `value` is not an `A`: decoding it names the paths when `A` is also what the type reads
// (plain objects and primitives); otherwise the bare refusal.
const whyNot = <A, O, I>(type: t.Type<A, O, I>, value: unknown): string => {
  const decoded = type.decode(value as I)
  return E.isLeft(decoded) ? formatErrors(decoded.left) : `it is not a ${type.name}`
}

const encodeWith = <A, O, I>(type: t.Type<A, O, I>, value: A): E.Either<SerdeError, O> => {
  try {
    if (!type.is(value)) return E.left(serdeError(0, `cannot write ${describeValue(value)} as ${type.name}: ${whyNot(type, value)}`))
    return E.right(type.encode(value))
  } catch (error) {
    // A custom type whose `is`, `decode` or `encode` throws on a value it was not written for.
    return E.left(serdeError(0, `cannot write ${describeValue(value)} as ${type.name}: ${reason(error)}`))
  }
}

const make = <A, O, I, B extends I>(type: t.Type<A, O, I>, inner: Serde<B> & Writes<O>): Serde<A> => ({
  serialize: (value) => pipe(encodeWith(type, value), E.chain(inner.serialize)),
  deserialize: (encoded) =>
    pipe(
      inner.deserialize(encoded),
      E.chain((read) =>
        pipe(
          type.decode(read),
          E.mapLeft((errors) =>
            serdeError(encoded.flags, `value does not match ${type.name}: ${formatErrors(errors)}`),
          ),
        ),
      ),
    ),
})

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * A `Serde<A>` that validates every value read with the io-ts `type`. Data-first or data-last.
 * The inner serde must read what `type` decodes (its input `I`, usually `unknown`) and accept what
 * `type` encodes (its output `O`): `json` or `v8` for object types, `text` for `t.string`
 * refinements.
 *
 * @example
 * import * as t from 'io-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { json } from './json.js'
 * const User = t.type({ name: t.string, age: t.number }, 'User')
 * const users = codec(User, json) // or pipe(json, codec(User))
 * users.deserialize({ bytes: new TextEncoder().encode('{"name":"a","age":"x"}'), flags: 2 })
 * // left(SerdeError: 'value does not match User: at $.age: expected number, got "x"')
 * users.serialize({ name: 'a' } as unknown as t.TypeOf<typeof User>)
 * // left(SerdeError: 'cannot write an object as User: at $.age: expected number, got undefined')
 * @category combinators
 */
export function codec<A, O, I, B extends I>(type: t.Type<A, O, I>, inner: Serde<B> & Writes<O>): Serde<A>
export function codec<A, O, I>(type: t.Type<A, O, I>): <B extends I>(inner: Serde<B> & Writes<O>) => Serde<A>
export function codec<A, O, I, B extends I>(
  type: t.Type<A, O, I>,
  inner?: Serde<B> & Writes<O>,
): Serde<A> | ((inner: Serde<B> & Writes<O>) => Serde<A>) {
  if (inner !== undefined) return make(type, inner)
  return (given: Serde<B> & Writes<O>) => make(type, given)
}
