import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { bigint, number } from '../../src/serde/decimal.js'
import { json } from '../../src/serde/json.js'
import { firstOf, imap, imapEither, Invariant, orElse, roundTrip, URI, flagged, stringified, type Serde } from '../../src/serde/serde.js'
import { text } from '../../src/serde/text.js'
import { v8 } from '../../src/serde/v8.js'
import { compressed } from '../../src/serde/compressed.js'
import { encoded, leftOf, neverThrows, revokedProxy, rightOf, roundTrips, wellFormed } from './support.js'

const dates: Serde<Date> = pipe(
  number,
  imap((ms) => new Date(ms), (date) => date.getTime()),
)

const url: Serde<URL> = pipe(
  text,
  imapEither(
    (source) => (URL.canParse(source) ? E.right(new URL(source)) : E.left(`not a URL: ${source}`)),
    (value) => (value.protocol === 'https:' ? E.right(value.href) : E.left(`refusing to store a ${value.protocol} URL`)),
  ),
)

describe('imap', () => {
  it('derives a serde that round-trips', () => {
    roundTrips(dates, fc.date({ noInvalidDate: true }))
  })

  it('writes what the inner serde writes', () => {
    const at = new Date(1234)
    expect(rightOf(dates.serialize(at))).toEqual(rightOf(number.serialize(1234)))
  })

  it('keeps the inner serde\'s Left', () => {
    expect(leftOf(dates.deserialize(encoded('soon', 0))).message).toContain('not a decimal number')
  })

  it('obeys the invariant functor laws', () => {
    fc.assert(
      fc.property(wellFormed(), (value) => {
        const identity = Invariant.imap(text, (s) => s, (s) => s)
        expect(identity.serialize(value)).toEqual(text.serialize(value))
        const f = (s: string) => s + '!'
        const g = (s: string) => s.slice(0, -1)
        const composed = Invariant.imap(Invariant.imap(text, f, g), f, g)
        const direct = Invariant.imap(text, (s) => f(f(s)), (s) => g(g(s)))
        const written = rightOf(direct.serialize(value + '!!'))
        expect(composed.serialize(value + '!!')).toEqual(E.right(written))
        expect(composed.deserialize(written)).toEqual(direct.deserialize(written))
      }),
    )
    expect(Invariant.URI).toBe(URI)
  })
})

describe('imapEither', () => {
  it('round-trips what both conversions accept', () => {
    expect(rightOf(roundTrip(url)(new URL('https://example.com/a?b=1'))).href).toBe('https://example.com/a?b=1')
  })

  it('turns a read conversion failure into a SerdeError with the flags read', () => {
    const error = leftOf(url.deserialize(encoded('not a url', 5)))
    expect(error).toEqual({ _tag: 'SerdeError', flags: 5, message: 'not a URL: not a url' })
  })

  it('turns a write conversion failure into a SerdeError', () => {
    expect(leftOf(url.serialize(new URL('http://example.com'))).message).toBe('refusing to store a http: URL')
  })

  it('keeps the inner serde\'s Left', () => {
    expect(leftOf(url.deserialize(encoded(new Uint8Array([0xff]), 0))).message).toContain('not valid UTF-8')
  })
})

describe('firstOf / orElse', () => {
  // v2 stores JSON; v1 stored node:v8. Both must be readable during the rollout.
  const settings = firstOf([json, v8])

  it('writes with the first serde', () => {
    expect(rightOf(settings.serialize({ a: 1 }))).toEqual(rightOf(json.serialize({ a: 1 })))
  })

  it('reads with each in turn until one succeeds', () => {
    expect(rightOf(settings.deserialize(rightOf(json.serialize({ a: 1 }))))).toEqual({ a: 1 })
    expect(rightOf(settings.deserialize(rightOf(v8.serialize({ b: 2 }))))).toEqual({ b: 2 })
  })

  it('lists every reason when none succeeds', () => {
    const error = leftOf(settings.deserialize(encoded('garbage', 7)))
    expect(error.flags).toBe(7)
    expect(error.message).toMatch(/^none of 2 serdes could read the value \(flags 7\): \[1\] invalid JSON: .*; \[2\] value is not in node:v8 format: /)
  })

  it('with one serde is that serde', () => {
    const only = firstOf([json])
    expect(leftOf(only.deserialize(encoded('x', 0)))).toEqual(leftOf(json.deserialize(encoded('x', 0))))
  })

  it('orElse reads values an older version wrote in another type', () => {
    const legacyCounter = pipe(number, imap((n) => BigInt(Math.trunc(n)), (n: bigint) => Number(n)))
    const counter = pipe(bigint, orElse(legacyCounter))
    expect(rightOf(counter.deserialize(encoded('12.0', 0)))).toBe(12n)
    expect(rightOf(counter.deserialize(encoded('123456789012345678901234567890', 0)))).toBe(123456789012345678901234567890n)
    expect(rightOf(counter.serialize(5n))).toEqual(rightOf(bigint.serialize(5n)))
  })

  it('round-trips through the first serde', () => {
    roundTrips(firstOf([json, v8]), fc.jsonValue(), (value) => JSON.parse(JSON.stringify(value)))
  })
})

