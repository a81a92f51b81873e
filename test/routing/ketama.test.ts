import * as O from 'fp-ts/lib/Option.js'
import Memcached from 'memcached'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { ketama, ketamaContinuum, ketamaHash, makeKetama } from '../../src/routing/ketama.js'
import { randomKeys } from './support.js'

interface HashRingInstance {
  readonly get: (key: string) => string | undefined
  readonly range: (key: string, size?: number) => ReadonlyArray<string>
  readonly ring: ReadonlyArray<{ readonly value: number; readonly server: string }>
}
type HashRingConstructor = new (servers: unknown, algorithm?: string, options?: Record<string, unknown>) => HashRingInstance

const HashRing = createRequire(import.meta.url)('hashring') as HashRingConstructor
const ketamaRing = (servers: unknown) => new HashRing(servers, 'md5', { compatibility: 'ketama', 'default port': 11211 })

const clusters: ReadonlyArray<ReadonlyArray<string>> = [
  ['127.0.0.1:11211', '127.0.0.1:11212'],
  ['127.0.0.1:40001', '127.0.0.1:40002', '127.0.0.1:40003'],
  ['cache-a:11211', 'cache-b:11211', 'cache-c:11311', '10.0.0.7:11211', '10.0.0.8:22122'],
  Array.from({ length: 7 }, (_, i) => `10.1.2.${i}:11211`),
  Array.from({ length: 10 }, (_, i) => `10.1.3.${i}:${11211 + i}`),
]

describe('ketama placement', () => {
  const keys = randomKeys(2024, 4000, { maxLength: 60, unicodeEvery: 10 })

  it.each(clusters.map((nodes) => ({ nodes, size: nodes.length })))('places every key where hashring does ($size nodes)', ({ nodes }) => {
    const ring = ketamaRing(nodes)
    const placement = ketama.place(nodes)
    expect(keys.map((key) => O.toUndefined(placement.ownerOf(key)))).toEqual(keys.map((key) => ring.get(key)))
  })

  it('builds the same continuum as hashring, point for point', () => {
    for (const nodes of clusters) {
      expect(ketamaContinuum(nodes).map((point) => [point.value, point.node])).toEqual(ketamaRing(nodes).ring.map((point) => [point.value, point.server]))
    }
    // 160 points per server, but floating point gives 7 servers 39 digests each, in hashring and here.
    expect(ketamaContinuum(clusters[0] ?? []).length).toBe(2 * 160)
    expect(ketamaContinuum(clusters[3] ?? []).length).toBe(7 * 156)
  })

  it('places weighted servers as hashring does with an object of weights', () => {
    const weights = { '10.0.0.1:11211': 1, '10.0.0.2:11211': 2, '10.0.0.3:11212': 3, '10.0.0.4:11211': 5 }
    const nodes = Object.keys(weights)
    const ring = ketamaRing(weights)
    const placement = makeKetama({ weights }).place(nodes)
    expect(keys.map((key) => O.toUndefined(placement.ownerOf(key)))).toEqual(keys.map((key) => ring.get(key)))
    const shareOf = (node: string) => keys.filter((key) => O.toUndefined(placement.ownerOf(key)) === node).length / keys.length
    expect(shareOf('10.0.0.4:11211')).toBeGreaterThan(shareOf('10.0.0.1:11211'))
  })

  it('places every key where the memcached npm client would send it', () => {
    for (const nodes of clusters) {
      const client = new Memcached([...nodes])
      try {
        const ring = (client as unknown as { readonly HashRing: HashRingInstance }).HashRing
        const placement = ketama.place(nodes)
        expect(keys.map((key) => O.toUndefined(placement.ownerOf(key)))).toEqual(keys.map((key) => ring.get(key)))
      } finally {
        client.end()
      }
    }
  })

  it("orders the other nodes as hashring's range does", () => {
    const nodes = clusters[3] ?? []
    const ring = ketamaRing(nodes)
    const placement = ketama.place(nodes)
    for (const key of keys.slice(0, 500)) expect(placement.preferenceOf(key)).toEqual(ring.range(key))
  })

  it('hashes a key to the first four bytes of its md5, little-endian', () => {
    // md5('a') = 0cc175b9c0f1b6a8...: bytes 0c c1 75 b9 read little-endian.
    expect(ketamaHash('a')).toBe(0xb975c10c)
  })

  it('places nothing when there are no nodes', () => {
    expect(ketama.place([]).ownerOf('k')).toEqual(O.none)
    expect(ketama.place([]).preferenceOf('k')).toEqual([])
  })
})
