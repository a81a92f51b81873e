/**
 * How a value is named in an error message about a value of the wrong type — one wording for
 * every layer (the codec's arguments, the serdes' values, the client's options, the Promise
 * client's arguments), and safe on anything plain JavaScript passes.
 *
 * @since 0.2.0
 */

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const MAX_SHOWN_CHARACTERS = 40

// Class names starting with U are read "you" (Uint8Array, URL): "a".
const article = (noun: string): string => (/^[AEIOaeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)

const describeObject = (value: object): string => {
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`
  if (value instanceof Uint8Array) return `${article(Buffer.isBuffer(value) ? 'Buffer' : 'Uint8Array')} of ${value.length} bytes`
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype === null) return 'an object with a null prototype'
  if (prototype === Object.prototype) return 'an object'
  const constructor: unknown = typeof prototype === 'object' ? Reflect.get(prototype, 'constructor') : undefined
  const name: unknown = typeof constructor === 'function' ? Reflect.get(constructor, 'name') : undefined
  return typeof name === 'string' && name !== '' ? article(name) : 'an object'
}

/**
 * What a value is, for an error message about a value of the wrong type: its type, and the value
 * itself when it is a short primitive. Never throws, whatever it is given (a `Proxy`, an object
 * without a prototype, a revoked proxy...), so a serde can describe any value plain JavaScript
 * passes it.
 *
 * @example
 * describeValue(42) // 'the number 42'
 * describeValue('hi') // 'the string "hi"'
 * describeValue(undefined) // 'undefined'
 * describeValue({ a: 1 }) // 'an object'
 * describeValue(new Map()) // 'a Map'
 * @category utils
 */
export const describeValue = (value: unknown): string => {
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'string': {
      const shown = value.length > MAX_SHOWN_CHARACTERS ? value.slice(0, MAX_SHOWN_CHARACTERS) + '…' : value
      return `the string ${JSON.stringify(shown)}`
    }
    case 'number':
      return `the number ${Object.is(value, -0) ? '-0' : String(value)}`
    case 'bigint':
      return `the bigint ${value}n`
    case 'boolean':
      return `the boolean ${value}`
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
    case 'object':
      if (value === null) return 'null'
      try {
        return describeObject(value)
      } catch {
        // A revoked Proxy, or one whose traps throw.
        return 'an object'
      }
  }
}
