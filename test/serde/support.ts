/**
 * Helpers shared by the serde unit tests and the serde interop suites.
 */
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { expect } from 'vitest'
import type { SerdeError } from '../../src/serde/error.js'
import type { Encoded, Serde } from '../../src/serde/serde.js'

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

export const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')

export const encoded = (bytes: Uint8Array | string, flags: number): Encoded => ({
  bytes: typeof bytes === 'string' ? utf8(bytes) : bytes,
  flags,
})

/** The `Right` of `result`, failing the test with the `Left`'s message otherwise. */
export const rightOf = <L extends { readonly message: string } | string, A>(result: E.Either<L, A>): A => {
  if (E.isLeft(result)) expect.fail(`expected Right, got Left: ${typeof result.left === "string" ? result.left : result.left.message}`)
  return result.right
}

/** The `Left` of `result`, checked to be a `SerdeError`. */
export const leftOf = <A>(result: E.Either<SerdeError, A>): SerdeError => {
  if (E.isRight(result)) expect.fail(`expected Left, got Right: ${String(result.right)}`)
  expect(result.left._tag).toBe('SerdeError')
  return result.left
}

/** Bytes as a plain `Uint8Array`, so `toEqual` compares contents whatever the producer's class. */
export const plain = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes)

/** 0, 1, ... 255. */
export const everyByte = (): Uint8Array => Uint8Array.from({ length: 256 }, (_, i) => i)

export const MiB = 1024 * 1024

/** A mebibyte of a repeating, compressible pattern holding every byte value. */
export const mebibyte = (): Uint8Array => Uint8Array.from({ length: MiB }, (_, i) => (i * 7) & 0xff)

/** Strings of any UTF-16 code units, lone surrogates included. */
export const anyUtf16 = (): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) })

/** Well-formed strings over all of Unicode (astral code points included, no lone surrogates). */
export const wellFormed = (): fc.Arbitrary<string> => fc.string({ unit: 'binary' })

/** Checks `serialize` then `deserialize` gives the value back, for every generated value. */
export const roundTrips = <A>(serde: Serde<A>, values: fc.Arbitrary<A>, normalise: (a: A) => unknown = (a) => a): void => {
  fc.assert(
    fc.property(values, (value) => {
      const written = rightOf(serde.serialize(value))
      expect(normalise(rightOf(serde.deserialize(written)))).toEqual(normalise(value))
    }),
  )
}

/** Compares bytes with `Buffer.equals`: `toEqual` walks a mebibyte element by element, slowly. */
export const expectSameBytes = (actual: Uint8Array, expected: Uint8Array): void => {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true)
}

/**
 * Values plain JavaScript could hand a serde whatever its type says: whatever `fc.anything` builds
 * (boxed values, maps, sets, dates, typed and sparse arrays, null prototypes, bigints), plus
 * functions, symbols, cycles, buffers that are not `Uint8Array`s, and hostile objects whose
 * `toString`, `toJSON`, getters or Proxy traps throw. (A revoked Proxy is `revokedProxy()`:
 * fast-check itself cannot hold one.)
 */
export const anyValue = (): fc.Arbitrary<unknown> => {
  const cycle: { self?: unknown } = {}
  cycle.self = cycle
  const throwing = (): never => {
    throw new Error('hostile')
  }
  const hostile: ReadonlyArray<unknown> = [
    new Proxy({}, { get: throwing, getPrototypeOf: throwing, ownKeys: throwing }),
    Object.create(null),
    { toString: throwing, valueOf: throwing },
    { toJSON: throwing },
    Object.defineProperty({}, 'x', { enumerable: true, get: throwing }),
    cycle,
    Symbol('s'),
    () => 1,
    function named() {},
    new ArrayBuffer(2),
    new DataView(new ArrayBuffer(2)),
    new Uint16Array(2),
    new Date(Number.NaN),
    new (class Point { x = 1 })(),
    new Error('an error'),
    Object(1n),
  ]
  return fc.oneof(
    fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withUnicodeString: true,
    }),
    fc.constantFrom(...hostile),
  )
}

/** A Proxy that throws on every operation but `typeof`. */
export const revokedProxy = (): object => {
  const revocable = Proxy.revocable({}, {})
  revocable.revoke()
  return revocable.proxy
}

/** Checks that `serialize` returns an `Either` for every value plain JavaScript could pass, never throwing. */
export const neverThrows = (serialize: (value: never) => E.Either<SerdeError, Encoded>): void => {
  const check = (value: unknown): void => {
    const result = serialize(value as never)
    expect(['Left', 'Right']).toContain(result._tag)
    if (E.isLeft(result)) {
      expect(result.left._tag).toBe('SerdeError')
      expect(result.left.message.length).toBeGreaterThan(0)
    } else expect(result.right.bytes).toBeInstanceOf(Uint8Array)
  }
  check(revokedProxy())
  fc.assert(fc.property(anyValue(), check))
}
