/**
 * A `Serde<A>` turns values into the bytes and flags memcached stores, and back.
 *
 * This module holds the model and the combinators that build one serde from others: `imap` /
 * `imapEither` change the value type, `orElse` / `firstOf` read values written in older formats,
 * `flagged` stamps and checks a flags word, `stringified` writes any value as the text `String`
 * gives. The concrete serdes (`bytes`, `text`, `json`, ...) live one per module next to this one.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Invariant1 } from 'fp-ts/lib/Invariant.js'
import type { ReadonlyNonEmptyArray } from 'fp-ts/lib/ReadonlyNonEmptyArray.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
import { isValidFlags } from './flags.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What memcached stores for one item besides its key.
 *
 * @example
 * const stored: Encoded = { bytes: new TextEncoder().encode('{"a":1}'), flags: 2 }
 * @category model
 */
export interface Encoded {
  readonly bytes: Uint8Array
  readonly flags: number
}

/**
 * A pair of functions between values and what memcached stores. Both return errors as values:
 * a `SerdeError` whose `flags` are the flags that were read (or, for a value that could not be
 * written, the flags the serde writes; 0 when it cannot know).
 *
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

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * A `Serde<B>` from a `Serde<A>` and a lossless pair of conversions.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { number } from './decimal.js'
 * const dates: Serde<Date> = pipe(number, imap((ms) => new Date(ms), (date) => date.getTime()))
 * @category combinators
 */
export const imap =
  <A, B>(decode: (a: A) => B, encode: (b: B) => A) =>
  (serde: Serde<A>): Serde<B> => ({
    serialize: (value) => serde.serialize(encode(value)),
    deserialize: (encoded) => pipe(serde.deserialize(encoded), E.map(decode)),
  })

/**
 * Like `imap`, for conversions that can fail: a `Left` message becomes a `SerdeError` (with the
 * flags read, or 0 when writing).
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { text } from './text.js'
 * const url: Serde<URL> = pipe(
 *   text,
 *   imapEither(
 *     (s) => (URL.canParse(s) ? E.right(new URL(s)) : E.left(`not a URL: ${s}`)),
 *     (u) => E.right(u.href),
 *   ),
 * )
 * @category combinators
 */
export const imapEither =
  <A, B>(decode: (a: A) => E.Either<string, B>, encode: (b: B) => E.Either<string, A>) =>
  (serde: Serde<A>): Serde<B> => ({
    serialize: (value) =>
      pipe(
        encode(value),
        E.mapLeft((message) => serdeError(0, message)),
        E.chain(serde.serialize),
      ),
    deserialize: (encoded) =>
      pipe(
        serde.deserialize(encoded),
        E.chain((a) =>
          pipe(
            decode(a),
            E.mapLeft((message) => serdeError(encoded.flags, message)),
          ),
        ),
      ),
  })

/**
 * Writes with the first serde; reads with each in turn until one succeeds. Put the current format
 * first and the formats older versions of the application wrote after it, so values already in the
 * cache stay readable during a rollout. When every serde fails, the error lists each reason.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { json } from './json.js'
 * import { v8 } from './v8.js'
 * // v2 writes JSON; values v1 wrote with v8 are still read.
 * const settings = firstOf([json, v8])
 * @category constructors
 */
export const firstOf = <A>(serdes: ReadonlyNonEmptyArray<Serde<A>>): Serde<A> => ({
  serialize: serdes[0].serialize,
  deserialize: (encoded) => {
    const reasons: Array<string> = []
    for (const serde of serdes) {
      const result = serde.deserialize(encoded)
      if (E.isRight(result)) return result
      reasons.push(result.left.message)
    }
    if (reasons.length === 1) return E.left(serdeError(encoded.flags, reasons[0] ?? ''))
    return E.left(
      serdeError(
        encoded.flags,
        `none of ${reasons.length} serdes could read the value (flags ${encoded.flags}): ` +
          reasons.map((reason, index) => `[${index + 1}] ${reason}`).join('; '),
      ),
    )
  },
})

/**
 * `firstOf([primary, fallback])`, data-last: write with `primary`, read with `primary` and then
 * with `fallback`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { bigint, number } from './decimal.js'
 * // Counters used to be written as numbers; read those too, as bigints.
 * const counter = pipe(bigint, orElse(pipe(number, imap((n) => BigInt(Math.trunc(n)), Number))))
 * @category combinators
 */
