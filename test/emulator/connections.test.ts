/**
 * The connection registry alone: what `curr_connections`, `total_connections`, `stats conns` and
 * the traffic counters come from.
 */
import { describe, expect, it } from 'vitest'
import { makeConnections } from '../../src/emulator/connections.js'
import { makeCounters } from '../../src/emulator/stats.js'

describe('connections', () => {
  it('lists open connections oldest first, numbered from 1, and counts every one ever opened', () => {
    let now = 100
    const counters = makeCounters()
    const connections = makeConnections(() => now, counters)
    const first = connections.open('tcp:127.0.0.1:1')
    const second = connections.open('tcp:127.0.0.1:2')
    const third = connections.open('unix:/tmp/s')
    second.close()
    second.close()
    expect([first.id, second.id, third.id]).toEqual([1, 2, 3])
    expect(connections.list()).toEqual([
      { id: 1, address: 'tcp:127.0.0.1:1', lastCommandAt: 100 },
      { id: 3, address: 'unix:/tmp/s', lastCommandAt: 100 },
    ])
    expect(counters.total_connections).toBe(3)
    now = 160
    third.commandReceived()
    expect(connections.list().map((connection) => connection.lastCommandAt)).toEqual([100, 160])
  })

  it('adds each connection traffic to the shared counters', () => {
    const counters = makeCounters()
    const connections = makeConnections(() => 0, counters)
    connections.open('a').traffic(10, 20)
    connections.open('b').traffic(1, 2)
    expect([counters.bytes_read, counters.bytes_written]).toEqual([11, 22])
  })
})
