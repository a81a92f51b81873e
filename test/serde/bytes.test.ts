import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytes, BYTES_FLAGS } from '../../src/serde/bytes.js'
import { encoded, everyByte, rightOf, roundTrips } from './support.js'

describe('bytes', () => {
  it('writes the bytes unchanged with flags 0', () => {
    const value = everyByte()
    const written = rightOf(bytes.serialize(value))
    expect(written.flags).toBe(BYTES_FLAGS)
    expect(written.flags).toBe(0)
    expect(written.bytes).toBe(value)
  })

  it('reads whatever the flags, without copying', () => {
    const value = new Uint8Array([1, 2, 3])
    expect(rightOf(bytes.deserialize(encoded(value, 0)))).toBe(value)
    expect(rightOf(bytes.deserialize(encoded(value, 0xffff_ffff)))).toBe(value)
  })

  it('round-trips any bytes', () => {
    roundTrips(bytes, fc.uint8Array({ maxLength: 2048 }))
  })
})
