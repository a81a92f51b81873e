/**
 * Where the examples find memcached: the servers in `MEMCACHED_SERVERS` (comma separated), or,
 * when it is not set, embedded in-process servers of our own (`serve`), so every example runs on
 * a machine without memcached.
 */
import * as E from 'fp-ts/lib/Either.js'
import { serve } from 'fp-memcache/emulator'

export interface Servers {
  readonly servers: ReadonlyArray<string>
  readonly embedded: boolean
  readonly close: () => Promise<void>
}

export const useServers = async (count = 1): Promise<Servers> => {
  const fromEnvironment = (process.env['MEMCACHED_SERVERS'] ?? '')
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '')
  if (fromEnvironment.length > 0) return { servers: fromEnvironment, embedded: false, close: async () => undefined }

  const started = await Promise.all(Array.from({ length: count }, () => serve({ port: 0 })()))
  const served = started.flatMap((result) => (E.isRight(result) ? [result.right] : []))
  const close = async () => {
    await Promise.all(served.map((server) => server.close()))
  }
  const failed = started.find(E.isLeft)
  if (failed !== undefined) {
    await close()
    console.error(`cannot start an embedded server: ${failed.left.message}`)
    process.exit(1)
  }
  return { servers: served.map((server) => server.server), embedded: true, close }
}

/** Prints where the example runs. */
export const describeServers = ({ servers, embedded }: Servers): string =>
  embedded ? `embedded server(s) at ${servers.join(', ')} (set MEMCACHED_SERVERS to use yours)` : `MEMCACHED_SERVERS=${servers.join(',')}`
