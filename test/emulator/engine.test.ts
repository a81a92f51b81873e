/**
 * The engine alone, driven by its clock, through the commands: what each one does to the store
 * (sizes and limits, LRU eviction, expiry tick by tick, flush points) and what it counts. The
 * store, the stats and the connection registry have their own tests one hop from them; real-server
 * parity is the conformance suite's job. These are the behaviours a real server cannot be made to
 * show quickly (hours of TTL, tiny memory limits).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makeEngine, type Engine, type EngineOptions } from '../../src/emulator/engine.js'
import { itemSize } from '../../src/emulator/store.js'
import { clientError, serverError } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const text = (value: Uint8Array): string => Buffer.from(value).toString('latin1')

/** An engine on a clock the test moves, starting at a whole second. */
const clocked = (options: EngineOptions = {}) => {
  let now = 1_700_000_000_000
  const engine = makeEngine({ ...options, clock: () => now })
  return {
    engine,
    advance: (ms: number) => {
      now += ms
    },
    nowSeconds: () => Math.floor(now / 1000),
  }
}

const keysIn = (engine: Engine, keys: ReadonlyArray<string>): ReadonlyArray<string> => {
  const reply = engine.execute(Request.get(keys))
  return reply._tag === 'Values' ? reply.items.map((item) => item.key) : []
}

const valueOf = (engine: Engine, key: string): string | undefined => {
  const reply = engine.execute(Request.get([key]))
  const item = reply._tag === 'Values' ? reply.items[0] : undefined
  return item === undefined ? undefined : text(item.value)
}

describe('engine: sizes', () => {
  it('counts items as memcached does: 48 bytes of header, key + 1, value + 2, cas, flags when set', () => {
    expect(itemSize(1, 0, 5)).toBe(48 + 2 + 7 + 8)
    expect(itemSize(1, 7, 5)).toBe(48 + 2 + 4 + 7 + 8)
    const { engine } = clocked()
    engine.execute(Request.set('a', bytes('hello')))
    engine.execute(Request.set('bb', bytes('x'), { flags: 1 }))
    expect(engine.stat('bytes')).toBe(itemSize(1, 0, 5) + itemSize(2, 1, 1))
    engine.execute(Request.del('a'))
    expect(engine.stat('bytes')).toBe(itemSize(2, 1, 1))
  })

  it('refuses an item over maxItemSize, header included, and a failed set drops the old value', () => {
    const { engine } = clocked({ maxItemSize: 1024 })
    const fits = 1024 - itemSize(1, 0, 0)
    expect(engine.execute(Request.set('k', new Uint8Array(fits)))).toEqual(Reply.stored)
    expect(engine.execute(Request.set('k', new Uint8Array(fits + 1)))).toEqual(Reply.failure(serverError('object too large for cache')))
    expect(valueOf(engine, 'k')).toBeUndefined()
    expect(engine.stat('store_too_large')).toBe(1)
    // add and replace refuse too, but leave the old value alone.
    engine.execute(Request.set('k', bytes('old')))
    expect(engine.execute(Request.store('replace', 'k', new Uint8Array(fits + 1)))._tag).toBe('Failure')
    expect(valueOf(engine, 'k')).toBe('old')
  })
})

describe('engine: data blocks hold room while they arrive', () => {
  it('admits with room reserved against the memory limit; store turns it into the item, release gives it back once', () => {
    const size = itemSize(1, 0, 100)
    const { engine } = clocked({ memoryLimit: size * 2 })
    const first = engine.admit('set', 'a', 0, 100)
    const second = engine.admit('set', 'b', 0, 100)
    if (first._tag !== 'Admitted' || second._tag !== 'Admitted') throw new Error('expected room for both')
    expect(engine.memory()).toEqual({ limit: size * 2, items: 0, reserved: size * 2 })
    // The `bytes` stat shows items only, as memcached's does.
    expect(engine.stat('bytes')).toBe(0)
    expect(engine.admit('set', 'c', 0, 100)).toEqual(Reply.failure(serverError('out of memory storing object')))
    expect(engine.store(Request.set('a', new Uint8Array(100)), 'valid', first)).toEqual(Reply.stored)
    expect(engine.memory()).toEqual({ limit: size * 2, items: size, reserved: size })
    second.release()
    second.release()
    expect(engine.memory()).toEqual({ limit: size * 2, items: size, reserved: 0 })
    // A bad data chunk gives its room back too.
    const third = engine.admit('set', 'c', 0, 100)
    if (third._tag !== 'Admitted') throw new Error('expected room')
    expect(engine.store(Request.set('c', new Uint8Array(100)), 'bad', third)).toEqual(Reply.failure(clientError('bad data chunk')))
    expect(engine.memory().reserved).toBe(0)
  })
})

