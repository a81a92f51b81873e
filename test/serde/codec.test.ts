import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { codec, formatErrors, pathOf } from '../../src/serde/codec.js'
import { compressed } from '../../src/serde/compressed.js'
import { json } from '../../src/serde/json.js'
import { text } from '../../src/serde/text.js'
import { v8 } from '../../src/serde/v8.js'
import { encoded, leftOf, neverThrows, rightOf, roundTrips } from './support.js'

const User = t.type(
  {
    name: t.string,
    age: t.number,
    tags: t.array(t.string),
    address: t.partial({ city: t.string, 'post code': t.string }),
  },
  'User',
)
type User = t.TypeOf<typeof User>

const DateFromIsoString = new t.Type<Date, string, unknown>(
  'DateFromIsoString',
  (u): u is Date => u instanceof Date,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c)
    const date = new Date(u)
    return Number.isNaN(date.getTime()) ? t.failure(u, c, `not an ISO date: ${u}`) : t.success(date)
  },
  (date) => date.toISOString(),
)

const users = codec(User, json)
const jsonOf = (value: unknown) => rightOf(json.serialize(value))

describe('codec', () => {
  it('round-trips values of the type', () => {
    const arbitrary: fc.Arbitrary<User> = fc.record({
      name: fc.string(),
      age: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      tags: fc.array(fc.string()),
      address: fc.record({ city: fc.string(), 'post code': fc.string() }, { requiredKeys: [] }),
    })
    roundTrips(users, arbitrary)
  })

  it('writes what the inner serde writes for the encoded value', () => {
    const user: User = { name: 'a', age: 1, tags: [], address: {} }
    expect(rightOf(users.serialize(user))).toEqual(rightOf(json.serialize(user)))
  })

  it('names the failing path of a stale value', () => {
    // Written by an older version: no tags, age as text.
    const stale = jsonOf({ name: 'a', age: '30', address: { 'post code': 75001 } })
    const error = leftOf(users.deserialize(stale))
    expect(error.flags).toBe(2)
    expect(error.message).toBe(
      'value does not match User: at $.age: expected number, got "30"; at $.tags: expected Array<string>, got undefined; ' +
        'at $.address["post code"]: expected string, got 75001',
    )
  })

  it('names array indexes', () => {
    const error = leftOf(users.deserialize(jsonOf({ name: 'a', age: 1, tags: ['x', 2], address: {} })))
    expect(error.message).toContain('at $.tags[1]: expected string, got 2')
  })

  it('reports a value of another shape altogether at the root', () => {
    expect(leftOf(users.deserialize(jsonOf([1, 2]))).message).toBe('value does not match User: at $: expected User, got [1,2]')
  })

  it('passes on the inner serde\'s Left for foreign bytes', () => {
    expect(leftOf(users.deserialize(encoded('not json', 0))).message).toContain('invalid JSON')
  })

  it('uses a custom message of the type when it has one', () => {
    const dates = codec(DateFromIsoString, text)
    expect(leftOf(dates.deserialize(encoded('yesterday', 0))).message).toBe('value does not match DateFromIsoString: not an ISO date: yesterday')
  })

  it('encodes with the type before writing (Date as ISO text)', () => {
    const dates = codec(DateFromIsoString, text)
    const at = new Date(Date.UTC(2020, 1, 29, 12))
    expect(new TextDecoder().decode(rightOf(dates.serialize(at)).bytes)).toBe('2020-02-29T12:00:00.000Z')
    expect(rightOf(dates.deserialize(rightOf(dates.serialize(at))))).toEqual(at)
  })

  it('is the same data-first and data-last, and composes with compression', () => {
    const packed = pipe(json, compressed({ threshold: 10 }), codec(User))
    const user: User = { name: 'n'.repeat(100), age: 3, tags: ['t'], address: { city: 'c' } }
    const written = rightOf(packed.serialize(user))
    expect(written.flags).toBe(2 | 8)
    expect(rightOf(packed.deserialize(written))).toEqual(user)
    expect(rightOf(pipe(json, codec(User)).serialize(user))).toEqual(rightOf(users.serialize(user)))
  })

  it('works with v8 for types JSON cannot hold', () => {
    const Counts = t.type({ seen: t.bigint, at: t.unknown })
    const counts = codec(Counts, v8)
    expect(rightOf(counts.deserialize(rightOf(counts.serialize({ seen: 2n ** 70n, at: 1 }))))).toEqual({ seen: 2n ** 70n, at: 1 })
    expect(leftOf(counts.deserialize(rightOf(v8.serialize({ seen: 1 })))).message).toContain('at $.seen: expected bigint, got 1')
  })

  it('does not type-check an inner serde that cannot write the type\'s output', () => {
    // @ts-expect-error text writes strings, User encodes to an object
    const wrong = codec(User, text)
    expect(wrong).toBeDefined()
  })

  it('lists at most five failures, then a count', () => {
    const Many = t.type({ a: t.string, b: t.string, c: t.string, d: t.string, e: t.string, f: t.string, g: t.string })
    const message = leftOf(codec(Many, json).deserialize(jsonOf({}))).message
    expect(message.match(/at \$\./g)?.length).toBe(5)
    expect(message).toMatch(/; and 2 more$/)
  })

  it('keeps a long value short in the message', () => {
    const message = leftOf(users.deserialize(jsonOf({ name: 'x'.repeat(500), age: 'y'.repeat(500), tags: [], address: {} }))).message
    expect(message.length).toBeLessThan(200)
  })
})

