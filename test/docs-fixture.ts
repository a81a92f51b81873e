// Exports for test/docs.test.ts to check: one documented, one bare, one function without an example.

/**
 * Documented, with an example.
 * @example
 * documented() // 1
 */
export const documented = (): number => 1

export const bare = 2

/** A function documented without an example. */
export const withoutExample = (): number => 3
