/**
 * The conformance suite against the emulator served on a loopback port (`serve`), over our
 * connection, with a clock the suite moves.
 */
import * as E from 'fp-ts/lib/Either.js'
import { serve } from '../../src/emulator/serve.js'
import type { MemcacheError } from '../../src/error.js'
import { connect } from '../../src/transport/connection.js'
import { conformanceSuite } from './suite.js'

conformanceSuite('serve (emulator on a socket)', async () => {
  let now = Date.now()
  const started = await serve({ clock: () => now })()
  if (E.isLeft(started)) throw new Error(`cannot serve: ${started.left.message}`)
  const served = started.right
  const unsolicited: Array<MemcacheError> = []
  const opened = await connect({ server: served.server, onUnsolicited: (error) => unsolicited.push(error) })()
  if (E.isLeft(opened)) {
    await served.close()
    throw new Error(`cannot connect to the emulator: ${opened.left.message}`)
  }
  const connection = opened.right
  return {
    transport: connection,
    elapse: async (seconds) => {
      now += seconds * 1000
    },
    now: () => now / 1000,
    unsolicited,
    close: async () => {
      await connection.close()
      await served.close()
    },
  }
})