describe('flagged', () => {
  const tagged = pipe(text, flagged(2 ** 31 + 5))

  it('stamps the flags on write', () => {
    expect(rightOf(tagged.serialize('a')).flags).toBe(2 ** 31 + 5)
  })

  it('reads only values stored with those flags', () => {
    expect(rightOf(tagged.deserialize(encoded('a', 2 ** 31 + 5)))).toBe('a')
    expect(leftOf(tagged.deserialize(encoded('a', 0))).message).toBe(`expected a value stored with flags ${2 ** 31 + 5}, got flags 0`)
  })

  it('lets firstOf tell formats apart by flags', () => {
    const either = firstOf([pipe(json, flagged(2)), pipe(text, imap((s): unknown => s, String), flagged(0))])
    expect(rightOf(either.deserialize(encoded('"quoted"', 0)))).toBe('"quoted"')
    expect(rightOf(either.deserialize(encoded('"quoted"', 2)))).toBe('quoted')
  })

  it.each([-1, 2 ** 32, 1.5, Number.NaN])('refuses flags %s', (flags) => {
    const bad = pipe(text, flagged(flags))
    expect(leftOf(bad.serialize('a')).message).toContain('flags must be an integer in 0..4294967295')
    expect(leftOf(bad.deserialize(encoded('a', 0))).message).toContain('flags must be an integer in 0..4294967295')
  })
})

describe('stringified', () => {
  const loose = stringified(text)
  const stored = (value: unknown): string => new TextDecoder().decode(rightOf(loose.serialize(value)).bytes)

  it('writes String(value) with the inner serde, exactly as String gives it', () => {
    expect(stored(42)).toBe('42')
    expect(stored(-0)).toBe('0')
    expect(stored(true)).toBe('true')
    expect(stored(10n ** 20n)).toBe('100000000000000000000')
    expect(stored(undefined)).toBe('undefined')
    expect(stored(null)).toBe('null')
    expect(stored({ a: 1 })).toBe('[object Object]')
    expect(stored(['a', 1])).toBe('a,1')
    expect(stored(Symbol('s'))).toBe('Symbol(s)')
    expect(stored({ toString: () => 'custom' })).toBe('custom')
    expect(rightOf(loose.serialize(42)).flags).toBe(0)
  })

  it('writes a string exactly as the inner serde does, and reads with it', () => {
    fc.assert(
      fc.property(wellFormed(), (value) => {
        expect(rightOf(loose.serialize(value))).toEqual(rightOf(text.serialize(value)))
      }),
    )
    expect(rightOf(loose.deserialize(rightOf(loose.serialize(42))))).toBe('42')
  })

  it.each<[string, unknown, string]>([
    ['an object without a prototype', Object.create(null), 'stringified: String(value) failed on an object with a null prototype: Cannot convert object to primitive value; use the json serde for such values'],
    ['a toString that throws', { toString: () => { throw new Error('no') } }, 'stringified: String(value) failed on an object: no; use the json serde for such values'],
    ['a revoked Proxy', revokedProxy(), 'stringified: String(value) failed on an object: '],
  ])('refuses %s with a Left', (_name, value, message) => {
    expect(leftOf(loose.serialize(value)).message).toContain(message)
  })

  it('passes the inner serde\'s Left through', () => {
    expect(leftOf(loose.serialize('\uD800')).message).toContain('lone surrogate')
  })

  it('wraps any string serde', () => {
    const small = pipe(text, compressed({ threshold: 0, algorithm: 'gzip' }), stringified)
    expect(rightOf(small.deserialize(rightOf(small.serialize(12345))))).toBe('12345')
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(loose.serialize)
  })
})
