/**
 * Byte helpers the emulator's modules share.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * `chunks` as one array: the chunk itself when there is only one (no copy), else a new array.
 *
 * @example
 * joinBytes([new Uint8Array([1]), new Uint8Array([2, 3])]) // Uint8Array [1, 2, 3]
 * @category utils
 */
export const joinBytes = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  let total = 0
  for (const chunk of chunks) total += chunk.length
  const joined = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    joined.set(chunk, offset)
    offset += chunk.length
  }
  return joined
}

/**
 * The bytes of a byte string (one char per byte): digits and other ASCII text.
 *
 * @example
 * asciiBytes('42') // Uint8Array [52, 50]
 * @category utils
 */
export const asciiBytes = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length)
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index)
  return bytes
}