describe('engine: LRU eviction', () => {
  const size = itemSize(2, 0, 100)

  it('evicts the least recently used items to make room, and counts them', () => {
    const { engine } = clocked({ memoryLimit: size * 4 })
    for (const key of ['k0', 'k1', 'k2', 'k3']) engine.execute(Request.set(key, new Uint8Array(100)))
    expect(engine.stat('evictions')).toBe(0)
    // Reading k0 makes k1 the least recently used.
    expect(keysIn(engine, ['k0'])).toEqual(['k0'])
    engine.execute(Request.set('k4', new Uint8Array(100)))
    expect(keysIn(engine, ['k0', 'k1', 'k2', 'k3', 'k4'])).toEqual(['k0', 'k2', 'k3', 'k4'])
    expect(engine.stat('evictions')).toBe(1)
    expect(engine.stat('curr_items')).toBe(4)
    expect(engine.stat('bytes')).toBe(size * 4)
  })

  it('reclaims expired items before evicting live ones', () => {
    const { engine, advance } = clocked({ memoryLimit: size * 2 })
    engine.execute(Request.set('k0', new Uint8Array(100)))
    engine.execute(Request.set('k1', new Uint8Array(100), { exptime: 5 }))
    engine.execute(Request.get(['k1', 'k0']))
    advance(5_000)
    engine.execute(Request.set('k2', new Uint8Array(100)))
    expect(keysIn(engine, ['k0', 'k1', 'k2'])).toEqual(['k0', 'k2'])
    expect(engine.stat('evictions')).toBe(0)
    expect(engine.stat('reclaimed')).toBe(1)
  })

  it('with eviction off, answers out of memory and keeps what it has', () => {
    const { engine } = clocked({ memoryLimit: size * 2, evict: false })
    engine.execute(Request.set('k0', new Uint8Array(100)))
    engine.execute(Request.set('k1', new Uint8Array(100)))
    expect(engine.execute(Request.set('k2', new Uint8Array(100)))).toEqual(Reply.failure(serverError('out of memory storing object')))
    expect(keysIn(engine, ['k0', 'k1', 'k2'])).toEqual(['k0', 'k1'])
    expect(engine.stat('store_no_memory')).toBe(1)
  })

  it('an append that cannot get memory is NOT_STORED, an incr that cannot is SERVER_ERROR', () => {
    // Room for the old item and the appended bytes on their own, not for both joined.
    const { engine } = clocked({ memoryLimit: itemSize(1, 0, 1) + itemSize(1, 0, 9), evict: false })
    engine.execute(Request.set('n', bytes('9')))
    expect(engine.execute(Request.store('append', 'n', new Uint8Array(9)))).toEqual(Reply.notStored)
    engine.execute(Request.set('n', bytes('999999999')))
    expect(engine.execute(Request.incr('n', 1n))).toEqual(Reply.failure(serverError('out of memory')))
  })

  it('cache_memlimit lowers the limit for the next writes', () => {
    const { engine } = clocked()
    expect(engine.execute(Request.cacheMemlimit(8))).toEqual(Reply.ok)
    expect(engine.stat('limit_maxbytes')).toBe(8 * 1024 * 1024)
    for (let index = 0; index < 9; index++) engine.execute(Request.set(`big${index}`, new Uint8Array(1000 * 1000)))
    expect(engine.stat('evictions')).toBe(1)
    expect(engine.execute(Request.cacheMemlimit(7))).toEqual(Reply.line('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m'))
  })

  it('keeps bytes and curr_items equal to what it holds, whatever the writes (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e')
    const command = fc.oneof(
      fc.record({ op: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'), key, size: fc.nat(300) }),
      fc.record({ op: fc.constantFrom('delete', 'incr', 'get'), key, size: fc.constant(0) }),
    )
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const { engine } = clocked({ memoryLimit: 1500 })
        for (const { op, key: name, size: length } of commands) {
          if (op === 'delete') engine.execute(Request.del(name))
          else if (op === 'incr') engine.execute(Request.incr(name, 1n))
          else if (op === 'get') engine.execute(Request.get([name]))
          else engine.execute(Request.store(op as Request.StoreCommand, name, new Uint8Array(length).fill(49)))
        }
        const held = ['a', 'b', 'c', 'd', 'e'].map((name) => engine.peek(name)).filter((item) => item !== undefined)
        expect(engine.stat('curr_items')).toBe(held.length)
        expect(engine.stat('bytes')).toBe(held.reduce((total, item) => total + item.size, 0))
        expect(engine.stat('bytes')).toBeLessThanOrEqual(1500)
      }),
    )
  })
})

