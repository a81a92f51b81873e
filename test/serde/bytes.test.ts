import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytes, BYTES_FLAGS } from '../../src/serde/bytes.js'
import { encoded, everyByte, leftOf, neverThrows, rightOf, roundTrips } from './support.js'

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

describe('bytes: values that are not a Uint8Array (plain JavaScript)', () => {
  it('writes a Buffer, which is a Uint8Array', () => {
    const buffer = Buffer.from('hi')
    expect(rightOf(bytes.serialize(buffer)).bytes).toBe(buffer)
  })

  it.each<[string, unknown, string]>([
    ['a string', 'hi', 'got the string "hi": use the text serde for strings, or Buffer.from(value) for bytes written as text'],
    ['an ArrayBuffer', new ArrayBuffer(4), 'got an ArrayBuffer: wrap it: new Uint8Array(value)'],
    ['a Uint16Array', new Uint16Array(2), 'got a Uint16Array: view its bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength)'],
    ['a DataView', new DataView(new ArrayBuffer(1)), 'got a DataView: view its bytes'],
    ['undefined', undefined, 'got undefined: use the json or v8 serde for other values'],
    ['an array of numbers', [1, 2], 'got an array of 2 items: use the json or v8 serde for other values'],
  ])('refuses %s with a Left saying how to get bytes', (_name, value, message) => {
    const error = leftOf(bytes.serialize(value as Uint8Array))
    expect(error.flags).toBe(BYTES_FLAGS)
    expect(error.message).toContain('bytes writes a Uint8Array (or Buffer) only, ' + message)
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(bytes.serialize)
  })
})
