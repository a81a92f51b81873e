/**
 * The meta commands' semantics under an injected clock: win tokens on a miss (N/W/Z), recache
 * (R/W), invalidation (I/X/W), cas rules with stale items, quiet mode, opaque echo, base64 keys,
 * and items shared with the text commands. Commands go through a session (bytes in, bytes out),
 * fed whole and byte by byte; time moves by changing the clock, never by sleeping.
 */
import { describe, expect, it } from 'vitest'
import { makeEngine, type Engine } from '../../src/emulator/engine.js'
import { slabClassOf } from '../../src/emulator/meta-engine.js'
import { makeSession, type Session } from '../../src/emulator/session.js'

const START = 1_700_000_000_000

interface Harness {
  readonly engine: Engine
  /** Sends lines (joined with `\r\n`) and returns what the session wrote. */
  readonly send: (...lines: ReadonlyArray<string>) => string
  /** Sends exactly these bytes. */
  readonly sendRaw: (text: string) => string
  /** The same, fed one byte at a time. */
  readonly sendBytes: (...lines: ReadonlyArray<string>) => string
  readonly elapse: (seconds: number) => void
}

const drain = (session: Session, pieces: ReadonlyArray<Uint8Array>): string => {
  const out: Array<Uint8Array> = []
  for (const piece of pieces) {
    let result = session.receive(piece)
    out.push(...result.chunks)
    while (result.more) {
      result = session.resume()
      out.push(...result.chunks)
    }
  }
  return Buffer.concat(out).toString('latin1')
}

const harness = (): Harness => {
  let now = START
  const engine = makeEngine({ clock: () => now })
  const session = makeSession(engine)
  const wire = (lines: ReadonlyArray<string>) => new Uint8Array(Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'latin1'))
  return {
    engine,
    send: (...lines) => drain(session, [wire(lines)]),
    sendRaw: (text) => drain(session, [new Uint8Array(Buffer.from(text, 'latin1'))]),
    sendBytes: (...lines) => {
      const bytes = wire(lines)
      return drain(
        session,
        Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1)),
      )
    },
    elapse: (seconds) => {
      now += seconds * 1000
    },
  }
}

const casOf = (reply: string): string => /c(\d+)/.exec(reply)?.[1] ?? 'none'

describe('vivify on miss (N): one winner, then Z', () => {
  it('links an empty stub with the N TTL, hands W to the first caller only, and Z to the others', () => {
    const { send, elapse } = harness()
    expect(send('mg k N30 t s v')).toBe('VA 0 t30 s0 W\r\n\r\n')
    expect(send('mg k N30 t s v')).toBe('VA 0 t30 s0 Z\r\n\r\n')
    elapse(10)
    expect(send('mg k N30 t')).toBe('HD t20 Z\r\n')
    // The winner's write replaces the stub: no token, no Z.
    expect(send('ms k 5 T60', 'value', 'mg k v t')).toBe('HD\r\nVA 5 t60\r\nvalue\r\n')
  })

  it('a stub nobody fills expires with its N TTL, and the next miss wins again', () => {
    const { send, elapse } = harness()
    expect(send('mg k N5')).toBe('HD W\r\n')
    elapse(5)
    expect(send('mg k')).toBe('EN\r\n')
    expect(send('mg k N5')).toBe('HD W\r\n')
  })

  it('is read by text get as an empty value', () => {
    const { send } = harness()
    send('mg k N30')
    expect(send('get k')).toBe('VALUE k 0 0\r\n\r\nEND\r\n')
  })
})

describe('recache (R): one W before the TTL runs out', () => {
  it('wins once the remaining TTL drops under R, and only once', () => {
    const { send, elapse } = harness()
    send('ms k 1 T100', 'x')
    expect(send('mg k R30 t')).toBe('HD t100\r\n')
    elapse(71)
    expect(send('mg k R30 t')).toBe('HD t29 W\r\n')
    expect(send('mg k R30 t')).toBe('HD t29 Z\r\n')
  })

  it('shows the TTL of an item touched into the past as memcached does: unsigned, from its relative clock', () => {
    const { send, elapse } = harness()
    elapse(8)
    send('ms k 1', 'x')
    // memcached's clock starts 62 s before the server; a past time is 1 on that clock.
    expect(send('mg k T-1 t', 'mg k')).toBe(`HD t${2 ** 32 + 1 - (62 + 8)}\r\nEN\r\n`)
  })

  it('never wins on an item without TTL', () => {
    const { send } = harness()
    send('ms k 1', 'x')
    expect(send('mg k R3000')).toBe('HD\r\n')
  })
})

