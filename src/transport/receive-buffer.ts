/**
 * Bytes received and not decoded yet, kept without copying in the common case.
 *
 * Decoded values are views (`subarray`) on the bytes they arrived in, so bytes that were handed
 * out must never be written again. The rules that keep that true:
 *
 * - when nothing is pending, a chunk is decoded where it lies (no copy), unless it is transient (a
 *   read buffer the next read overwrites: `socket-reads.ts`), which is copied first, at its size;
 * - a partial reply left at the end of a chunk is kept as a view on that chunk (no copy yet);
 * - more bytes are appended after the pending ones into spare room of a buffer this module
 *   allocated, past every byte ever handed out; when there is no room, a fresh buffer twice the
 *   size is allocated (amortised O(n) copying), and the old one is left to its views; when the
 *   size of the reply is known (`reserve`), the fresh buffer has that size, and bytes are copied once;
 * - consumed bytes are never moved or overwritten: compaction is by allocating, not by shifting.
 *
 * Everything it returns is a plain `Uint8Array` when the chunks are, so values never leak Node's
 * `Buffer` type into replies.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface ReceiveBuffer {
  /**
   * The bytes to decode next: the chunk itself when nothing is pending (a copy of it when it is
   * `transient`), else the pending bytes followed by the chunk.
   */
  readonly append: (chunk: Uint8Array, transient?: boolean) => Uint8Array
  /** After decoding `bytes` (the last result of `append`) up to `consumed`, keeps the rest. */
  readonly keep: (bytes: Uint8Array, consumed: number) => void
  /**
   * Makes room for `total` pending bytes at least (the reply's size, once known), so that a large
   * value is copied once as it arrives rather than again at every doubling. Room already made
   * grows at least twofold, as `append` grows it.
   */
  readonly reserve: (total: number) => void
  /** How many bytes wait for the rest of their reply. */
  readonly pending: () => number
  /** Forgets pending bytes. */
  readonly clear: () => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const MIN_CAPACITY = 16 * 1024

/** Uninitialised memory as a plain `Uint8Array` (only bytes written by `append` are ever read). */
const allocate = (size: number): Uint8Array => {
  const memory = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(memory.buffer, memory.byteOffset, size)
}

/**
 * Copies of small reads are carved from slabs of this size, as Node's `Buffer` pool carves small
 * buffers, but from slabs of their own: an allocation per read costs more than the read's
 * decoding, and a value's `buffer` shows other replies at most, never the program's other data.
 */
const SLAB_SIZE = 8 * 1024
const SLAB_COPY_UP_TO = SLAB_SIZE / 2

let slab: Uint8Array | undefined
let slabUsed = 0

/** `bytes` in memory of their own: a slice of a slab when small, else a buffer of their size. */
const copyOf = (bytes: Uint8Array): Uint8Array => {
  const length = bytes.length
  if (length > SLAB_COPY_UP_TO) {
    const copy = allocate(length)
    copy.set(bytes)
    return copy
  }
  if (slab === undefined || slabUsed + length > SLAB_SIZE) {
    slab = allocate(SLAB_SIZE)
    slabUsed = 0
  }
  const copy = slab.subarray(slabUsed, slabUsed + length)
  copy.set(bytes)
  // The next copy starts 8-byte aligned, as Node's pool aligns its buffers.
  slabUsed += (length + 7) & ~7
  return copy
}

/**
 * An empty receive buffer.
 *
 * @example
 * const received = makeReceiveBuffer()
 * const bytes = received.append(chunk)
 * // decode replies from `bytes`, up to `offset`
 * received.keep(bytes, offset)
 * @category constructors
 */
export const makeReceiveBuffer = (): ReceiveBuffer => {
  // `backing[start, end)` is pending; `backing[end, room)` may be written only when `owned`.
  let backing: Uint8Array | undefined
  let start = 0
  let end = 0
  let owned = false

  const clear = (): void => {
    backing = undefined
    start = 0
    end = 0
    owned = false
  }

  return {
    append: (chunk, transient = false) => {
      if (backing === undefined) return transient ? copyOf(chunk) : chunk
      const pendingLength = end - start
      if (owned && backing.length - end >= chunk.length) {
        backing.set(chunk, end)
        end += chunk.length
        return backing.subarray(start, end)
      }
      const needed = pendingLength + chunk.length
      const fresh = allocate(Math.max(needed * 2, MIN_CAPACITY))
      fresh.set(backing.subarray(start, end), 0)
      fresh.set(chunk, pendingLength)
      backing = fresh
      start = 0
      end = needed
      owned = true
      return fresh.subarray(0, end)
    },
    keep: (bytes, consumed) => {
      if (consumed >= bytes.length) return clear()
      if (backing === undefined) {
        // `bytes` is a chunk decoded where it lay: keep a view, never write into it.
        backing = bytes
        start = consumed
        end = bytes.length
        owned = false
        return
      }
      start += consumed
    },
    reserve: (total) => {
      if (backing === undefined) return
      if (owned && backing.length - start >= total) return
      const pendingLength = end - start
      if (total <= pendingLength) return
      // At least twice the room there was: a multi-get of many large values (each reserving its
      // own size on top of the ones before) still costs amortised O(n) copying.
      const fresh = allocate(Math.max(total, owned ? 2 * (backing.length - start) : 0, MIN_CAPACITY))
      fresh.set(backing.subarray(start, end), 0)
      backing = fresh
      start = 0
      end = pendingLength
      owned = true
    },
    pending: () => end - start,
    clear,
  }
}
