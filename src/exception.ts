/**
 * `MemcacheException`: a `MemcacheError` as a real `Error`, for code that uses Promises and
 * `try`/`catch` rather than `Either`s. The Promise client (`toPromises`, `createPromiseClient`)
 * rejects with it; nothing in the fp API throws it.
 *
 * It is a native `Error` (made by `Error` itself, so it has a `stack`, prints as an error and
 * passes `util.types.isNativeError`) whose prototype chain is
 * `MemcacheException.prototype` → `Error.prototype`, built without class inheritance. It carries:
 *
 * - `name`: `'MemcacheException'`; `message`: the error's message;
 * - `_tag` and every other field of the error (`key`, `node`, `after`...), own and enumerable, so
 *   loggers and `JSON.stringify` show them and a program can branch on them;
 * - `error`: the `MemcacheError` value itself, as the `TaskEither` methods would have returned
 *   it; `cause`: the same value (the standard `Error` option).
 *
 * `instanceof MemcacheException` checks a brand registered with `Symbol.for`, not the prototype
 * chain, so it also holds for an exception made by another copy of this package (an ESM and a
 * CommonJS copy loaded side by side). `isMemcacheException` is the same check as a type guard.
 *
 * @since 0.2.0
 */
import type { MemcacheError } from './error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What every `MemcacheException` has, whatever its tag.
 * @category model
 */
export interface ExceptionOf<E extends MemcacheError> extends Error {
  readonly name: 'MemcacheException'
  readonly _tag: E['_tag']
  /** The error value, as the `TaskEither` methods would have returned it. */
  readonly error: E
  /** The same value as `error`. */
  readonly cause: E
}

/**
 * An `Error` carrying a `MemcacheError`: its `_tag` and fields, the value as `error` and `cause`.
 * A union by `_tag`, so checking `_tag` narrows to the fields of that error.
 *
 * @example
 * try {
 *   await cache.get('a b')
 * } catch (e) {
 *   if (e instanceof MemcacheException && e._tag === 'InvalidKey') console.log(e.key, e.reason)
 * }
 * @category model
 */
export type MemcacheException<E extends MemcacheError = MemcacheError> = E extends MemcacheError ? ExceptionOf<E> & Readonly<Omit<E, 'message'>> : never

/**
 * The runtime `MemcacheException`: callable with or without `new`.
 *
 * @example
 * const make: MemcacheExceptionConstructor = MemcacheException
 * @category model
 */
export interface MemcacheExceptionConstructor {
  new <E extends MemcacheError>(error: E): MemcacheException<E>
  <E extends MemcacheError>(error: E): MemcacheException<E>
  readonly prototype: MemcacheException
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Shared by every copy of the package in a process (ESM and CommonJS), unlike a prototype. */
const BRAND: unique symbol = Symbol.for('fp-memcache.MemcacheException')

const isBranded = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as { readonly [BRAND]?: unknown })[BRAND] === true

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Makes the exception for `error`. `new MemcacheException(error)` and `MemcacheException(error)`
 * are the same; `toException(error)` is the same as a function.
 *
 * @example
 * const e = new MemcacheException(invalidKey('a b', 'space at index 1'))
 * e instanceof MemcacheException // true
 * e instanceof Error // true
 * e._tag // 'InvalidKey'
 * @category constructors
 */
export const MemcacheException: MemcacheExceptionConstructor = function MemcacheException(error: MemcacheError): MemcacheException {
  // Error itself makes the object (a native error with a stack), with this function's prototype.
  const exception = Reflect.construct(Error, [error.message, { cause: error }], MemcacheException) as object
  for (const [field, value] of Object.entries(error)) {
    if (field !== 'message') Object.defineProperty(exception, field, { value, enumerable: true, writable: false, configurable: true })
  }
  Object.defineProperty(exception, 'error', { value: error, enumerable: false, writable: false, configurable: true })
  // Frames inside this module say nothing to the reader of the stack.
  Error.captureStackTrace(exception, MemcacheException)
  return exception as MemcacheException
} as unknown as MemcacheExceptionConstructor

Object.defineProperty(MemcacheException, 'prototype', {
  value: Object.create(Error.prototype, {
    constructor: { value: MemcacheException, enumerable: false, writable: true, configurable: true },
    name: { value: 'MemcacheException', enumerable: false, writable: true, configurable: true },
    [BRAND]: { value: true, enumerable: false, writable: false, configurable: false },
  }) as MemcacheException,
  writable: false,
})

Object.defineProperty(MemcacheException, Symbol.hasInstance, { value: isBranded, enumerable: false, writable: false, configurable: false })

/**
 * The `MemcacheException` for `error` (the Promise client's rejection).
 *
 * @example
 * toException(timeout(50, 'get', '10.0.0.1:11211'))._tag // 'Timeout'
 * @category constructors
 */
export const toException = <E extends MemcacheError>(error: E): MemcacheException<E> => {
  const exception = new MemcacheException(error)
  Error.captureStackTrace(exception, toException)
  return exception
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether `value` is a `MemcacheException` (of any copy of this package), optionally of one
 * `_tag`: a type guard for `catch` blocks, where the caught value is `unknown`.
 *
 * @example
 * try {
 *   await cache.set('k', 'v')
 * } catch (e) {
 *   if (isMemcacheException(e, 'Timeout')) console.log(`no answer from ${e.node} in ${e.after} ms`)
 *   else throw e
 * }
 * @category utils
 */
export function isMemcacheException(value: unknown): value is MemcacheException
export function isMemcacheException<T extends MemcacheError['_tag']>(value: unknown, tag: T): value is MemcacheException<Extract<MemcacheError, { readonly _tag: T }>>
export function isMemcacheException(value: unknown, tag?: MemcacheError['_tag']): boolean {
  return isBranded(value) && (tag === undefined || (value as { readonly _tag?: unknown })._tag === tag)
}