describe('engine: time', () => {
  it('expires relative exptimes at the tick they name, as memcached does', () => {
    const { engine, advance } = clocked()
    advance(999) // 0.999 s into a second: a 1 s item dies at the next tick, 1 ms later
    engine.execute(Request.set('one', bytes('x'), { exptime: 1 }))
    engine.execute(Request.set('hour', bytes('x'), { exptime: 3600 }))
    expect(valueOf(engine, 'one')).toBe('x')
    advance(1)
    expect(valueOf(engine, 'one')).toBeUndefined()
    expect(engine.stat('get_expired')).toBe(1)
    advance(3599 * 1000 - 1)
    expect(valueOf(engine, 'hour')).toBe('x')
    advance(1)
    expect(valueOf(engine, 'hour')).toBeUndefined()
  })

  it('reads exptimes over 30 days as unix times, and the past as already expired', () => {
    const { engine, advance, nowSeconds } = clocked()
    engine.execute(Request.set('abs', bytes('x'), { exptime: nowSeconds() + 60 }))
    engine.execute(Request.set('30d', bytes('x'), { exptime: 60 * 60 * 24 * 30 }))
    engine.execute(Request.set('past', bytes('x'), { exptime: nowSeconds() - 1 }))
    expect(keysIn(engine, ['abs', '30d', 'past'])).toEqual(['abs', '30d'])
    advance(60_000)
    expect(keysIn(engine, ['abs', '30d'])).toEqual(['30d'])
  })

  it('counts expired items in curr_items until a command finds them, like memcached', () => {
    const { engine, advance } = clocked()
    engine.execute(Request.set('soon', bytes('x'), { exptime: 1 }))
    advance(2_000)
    expect(engine.stat('curr_items')).toBe(1)
    expect(engine.execute(Request.touch('soon', 10))).toEqual(Reply.notFound)
    expect(engine.stat('curr_items')).toBe(0)
    expect(engine.stat('get_expired')).toBe(1)
  })

  it('gat moves the expiry; touch with a negative exptime expires at once', () => {
    const { engine, advance } = clocked()
    engine.execute(Request.set('k', bytes('x'), { exptime: 10 }))
    engine.execute(Request.gat(100, ['k']))
    advance(50_000)
    expect(valueOf(engine, 'k')).toBe('x')
    engine.execute(Request.touch('k', -1))
    expect(valueOf(engine, 'k')).toBeUndefined()
  })

  it('flush_all N takes effect N - 1 ticks later and takes whatever was written until then', () => {
    const { engine, advance } = clocked()
    engine.execute(Request.set('before', bytes('x')))
    engine.execute(Request.flushAll(10))
    advance(8_999)
    engine.execute(Request.set('during', bytes('x')))
    expect(keysIn(engine, ['before', 'during'])).toEqual(['before', 'during'])
    advance(1)
    expect(keysIn(engine, ['before', 'during'])).toEqual([])
    expect(engine.stat('get_flushed')).toBe(2)
    engine.execute(Request.set('same-tick', bytes('x')))
    advance(1_000)
    engine.execute(Request.set('after', bytes('x')))
    expect(keysIn(engine, ['same-tick', 'after'])).toEqual(['after'])
  })

  it('an immediate flush spares items written right after it, in the same second', () => {
    const { engine } = clocked()
    engine.execute(Request.set('old', bytes('x')))
    engine.execute(Request.flushAll())
    engine.execute(Request.set('new', bytes('x')))
    expect(keysIn(engine, ['old', 'new'])).toEqual(['new'])
  })
})

