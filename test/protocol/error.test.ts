import { describe, expect, it } from 'vitest'
import { invalidArgument, invalidKey, valueTooLarge } from '../../src/protocol/error.js'

const serverAdvice =
  "memcached's default item size is 1 MiB (the key and the item header count too), raised with -I on the server (e.g. memcached -I 4m); " +
  'set maxValueSize on the client to refuse such values before sending them'

describe('valueTooLarge', () => {
  it('refused by the server, size known: names the 1 MiB default, -I and maxValueSize', () => {
    expect(valueTooLarge('big', 2_000_000)).toEqual({
      _tag: 'ValueTooLarge',
      key: 'big',
      size: 2_000_000,
      message: `value for "big" (2000000 bytes) is larger than the server accepts: ${serverAdvice}`,
    })
  })

  it('refused by the server, size unknown', () => {
    expect(valueTooLarge('big', -1).message).toBe(`value for "big" is larger than the server accepts: ${serverAdvice}`)
  })

  it('refused by the client: names maxValueSize and carries it', () => {
    expect(valueTooLarge('big', 2_000_000, 1_048_576)).toEqual({
      _tag: 'ValueTooLarge',
      key: 'big',
      size: 2_000_000,
      maxValueSize: 1_048_576,
      message:
        'value for "big" is 2000000 bytes, over maxValueSize (1048576 bytes): refused before sending; store less (the compressed serde can help), ' +
        "or raise maxValueSize together with the server's -I (memcached's default item size is 1 MiB)",
    })
  })

  it('keeps a long key short in the message, whole in the field', () => {
    const key = 'k'.repeat(250)
    const error = valueTooLarge(key, 5)
    expect(error.key).toBe(key)
    expect(error.message).toContain(`"${'k'.repeat(60)}…"`)
  })
})

describe('invalidKey / invalidArgument', () => {
  it('put the argument and the reason in the message', () => {
    expect(invalidKey('a b', 'space at index 1').message).toBe('invalid key "a b": space at index 1')
    expect(invalidArgument('flags', 'must be an integer in 0..4294967295, got the number -1').message).toBe(
      'invalid flags: must be an integer in 0..4294967295, got the number -1',
    )
  })
})
