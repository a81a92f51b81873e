/**
 * Rendezvous (highest random weight) placement, exactly as pymemcache's `HashClient` with its
 * default `RendezvousHash`: each node scores a key with `murmur3_32("<node>-<key>")` (seed 0, the
 * string read as pymemcache's pure-Python hash reads it), the highest score wins, and a tie goes to
 * the greater node name. Node names are `host:port`, as pymemcache names `(host, port)` servers.
 *
 * Removing a node moves only the keys it owned (each to its runner-up); adding one takes about
 * 1/N of the keys from the others.
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import type { Hashing, Placement } from './hashing.js'
import { murmur3_32Python } from './murmur3.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Rendezvous placement with another score function (pymemcache's `hash_function` argument); the
 * highest score still wins and ties still go to the greater name.
 *
 * @example
 * const constant = makeRendezvous(() => 1337)
 * constant.place(['c', 'b', 'a']).ownerOf('k') // some('c')
 * @category constructors
 */
export const makeRendezvous = (score: (node: string, key: string) => number): Hashing => ({
  name: 'rendezvous',
  place: (names): Placement => {
    const nodes = [...new Set(names)]
    return {
      nodes,
      ownerOf: (key) => O.fromNullable(ownerWith(score, nodes, key)),
      preferenceOf: (key) =>
        nodes
          .map((node) => ({ node, score: score(node, key) }))
          .sort((a, b) => (beats(a.score, a.node, b.score, b.node) ? -1 : beats(b.score, b.node, a.score, a.node) ? 1 : 0))
          .map((scored) => scored.node),
    }
  },
})

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The score a node gives a key; the owner is the node with the highest.
 *
 * @example
 * rendezvousScore('127.0.0.1:11211', 'user:1') // murmur3_32('127.0.0.1:11211-user:1')
 * @category utils
 */
export const rendezvousScore = (node: string, key: string): number => murmur3_32Python(`${node}-${key}`)

// pymemcache breaks a tie with max(str(node), str(winner)): the greater name wins, whatever the order.
const beats = (score: number, node: string, bestScore: number, best: string): boolean =>
  score > bestScore || (score === bestScore && node > best)

const ownerWith = (score: (node: string, key: string) => number, nodes: ReadonlyArray<string>, key: string): string | undefined => {
  let best: string | undefined
  let bestScore = -1
  for (const node of nodes) {
    const nodeScore = score(node, key)
    if (best === undefined || beats(nodeScore, node, bestScore, best)) {
      best = node
      bestScore = nodeScore
    }
  }
  return best
}

/**
 * Which node owns `key`: pymemcache's `RendezvousHash.get_node`, without building a placement.
 * Exposed for tests, tools and people who shard by hand.
 *
 * @example
 * ownerOf(['0', '1', '2'])('mykey') // some('1'), as pymemcache's own test says
 * ownerOf([])('k') // none
 * @category utils
 */
export const ownerOf =
  (nodes: ReadonlyArray<string>) =>
  (key: string): O.Option<string> =>
    O.fromNullable(ownerWith(rendezvousScore, nodes, key))

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * Rendezvous placement as pymemcache's `HashClient` does it: the `Hashing` a router takes.
 *
 * @example
 * import { makeRouter } from './router.js'
 * rendezvous.place(['a:1', 'b:1']).preferenceOf('k') // both names, owner first
 * const cluster = makeRouter(rendezvous, nodes)
 * @category instances
 */
export const rendezvous: Hashing = makeRendezvous(rendezvousScore)
