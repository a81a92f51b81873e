/**
 * The emulator's text front end (a session over parse and render), checked against the real
 * thing: each row's client bytes are sent to a real memcached 1.6.18 (started here) and fed to an
 * emulator session whole, byte by byte and in random splits; what comes back must be the same bytes. Only the version string and cas
 * uniques (a shared server's counter) are normalised. Meta commands have their own rows in
 * test/conformance/meta-bytes.test.ts.
 */
import fc from 'fast-check'
import * as net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEngine } from '../../src/emulator/engine.js'
import { makeBudget } from '../../src/emulator/budget.js'
import { makeSession, type SessionOptions } from '../../src/emulator/session.js'
import * as Request from '../../src/protocol/request.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

interface Row {
  readonly name: string
  readonly input: string
  /**
   * Feed it in pieces too. Off where memcached's answer depends on how the bytes arrive: a line
   * over 2048 bytes, replies dropped by a failing multi-get (only those not written yet).
   */
  readonly split?: boolean
  /** The server closes the connection: no sentinel `version` is appended. */
  readonly closes?: boolean
}

const long = (length: number, letter = 'k') => letter.repeat(length)
const manyKeys = Array.from({ length: 30 }, (_, index) => `key${index}`).join(' ')

const rows: ReadonlyArray<Row> = [
  { name: 'store and read, pipelined', input: 'set a 0 0 1\r\nx\r\nget a b\r\ngets a\r\nbget a\r\n' },
  { name: 'a value holding CRLF and END', input: 'set a 5 0 7\r\nEND\r\n\r\r\nget a\r\n' },
  { name: 'a data block too long: bad data chunk, then the rest is a command', input: 'set a 0 0 1\r\nxx\r\nget a\r\n' },
  { name: 'a bad data chunk under noreply is silent', input: 'set a 0 0 1 noreply\r\nxx\r\nget a\r\n' },
  { name: 'empty, short, unknown and upper-case commands', input: '\r\nx\r\nGET a\r\nget\r\ngets\r\nbogus command\r\n\n' },
  { name: 'LF alone ends a line', input: 'set a 0 0 1\nx\r\nget a\n' },
  { name: 'runs of spaces between tokens', input: 'set  a  0 0 1 \r\nx\r\nget   a  \r\n' },
  { name: 'tabs belong to tokens', input: 'get\ta\r\nset a 0 0 1\t\r\nx\r\nget a\r\n' },
  { name: 'a NUL byte ends the line early', input: 'set a 0 0 1\r\nx\r\nget a\u0000b\r\n' },
  {
    name: 'keys over 250 bytes',
    input: `get ${long(251)}\r\nset a 0 0 1\r\nx\r\nget a ${long(251)} a\r\nset ${long(251)} 0 0 1\r\nx\r\nset ${long(250)} 0 0 1\r\nx\r\nget ${long(250)}\r\ndelete ${long(251)}\r\nincr ${long(251)} 1\r\n`,
    split: false,
  },
  {
    name: 'numbers in storage lines: truncated flags and exptimes, signs, bad ones',
    input:
      'set a 4294967296 0 1\r\nx\r\nset b -1 0 1\r\nx\r\nset c 18446744073709551615 0 1\r\nx\r\nset d 1x 0 1\r\nx\r\nset e 0 0 +1\r\nx\r\nset f 0 -2147483649 1\r\nx\r\nset g 0 2147483648 1\r\nx\r\nset h 0 0 -1\r\nset i 0 0\r\nset j 0 0 1 2\r\nx\r\nset k 0 0 1 noreply extra\r\nx\r\nget a b c d e f g j\r\n',
  },
  {
    name: 'incr and decr: padding, parsing, arity, noreply',
    input:
      'set n 0 0 3\r\n100\r\ndecr n 1\r\nget n\r\nincr n 1000\r\nget n\r\nincr n -1\r\nincr n abc\r\nincr n\r\nincr n 1 2 3\r\nincr n 1 noreply\r\nget n\r\ndecr missing 1\r\nset m 0 0 20\r\n18446744073709551615\r\nincr m 1\r\nget m\r\nset w 0 0 3\r\n1\r\n\r\nincr w 1\r\nget w\r\nset x 0 0 0\r\n\r\nincr x 1\r\n',
  },
  {
    name: 'delete and its hold argument',
    input: 'set k 0 0 1\r\nx\r\ndelete k 0\r\ndelete k 5\r\ndelete k noreply\r\ndelete k 0 noreply\r\ndelete k x y\r\ndelete k 0 x\r\ndelete k x noreply\r\ndelete\r\ndelete k\r\n',
  },
  {
    name: 'touch, gat and gats',
    input: 'set k 0 0 1\r\nx\r\ntouch k abc\r\ntouch k\r\ntouch k 10 noreply\r\ntouch k 10\r\ntouch nope 10\r\ngat abc k\r\ngat 10\r\ngat 10 k nope\r\ngats 10 k\r\ngat\r\n',
  },
  {
    name: 'flush_all arguments',
    input: 'set k 0 0 1\r\nx\r\nflush_all abc\r\nflush_all -1\r\nget k\r\nflush_all noreply\r\nflush_all 0\r\nflush_all 1 2\r\nflush_all 1 noreply\r\nflush_all 0 0 0\r\nflush_all x noreply\r\n',
  },
  {
    name: 'verbosity, cache_memlimit, version, shutdown',
    input:
      'verbosity\r\nverbosity x\r\nverbosity 1\r\nverbosity 1 noreply\r\nverbosity 0 2\r\ncache_memlimit\r\ncache_memlimit x\r\ncache_memlimit 4\r\ncache_memlimit 64\r\ncache_memlimit 64 noreply\r\ncache_memlimit 2000000000\r\nversion x\r\nversio\r\nshutdown\r\nmn\r\n',
  },
  {
    name: 'cas: match, stale, missing, zero, malformed',
    input: 'set a 0 0 1\r\nx\r\ncas a 0 0 1 999999\r\ny\r\ncas b 0 0 1 1\r\ny\r\ncas a 0 0 1 0\r\ny\r\ncas a 0 0 1\r\ny\r\ncas a 0 0 1 abc\r\ny\r\nget a\r\n',
  },
  {
    name: 'append and prepend keep flags',
    input: 'append a 0 0 1\r\nx\r\nset a 3 0 1\r\nm\r\nappend a 9 0 1\r\ne\r\nprepend a 9 0 1\r\ns\r\nget a\r\nprepend a 0 0 1 noreply\r\n<\r\nget a\r\n',
  },
  {
    name: 'more than 24 tokens',
    input: `set key7 0 0 1\r\nx\r\nget ${manyKeys}\r\ndelete ${manyKeys}\r\nset ${manyKeys}\r\ntouch ${manyKeys}\r\n`,
  },
  { name: 'stats subcommands without numbers', input: 'stats detail\r\nstats detail dump\r\nstats detail on\r\nstats detail off\r\nstats foo\r\nstats cachedump\r\nstats cachedump x 1\r\nstats sizes\r\nstats reset\r\n' },
  { name: 'quit answers what came before, then closes', input: 'set a 0 0 1\r\nx\r\nget a\r\nquit\r\nget a\r\n', closes: true },
  { name: 'a line over 2048 bytes that is not a get closes the connection', input: `get a\r\nset ${long(2100, 'a')}`, closes: true },
  {
    name: 'a multi-get with a key over 250 bytes drops the replies stacked before it',
    input: `${Array.from({ length: 45 }, (_, index) => `set s${index} 0 0 1\r\nx\r\n`).join('')}get s1 ${long(251)}\r\nget s2\r\n`,
    split: false,
  },
  { name: 'a long multi-get is read whole', input: `set key7 0 0 1\r\nx\r\nget ${Array.from({ length: 400 }, (_, index) => `key${index}`).join(' ')}\r\n` },
  { name: 'a long command line that arrives with its newline is read', input: `set a 0 0 1${' '.repeat(2100)}\r\nx\r\nget a\r\n`, split: false },
  {
    name: 'values over 1 MiB are refused and their bytes swallowed',
    input: `set big 0 0 5\r\nsmall\r\nset big 0 0 1100000\r\n${long(1_100_000, 'x')}\r\nget big\r\nset big 0 0 1100000 noreply\r\n${long(1_100_000, 'y')}\r\nadd big 0 0 1048516\r\n${long(1_048_516, 'z')}\r\nget big\r\n`,
  },
]

