import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { StatRecord } from '../../src/commands/stats.js'
import type { MemcacheError } from '../../src/error.js'
import { connectError } from '../../src/transport/error.js'
import { renderWatch, runWatch, watchRow, type WatchLoop, type WatchRow } from '../../src/cli/watch.js'

const stats = (more: Partial<Record<string, bigint>>): StatRecord => ({
  get_hits: 0n,
  get_misses: 0n,
  cmd_get: 0n,
  cmd_set: 0n,
  bytes: 100n,
  limit_maxbytes: 67108864n,
  curr_items: 1n,
  curr_connections: 2n,
  ...more,
})

describe('watchRow', () => {
  it('at the first refresh: the hit ratio since the server started, no rate yet', () => {
    expect(watchRow('a:1', undefined, { at: 5000, stats: stats({ get_hits: 3n, get_misses: 1n }) })).toEqual({
      _tag: 'Figures',
      server: 'a:1',
      hitRatio: 0.75,
      opsPerSecond: undefined,
      bytes: 100n,
      limitMaxbytes: 67108864n,
      items: 1n,
      connections: 2n,
    })
  })

  it('then the hit ratio and the operations per second over the interval', () => {
    const before = { at: 1000, stats: stats({ get_hits: 10n, get_misses: 10n, cmd_get: 20n, cmd_set: 5n, delete_hits: 1n }) }
    const now = { at: 3000, stats: stats({ get_hits: 13n, get_misses: 11n, cmd_get: 24n, cmd_set: 20n, delete_hits: 3n, incr_misses: 2n }) }
    const row = watchRow('a:1', before, now)
    expect(row._tag === 'Figures' && row.hitRatio).toBe(0.75)
    // (4 gets + 15 sets + 2 deletes + 2 incrs) over 2 s
    expect(row._tag === 'Figures' && row.opsPerSecond).toBe(11.5)
  })

  it('no gets in the interval: no hit ratio; a sample no newer than the last: no rate', () => {
    const sample = { at: 1000, stats: stats({ get_hits: 4n }) }
    const row = watchRow('a:1', sample, { at: 1000, stats: stats({ get_hits: 4n }) })
    expect(row._tag === 'Figures' && [row.hitRatio, row.opsPerSecond]).toEqual([1, undefined])
    const idle = watchRow('a:1', sample, { at: 2000, stats: stats({ get_hits: 4n }) })
    expect(idle._tag === 'Figures' && [idle.hitRatio, idle.opsPerSecond]).toEqual([undefined, 0])
  })
})

const figures: WatchRow = { _tag: 'Figures', server: '127.0.0.1:11211', hitRatio: 0.5, opsPerSecond: 2, bytes: 1536n, limitMaxbytes: 67108864n, items: 3n, connections: 4n }
const failed: WatchRow = { _tag: 'Failed', server: '127.0.0.1:2', error: 'cannot connect\nto it' }

describe('renderWatch', () => {
  it('a terminal gets a title and a table', () => {
    expect(renderWatch([figures, failed], 'terminal', 0, 500)).toBe(
      [
        'fp-memcache watch  1970-01-01T00:00:00.000Z  every 500 ms, Ctrl-C to stop',
        'SERVER           HIT RATIO                    OPS/S  MEMORY              ITEMS  CONNECTIONS',
        '127.0.0.1:11211  50.0%                          2.0  1.5 KiB / 64.0 MiB      3            4',
        '127.0.0.1:2      error: cannot connect to it',
        '',
      ].join('\n'),
    )
  })

  it('a pipe gets one key=value line per server', () => {
    expect(renderWatch([figures, failed], 'lines', 0)).toBe(
      'time=1970-01-01T00:00:00.000Z server=127.0.0.1:11211 hit_ratio=50.0% ops_per_s=2.0 bytes=1536 limit_maxbytes=67108864 items=3 connections=4\n' +
        'time=1970-01-01T00:00:00.000Z server=127.0.0.1:2 error="cannot connect to it"\n',
    )
  })

  it('--json gets one object per server and line', () => {
    const lines = renderWatch([figures, { ...figures, hitRatio: undefined, opsPerSecond: undefined }, failed], 'json', 0).trimEnd().split('\n')
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { time: '1970-01-01T00:00:00.000Z', server: '127.0.0.1:11211', hit_ratio: 0.5, ops_per_s: 2, bytes: 1536, limit_maxbytes: 67108864, items: 3, connections: 4 },
      { time: '1970-01-01T00:00:00.000Z', server: '127.0.0.1:11211', hit_ratio: null, ops_per_s: null, bytes: 1536, limit_maxbytes: 67108864, items: 3, connections: 4 },
      { time: '1970-01-01T00:00:00.000Z', server: '127.0.0.1:2', error: 'cannot connect\nto it' },
    ])
  })
})

