import { types } from 'node:util'
import { describe, expect, it } from 'vitest'
import { MemcacheException, isMemcacheException, toException } from '../src/exception.js'
import { invalidKey } from '../src/protocol/error.js'
import { timeout } from '../src/transport/error.js'

const keyError = invalidKey('a b', 'space at index 1')
const timeoutError = timeout(50, 'get', '10.0.0.1:11211')

describe('MemcacheException', () => {
  it('is an Error and a MemcacheException, made with or without new, or by toException', () => {
    const made = [new MemcacheException(keyError), MemcacheException(keyError), toException(keyError)]
    for (const exception of made) {
      expect(exception).toBeInstanceOf(MemcacheException)
      expect(exception).toBeInstanceOf(Error)
      expect(types.isNativeError(exception)).toBe(true)
      expect(Object.getPrototypeOf(exception)).toBe(MemcacheException.prototype)
      expect(Object.getPrototypeOf(MemcacheException.prototype)).toBe(Error.prototype)
      expect(exception.constructor).toBe(MemcacheException)
    }
  })

  it('has the name, the message, a stack that starts with both, and no frame of its own module', () => {
    const exception = toException(keyError)
    expect(exception.name).toBe('MemcacheException')
    expect(exception.message).toBe('invalid key "a b": space at index 1')
    expect(String(exception)).toBe('MemcacheException: invalid key "a b": space at index 1')
    const [header, firstFrame] = (exception.stack ?? '').split('\n')
    expect(header).toBe('MemcacheException: invalid key "a b": space at index 1')
    expect(firstFrame).toContain('exception.test.ts')
  })

  it('carries the tag and the fields, the value as error and cause', () => {
    const exception = toException(timeoutError)
    expect(exception).toMatchObject({ _tag: 'Timeout', after: 50, request: 'get', node: '10.0.0.1:11211' })
    expect(exception.error).toBe(timeoutError)
    expect(exception.cause).toBe(timeoutError)
  })

  it('shows its fields to JSON and loggers, not the error value twice', () => {
    const exception = toException(keyError)
    expect(Object.keys(exception)).toEqual(['_tag', 'key', 'reason'])
    expect(JSON.parse(JSON.stringify(exception))).toEqual({ _tag: 'InvalidKey', key: 'a b', reason: 'space at index 1' })
  })

  it('narrows by _tag in TypeScript', () => {
    const exception: MemcacheException = toException(timeoutError)
    const described = exception._tag === 'Timeout' ? `${exception.node} after ${exception.after}` : 'other'
    expect(described).toBe('10.0.0.1:11211 after 50')
  })

  it('is recognised when made by another copy of the package (the brand is registered with Symbol.for)', () => {
    const otherCopyPrototype = Object.create(Error.prototype, { [Symbol.for('fp-memcache.MemcacheException')]: { value: true } }) as object
    const fromOtherCopy = Object.assign(Object.create(otherCopyPrototype) as object, { _tag: 'Timeout' })
    expect(fromOtherCopy).toBeInstanceOf(MemcacheException)
    expect(isMemcacheException(fromOtherCopy, 'Timeout')).toBe(true)
  })

  it('is not anything else: a plain Error, the error value, null, a string', () => {
    for (const other of [new Error('x'), keyError, null, undefined, 'MemcacheException', 42]) {
      expect(other instanceof MemcacheException).toBe(false)
      expect(isMemcacheException(other)).toBe(false)
    }
  })
})

describe('isMemcacheException', () => {
  it('checks the tag when given one', () => {
    const exception: unknown = toException(timeoutError)
    expect(isMemcacheException(exception)).toBe(true)
    expect(isMemcacheException(exception, 'Timeout')).toBe(true)
    expect(isMemcacheException(exception, 'InvalidKey')).toBe(false)
    if (isMemcacheException(exception, 'Timeout')) expect(exception.after).toBe(50)
  })
})
