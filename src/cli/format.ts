/**
 * The command line's output, as pure functions of what is shown: aligned tables for a terminal,
 * tab-separated lines for a pipe, JSON (with exact 64-bit counters), and the words for values,
 * sizes and ratios.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A value `toJson` writes. A `bigint` is written as its digits, a JSON number of any size, so that
 * a 64-bit counter is never rounded on the way out (`jq` reads it whole).
 *
 * @example
 * const value: JsonValue = { key: 'hits', value: 18446744073709551615n }
 * @category model
 */
export type JsonValue = null | boolean | number | bigint | string | ReadonlyArray<JsonValue> | { readonly [name: string]: JsonValue }

/**
 * A value read from the cache as the JSON output gives it: its text when its bytes are UTF-8, else
 * its bytes in base64.
 *
 * @example
 * const binary: JsonBytes = { base64: '/w==' }
 * @category model
 */
export type JsonBytes = string | { readonly base64: string }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * JSON text for `value`, on one line; `bigint`s as their digits.
 *
 * @example
 * toJson({ a: 1n, b: [true, null], c: 'x' }) // '{"a":1,"b":[true,null],"c":"x"}'
 * @category utils
 */
export const toJson = (value: JsonValue): string => {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${(value as ReadonlyArray<JsonValue>).map(toJson).join(',')}]`
  const fields = Object.entries(value as { readonly [name: string]: JsonValue }).map(([name, field]) => `${JSON.stringify(name)}:${toJson(field)}`)
  return `{${fields.join(',')}}`
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The text of `bytes` when they are valid UTF-8, else `undefined`.
 *
 * @example
 * utf8Text(new Uint8Array([104, 105])) // 'hi'
 * utf8Text(new Uint8Array([0xff])) // undefined
 * @category utils
 */
export const utf8Text = (bytes: Uint8Array): string | undefined => {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * A value as the JSON output gives it: its text when UTF-8, else `{ base64 }`.
 *
 * @example
 * jsonBytes(new Uint8Array([104, 105])) // 'hi'
 * jsonBytes(new Uint8Array([0xff])) // { base64: '/w==' }
 * @category utils
 */
export const jsonBytes = (bytes: Uint8Array): JsonBytes => {
  const text = utf8Text(bytes)
  return text ?? { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }
}

/** Stat values and counters: right-aligned in a table. */
const NUMERIC = /^-?\d+(\.\d+)?%?$/

/**
 * Rows as an aligned table for a terminal: `header` first, columns two spaces apart, a column
 * of numbers (every cell below the header numeric or empty) aligned right, no trailing spaces.
 *
 * @example
 * table(['KEY', 'SIZE'], [['a', '5'], ['bb', '12']])
 * // 'KEY  SIZE\na       5\nbb     12\n'
 * @category utils
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows]
  const columns = Math.max(0, ...all.map((row) => row.length))
  const widths = Array.from({ length: columns }, (_, column) => Math.max(0, ...all.map((row) => (row[column] ?? '').length)))
  const numeric = Array.from({ length: columns }, (_, column) => rows.length > 0 && rows.every((row) => (row[column] ?? '') === '' || NUMERIC.test(row[column] ?? '')))
  const line = (row: ReadonlyArray<string>): string =>
    Array.from({ length: columns }, (_, column) => {
      const cell = row[column] ?? ''
      const width = widths[column] ?? 0
      return numeric[column] === true ? cell.padStart(width) : cell.padEnd(width)
    })
      .join('  ')
      .trimEnd()
  return all.map((row) => `${line(row)}\n`).join('')
}

/**
 * Rows as tab-separated lines, for a pipe (`cut`, `awk`). A tab or a line break inside a cell
 * would split it: they are written as spaces.
 *
 * @example
 * tsv([['a', '5'], ['b', '6']]) // 'a\t5\nb\t6\n'
 * @category utils
 */
export const tsv = (rows: ReadonlyArray<ReadonlyArray<string>>): string => rows.map((row) => `${row.map(oneLine).join('\t')}\n`).join('')

/**
 * `text` on one line: every run of tabs and line breaks becomes one space.
 *
 * @example
 * oneLine('bad\r\nthing') // 'bad thing'
 * @category utils
 */
export const oneLine = (text: string): string => text.replace(/[\t\r\n]+/g, ' ')

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/**
 * A size in bytes for people: `1023 B`, `1.5 KiB`, `64.0 MiB`.
 *
 * @example
 * formatBytes(1536) // '1.5 KiB'
 * formatBytes(67108864n) // '64.0 MiB'
 * @category utils
 */
export const formatBytes = (size: number | bigint): string => {
  let value = Number(size)
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit] ?? ''}`
}

/**
 * A ratio (0..1) as a percentage with one decimal, `-` when there is none.
 *
 * @example
 * formatRatio(0.9734) // '97.3%'
 * formatRatio(undefined) // '-'
 * @category utils
 */
export const formatRatio = (ratio: number | undefined): string => (ratio === undefined ? '-' : `${(ratio * 100).toFixed(1)}%`)

/**
 * A rate with one decimal, `-` when there is none.
 *
 * @example
 * formatRate(12.345) // '12.3'
 * formatRate(undefined) // '-'
 * @category utils
 */
export const formatRate = (rate: number | undefined): string => (rate === undefined ? '-' : rate.toFixed(1))
