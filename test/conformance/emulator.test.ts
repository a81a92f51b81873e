/**
 * The conformance suite against the emulator through `memoryTransport`, with a clock the suite moves.
 */
import type { MemcacheError } from '../../src/error.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import { conformanceSuite } from './suite.js'

conformanceSuite('memoryTransport', async () => {
  let now = Date.now()
  const unsolicited: Array<MemcacheError> = []
  const transport = memoryTransport({ clock: () => now, onUnsolicited: (error) => unsolicited.push(error) })
  return {
    transport,
    elapse: async (seconds) => {
      now += seconds * 1000
    },
    now: () => now / 1000,
    unsolicited,
    close: transport.close,
  }
})