describe('pathOf / formatErrors', () => {
  it('skip the empty keys io-ts adds for unions and intersections', () => {
    const Shape = t.type({ item: t.union([t.type({ kind: t.literal('a') }), t.intersection([t.type({ n: t.number }), t.type({ m: t.number })])]) })
    const result = Shape.decode({ item: { n: 'x', m: 1 } })
    if (E.isRight(result)) return expect.fail('expected a failure')
    expect(result.left.map((error) => pathOf(error.context))).toContain('$.item.n')
    expect(formatErrors(result.left)).toContain('at $.item.n: expected number, got "x"')
  })
})

describe('codec: values that are not an A (plain JavaScript)', () => {
  it('refuses a value that is not of the type, naming the paths, before the inner serde writes it', () => {
    const error = leftOf(users.serialize({ name: 'a', age: '30', tags: [] } as unknown as User))
    expect(error.message).toBe(
      'cannot write an object as User: at $.age: expected number, got "30"; at $.address: expected Partial<{ city: string, post code: string }>, got undefined',
    )
  })

  it('refuses a value its encode would throw on', () => {
    const dates = codec(DateFromIsoString, text)
    expect(leftOf(dates.serialize('2024-01-02' as unknown as Date)).message).toBe(
      'cannot write the string "2024-01-02" as DateFromIsoString: it is not a DateFromIsoString',
    )
    expect(leftOf(dates.serialize(undefined as unknown as Date)).message).toBe(
      'cannot write undefined as DateFromIsoString: at $: expected DateFromIsoString, got undefined',
    )
  })

  it('turns a custom type that throws into a Left', () => {
    const Throwing = new t.Type<string, string, unknown>(
      'Throwing',
      (u): u is string => typeof u === 'string',
      (u, c) => t.failure(u, c),
      () => {
        throw new Error('encode is broken')
      },
    )
    expect(leftOf(codec(Throwing, text).serialize('a')).message).toBe('cannot write the string "a" as Throwing: encode is broken')
  })

  it('never throws, whatever plain JavaScript passes', () => {
    neverThrows(users.serialize)
    neverThrows(codec(DateFromIsoString, text).serialize)
    neverThrows(codec(t.unknown, json).serialize)
  })
})