describe('invalidation (md I): stale items, X, one W', () => {
  it('marks the item stale with a new cas and TTL; the first reader wins, the others see Z X', () => {
    const { send, elapse } = harness()
    const stored = send('ms k 2 T100 c', 'hi')
    const invalidated = send('md k I T30', 'mg k c t v')
    expect(invalidated).toMatch(/^HD\r\nVA 2 c\d+ t30 X W\r\nhi\r\n$/)
    expect(casOf(invalidated)).not.toBe(casOf(stored))
    expect(send('mg k t')).toBe('HD t30 Z X\r\n')
    elapse(30)
    expect(send('mg k')).toBe('EN\r\n')
  })

  it('a second invalidation clears the token: the next reader wins again', () => {
    const { send } = harness()
    send('ms k 1', 'x', 'md k I', 'mg k')
    expect(send('md k I q', 'mg k', 'mg k')).toBe('HD X W\r\nHD Z X\r\n')
  })

  it('the winner writes back with C: over a stale item with an older cas and I, the item stays stale', () => {
    const { send } = harness()
    const first = send('ms k 1 T100 c', 'x')
    send('md k I T30')
    // A late writer holding the cas from before the invalidation.
    expect(send(`ms k 3 C${casOf(first)} I`, 'old', 'mg k v t')).toBe('HD\r\nVA 3 t30 X W\r\nold\r\n')
    // Without I, the same old cas is refused.
    expect(send(`ms k 3 C${casOf(first)}`, 'new')).toBe('EX\r\n')
  })

  it('the winner with the current cas stores a fresh item: no X, no Z', () => {
    const { send } = harness()
    send('ms k 1 T100', 'x', 'md k I T30')
    const winner = send('mg k c')
    expect(winner).toMatch(/ X W\r\n$/)
    expect(send(`ms k 3 C${casOf(winner)} T100`, 'new', 'mg k v t')).toBe('HD\r\nVA 3 t100\r\nnew\r\n')
  })
})

describe('cas', () => {
  it('ms C compares in every mode; md C and ma C too', () => {
    const { send } = harness()
    const cas = BigInt(casOf(send('ms k 1 c', '1')))
    expect(send(`ms k 1 C${cas + 1n} MA`, 'x')).toBe('EX\r\n')
    expect(send(`ms k 1 C${cas} MA`, '2')).toBe('HD\r\n')
    const current = BigInt(casOf(send('mg k c')))
    expect(current).toBeGreaterThan(cas)
    expect(send(`ma k C${current + 1n} v`)).toBe('EX\r\n')
    expect(send(`ma k C${current} v`)).toBe('VA 2\r\n13\r\n')
    expect(send(`md k C${current}`, 'mg k')).toBe('EX\r\nHD\r\n')
    expect(send('ms j 1 C5', 'x')).toBe('NF\r\n')
  })

  it('returns the new cas after ms, and c0 when nothing was stored', () => {
    const { send } = harness()
    expect(send('ms k 1 c', 'x')).toMatch(/^HD c[1-9]\d*\r\n$/)
    expect(send('ms k 1 ME c', 'x')).toBe('NS c0\r\n')
  })
})

describe('quiet mode (q)', () => {
  it('drops EN for mg, HD for ms and md, HD and VA for ma; never errors or other codes', () => {
    const { send } = harness()
    expect(send('mg k q', 'ms k 1 q', '5', 'mg k q', 'ma k q v', 'md k q', 'md k q', 'ms k 1 MR q', 'x', 'mg k q O1 k zz', 'mn')).toBe(
      'HD\r\nNF\r\nNS\r\nCLIENT_ERROR invalid flag\r\nMN\r\n',
    )
  })

  it('writes an ma hit that created its item', () => {
    const { send } = harness()
    expect(send('ma k N0 J7 q v')).toBe('VA 1\r\n7\r\n')
  })

  it('answers a quiet pipeline fed byte by byte the same as whole', () => {
    const lines = ['ms a 1 q O1', 'x', 'mg a q k O2 v', 'mg b q k O3 v', 'md a q O4', 'mn']
    expect(harness().sendBytes(...lines)).toBe('VA 1 ka O2\r\nx\r\nMN\r\n')
    expect(harness().send(...lines)).toBe('VA 1 ka O2\r\nx\r\nMN\r\n')
  })
})

describe('opaque (O)', () => {
  it('echoes an opaque of up to 32 bytes, O included, where the request put it', () => {
    const { send } = harness()
    const opaque = `O${'7'.repeat(31)}`
    expect(send(`mg k k ${opaque}`)).toBe(`EN kk ${opaque}\r\n`)
    expect(send(`mg k ${opaque}7`)).toBe('CLIENT_ERROR opaque token too long\r\n')
  })

  it('refuses a long opaque on ma only after the delta took effect, as memcached does', () => {
    const { send } = harness()
    send('ms k 1', '1')
    expect(send(`ma k O${'7'.repeat(40)}`, 'mg k v')).toBe('CLIENT_ERROR opaque token too long\r\nVA 1\r\n2\r\n')
  })
})

