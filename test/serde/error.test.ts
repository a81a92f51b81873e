import { describe, expect, it } from 'vitest'
import { serdeError } from '../../src/serde/error.js'

describe('serdeError', () => {
  it('carries the flags and the message', () => {
    expect(serdeError(1, 'pickled')).toEqual({ _tag: 'SerdeError', flags: 1, message: 'pickled' })
  })
})