// -------------------------------------------------------------------------------------
// the two sides
// -------------------------------------------------------------------------------------

interface Transcript {
  readonly output: string
  readonly closed: boolean
}

const SENTINEL = 'version\r\n'
/** Each row starts from an empty cache on both sides. */
const PREFIX = 'flush_all\r\n'

const normalise = (output: string): string =>
  output.replace(/VALUE (\S+) (\d+) (\d+) \d+\r\n/g, 'VALUE $1 $2 $3 <cas>\r\n').replace(/VERSION [^\r]*\r\n/g, 'VERSION <version>\r\n')

/** Sends the row to a real server; reads until the sentinel's answer or the server closes. */
const fromServer = (server: MemcachedServer, row: Row): Promise<Transcript> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port })
    const chunks: Array<Buffer> = []
    let settled = false
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve({ output: normalise(Buffer.concat(chunks).toString('latin1')), closed })
    }
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (Buffer.concat(chunks).toString('latin1').endsWith('VERSION 1.6.18\r\n')) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.on('error', (error) => (settled ? undefined : reject(error)))
    // A row the server never finishes shows up as a difference, not as a hung hook.
    setTimeout(() => finish(false), 3000).unref()
    socket.write(bytesOf(row))
  })

/** Feeds the row to a fresh emulator session in the given pieces, taking every slice of work. */
const fromEmulator = (pieces: ReadonlyArray<Uint8Array>, options: SessionOptions = {}): Transcript => {
  const session = makeSession(makeEngine(), undefined, options)
  const out: Array<Uint8Array> = []
  for (const piece of pieces) {
    let result = session.receive(piece)
    out.push(...result.chunks)
    while (result.more) {
      result = session.resume()
      out.push(...result.chunks)
    }
    if (result.close) return { output: normalise(Buffer.concat(out).toString('latin1')), closed: true }
  }
  return { output: normalise(Buffer.concat(out).toString('latin1')), closed: false }
}