describe('engine: stats', () => {
  it('stats reset zeroes the counters but not what is stored', () => {
    const { engine } = clocked()
    engine.execute(Request.set('k', bytes('x')))
    engine.execute(Request.get(['k', 'missing']))
    expect(engine.execute(Request.stats('reset'))).toEqual(Reply.reset)
    expect([engine.stat('get_hits'), engine.stat('get_misses'), engine.stat('cmd_set'), engine.stat('total_items')]).toEqual([0, 0, 0, 0])
    expect(engine.stat('curr_items')).toBe(1)
  })

  it('total_items counts every item linked: writes, and numbers that outgrow their length', () => {
    const { engine } = clocked()
    engine.execute(Request.set('n', bytes('9')))
    engine.execute(Request.store('add', 'n', bytes('x')))
    engine.execute(Request.incr('n', 1n)) // 10: longer, a new item
    engine.execute(Request.decr('n', 1n)) // 9: in place
    engine.execute(Request.store('append', 'n', bytes('0')))
    engine.execute(Request.touch('n', 10))
    expect(engine.stat('total_items')).toBe(3)
    expect(engine.stat('curr_items')).toBe(1)
  })

  it('reports uptime and time from its clock, and connections as they open and close', () => {
    const { engine, advance, nowSeconds } = clocked()
    advance(90_000)
    expect(engine.stat('uptime')).toBe(90)
    expect(engine.stat('time')).toBe(nowSeconds())
    const first = engine.openConnection('tcp:127.0.0.1:1')
    const second = engine.openConnection('tcp:127.0.0.1:2')
    first.close()
    expect([engine.stat('curr_connections'), engine.stat('total_connections')]).toEqual([1, 2])
    const conns = engine.execute(Request.stats('conns'))
    expect(conns._tag === 'Stats' && conns.entries.filter(([name]) => name.endsWith(':addr'))).toEqual([[`${second.id}:addr`, 'tcp:127.0.0.1:2']])
  })

  it('stats items and slabs describe what is held', () => {
    const { engine, advance } = clocked()
    expect(engine.execute(Request.stats('items'))).toEqual(Reply.statsReply([]))
    engine.execute(Request.set('k', bytes('x')))
    advance(5_000)
    const items = engine.execute(Request.stats('items'))
    const entries = new Map(items._tag === 'Stats' ? items.entries : [])
    expect(entries.get('items:1:number')).toBe('1')
    expect(entries.get('items:1:age')).toBe('5')
    const slabs = engine.execute(Request.stats('slabs'))
    expect(new Map(slabs._tag === 'Stats' ? slabs.entries : []).get('total_malloced')).toBe(String(itemSize(1, 0, 1)))
  })

  it('incr refuses values it cannot read as numbers, without counting a hit', () => {
    const { engine } = clocked()
    engine.execute(Request.set('word', bytes('abc')))
    expect(engine.execute(Request.incr('word', 1n))).toEqual(Reply.failure(clientError('cannot increment or decrement non-numeric value')))
    expect(engine.stat('incr_hits')).toBe(0)
  })
})
