import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import type { Hashing, Placement } from '../../src/routing/hashing.js'
import { ketama } from '../../src/routing/ketama.js'
import { rendezvous } from '../../src/routing/rendezvous.js'

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user:${i}:profile`)
const names = (count: number) => Array.from({ length: count }, (_, i) => `10.0.0.${i + 1}:11211`)

const ownerIn = (placement: Placement, key: string) => O.toUndefined(placement.ownerOf(key))

/** Share of keys whose owner differs between two node sets. */
const moved = (hashing: Hashing, before: ReadonlyArray<string>, after: ReadonlyArray<string>): number => {
  const from = hashing.place(before)
  const to = hashing.place(after)
  return KEYS.filter((key) => ownerIn(from, key) !== ownerIn(to, key)).length / KEYS.length
}

const algorithms: ReadonlyArray<readonly [string, Hashing]> = [
  ['rendezvous', rendezvous],
  ['ketama', ketama],
]

describe.each(algorithms)('%s remapping', (name, hashing) => {
  it.each([3, 5, 10])('moves about 1/(N+1) of 10k keys when a node joins N = %i, and 1/N when one of N leaves', (count) => {
    const grown = moved(hashing, names(count), names(count + 1))
    const shrunk = moved(hashing, names(count), names(count).filter((_, i) => i !== 1))
    console.log(`${name}: ${count} -> ${count + 1} nodes moved ${(grown * 100).toFixed(1)}% (ideal ${(100 / (count + 1)).toFixed(1)}%); ${count} -> ${count - 1} moved ${(shrunk * 100).toFixed(1)}% (ideal ${(100 / count).toFixed(1)}%)`)
    expect(grown).toBeGreaterThan(0.5 / (count + 1))
    expect(grown).toBeLessThan(1.5 / (count + 1))
    expect(shrunk).toBeGreaterThan(0.5 / count)
    expect(shrunk).toBeLessThan(1.5 / count)
  })

  it('moves only keys to the new node when one joins, and only the leaving node\'s keys when one leaves', () => {
    const before = hashing.place(names(5))
    const grown = hashing.place(names(6))
    const shrunk = hashing.place(names(5).filter((name) => name !== names(5)[2]))
    for (const key of KEYS.slice(0, 2000)) {
      const owner = ownerIn(before, key)
      if (ownerIn(grown, key) !== owner) expect(ownerIn(grown, key)).toBe(names(6)[5])
      if (ownerIn(shrunk, key) !== owner) expect(owner).toBe(names(5)[2])
    }
  })
})
