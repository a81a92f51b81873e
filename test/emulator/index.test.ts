/**
 * The public entry `fp-memcache/emulator`: the names it exports, so a module split inside the
 * emulator cannot drop or add one by accident.
 */
import { describe, expect, it } from 'vitest'
import * as emulator from '../../src/emulator/index.js'

describe('fp-memcache/emulator', () => {
  it('exports exactly its public values', () => {
    expect(Object.keys(emulator).sort()).toEqual([
      'BYTES_PER_SLICE',
      'DEFAULT_LINE_MEMORY_LIMIT',
      'DEFAULT_MAX_CONNECTIONS',
      'KEYS_PER_SLICE',
      'KEY_MAX_LENGTH',
      'LINE_LIMIT',
      'MAX_RELATIVE_EXPTIME',
      'REQUESTS_PER_EVENT',
      'TOO_MANY_CONNECTIONS',
      'answerConfigGet',
      'byteString',
      'findTooLongKey',
      'itemSize',
      'makeBudget',
      'makeClusterConfig',
      'makeEngine',
      'makeSession',
      'memoryTransport',
      'nextKey',
      'parseCommand',
      'parseLine',
      'parseMeta',
      'renderItems',
      'renderMeta',
      'renderReply',
      'requestOf',
      'serve',
      'strtol32',
      'strtoul32',
      'strtoull',
    ])
  })
})
