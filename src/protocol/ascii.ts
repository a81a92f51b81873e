/**
 * Reading protocol lines as text, shared by the text and meta decoders (internal: not exported
 * from the package).
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8')

/**
 * Text of `buffer[start, end)`: ASCII (keys, words and numbers, the common case) without a decoder
 * call, anything else as UTF-8.
 *
 * @example
 * textOf(new TextEncoder().encode('VALUE k'), 6, 7) // 'k'
 */
export const textOf = (buffer: Uint8Array, start: number, end: number): string => {
  let text = ''
  for (let i = start; i < end; i++) {
    const byte = buffer[i] as number
    if (byte > 0x7f) return utf8.decode(buffer.subarray(start, end))
    text += String.fromCharCode(byte)
  }
  return text
}
