/** Reading protocol bytes as text: ASCII by bytes, anything else as UTF-8, and only the range asked. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { textOf } from '../../src/protocol/ascii.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('textOf', () => {
  it('reads only [start, end)', () => {
    expect(textOf(bytes('VALUE key 0 5'), 6, 9)).toBe('key')
    expect(textOf(bytes('abc'), 1, 1)).toBe('')
  })

  it('reads UTF-8 when a byte is not ASCII', () => {
    expect(textOf(bytes('VALUE clé 0'), 6, 10)).toBe('clé')
  })

  it('agrees with TextDecoder on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const encoded = bytes(text)
        expect(textOf(encoded, 0, encoded.length)).toBe(new TextDecoder().decode(encoded))
      }),
    )
  })
})