const bytesOf = (row: Row): Uint8Array => new Uint8Array(Buffer.from(PREFIX + row.input + (row.closes === true ? '' : SENTINEL), 'latin1'))

const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): ReadonlyArray<Uint8Array> => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point))
    start = point
  }
  return pieces
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('text front end: the same bytes as memcached 1.6.18', () => {
  let server: MemcachedServer
  const expected = new Map<string, Transcript>()
  beforeAll(async () => {
    server = await startMemcached()
    // One connection per row, one row at a time: rows share the server.
    for (const row of rows) expected.set(row.name, await fromServer(server, row))
  })
  afterAll(() => server?.stop())

  describe.each(rows)('$name', (row) => {
    it('whole', () => {
      expect(fromEmulator([bytesOf(row)])).toEqual(expected.get(row.name))
    })

    if (row.split !== false && row.input.length < 20_000) {
      it('byte by byte', () => {
        const bytes = bytesOf(row)
        expect(fromEmulator(Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1)))).toEqual(expected.get(row.name))
      })
    }

    if (row.split !== false) {
      it('whole, answered in slices of one key and one byte', () => {
        expect(fromEmulator([bytesOf(row)], { keysPerSlice: 1, bytesPerSlice: 1 })).toEqual(expected.get(row.name))
      })

      it('in random pieces', () => {
        const bytes = bytesOf(row)
        fc.assert(
          fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
            expect(fromEmulator(splitAt(bytes, cuts))).toEqual(expected.get(row.name))
          }),
          { numRuns: 15 },
        )
      })
    }
  })
})

describe('session: the connection', () => {
  const text = (output: { readonly chunks: ReadonlyArray<Uint8Array> }): string =>
    Buffer.concat(output.chunks.map((chunk) => Buffer.from(chunk))).toString('latin1')
  const bytes = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'latin1'))

  it('counts commands and traffic on its connection handle', () => {
    const engine = makeEngine()
    const connection = engine.openConnection('tcp:127.0.0.1:1')
    const session = makeSession(engine, connection)
    expect(text(session.receive(bytes('set k 0 0 1\r\nx\r\nget k\r\n')))).toBe('STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n')
    expect(engine.stat('bytes_read')).toBe('set k 0 0 1\r\nx\r\nget k\r\n'.length)
    expect(engine.stat('bytes_written')).toBe('STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n'.length)
  })

  it('after quit, answers nothing and reaches no engine', () => {
    const engine = makeEngine()
    const session = makeSession(engine)
    expect(session.receive(bytes('quit\r\n'))).toEqual({ chunks: [], close: true, more: false })
    expect(session.receive(bytes('set k 0 0 1\r\nx\r\n'))).toEqual({ chunks: [], close: true, more: false })
    expect(engine.stat('cmd_set')).toBe(0)
  })

  it('keeps a data block it has not finished reading across receives, and the value is its own copy', () => {
    const engine = makeEngine()
    const session = makeSession(engine)
    const first = bytes('set k 0 0 3\r\nab')
    expect(session.receive(first).chunks).toEqual([])
    first.fill(0)
    expect(text(session.receive(bytes('c\r\nget k\r\n')))).toBe('STORED\r\nVALUE k 0 3\r\nabc\r\nEND\r\n')
  })
})

