/**
 * Counters and `stats` replies alone, from a snapshot the test writes: every counter starts at
 * zero and is reset in place, a plain `stats` lists memcached 1.6.18's rows in its order, and the
 * other subcommands show what they show (and nothing when memcached shows nothing).
 */
import { describe, expect, it } from 'vitest'
import { generalStats, makeCounters, resetCounters, statsFor, type StatsSource } from '../../src/emulator/stats.js'

const sourceOf = (overrides: Partial<StatsSource> = {}): StatsSource => ({
  counters: makeCounters(),
  now: 1_700_000_100,
  startedAt: 1_700_000_000,
  pid: 4242,
  version: '1.6.18-test',
  verbosity: 1,
  evictionsAllowed: true,
  maxItemSize: 1024 * 1024,
  memoryLimit: 64 * 1024 * 1024,
  bytes: 0,
  itemCount: 0,
  oldestWrittenAt: undefined,
  lastEvictedAge: 0,
  connections: [],
  cpu: { user: 1_500_000, system: 250 },
  ...overrides,
})

const names = (entries: ReadonlyArray<readonly [string, unknown]>): ReadonlyArray<string> => entries.map(([name]) => name)

describe('counters', () => {
  it('start at zero, and a reset zeroes the same record in place', () => {
    const counters = makeCounters()
    expect(Object.values(counters).every((value) => value === 0)).toBe(true)
    expect(Object.keys(counters)).toContain('outofmemory')
    counters.cmd_get += 3
    counters.evicted_nonzero++
    resetCounters(counters)
    expect([counters.cmd_get, counters.evicted_nonzero]).toEqual([0, 0])
  })
})

describe('stats', () => {
  it('lists the general rows in memcached 1.6.18 order, every general counter once', () => {
    const entries = generalStats(sourceOf())
    expect(names(entries)).toEqual([
      'pid', 'uptime', 'time', 'version', 'pointer_size', 'rusage_user', 'rusage_system', 'curr_connections', 'total_connections',
      'cmd_get', 'cmd_set', 'cmd_flush', 'cmd_touch', 'cmd_meta', 'get_hits', 'get_misses', 'get_expired', 'get_flushed',
      'delete_misses', 'delete_hits', 'incr_misses', 'incr_hits', 'decr_misses', 'decr_hits', 'cas_misses', 'cas_hits',
      'cas_badval', 'touch_hits', 'touch_misses', 'store_too_large', 'store_no_memory', 'bytes_read', 'bytes_written',
      'limit_maxbytes', 'threads', 'bytes', 'curr_items', 'total_items', 'expired_unfetched', 'evicted_unfetched', 'evictions',
      'reclaimed',
    ])
    // Every counter but the two only `stats items` shows is a general row.
    const counters = Object.keys(makeCounters()).filter((name) => name !== 'evicted_nonzero' && name !== 'outofmemory')
    expect(counters.every((name) => names(entries).includes(name))).toBe(true)
  })

  it('reads gauges from the snapshot and counters from the record', () => {
    const counters = makeCounters()
    counters.get_hits = 7
    const source = sourceOf({ counters, connections: [{ id: 1, address: 'tcp:a', lastCommandAt: 1_700_000_090 }], bytes: 300, itemCount: 2 })
    const general = new Map(generalStats(source))
    expect([general.get('uptime'), general.get('time'), general.get('pid'), general.get('version')]).toEqual([100, 1_700_000_100, 4242, '1.6.18-test'])
    expect([general.get('rusage_user'), general.get('rusage_system')]).toEqual(['1.500000', '0.000250'])
    expect([general.get('curr_connections'), general.get('get_hits'), general.get('bytes'), general.get('curr_items')]).toEqual([1, 7, 300, 2])
    expect(general.get('cmd_meta')).toBe(0)
  })

  it('settings, sizes and conns', () => {
    expect(statsFor('settings', sourceOf({ evictionsAllowed: false }))).toEqual([
      ['maxbytes', 64 * 1024 * 1024],
      ['verbosity', 1],
      ['evictions', 'off'],
      ['cas_enabled', 'yes'],
      ['binding_protocol', 'ascii'],
      ['item_size_max', 1024 * 1024],
      ['flush_enabled', 'yes'],
    ])
    expect(statsFor('sizes', sourceOf())).toEqual([['sizes_status', 'disabled']])
    const connections = [
      { id: 3, address: 'tcp:127.0.0.1:1', lastCommandAt: 1_700_000_095 },
      { id: 5, address: 'unix:/tmp/s', lastCommandAt: 1_700_000_100 },
    ]
    expect(statsFor('conns', sourceOf({ connections }))).toEqual([
      ['3:addr', 'tcp:127.0.0.1:1'],
      ['3:state', 'conn_parse_cmd'],
      ['3:secs_since_last_cmd', 5],
      ['5:addr', 'unix:/tmp/s'],
      ['5:state', 'conn_parse_cmd'],
      ['5:secs_since_last_cmd', 0],
    ])
  })

  it('items: nothing until something was held, evicted, reclaimed or refused', () => {
    expect(statsFor('items', sourceOf())).toEqual([])
    const counters = makeCounters()
    counters.outofmemory = 1
    expect(statsFor('items', sourceOf({ counters }))).toHaveLength(10)
    counters.evictions = 4
    counters.evicted_nonzero = 2
    const items = new Map(statsFor('items', sourceOf({ counters, itemCount: 3, bytes: 500, oldestWrittenAt: 1_700_000_040, lastEvictedAge: 12 })))
    expect(Object.fromEntries(items)).toEqual({
      'items:1:number': 3,
      'items:1:age': 60,
      'items:1:mem_requested': 500,
      'items:1:evicted': 4,
      'items:1:evicted_nonzero': 2,
      'items:1:evicted_time': 12,
      'items:1:outofmemory': 1,
      'items:1:reclaimed': 0,
      'items:1:expired_unfetched': 0,
      'items:1:evicted_unfetched': 0,
    })
  })

  it('slabs: the one class while it holds items, and the totals always', () => {
    expect(statsFor('slabs', sourceOf())).toEqual([
      ['active_slabs', 0],
      ['total_malloced', 0],
    ])
    const counters = makeCounters()
    counters.cmd_set = 2
    const slabs = statsFor('slabs', sourceOf({ counters, itemCount: 1, bytes: 61 }))
    expect(names(slabs)).toEqual([
      '1:used_chunks', '1:get_hits', '1:cmd_set', '1:delete_hits', '1:incr_hits', '1:decr_hits', '1:cas_hits', '1:cas_badval',
      '1:touch_hits', 'active_slabs', 'total_malloced',
    ])
    expect(new Map(slabs).get('1:cmd_set')).toBe(2)
    expect(new Map(slabs).get('total_malloced')).toBe(61)
  })
})
