/**
 * Ketama consistent hashing, placing keys exactly as the `memcached` npm package does (through
 * the `hashring` package with `compatibility: 'ketama'`):
 *
 * - each server gets `floor(weight / totalWeight * 40 * serverCount)` md5 digests of
 *   `"<name>-<i>"`, each cut into 4 little-endian 32-bit points: 160 points per server when the
 *   weights are equal — except where floating point rounds `1/N * 40 * N` just under 40 (N = 7:
 *   39 digests, 156 points each), which hashring does too, so we do;
 * - a server on port 11211 is hashed by host alone (`"<host>-<i>"`), as `memcached` sets
 *   hashring's `default port` to 11211;
 * - a key hashes to the first 4 bytes of its md5 (little-endian) and belongs to the first point at
 *   or after it, wrapping around — found with hashring's own binary search, quirks included;
 * - the key hashed is the key as sent: `memcached`'s `namespace` is part of it.
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import { createHash } from 'node:crypto'
import type { Hashing, Placement } from './hashing.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Placement options of `makeKetama`.
 *
 * @example
 * makeKetama({ weights: { '10.0.0.1:11211': 3, '10.0.0.2:11211': 1 }, defaultPort: null })
 * @category model
 */
export interface KetamaOptions {
  /** Relative weight per node name (default 1 each), as the object form of `new Memcached({...})`. */
  readonly weights?: Readonly<Record<string, number>>
  /** Port left out of the hashed name (default 11211, as `memcached` does); `null` keeps every port. */
  readonly defaultPort?: number | null
}

/**
 * A point of the ring: its 32-bit position and the node owning the arc that ends there.
 *
 * @example
 * ketamaContinuum(['10.0.0.1:11211'])[0] // { value: 12345678, node: '10.0.0.1:11211' }
 * @category model
 */
export interface Point {
  readonly value: number
  readonly node: string
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const VNODES = 40
const REPLICAS = 4

const md5 = (text: string): Buffer => createHash('md5').update(text).digest()

/**
 * The 32-bit position of a key on the ring: the first 4 bytes of its md5, little-endian.
 *
 * @example
 * ketamaHash('user:1') // a number in 0..2^32-1
 * @category utils
 */
export const ketamaHash = (key: string): number =>
  // A key that is not a string (plain JavaScript) is placed somewhere and refused by the encoder, not thrown on here.
  md5(typeof key === 'string' ? key : '').readUInt32LE(0)

// connection-parse's reading of a server string, kept as is ("[::1]:11211" has host "[" and no port).
const hostAndPort = (name: string): { readonly host: string; readonly port: number } => {
  const parts = name.split(':')
  return { host: parts[0] ?? '', port: Number(parts[1]) }
}

/**
 * The sorted ring of points for `nodes`, as hashring builds it. For tools and tests.
 *
 * @example
 * ketamaContinuum(['10.0.0.1:11211', '10.0.0.2:11211']).length // 320
 * ketamaContinuum(Array.from({ length: 7 }, (_, i) => `10.0.0.${i}:11211`)).length // 1092: 39 vnodes each, as hashring
 * @category utils
 */
export const ketamaContinuum = (nodes: ReadonlyArray<string>, options: KetamaOptions = {}): ReadonlyArray<Point> => {
  const defaultPort = options.defaultPort === undefined ? 11211 : options.defaultPort
  const weightOf = (node: string): number => Number(options.weights?.[node]) || 1
  const total = nodes.reduce((sum, node) => sum + weightOf(node), 0)
  const points: Array<Point> = []
  for (const node of nodes) {
    // Same expression, same order of operations as hashring: floating point decides the count.
    const length = Math.floor((weightOf(node) / total) * VNODES * nodes.length)
    const { host, port } = hostAndPort(node)
    const base = defaultPort !== null && port === defaultPort ? host : node
    for (let i = 0; i < length; i++) {
      const digest = md5(`${base}-${i}`)
      for (let j = 0; j < REPLICAS; j++) points.push({ value: digest.readUInt32LE(j * 4), node })
    }
  }
  // Array.prototype.sort is stable: equal points stay in server order, as in hashring.
  return points.sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? 1 : -1))
}

// hashring's HashRing#find, kept line for line: placement must match it even where it is odd.
const find = (ring: ReadonlyArray<Point>, hashValue: number): number => {
  const size = ring.length
  let high = size
  let low = 0
  for (;;) {
    const mid = (low + high) >> 1
    if (mid === size) return 0
    const middle = ring[mid]?.value ?? 0
    const prev = mid === 0 ? 0 : (ring[mid - 1]?.value ?? 0)
    if (hashValue <= middle && hashValue > prev) return mid
    if (middle < hashValue) low = mid + 1
    else high = mid - 1
    if (low > high) return 0
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Ketama placement with weights or another default port. The preference order of a key is
 * hashring's `range(key)`: the distinct nodes met walking the ring clockwise from the key.
 *
 * @example
 * makeKetama({ weights: { '10.0.0.1:11211': 2 } }).place(['10.0.0.1:11211', '10.0.0.2:11211']).ownerOf('k') // some(...)
 * @category constructors
 */
export const makeKetama = (options: KetamaOptions = {}): Hashing => ({
  name: 'ketama',
  place: (names): Placement => {
    const nodes = [...new Set(names)]
    const ring = ketamaContinuum(nodes, options)
    return {
      nodes,
      ownerOf: (key) => O.fromNullable(ring[find(ring, ketamaHash(key))]?.node),
      preferenceOf: (key) => {
        if (ring.length === 0) return []
        const start = find(ring, ketamaHash(key))
        const seen = new Set<string>()
        for (let i = 0; i < ring.length && seen.size < nodes.length; i++) {
          const point = ring[(start + i) % ring.length]
          if (point !== undefined) seen.add(point.node)
        }
        return [...seen]
      },
    }
  },
})

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * Ketama placement as the `memcached` npm package does it (equal weights, port 11211 left out of
 * the hashed name): the `Hashing` a router takes.
 *
 * @example
 * import { makeRouter } from './router.js'
 * ketama.place(['10.0.0.1:11211', '10.0.0.2:11211']).ownerOf('k') // some(...)
 * const cluster = makeRouter(ketama, nodes)
 * @category instances
 */
export const ketama: Hashing = makeKetama()