describe('session: costs bounded whatever the client sends', () => {
  const bytes = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'latin1'))
  const text = (chunks: ReadonlyArray<Uint8Array>): string => Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))).toString('latin1')
  /** Every slice of what `bytes` asks, and how many calls it took. */
  const drain = (session: ReturnType<typeof makeSession>, input: Uint8Array) => {
    let output = session.receive(input)
    const chunks = [...output.chunks]
    let calls = 1
    while (output.more) {
      output = session.resume()
      chunks.push(...output.chunks)
      calls++
    }
    return { text: text(chunks), calls, close: output.close }
  }
  const filled = (keys: number) => {
    const engine = makeEngine()
    for (let index = 0; index < keys; index++) engine.execute(Request.set(`key${index}`, bytes(`value${index}`)))
    return engine
  }
  const getLine = (keys: number) => `get ${Array.from({ length: keys }, (_, index) => `key${index}`).join(' ')}\r\n`

  /** A `get k k k …` line of about `length` bytes, streamed in `piece`-byte packets, then its newline. */
  const streamGetLine = (length: number, piece: number) => {
    const session = makeSession(makeEngine())
    const line = bytes(`get ${'k '.repeat(length / 2)}`)
    const out: Array<Uint8Array> = []
    for (let offset = 0; offset < line.length; offset += piece) out.push(...session.receive(line.subarray(offset, offset + piece)).chunks)
    let output = session.receive(bytes('\r\n'))
    out.push(...output.chunks)
    while (output.more) {
      output = session.resume()
      out.push(...output.chunks)
    }
    return { length: line.length + 2, reply: text(out), counters: session.counters() }
  }

  it('reads a streamed multi-get line looking at each byte a fixed number of times', () => {
    // Searching the whole held line again at every packet (the old way) would look at about
    // length² / (2 × piece) bytes: 2.7e8 here, where a fixed number of passes is a few million.
    const small = streamGetLine(256 * 1024, 128)
    const large = streamGetLine(1024 * 1024, 128)
    expect(large.reply).toBe('END\r\n')
    // One pass for the newline, one for a NUL, one for a too long key, one reading the keys.
    expect(large.counters.bytesScanned).toBeLessThanOrEqual(4 * large.length)
    // Each piece kept once, and the line joined once.
    expect(large.counters.bytesCopied).toBeLessThanOrEqual(2 * large.length)
    // Four times the line, four times the work (not sixteen).
    expect(large.counters.bytesScanned / small.counters.bytesScanned).toBeLessThan(4.1)
    expect(large.counters.bytesCopied / small.counters.bytesCopied).toBeLessThan(4.1)
  })

  it('reads the same streamed line byte by byte at the same cost per byte', () => {
    const bytewise = streamGetLine(16 * 1024, 1)
    expect(bytewise.reply).toBe('END\r\n')
    expect(bytewise.counters.bytesScanned).toBeLessThanOrEqual(4 * bytewise.length)
    expect(bytewise.counters.bytesCopied).toBeLessThanOrEqual(2 * bytewise.length)
  })

  it('answers a long multi-get in slices of keysPerSlice keys, which join to the one-slice reply', () => {
    const engine = filled(2500)
    const whole = drain(makeSession(engine, undefined, { keysPerSlice: 10_000 }), bytes(getLine(2500)))
    const session = makeSession(engine, undefined, { keysPerSlice: 1000 })
    const first = session.receive(bytes(getLine(2500)))
    expect(first.more).toBe(true)
    expect(text(first.chunks).match(/^VALUE /gm)?.length).toBe(1000)
    let rest = ''
    let output = first
    while (output.more) {
      output = session.resume()
      rest += text(output.chunks)
    }
    expect(session.counters().slices).toBe(2)
    expect(whole.calls).toBe(1)
    expect(text(first.chunks) + rest).toBe(whole.text)
    expect(whole.text.match(/^VALUE /gm)?.length).toBe(2500)
    expect(whole.text.endsWith('VALUE key2499 0 9\r\nvalue2499\r\nEND\r\n')).toBe(true)
  })

  it('cuts slices by reply bytes too, and a pipeline of commands as well as one long multi-get', () => {
    const engine = filled(300)
    const pipeline = bytes(Array.from({ length: 300 }, (_, index) => `get key${index}\r\n`).join(''))
    const sliced = drain(makeSession(engine, undefined, { bytesPerSlice: 1024 }), pipeline)
    const whole = drain(makeSession(engine), pipeline)
    expect(whole.calls).toBe(1)
    // About 30 bytes per reply: a slice is about 1 KiB of replies.
    expect(sliced.calls).toBeGreaterThan(5)
    expect(sliced.text).toBe(whole.text)
  })

  it('scans a long multi-get with a too long key at its end in slices, looks the keys up silently, and answers only the error', () => {
    const engine = filled(3000)
    // Over 256 KiB of keys before the bad one: the scan alone takes more than one slice.
    const keys = Array.from({ length: 30_000 }, (_, index) => `key${index % 3000}`).join(' ')
    const session = makeSession(engine, undefined, { keysPerSlice: 5000 })
    const result = drain(session, bytes(`get ${keys} ${'k'.repeat(251)} key1\r\n`))
    expect(result.text).toBe('CLIENT_ERROR bad command line format\r\n')
    expect(result.calls).toBeGreaterThan(2)
    expect(engine.stat('get_hits')).toBe(30_000)
  })

  it('holds room in the engine for a data block while it arrives, and gives it back when the client goes', () => {
    const engine = makeEngine({ memoryLimit: 2_500_000 })
    const pending = (key: string) => {
      const session = makeSession(engine)
      const output = session.receive(bytes(`set ${key} 0 0 1000000\r\n${'x'.repeat(1000)}`))
      return { session, reply: text(output.chunks) }
    }
    const first = pending('a')
    const second = pending('b')
    expect([first.reply, second.reply]).toEqual(['', ''])
    const reserved = engine.memory()
    expect(reserved.reserved).toBeGreaterThanOrEqual(2_000_000)
    // A third block cannot fit beside the two arriving: refused before it is read, as memcached refuses an item it cannot allocate.
    const third = pending('c')
    expect(third.reply).toBe('SERVER_ERROR out of memory storing object\r\n')
    expect(engine.memory().items + engine.memory().reserved).toBeLessThanOrEqual(2_500_000)
    first.session.close()
    expect(engine.memory().reserved).toBe(reserved.reserved / 2)
    // The finished block's room becomes its item's.
    expect(text(second.session.receive(bytes(`${'x'.repeat(999_000)}\r\n`)).chunks)).toBe('STORED\r\n')
    expect(engine.memory()).toEqual({ limit: 2_500_000, items: reserved.reserved / 2, reserved: 0 })
    second.session.close()
    third.session.close()
    expect(engine.memory().reserved).toBe(0)
  })

  it('takes lines waiting for their newline from a shared budget; a client going over it is answered out of memory and closed', () => {
    const engine = makeEngine()
    const lineMemory = makeBudget(4096)
    const first = makeSession(engine, undefined, { lineMemory })
    const second = makeSession(engine, undefined, { lineMemory })
    const head = `get ${'k '.repeat(1500)}`
    expect(first.receive(bytes(head))).toEqual({ chunks: [], close: false, more: false })
    expect(lineMemory.used()).toBe(head.length)
    const refused = second.receive(bytes(head))
    expect([text(refused.chunks), refused.close]).toEqual(['SERVER_ERROR out of memory reading request\r\n', true])
    expect(lineMemory.used()).toBe(head.length)
    // Held while its keys are answered (1500 keys: two slices), given back after.
    const completed = first.receive(bytes('\r\n'))
    expect([completed.more, lineMemory.used()]).toEqual([true, head.length + 2])
    expect(text(first.resume().chunks)).toBe('END\r\n')
    expect(lineMemory.used()).toBe(0)
    first.receive(bytes(head))
    first.close()
    expect(lineMemory.used()).toBe(0)
  })

  it('after close, answers nothing', () => {
    const session = makeSession(makeEngine())
    session.receive(bytes('set k 0 0 5\r\nab'))
    session.close()
    expect(session.receive(bytes('cde\r\n'))).toEqual({ chunks: [], close: true, more: false })
    expect(session.resume()).toEqual({ chunks: [], close: true, more: false })
  })
})
