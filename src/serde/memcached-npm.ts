/**
 * The value convention of the `memcached` npm package (2.x), so a team can move from it to
 * fp-memcache while both share one cache.
 *
 * | flags | `memcached` name | JavaScript value                 | stored as                          |
 * | ----- | ---------------- | -------------------------------- | ---------------------------------- |
 * | 0     | —                | `string`                         | UTF-8                              |
 * | 2     | `FLAG_JSON`      | anything else (objects, arrays, booleans, `null`) | `JSON.stringify`  |
 * | 4     | `FLAG_BINARY`    | `Buffer` (here any `Uint8Array`) | each byte as the character U+00XX, UTF-8 encoded |
 * | 8     | `FLAG_NUMERIC`   | `number`                         | `String(n)`, read back with `+text` |
 *
 * Two quirks of that package are mirrored because its bytes on the wire depend on them:
 * - Every value has a backslash put before each `\r` and `\n` (its reader splits the stream on
 *   `\r\n`), and removed again on read. A value another client stored with flags 0 and text like
 *   `a\` + newline therefore reads back without that backslash, exactly as the package reads it.
 * - A `Buffer` is written as a latin1 string and sent as UTF-8, so bytes 0x80..0xFF take two bytes
 *   on the wire (a 1 MiB random buffer stores as about 1.5 MiB); reading takes the low byte of
 *   each character back.
 *
 * Reading matches flags exactly as the package does (any other flags, e.g. 6, read as a string).
 * Where the package would silently produce something else, this serde gives a `Left`: text that
 * is not UTF-8 (the package would show U+FFFD), flags 2 on bytes that are not JSON (the package
 * throws inside its parser), and on write, values `JSON.stringify` cannot represent faithfully
 * (`undefined`, `NaN` inside objects, `bigint`, cycles, functions...) and lone surrogates; no value
 * plain JavaScript passes makes it throw. A non-numeric text with flags 8 reads as `NaN`, as in
 * the package. `-0` is written as `0`, as the package does.
 *
 * @since 0.1.0
 */
import { types } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import type { Json } from 'fp-ts/lib/Json.js'
import { pipe } from 'fp-ts/lib/function.js'
import { serdeError, type SerdeError } from './error.js'
import { parseJsonText, toJsonText } from './json.js'
import type { Encoded, Serde } from './serde.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What the `memcached` package stores: strings, numbers, Buffers (`Uint8Array` here) and JSON.
 * A `string` always means flags 0 on write; a JSON value read from flags 2 may itself be a string
 * or number when another client wrote it that way.
 *
 * @example
 * const values: ReadonlyArray<MemcachedNpmValue> = ['text', 1.5, new Uint8Array([1]), { a: [true, null] }]
 * @category model
 */
export type MemcachedNpmValue = string | number | Uint8Array | Json

/**
 * The `memcached` package's flags (`lib/memcached.js`).
 *
 * @example
 * MEMCACHED_NPM_FLAGS.binary // 4
 * @category model
 */
export const MEMCACHED_NPM_FLAGS = {
  string: 0,
  json: 1 << 1,
  binary: 1 << 2,
  numeric: 1 << 3,
} as const

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const BACKSLASH = 0x5c
const CR = 0x0d
const LF = 0x0a

/**
 * The package's `escapeValue`: a backslash before each `\r` and `\n`.
 *
 * @example
 * escapeLineBreaks('a\nb') // 'a\\\nb'
 * @category utils
 */
export const escapeLineBreaks = (value: string): string => value.replace(/(\r|\n)/g, '\\$1')

/**
 * The package's `unescapeValue`: drops the backslash before each `\r` and `\n`.
 *
 * @example
 * unescapeLineBreaks('a\\\nb') // 'a\nb'
 * @category utils
 */
export const unescapeLineBreaks = (value: string): string => value.replace(/\\(\r|\n)/g, '$1')

// `buffer.toString('binary')`, escaped, then UTF-8: each byte b is U+00bb, so bytes 0x80..0xFF
// become two bytes, and CR/LF get a backslash first.
const binaryToWire = (bytes: Uint8Array): Uint8Array => {
  let length = bytes.length
  for (const byte of bytes) if (byte >= 0x80 || byte === CR || byte === LF) length += 1
  const out = new Uint8Array(length)
  let at = 0
  for (const byte of bytes) {
    if (byte === CR || byte === LF) out[at++] = BACKSLASH
    if (byte < 0x80) out[at++] = byte
    else {
      out[at++] = 0xc0 | (byte >> 6)
      out[at++] = 0x80 | (byte & 0x3f)
    }
  }
  return out
}

// `Buffer.write(text, 'binary')`: the low byte of each UTF-16 code unit.
const binaryFromText = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff
  return out
}

const encodeText = (flags: number) => (text: string): E.Either<SerdeError, Encoded> =>
  pipe(
    encodeUtf8(flags)(escapeLineBreaks(text)),
    E.map((bytes) => ({ bytes, flags })),
  )

// `types` checks an internal slot: no Proxy trap runs, so no value plain JavaScript passes can throw here.
const isBytes = (value: MemcachedNpmValue): value is Uint8Array => types.isUint8Array(value)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Reads and writes values as the `memcached` npm package does (see the module notes).
 *
 * @example
 * memcachedNpm.serialize({ a: 1 }) // right({ bytes: <{"a":1}>, flags: 2 })
 * memcachedNpm.serialize(1.5) // right({ bytes: <'1.5'>, flags: 8 })
 * memcachedNpm.serialize(new Uint8Array([0xff])) // right({ bytes: <c3 bf>, flags: 4 })
 * memcachedNpm.serialize('line\n') // right({ bytes: <'line\\\n'>, flags: 0 })
 * @category constructors
 */
export const memcachedNpm: Serde<MemcachedNpmValue> = {
  serialize: (value) => {
    if (typeof value === 'string') return encodeText(MEMCACHED_NPM_FLAGS.string)(value)
    if (typeof value === 'number') return encodeText(MEMCACHED_NPM_FLAGS.numeric)(value.toString())
    if (isBytes(value)) return E.right({ bytes: binaryToWire(value), flags: MEMCACHED_NPM_FLAGS.binary })
    return pipe(
      toJsonText(value),
      E.mapLeft((reason) => serdeError(MEMCACHED_NPM_FLAGS.json, reason)),
      E.chain(encodeText(MEMCACHED_NPM_FLAGS.json)),
    )
  },
  deserialize: ({ bytes, flags }) => {
    // The package reads an empty value as '' whatever its flags, before converting it.
    if (bytes.length === 0) {
      switch (flags) {
        case MEMCACHED_NPM_FLAGS.json:
          return E.left(serdeError(flags, 'invalid JSON: the value is empty'))
        case MEMCACHED_NPM_FLAGS.numeric:
          return E.right(0)
        case MEMCACHED_NPM_FLAGS.binary:
          return E.right(new Uint8Array(0))
        default:
          return E.right('')
      }
    }
    return pipe(
      decodeUtf8(flags)(bytes),
      E.map(unescapeLineBreaks),
      E.chain((text): E.Either<SerdeError, MemcachedNpmValue> => {
        switch (flags) {
          case MEMCACHED_NPM_FLAGS.json:
            return pipe(
              parseJsonText(text),
              E.bimap(
                (reason) => serdeError(flags, reason),
                (parsed) => parsed as Json,
              ),
            )
          case MEMCACHED_NPM_FLAGS.numeric:
            return E.right(+text)
          case MEMCACHED_NPM_FLAGS.binary:
            return E.right(binaryFromText(text))
          default:
            return E.right(text)
        }
      }),
    )
  },
}
