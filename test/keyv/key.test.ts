import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generationKey, HASHED_KEY_MARKER, hasNamespace, sendableKey, storedKey } from '../../src/keyv/key.js'
import { keyProblem } from '../../src/protocol/key.js'

const sendable = sendableKey(250)

describe('sendableKey', () => {
  it.each(['keyv:user:1', 'a', 'x'.repeat(250), "keyv:'", 'keyv:a/b?c=d&e#f'])('sends %s as is', (key) => {
    expect(sendable(key)).toBe(key)
  })

  it.each([
    { why: 'over 250 bytes', key: 'x'.repeat(251) },
    { why: 'a space', key: 'keyv:a key' },
    { why: 'a newline', key: 'keyv:a\r\nflush_all' },
    { why: 'a control byte', key: 'keyv:\u0000' },
    { why: 'non-ASCII', key: 'keyv:clé' },
    { why: 'an emoji', key: 'keyv:🔑' },
    { why: 'a lone surrogate', key: 'keyv:\ud800' },
    { why: 'empty', key: '' },
    { why: 'the hash marker', key: `${HASHED_KEY_MARKER}abc` },
  ])('hashes a key with $why', ({ key }) => {
    const sent = sendable(key)
    expect(sent.startsWith(HASHED_KEY_MARKER)).toBe(true)
    expect(sent).toHaveLength(HASHED_KEY_MARKER.length + 43)
    expect(keyProblem(sent)).toBeUndefined()
    expect(sendable(key)).toBe(sent)
  })

  it('hashes keys that fit 250 bytes but not the room a key prefix leaves', () => {
    expect(sendableKey(246)('x'.repeat(246))).toBe('x'.repeat(246))
    expect(sendableKey(246)('x'.repeat(247)).startsWith(HASHED_KEY_MARKER)).toBe(true)
  })

  it('keeps lone surrogates apart (hashes code units, not UTF-8 with replacement characters)', () => {
    expect(sendable('k\ud800')).not.toBe(sendable('k\ud801'))
  })

  it('is one to one: different keys never share a memcached key, and every result is a valid key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), (a, b) => {
        fc.pre(a !== b)
        expect(sendable(a)).not.toBe(sendable(b))
        expect(keyProblem(sendable(a))).toBeUndefined()
      }),
    )
  })
})

describe('storedKey', () => {
  it("puts the generation after the namespace, keeping Keyv's prefix once", () => {
    expect(storedKey('keyv', 'G1')('keyv:user:1')).toBe('keyv@G1:user:1')
  })

  it('keeps keys without the prefix (useKeyPrefix: false) apart from prefixed ones', () => {
    expect(storedKey('keyv', 'G1')('user:1')).toBe('keyv@G1#user:1')
    expect(storedKey('keyv', 'G1')(':user:1')).not.toBe(storedKey('keyv', 'G1')('keyv::user:1'))
  })

  it('leaves keys alone without a namespace', () => {
    expect(storedKey(undefined, 'G1')('user:1')).toBe('user:1')
    expect(storedKey('', 'G1')('user:1')).toBe('user:1')
  })

  it('separates generations and namespaces', () => {
    expect(storedKey('keyv', 'G1')('keyv:k')).not.toBe(storedKey('keyv', 'G2')('keyv:k'))
    expect(storedKey('a', 'G1')('a:k')).not.toBe(storedKey('b', 'G1')('b:k'))
  })
})

describe('generationKey and hasNamespace', () => {
  it('names the generation of a namespace apart from its data keys', () => {
    expect(generationKey('keyv')).toBe('keyv@generation')
    expect(generationKey('keyv')).not.toMatch(/^keyv@[^:#]*[:#]/)
  })

  it('treats an absent or empty namespace as none, as Keyv does', () => {
    expect(hasNamespace('keyv')).toBe(true)
    expect(hasNamespace('')).toBe(false)
    expect(hasNamespace(undefined)).toBe(false)
  })
})
