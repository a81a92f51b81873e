import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatBytes, formatRate, formatRatio, jsonBytes, oneLine, table, toJson, tsv, utf8Text, type JsonValue } from '../../src/cli/format.js'

describe('toJson', () => {
  it('writes a bigint as its digits, past 2^53 exactly', () => {
    expect(toJson({ value: 18446744073709551615n })).toBe('{"value":18446744073709551615}')
  })

  it('writes what JSON.stringify writes for values without bigints', () => {
    const json: fc.Arbitrary<JsonValue> = fc.jsonValue() as fc.Arbitrary<JsonValue>
    fc.assert(
      fc.property(json, (value) => {
        expect(toJson(value)).toBe(JSON.stringify(value))
      }),
    )
  })

  it('writes a number that JSON cannot hold as null, as JSON.stringify does', () => {
    expect(toJson([Infinity, NaN, 1.5])).toBe('[null,null,1.5]')
  })
})

describe('values', () => {
  it('reads valid UTF-8 as text and refuses the rest', () => {
    expect(utf8Text(Buffer.from('héllo'))).toBe('héllo')
    expect(utf8Text(new Uint8Array([0x68, 0xff]))).toBeUndefined()
    expect(utf8Text(new Uint8Array([0xc3]))).toBeUndefined()
  })

  it('gives JSON a UTF-8 value as text and any other as base64', () => {
    expect(jsonBytes(Buffer.from('hi'))).toBe('hi')
    expect(jsonBytes(new Uint8Array([0, 255, 1]))).toEqual({ base64: 'AP8B' })
  })

  it('base64 of a view reads only the view', () => {
    const backing = new Uint8Array([1, 2, 0xff, 0xfe, 3])
    expect(jsonBytes(backing.subarray(2, 4))).toEqual({ base64: Buffer.from([0xff, 0xfe]).toString('base64') })
  })
})

describe('table', () => {
  it('aligns columns two spaces apart, numbers to the right, with no trailing spaces', () => {
    expect(table(['STAT', 'a:1', 'b:22'], [['pid', '7', '1234'], ['version', '1.6', '1.6.21']])).toBe(
      ['STAT     a:1  b:22', 'pid        7  1234', 'version  1.6  1.6.21', ''].join('\n'),
    )
    expect(table(['KEY', 'SIZE'], [['a', '5'], ['bb', '12']])).toBe('KEY  SIZE\na       5\nbb     12\n')
  })

  it('counts empty cells as fitting a numeric column, and rows of different lengths', () => {
    expect(table(['N', 'X'], [['a', ''], ['b', '10'], ['c']])).toBe('N   X\na\nb  10\nc\n')
  })

  it('prints the header alone when there are no rows', () => {
    expect(table(['A', 'B'], [])).toBe('A  B\n')
  })
})

describe('tsv', () => {
  it('joins cells with tabs, one line per row, tabs and line breaks inside a cell made spaces', () => {
    expect(tsv([['a', '5'], ['b', 'x\ty\r\nz']])).toBe('a\t5\nb\tx y z\n')
    expect(tsv([])).toBe('')
  })
})

describe('words', () => {
  it('oneLine folds line breaks', () => expect(oneLine('a\r\n\nb\tc')).toBe('a b c'))

  it('formatBytes picks the largest unit under 1024', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(67108864n)).toBe('64.0 MiB')
    expect(formatBytes(5n * 1024n ** 5n)).toBe('5120.0 TiB')
  })

  it('formatRatio and formatRate', () => {
    expect(formatRatio(0.9734)).toBe('97.3%')
    expect(formatRatio(1)).toBe('100.0%')
    expect(formatRatio(undefined)).toBe('-')
    expect(formatRate(12.345)).toBe('12.3')
    expect(formatRate(undefined)).toBe('-')
  })
})