/** A loop on a fake clock: each sleep moves it by the interval; the sampler answers from a script. */
const fakeLoop = (
  answers: ReadonlyArray<Readonly<Record<string, E.Either<MemcacheError, StatRecord>>>>,
  more: Partial<WatchLoop> = {},
): { readonly loop: WatchLoop; readonly written: Array<string>; readonly sleeps: Array<number> } => {
  let clock = 0
  let refresh = 0
  const written: Array<string> = []
  const sleeps: Array<number> = []
  const loop: WatchLoop = {
    servers: ['a:1', 'b:2'],
    sample: async (server) => answers[Math.min(refresh, answers.length - 1)]?.[server] ?? E.left(connectError(server, 'ECONNREFUSED', 'no script')),
    write: (text) => written.push(text),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms)
      clock += ms
      refresh++
    },
    interval: 1000,
    mode: 'lines',
    ...more,
  }
  return { loop, written, sleeps }
}

const up = E.right(stats({ cmd_get: 0n }))
const later = E.right(stats({ cmd_get: 30n, get_hits: 30n }))
const down = E.left(connectError('b:2', 'ECONNREFUSED', 'cannot connect to b:2'))

describe('runWatch', () => {
  it('draws --count refreshes, sleeping the interval between them, then ends with 0', async () => {
    const { loop, written, sleeps } = fakeLoop([{ 'a:1': up, 'b:2': up }, { 'a:1': later, 'b:2': up }], { count: 2 })
    expect(await runWatch(loop)).toBe(0)
    expect(sleeps).toEqual([1000])
    expect(written).toHaveLength(2)
    expect(written[1]).toContain('time=1970-01-01T00:00:01.000Z server=a:1 hit_ratio=100.0% ops_per_s=30.0')
    expect(written[1]).toContain('server=b:2 hit_ratio=- ops_per_s=0.0')
  })

  it('keeps asking a server that failed; ends with 3 when one failed at the last refresh', async () => {
    const { loop, written } = fakeLoop([{ 'a:1': up, 'b:2': down }, { 'a:1': up, 'b:2': up }, { 'a:1': up, 'b:2': down }], { count: 3 })
    expect(await runWatch(loop)).toBe(3)
    expect(written.map((text) => text.includes('error='))).toEqual([true, false, true])
    const recovered = fakeLoop([{ 'a:1': up, 'b:2': down }, { 'a:1': up, 'b:2': up }], { count: 2 })
    expect(await runWatch(recovered.loop)).toBe(0)
  })

  it('on a terminal, redraws in place: each refresh first erases the lines of the last', async () => {
    const { loop, written } = fakeLoop([{ 'a:1': up, 'b:2': up }], { count: 3, mode: 'terminal' })
    await runWatch(loop)
    expect(written[0]?.startsWith('fp-memcache watch')).toBe(true)
    // title + header + two servers
    expect(written[1]?.startsWith('\r\x1b[4A\x1b[J')).toBe(true)
    expect(written[2]?.startsWith('\r\x1b[4A\x1b[J')).toBe(true)
  })

  it('ends with 0 when the signal fires, without drawing a refresh sampled after it', async () => {
    const interrupt = new AbortController()
    let sampled = 0
    const { loop, written } = fakeLoop([{ 'a:1': up, 'b:2': up }], {
      signal: interrupt.signal,
      sample: async () => {
        sampled++
        if (sampled === 5) interrupt.abort()
        return up
      },
    })
    expect(await runWatch(loop)).toBe(0)
    expect(written).toHaveLength(2)
  })

  it('draws nothing when the signal fired before it started', async () => {
    const interrupt = new AbortController()
    interrupt.abort()
    const { loop, written } = fakeLoop([{ 'a:1': up, 'b:2': up }], { signal: interrupt.signal })
    expect(await runWatch(loop)).toBe(0)
    expect(written).toEqual([])
  })
})
