/**
 * The emulator's registry of client connections: who is connected (`curr_connections`,
 * `stats conns`), how many ever were (`total_connections`), and the bytes they move
 * (`bytes_read`, `bytes_written`). Front ends (`serve`'s sockets, `memoryTransport`) open one
 * handle per client and close it when the client goes.
 *
 * @since 0.2.0
 */
import type { ConnectionStat, Counters } from './stats.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A client connection as `stats conns` shows it. @category model */
export interface ConnectionHandle {
  readonly id: number
  /** Call when a command arrives (for `secs_since_last_cmd`). */
  readonly commandReceived: () => void
  /** Counts the bytes for `bytes_read` / `bytes_written`. */
  readonly traffic: (read: number, written: number) => void
  readonly close: () => void
}

/** The open connections of one engine. @category model */
export interface Connections {
  /** Registers a client connection from `address`. */
  readonly open: (address: string) => ConnectionHandle
  /** The connections open now, oldest first. */
  readonly list: () => ReadonlyArray<ConnectionStat>
}

interface OpenConnection {
  readonly id: number
  readonly address: string
  lastCommandAt: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * An empty registry counting into `counters`, timing commands with `tick` (unix seconds).
 *
 * @example
 * const connections = makeConnections(() => Math.floor(Date.now() / 1000), makeCounters())
 * const handle = connections.open('tcp:127.0.0.1:50000')
 * handle.close()
 * @category constructors
 */
export const makeConnections = (tick: () => number, counters: Counters): Connections => {
  let nextId = 1
  const open = new Map<number, OpenConnection>()
  return {
    open: (address) => {
      const connection: OpenConnection = { id: nextId++, address, lastCommandAt: tick() }
      open.set(connection.id, connection)
      counters.total_connections++
      return {
        id: connection.id,
        commandReceived: () => {
          connection.lastCommandAt = tick()
        },
        traffic: (read, written) => {
          counters.bytes_read += read
          counters.bytes_written += written
        },
        close: () => {
          open.delete(connection.id)
        },
      }
    },
    list: () => [...open.values()],
  }
}
