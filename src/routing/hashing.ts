/**
 * What a key-placement algorithm is to the router: given the names of the nodes in rotation, a
 * way to find the node that owns a key, and the order in which the others would take it over.
 *
 * A `Hashing` is pure and rebuilt whenever the set of nodes in rotation changes (a node added,
 * removed, marked dead or re-admitted), so placements can precompute (ketama builds its ring).
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Placement of keys over one fixed set of node names.
 *
 * @example
 * const placement = rendezvousHashing.place(['a:1', 'b:1', 'c:1'])
 * placement.preferenceOf('k') // e.g. ['b:1', 'a:1', 'c:1']: 'b:1' owns k
 * @category model
 */
export interface Placement {
  /** The node names this placement was built over, in the order given. */
  readonly nodes: ReadonlyArray<string>
  /** The node that owns `key`, or `undefined` when there are no nodes. */
  readonly ownerOf: (key: string) => string | undefined
  /** Every node, owner first, then each node that would own `key` if those before it were gone. */
  readonly preferenceOf: (key: string) => ReadonlyArray<string>
}

/**
 * A placement algorithm: builds a `Placement` over node names.
 *
 * @example
 * import { rendezvousHashing } from './rendezvous.js'
 * const placement = rendezvousHashing(['127.0.0.1:11211', '127.0.0.1:11212'])
 * placement.ownerOf('user:1') // one of the two names
 * @category model
 */
export interface Hashing {
  /** A name for logs and errors: `'rendezvous'`, `'ketama'`. */
  readonly name: string
  readonly place: (nodes: ReadonlyArray<string>) => Placement
}
