/**
 * What a key-placement algorithm is to the router: given the names of the nodes in rotation, the
 * node that owns a key, and the order in which the others would take it over.
 *
 * A `Hashing` is a pure value — no transport, no router, no clock. The router asks it for a new
 * `Placement` whenever the set of nodes in rotation changes (a node added, removed, marked dead or
 * re-admitted), so a placement may precompute (ketama builds its ring once per node set).
 *
 * @since 0.1.0
 */
import type * as O from 'fp-ts/lib/Option.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Placement of keys over one fixed set of node names.
 *
 * @example
 * import { rendezvous } from './rendezvous.js'
 * const placement = rendezvous.place(['a:1', 'b:1', 'c:1'])
 * placement.ownerOf('k') // some('b:1')
 * placement.preferenceOf('k') // ['b:1', 'a:1', 'c:1']: 'b:1' owns k, 'a:1' would take it over
 * @category model
 */
export interface Placement {
  /** The node names this placement was built over, in the order given, each once. */
  readonly nodes: ReadonlyArray<string>
  /** The node that owns `key`; `none` when there are no nodes. */
  readonly ownerOf: (key: string) => O.Option<string>
  /** The fail-over candidates: every node, owner first, then each node that would own `key` if those before it were gone. */
  readonly preferenceOf: (key: string) => ReadonlyArray<string>
}

/**
 * A placement algorithm: builds a `Placement` over node names.
 *
 * @example
 * import { rendezvous } from './rendezvous.js'
 * rendezvous.place(['127.0.0.1:11211', '127.0.0.1:11212']).ownerOf('user:1') // some of the two names
 * @category model
 */
export interface Hashing {
  /** A name for logs and errors: `'rendezvous'`, `'ketama'`. */
  readonly name: string
  readonly place: (nodes: ReadonlyArray<string>) => Placement
}
