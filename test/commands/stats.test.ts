import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { parseStatValue, stats, statsConns, statsItems, statsReset, statsSettings, statsSizes, statsSlabs } from '../../src/commands/stats.js'
import { serverError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import { always } from './support.js'

const general: ReadonlyArray<readonly [string, string]> = [
  ['pid', '4697'],
  ['uptime', '2'],
  ['time', '1795547469'],
  ['version', '1.6.18'],
  ['libevent', '2.1.12-stable'],
  ['pointer_size', '64'],
  ['rusage_user', '0.000000'],
  ['rusage_system', '0.007711'],
  ['curr_connections', '1'],
  ['total_connections', '2'],
  ['cmd_get', '18446744073709551615'],
  ['cmd_set', '0'],
  ['cmd_flush', '0'],
  ['cmd_touch', '0'],
  ['get_hits', '0'],
  ['get_misses', '0'],
  ['delete_hits', '0'],
  ['delete_misses', '0'],
  ['incr_hits', '0'],
  ['incr_misses', '0'],
  ['decr_hits', '0'],
  ['decr_misses', '0'],
  ['cas_hits', '0'],
  ['cas_misses', '0'],
  ['cas_badval', '0'],
  ['touch_hits', '0'],
  ['touch_misses', '0'],
  ['bytes_read', '13'],
  ['bytes_written', '0'],
  ['limit_maxbytes', '67108864'],
  ['threads', '4'],
  ['bytes', '0'],
  ['curr_items', '3'],
  ['total_items', '3'],
  ['evictions', '0'],
  ['lru_crawler_running', '0'],
]

describe('parseStatValue', () => {
  it('integers are bigints, decimals numbers, the rest text', () => {
    expect(parseStatValue('0')).toBe(0n)
    expect(parseStatValue('18446744073709551615')).toBe(18_446_744_073_709_551_615n)
    expect(parseStatValue('0.80')).toBe(0.8)
    expect(parseStatValue('1.6.18')).toBe('1.6.18')
    expect(parseStatValue('on')).toBe('on')
    expect(parseStatValue('tcp:127.0.0.1:11211')).toBe('tcp:127.0.0.1:11211')
    expect(parseStatValue('')).toBe('')
  })

  it('property: any u64 is read back exactly as a bigint', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
      expect(parseStatValue(n.toString())).toBe(n)
    }))
  })
})

describe('stats', () => {
  it('types the well-known fields and keeps every other stat', async () => {
    const transport = always(Reply.statsReply(general))
    const result = await stats()(transport)()
    expect(transport.written).toEqual(['stats\r\n'])
    expect(E.isRight(result)).toBe(true)
    if (E.isRight(result)) {
      expect(result.right.pid).toBe(4697n)
      expect(result.right.version).toBe('1.6.18')
      expect(result.right.rusage_system).toBe(0.007711)
      expect(result.right.cmd_get).toBe(18_446_744_073_709_551_615n)
      expect(result.right.curr_items).toBe(3n)
      expect(result.right['libevent']).toBe('2.1.12-stable')
      expect(result.right['lru_crawler_running']).toBe(0n)
    }
  })

  it('a reply missing a well-known field is a ProtocolError naming it', async () => {
    const result = await stats()(always(Reply.statsReply(general.filter(([name]) => name !== 'curr_items'))))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
    expect(E.isLeft(result) && result.left.message).toContain('curr_items')
  })

  it('a Failure is its Left; another reply a ProtocolError', async () => {
    expect(await stats()(always(Reply.failure(serverError('busy'))))()).toEqual(E.left(serverError('busy')))
    const result = await stats()(always(Reply.ok))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})

describe('stats variants', () => {
  it('settings: typed, with text kept as text', async () => {
    const transport = always(
      Reply.statsReply([
        ['maxbytes', '67108864'],
        ['maxconns', '1024'],
        ['tcpport', '11211'],
        ['verbosity', '0'],
        ['evictions', 'on'],
        ['growth_factor', '1.25'],
        ['cas_enabled', 'yes'],
        ['item_size_max', '2097152'],
        ['inter', '127.0.0.1'],
      ]),
    )
    const result = await statsSettings()(transport)()
    expect(transport.written).toEqual(['stats settings\r\n'])
    expect(E.isRight(result) && [result.right.item_size_max, result.right.evictions, result.right.growth_factor, result.right['inter']]).toEqual([
      2_097_152n,
      'on',
      1.25,
      '127.0.0.1',
    ])
  })

  it('items: grouped by slab class', async () => {
    const transport = always(
      Reply.statsReply([
        ['items:1:number', '3'],
        ['items:1:age', '12'],
        ['items:12:number', '1'],
      ]),
    )
    const result = await statsItems()(transport)()
    expect(transport.written).toEqual(['stats items\r\n'])
    expect(result).toEqual(
      E.right(
        new Map([
          [1, { number: 3n, age: 12n }],
          [12, { number: 1n }],
        ]),
      ),
    )
    const stray = await statsItems()(always(Reply.statsReply([['total', '1']])))()
    expect(E.isLeft(stray) && stray.left._tag).toBe('ProtocolError')
  })

  it('slabs: classes and totals', async () => {
    const result = await statsSlabs()(
      always(
        Reply.statsReply([
          ['1:chunk_size', '96'],
          ['1:used_chunks', '2'],
          ['active_slabs', '1'],
          ['total_malloced', '1048576'],
        ]),
      ),
    )()
    expect(result).toEqual(E.right({ classes: new Map([[1, { chunk_size: 96n, used_chunks: 2n }]]), totals: { active_slabs: 1n, total_malloced: 1_048_576n } }))
  })

  it('sizes: disabled, or counts by size', async () => {
    expect(await statsSizes()(always(Reply.statsReply([['sizes_status', 'disabled']])))()).toEqual(E.right({ enabled: false, sizes: new Map() }))
    expect(
      await statsSizes()(
        always(
          Reply.statsReply([
            ['96', '2'],
            ['128', '1'],
          ]),
        ),
      )(),
    ).toEqual(
      E.right({
        enabled: true,
        sizes: new Map([
          [96, 2n],
          [128, 1n],
        ]),
      }),
    )
  })

  it('conns: grouped by file descriptor', async () => {
    const result = await statsConns()(
      always(
        Reply.statsReply([
          ['23:addr', 'tcp:127.0.0.1:23456'],
          ['23:state', 'conn_listening'],
          ['24:secs_since_last_cmd', '0'],
        ]),
      ),
    )()
    expect(result).toEqual(
      E.right(
        new Map<number, object>([
          [23, { addr: 'tcp:127.0.0.1:23456', state: 'conn_listening' }],
          [24, { secs_since_last_cmd: 0n }],
        ]),
      ),
    )
  })

  it('reset: expects RESET', async () => {
    const transport = always(Reply.reset)
    expect(await statsReset()(transport)()).toEqual(E.right(undefined))
    expect(transport.written).toEqual(['stats reset\r\n'])
    const result = await statsReset()(always(Reply.statsReply([])))()
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })
})
