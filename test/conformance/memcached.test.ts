/**
 * The conformance suite against a real memcached 1.6.18, started for this file, over our connection.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { MemcacheError } from '../../src/error.js'
import { connect } from '../../src/transport/connection.js'
import { startMemcached } from '../support/memcached.js'
import { conformanceSuite } from './suite.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

conformanceSuite('memcached 1.6.18', async () => {
  const server = await startMemcached()
  const unsolicited: Array<MemcacheError> = []
  const opened = await connect({ server: server.server, onUnsolicited: (error) => unsolicited.push(error) })()
  if (E.isLeft(opened)) {
    await server.stop()
    throw new Error(`cannot connect to memcached: ${opened.left.message}`)
  }
  const connection = opened.right
  return {
    transport: connection,
    elapse: (seconds) => sleep(seconds * 1000),
    now: () => Date.now() / 1000,
    unsolicited,
    close: async () => {
      await connection.close()
      await server.stop()
    },
  }
})
