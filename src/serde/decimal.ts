/**
 * Numbers as decimal text (ASCII), stored with flags 0: what `incr`/`decr` work on and what every
 * client can read.
 *
 * Reading tolerates ASCII whitespace around the digits: memcached may leave a value
 * space-padded after a `decr` shortens it. Anything else that is not a number is a `Left`
 * (no `Number('')` → 0, no hexadecimal). Writing takes only the serde's own type: a string, a
 * `bigint` given to `number` or a `number` given to `bigint` (plain JavaScript can pass any) is a
 * `Left` saying how to convert it.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describeValue } from '../describe.js'
import { serdeError, type SerdeError } from './error.js'
import type { Serde } from './serde.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The flags `number` and `bigint` write: 0, plain text.
 *
 * @example
 * DECIMAL_FLAGS // 0
 * @category model
 */
export const DECIMAL_FLAGS = 0

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const whitespace = /^[ \t\r\n]+|[ \t\r\n]+$/g
const numberText = /^(?:-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|-?Infinity)$/
const integerText = /^-?\d+$/
const latin1 = new TextDecoder('latin1')

const asciiOf = (value: string): Uint8Array => {
  const out = new Uint8Array(value.length)
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i)
  return out
}

// A digit string is short, but a foreign value may be anything: show a bounded prefix.
const preview = (source: string): string => JSON.stringify(source.length > 40 ? source.slice(0, 40) + '…' : source)

const readText =
  (flags: number, pattern: RegExp, what: string) =>
  (bytes: Uint8Array): E.Either<SerdeError, string> => {
    const source = latin1.decode(bytes).replace(whitespace, '')
    return pattern.test(source) ? E.right(source) : E.left(serdeError(flags, `value is not ${what}: ${preview(latin1.decode(bytes))}`))
  }

const notANumber = (value: unknown): SerdeError =>
  serdeError(
    DECIMAL_FLAGS,
    `number writes JavaScript numbers only, got ${describeValue(value)}: ` +
      (typeof value === 'bigint'
        ? 'use the bigint serde for bigints'
        : typeof value === 'string'
          ? 'convert it with Number(value) first, or use the text serde to store the string as it is'
          : 'use the json serde for other values'),
  )

const notABigint = (value: unknown): SerdeError =>
  serdeError(
    DECIMAL_FLAGS,
    `bigint writes bigints only, got ${describeValue(value)}: ` +
      (typeof value === 'number' && Number.isSafeInteger(value)
        ? `pass ${value}n (BigInt(value) converts a whole number), or use the number serde`
        : typeof value === 'number' || typeof value === 'string'
          ? 'convert it with BigInt(value) first (it must be a whole number), or use the number or text serde'
          : 'use the json serde for other values'),
  )

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * JavaScript numbers in their shortest decimal form (`String(n)`, so `1e+21` for large ones).
 * `NaN`, `Infinity`, `-Infinity` and `-0` are written by name and read back as themselves.
 *
 * @example
 * number.serialize(1.5) // right({ bytes: <31 2e 35>, flags: 0 })
 * number.deserialize({ bytes: new TextEncoder().encode('42  '), flags: 0 }) // right(42)
 * number.deserialize({ bytes: new TextEncoder().encode('0x10'), flags: 0 }) // left(SerdeError)
 * number.serialize('42' as unknown as number) // left(SerdeError: 'number writes JavaScript numbers only, got the string "42": ...')
 * @category constructors
 */
export const number: Serde<number> = {
  serialize: (value) =>
    typeof value === 'number'
      ? E.right({ bytes: asciiOf(Object.is(value, -0) ? '-0' : String(value)), flags: DECIMAL_FLAGS })
      : E.left(notANumber(value)),
  deserialize: (encoded) => pipe(readText(encoded.flags, numberText, 'a decimal number')(encoded.bytes), E.map(Number)),
}

/**
 * Integers of any size as decimal digits, optionally negative.
 *
 * @example
 * bigint.serialize(2n ** 64n) // right({ bytes: <'18446744073709551616'>, flags: 0 })
 * bigint.deserialize({ bytes: new TextEncoder().encode('1.5'), flags: 0 }) // left(SerdeError)
 * bigint.serialize(42 as unknown as bigint) // left(SerdeError: 'bigint writes bigints only, got the number 42: pass 42n ...')
 * @category constructors
 */
export const bigint: Serde<bigint> = {
  serialize: (value) =>
    typeof value === 'bigint' ? E.right({ bytes: asciiOf(value.toString()), flags: DECIMAL_FLAGS }) : E.left(notABigint(value)),
  deserialize: (encoded) => pipe(readText(encoded.flags, integerText, 'a decimal integer')(encoded.bytes), E.map(BigInt)),
}