describe('base64 keys (b)', () => {
  it('stores under the decoded bytes: the same item as the text key, written back as base64', () => {
    const { send, engine } = harness()
    const key = '\u0000\u00ffk'
    const encoded = Buffer.from(key, 'latin1').toString('base64')
    expect(send(`ms ${encoded} 2 b k`, 'hi')).toBe(`HD k${encoded} b\r\n`)
    expect(engine.peek(key)?.value).toEqual(new Uint8Array(Buffer.from('hi')))
    expect(send('ms a2V5 3 b', 'val', 'get key', 'mg key k v')).toBe('HD\r\nVALUE key 0 3\r\nval\r\nEND\r\nVA 3 ka2V5 b\r\nval\r\n')
  })

  it('accepts 250 bytes of base64 (187 raw bytes) and refuses 251', () => {
    const { send } = harness()
    const raw = 'x'.repeat(187)
    const encoded = Buffer.from(raw, 'latin1').toString('base64')
    expect(encoded.length).toBe(252)
    const fits = Buffer.from('x'.repeat(186), 'latin1').toString('base64')
    expect(fits.length).toBe(248)
    expect(send(`ms ${fits} 1 b`, 'x')).toBe('HD\r\n')
    expect(send(`mg ${encoded} b`)).toBe('CLIENT_ERROR bad command line format\r\n')
  })
})

describe('text and meta share items', () => {
  it('reads with mg what set stored, flags and all, and with gets what ms stored', () => {
    const { send } = harness()
    expect(send('set k 42 0 2', 'hi', 'mg k v f s')).toBe('STORED\r\nVA 2 f42 s2\r\nhi\r\n')
    expect(send('ms j 3 F7', 'abc', 'get j')).toBe('HD\r\nVALUE j 7 3\r\nabc\r\nEND\r\n')
  })

  it('counts meta reads and writes in the text stats', () => {
    const { send, engine } = harness()
    send('ms k 1', 'x', 'mg k', 'mg nope', 'mg k T10', 'md k', 'md k')
    expect([engine.stat('cmd_set'), engine.stat('get_hits'), engine.stat('get_misses'), engine.stat('touch_hits'), engine.stat('delete_hits'), engine.stat('delete_misses')]).toEqual([1, 1, 1, 1, 1, 1])
  })
})

describe('last access, fetched and me', () => {
  it('marks fetched on the first read and moves last access on the second, unless u', () => {
    const { send, elapse } = harness()
    send('ms k 1', 'x')
    elapse(5)
    expect(send('mg k u h l')).toBe('HD h0 l5\r\n')
    expect(send('mg k h l')).toBe('HD h0 l5\r\n')
    elapse(3)
    expect(send('mg k h l')).toBe('HD h1 l8\r\n')
    expect(send('mg k h l')).toBe('HD h1 l0\r\n')
  })

  it('me shows expiry as memcached does (negative seconds left), size and slab class', () => {
    const { send, elapse } = harness()
    send('ms k 2 T100 F1', 'hi')
    elapse(10)
    expect(send('me k')).toMatch(/^ME k exp=-90 la=10 cas=\d+ fetch=no cls=1 size=66\r\n$/)
    expect(send('me nope')).toBe('EN\r\n')
  })

  it('slab classes follow memcached 1.6.18 defaults', () => {
    expect([slabClassOf(61), slabClassOf(96), slabClassOf(97), slabClassOf(120), slabClassOf(121)]).toEqual([1, 1, 2, 2, 3])
    expect(slabClassOf(10_000_000)).toBe(slabClassOf(512 * 1024))
  })
})

describe('data blocks', () => {
  it('reads an ms block split across receives, keeps the room reserved meanwhile, and answers a bad chunk', () => {
    const { engine, send, sendRaw } = harness()
    expect(send('ms k 5')).toBe('')
    expect(engine.memory().reserved).toBeGreaterThan(0)
    expect(sendRaw('hel')).toBe('')
    expect(sendRaw('lo\r\n')).toBe('HD\r\n')
    expect(engine.memory().reserved).toBe(0)
    expect(send('ms k 1 q', 'xx')).toBe('CLIENT_ERROR bad data chunk\r\nERROR\r\n')
  })

  it('swallows the block of an ms refused after its length was read', () => {
    const { send } = harness()
    expect(send('ms k 3 MX', 'get', 'mn')).toBe('CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n')
    expect(send(`ms k ${2 * 1024 * 1024} T0`)).toBe('SERVER_ERROR object too large for cache\r\n')
  })
})
