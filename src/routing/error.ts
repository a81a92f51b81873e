/**
 * Errors of the routing layer.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A router had no live node for the key.
 * @category model
 */
export interface NoServers {
  readonly _tag: 'NoServers'
  readonly message: string
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * noServers('every node is marked dead')
 * @category constructors
 */
export const noServers = (detail: string): NoServers => ({ _tag: 'NoServers', message: `no server available: ${detail}` })