export const orElse =
  <A>(fallback: Serde<A>) =>
  (primary: Serde<A>): Serde<A> =>
    firstOf([primary, fallback])

/**
 * Stamps `flags` on every value written (replacing what the inner serde chose) and reads only
 * values stored with exactly those flags. Useful to tell formats apart in `firstOf`, or to match
 * another client's convention. Invalid `flags` (not an integer in `0..2^32-1`) fail every call.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { text } from './text.js'
 * // Read only what was stored as plain text, not another format's bytes that happen to be UTF-8:
 * const plainText = pipe(text, flagged(0))
 * plainText.deserialize({ bytes: new TextEncoder().encode('{}'), flags: 2 })
 * // left(SerdeError: 'expected a value stored with flags 0, got flags 2')
 * @category combinators
 */
export const flagged =
  (flags: number) =>
  <A>(serde: Serde<A>): Serde<A> => {
    const invalid = isValidFlags(flags)
      ? undefined
      : serdeError(0, `flagged: flags must be an integer in 0..4294967295, got ${String(flags)}`)
    return {
      serialize: (value) =>
        invalid !== undefined
          ? E.left(invalid)
          : pipe(
              serde.serialize(value),
              E.map(({ bytes }) => ({ bytes, flags })),
            ),
      deserialize: (encoded) =>
        invalid !== undefined
          ? E.left(invalid)
          : encoded.flags === flags
            ? serde.deserialize(encoded)
            : E.left(serdeError(encoded.flags, `expected a value stored with flags ${flags}, got flags ${encoded.flags}`)),
    }
  }

/**
 * Opts a string serde in to writing any value as `String(value)`, as memjs-era code expects:
 * `42` is stored as `'42'`, `true` as `'true'`, `undefined` as `'undefined'` and a plain object as
 * `'[object Object]'` — exactly what `String` gives, so use it only where that is what you mean
 * (`json` keeps numbers and objects as they are). Reading is the inner serde's: a string. A value
 * `String` cannot convert (an object without a prototype, a `toString` that throws) is a `Left`.
 *
 * @example
 * import { text } from './text.js'
 * const loose = stringified(text) // or pipe(text, stringified)
 * loose.serialize(42) // right({ bytes: <'42'>, flags: 0 })
 * loose.deserialize({ bytes: new TextEncoder().encode('42'), flags: 0 }) // right('42'): read back as a string
 * loose.serialize(Object.create(null)) // left(SerdeError: 'stringified: String(value) failed on an object with a null prototype: ...')
 * @category combinators
 */
export const stringified = (serde: Serde<string>): Serde<unknown> => ({
  serialize: (value) => {
    let source: string
    try {
      source = String(value)
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'it threw'
      return E.left(serdeError(0, `stringified: String(value) failed on ${describeValue(value)}: ${reason}; use the json serde for such values`))
    }
    return serde.serialize(source)
  },
  deserialize: serde.deserialize,
})

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * @example
 * URI // 'Serde'
 * @category instances
 */
export const URI = 'Serde'

/**
 * @example
 * import type { Kind } from 'fp-ts/HKT'
 * type TextSerde = Kind<URI, string> // Serde<string>
 * @category instances
 */
export type URI = typeof URI

declare module 'fp-ts/HKT.js' {
  interface URItoKind<A> {
    readonly [URI]: Serde<A>
  }
}

/**
 * `Serde` is an invariant functor: it both consumes and produces its type parameter.
 *
 * @example
 * import { text } from './text.js'
 * const upper = Invariant.imap(text, (s) => s.toUpperCase(), (s) => s.toLowerCase())
 * @category instances
 */
export const Invariant: Invariant1<URI> = {
  URI,
  imap: (serde, decode, encode) => imap(decode, encode)(serde),
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Writes then reads a value: the round trip every serde must survive. Handy in tests.
 *
 * @example
 * import { text } from './text.js'
 * roundTrip(text)('héllo') // right('héllo')
 * @category utils
 */
export const roundTrip =
  <A>(serde: Serde<A>) =>
  (value: A): E.Either<SerdeError, A> =>
    pipe(serde.serialize(value), E.chain(serde.deserialize))
