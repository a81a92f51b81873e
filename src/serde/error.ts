/**
 * Errors of the serde layer.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A value could not be turned into bytes, or bytes back into a value.
 * @category model
 */
export interface SerdeError {
  readonly _tag: 'SerdeError'
  readonly flags: number
  readonly message: string
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * @example
 * serdeError(1, 'pickled values cannot be read')
 * @category constructors
 */
export const serdeError = (flags: number, detail: string): SerdeError => ({ _tag: 'SerdeError', flags, message: detail })
