/**
 * The emulator's meta commands, byte for byte against memcached 1.6.18: each row's steps are sent
 * as raw bytes to a real memcached (started here) and to the emulator served on a loopback port
 * (`serve`), each step followed by an `mn` fence, and the replies must be the same bytes.
 *
 * Normalised, because they differ by nature: cas uniques (each server's own counter; mapped to
 * their order of first appearance in the row, so "the same cas" and "a new cas" still show), and
 * times in seconds (`t`, `l`, `exp=`, `la=`: rounded to tens, since a second may tick between two
 * steps on either server). A step may say `{cas}`: the last cas that server returned in the row.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from '../../src/emulator/serve.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'

interface Row {
  readonly name: string
  /** Each step is sent at once, lines joined with `\r\n`, then `mn`. */
  readonly steps: ReadonlyArray<string>
}

const long = (length: number, letter = 'k') => letter.repeat(length)
const opaque = (length: number) => `O${long(length - 1, '7')}`

const rows: ReadonlyArray<Row> = [
  // mg
  { name: 'mg miss: EN, with k and O echoed, silent under q', steps: ['mg a v', 'mg a k O1 v', 'mg a q k O2', 'mg a s t c'] },
  { name: 'mg hit returns flags in request order', steps: ['ms a 3 T100 F5\nabc', 'mg a v t c f s h l k O9', 'mg a O9 k l h s f c t v', 'mg a s'] },
  { name: 'mg hit is written under q, value or not', steps: ['ms a 2\nhi', 'mg a q', 'mg a v q k'] },
  { name: 'N on a miss: an empty stub, W once, then Z', steps: ['mg a N30 c t s v', 'mg a N30 c t s v', 'mg a v k', 'get a'] },
  { name: 'N on a hit wins nothing', steps: ['ms a 1\nx', 'mg a N30 t v'] },
  { name: 'a long opaque after N: the stub stays, the error is written', steps: [`mg a N30 ${opaque(33)}`, 'mg a t s'] },
  { name: 'R hands one W when the TTL is under it', steps: ['ms a 1 T100\nx', 'mg a R200 c', 'mg a R200 c', 'mg a R50'] },
  { name: 'R wins nothing on an item without TTL or above it', steps: ['ms a 1\nx', 'mg a R30', 'ms b 1 T100\nx', 'mg b R30'] },
  { name: 'T in mg touches, and t shows the TTL where it stands', steps: ['ms a 1 T100\nx', 'mg a t T30', 'mg a T300 t', 'mg a t', 'mg a T0 t', 'mg a t'] },
  { name: 'h and l: fetched before this read', steps: ['ms a 1\nx', 'mg a h l', 'mg a h l', 'me a'] },
  { name: 'u: no bump, not marked fetched', steps: ['ms a 1\nx', 'mg a u h', 'mg a u h', 'me a', 'mg a h'] },
  // The `t` of an item given a past time depends on how long each server has run: meta-engine.test.ts pins it.
  { name: 'T-1 expires at once', steps: ['ms a 1\nx', 'mg a T-1 s', 'mg a', 'ms b 1 T-1\nx', 'mg b'] },
  // text and meta share items
  { name: 'ms stores what get, gets and touch read', steps: ['ms a 5 F42 T100\nhello', 'get a', 'gets a', 'touch a 0', 'mg a t f v'] },
  { name: 'set stores what mg reads', steps: ['set a 7 0 2\nhi', 'mg a v f s c', 'incr a 1', 'append a 0 0 1\nz\nmg a v'] },
  // base64 keys
  { name: 'b: the key is the decoded bytes, and k writes it back as base64', steps: ['ms a2V5 3 b k c\nval', 'mg a2V5 b k v', 'get key', 'mg key k v', 'me key', 'me a2V5 b'] },
  { name: 'b on a miss and on a stub', steps: ['mg YmluMQ== b k v', 'mg YmluMQ== b N30 k c', 'mg YmluMQ== b k', 'me YmluMQ== b'] },
  { name: 'b: binary bytes, md and ma with k', steps: ['ms AP8A/w== 1 b\n7', 'ma AP8A/w== b k v', 'md AP8A/w== b k q', 'md AP8A/w== b k', 'mg AP8A/w== b k'] },
  { name: 'b: keys that do not decode', steps: ['mg k b', 'mg !!!! b', 'mg a2V b', 'mg a2V5= b k', 'mg a2V5!! b k', 'md abc b', 'ma abc b', 'ms abc 1 b\nx', 'me abc b'] },
  { name: 'b: append, and an incr that grows, make an item not binary', steps: ['ms YmluMg== 1 b\nx', 'ms YmluMg== 1 b MA\ny', 'mg YmluMg== b k v', 'ms YmluNA== 1 b\n7', 'ma YmluNA== b D5', 'mg YmluNA== b k v'] },
  // me
  { name: 'me: hit, miss, extra tokens, errors', steps: ['ms a 2 F9 T100\nhi', 'me a', 'me a extra tokens', 'me nope', 'me', `me ${long(251)}`, 'me a b'] },
  // md
  { name: 'md: HD, silent under q; NF written even under q', steps: ['ms a 1\nx', 'md a q', 'md a q', 'md a', 'md a k O5 q'] },
  { name: 'md C compares the cas', steps: ['ms a 1 c\nx', 'md a C1', 'md a C0', 'md a C{cas} k', 'mg a'] },
  { name: 'md I marks stale: X and one W, then Z', steps: ['ms a 2 T100\nhi', 'md a I T30', 'mg a v c t', 'mg a v c t', 'mg a', 'md a I', 'mg a t', 'md a', 'mg a'] },
  { name: 'md I on a miss, and q on a hit', steps: ['md a I', 'ms a 1\nx', 'md a I q', 'mg a c'] },
  // ms
  { name: 'ms modes: E add, A append, P prepend, R replace, S set', steps: ['ms a 2 ME\nhi', 'ms a 2 ME\nhi', 'ms a 2 MA\nyo', 'ms a 2 MP\n<<', 'mg a v', 'ms a 1 MR\nr', 'ms b 1 MR\nr', 'ms b 1 MA\nr', 'ms b 1 MP\nr', 'ms a 1 MS F3\ns', 'mg a v f', 'mg b'] },
  { name: 'ms q: HD silent, NS and NF written', steps: ['ms a 1 q\nx', 'ms a 1 ME q\nx', 'ms b 1 MR q\nx', 'ms c 1 C5 q\nx', 'mg a v'] },
  { name: 'ms C: match, mismatch, zero, miss, with each mode', steps: ['ms a 1 c\nx', 'ms a 1 C{cas} c\ny', 'ms a 1 C1 c\nz', 'ms a 1 C0\nz', 'ms b 1 C5 c\nz', 'ms b 1 C5 MR\nz', 'ms b 1 C5 ME c\nz', 'ms a 1 MA C1\nz', 'ms a 1 MA C{cas}\nz', 'mg a v'] },
  { name: 'ms C I: an older cas stores over a stale item and keeps it stale', steps: ['ms a 2 T100 c\nhi', 'md a I T30', 'mg a c', 'ms a 3 C1 I\nnew', 'mg a v c t', 'ms a 3 C999999 I\nnew', 'ms a 3 C1\nnew', 'mg a c v'] },
  { name: 'ms on a fresh item clears stale and token', steps: ['ms a 1\nx', 'md a I', 'mg a', 'ms a 1\ny', 'mg a v'] },
  { name: 'ms returns O, k and c in request order', steps: ['ms a 1 O9 k c T100\nx', 'ms a 1 c k O8\nx', 'ms a 1 ME c O7\nx'] },
  { name: 'ms I without C is a plain set', steps: ['ms a 2 I\nab', 'mg a v'] },
  { name: 'ms errors before its length: nothing swallowed', steps: ['ms a', 'ms a x\nfoo', 'ms a -1\nx', `ms ${long(251)} 1\nx`, 'ms a 1 v k c f s t h l O1 u N1 T1 R1 P L q x\nz'] },
  { name: 'ms errors after its length: the block is swallowed', steps: ['ms a 2 MX\nhi', 'ms a 2 Mxx\nhi', 'ms a 2 zz\nhi', 'ms a 2 v v\nhi', 'ms a 2 Fx\nhi', 'ms a 2 N\nhi', `ms a 2 ${opaque(33)}\nhi`, 'ms a 2 b\nhi', 'ms a 2 S2\nhi', 'mg a'] },
  { name: 'ms bad data chunk, written under q too', steps: ['ms a 2\nabc', 'ms a 2 q\nabcd', 'mg a'] },
  { name: 'ms too large: refused, block swallowed, old item dropped', steps: ['ms a 1\nx', `ms a 1048577 MA\n${long(1048577, 'v')}`, 'mg a'] },
  { name: 'ms client flags: F wraps at 32 bits, F-1 is refused', steps: ['ms a 1 F4294967297\nx', 'mg a f', 'ms a 1 F-1\nx', 'ms a 1 F\nx'] },
  // ma
  { name: 'ma: NF, then N with J creates, v shows, q silences a hit', steps: ['ma a', 'ma a q', 'ma a N0 J10 v', 'ma a v', 'ma a q v', 'ma a v t c'] },
  { name: 'ma modes and deltas: MD, M-, MI, M+, D', steps: ['ms a 2\n50', 'ma a MD D5 v', 'ma a M- v', 'ma a MI D10 v', 'ma a M+ v', 'ma a MD D500 v', 'ma a D18446744073709551615 v'] },
  { name: 'ma wraps at 2^64 and pads in place', steps: ['ms a 20\n18446744073709551615', 'ma a v', 'mg a v', 'ms b 3\n100', 'ma b MD v', 'mg b v s'] },
  { name: 'ma C: mismatch EX, match, zero', steps: ['ms a 1 c\n1', 'ma a C1 v', 'ma a C{cas} v c', 'ma a C0 v'] },
  { name: 'ma N with T and t, k and O', steps: ['ma a N60 J5 v t k O7', 'ma a N60 J5 T200 t', 'ma a t'] },
  { name: 'ma T on an incr that grows the number reaches the old item only', steps: ['ms a 1\n9', 'ma a T500 t v', 'mg a t v'] },
  { name: 'ma on values that are not numbers', steps: ['ms a 2\nab', 'ma a', 'mg b N30', 'ma b', 'ms c 0\n', 'ma c'] },
  { name: 'ma errors', steps: ['ma', 'ma a MX', 'ma a Mxx', 'ma a Dabc', 'ma a Jx N0', 'ma a D1 D2', 'ma a z', 'ma a v v'] },
  { name: 'ma with a long opaque changes the value, then fails', steps: ['ms a 1\n1', `ma a ${opaque(33)}`, 'mg a v'] },
  // mn, names, tokens
  { name: 'mn, and names that are not meta commands', steps: ['mn', 'mn extra', 'mz a', 'mgx a', 'm', 'MG a', 'mg\ta'] },
  { name: 'quiet pipeline of gets closed by one mn', steps: ['ms b 1\nx', 'mg a q k O1 v\nmg b q k O2 v\nmg c q k O3 v\nmn\nmg b q'] },
  { name: 'quiet pipeline of sets and deletes', steps: ['ms a 1 q O1\nx\nms b 1 MR q O2\ny\nmd a q O3\nmd a q O4\nmn', 'mg a'] },
  { name: 'flag errors: duplicate, unknown, high byte', steps: ['mg a v v', 'mg a zz', 'mg a \u00e9', 'mg a Ox Oy', 'md a E', 'md a v v', 'mg a 1'] },
  { name: 'bad numbers in N, T, R, C', steps: ['mg a N', 'mg a Nx', 'mg a T', 'mg a Tx v', 'mg a R', 'md a C', 'md a Cx', 'ms a 1 C-1\nx', 'ma a Cx'] },
  {
    name: 'flag counts: 17 flags pass, 18 are too many',
    steps: ['mg a v k c f s t h l O1 u N1 T1 R1 P L q', 'mg a v k c f s t h l O1 u N1 T1 R1 P L q x', 'md a v k c f s t h l O1 u N1 T1 R1 P L q x', 'ma a v k c f s t h l O1 u N1 T1 R1 P L q x', `mg a ${'abcdefghijklmnopqrstuvwxyz'.split('').join(' ')}`],
  },
  { name: 'keys of 250 and 251 bytes', steps: [`mg ${long(251)}`, `mg ${long(250)} k`, `md ${long(251)}`, `ma ${long(251)}`, `ms ${long(250)} 1\nx`, `mg ${long(250)} s`] },
  { name: 'opaques of 32 bytes pass, 33 are too long', steps: [`mg a ${opaque(32)}`, `mg a ${opaque(33)}`, `md a ${opaque(33)}`, `ma a ${opaque(32)}`, 'mg a O'] },
  { name: 'runs of spaces between tokens', steps: ['ms  a  1  T100 \nx', 'mg  a   v  t ', '  mg a s'] },
]

// -------------------------------------------------------------------------------------
// exchanging
// -------------------------------------------------------------------------------------

interface Line {
  readonly send: (text: string) => Promise<string>
  readonly close: () => void
}

const FENCE = 'MN\r\n'

/** How many `MN` lines the `mn` commands of some bytes on the wire (the fence among them) bring back. */
const fencesIn = (wire: string): number => wire.split('\r\n').filter((line) => /^mn( |$)/.test(line)).length

const countFences = (text: string): number => {
  let count = 0
  for (let at = text.indexOf(FENCE); at >= 0; at = text.indexOf(FENCE, at + FENCE.length)) if (at === 0 || text[at - 1] === '\n') count++
  return count
}

const openLine = (port: number): Promise<Line> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let received = ''
    let waiting: { readonly fences: number; readonly done: (text: string) => void } | undefined
    const check = () => {
      if (waiting !== undefined && countFences(received) >= waiting.fences) {
        const { done } = waiting
        waiting = undefined
        const text = received
        received = ''
        done(text)
      }
    }
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      check()
    })
    socket.once('error', reject)
    socket.once('connect', () =>
      resolve({
        send: (text) =>
          new Promise((done) => {
            const wire = text.replace(/\n/g, '\r\n') + '\r\nmn\r\n'
            waiting = { fences: fencesIn(wire), done }
            // A step the server never finishes shows up as a difference, not as a hung test.
            const timer = setTimeout(() => {
              if (waiting?.done === done) {
                waiting = undefined
                done(`${received}<no fence>`)
              }
            }, 3000)
            timer.unref()
            socket.write(Buffer.from(wire, 'latin1'))
          }),
        close: () => socket.destroy(),
      }),
    )
  })

const REPLY_LINE = /^(HD|VA|EN|NF|NS|EX|ME)( |$)/

/** Normalises one row's replies from one server: cas by first appearance, times rounded to tens. */
const makeNormaliser = () => {
  const casNames = new Map<string, string>()
  const casName = (value: string): string => {
    if (value === '0') return '0'
    const known = casNames.get(value)
    if (known !== undefined) return known
    const name = `#${casNames.size + 1}`
    casNames.set(value, name)
    return name
  }
  const roughly = (value: string): string => (value === '-1' ? value : `~${Math.round(Number(value) / 10)}`)
  return (text: string): string =>
    text
      .split('\r\n')
      .map((line) => {
        if (line.startsWith('VALUE ')) return line.replace(/^(VALUE \S+ \d+ \d+) (\d+)$/, (_, head: string, cas: string) => `${head} ${casName(cas)}`)
        if (!REPLY_LINE.test(line)) return line
        return line
          .replace(/ c(\d+)/g, (_, cas: string) => ` c${casName(cas)}`)
          .replace(/ cas=(\d+)/, (_, cas: string) => ` cas=${casName(cas)}`)
          .replace(/ ([tl])(-?\d+)/g, (_, flag: string, value: string) => ` ${flag}${roughly(value)}`)
          .replace(/ (exp|la)=(-?\d+)/g, (_, name: string, value: string) => ` ${name}=${roughly(value)}`)
      })
      .join('\r\n')
}

const LAST_CAS = / c(\d+)/g

/** Runs a row on a fresh connection after a `flush_all`; the normalised replies, one per step. */
const runRow = async (port: number, row: Row): Promise<ReadonlyArray<string>> => {
  const line = await openLine(port)
  try {
    await line.send('flush_all')
    const normalise = makeNormaliser()
    const replies: Array<string> = []
    let lastCas = '0'
    for (const step of row.steps) {
      const raw = await line.send(step.replace(/\{cas\}/g, lastCas))
      for (const match of raw.matchAll(LAST_CAS)) lastCas = match[1] ?? lastCas
      replies.push(normalise(raw))
    }
    return replies
  } finally {
    line.close()
  }
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('meta commands: the served emulator writes the same bytes as memcached 1.6.18', () => {
  let memcached: MemcachedServer
  let served: Served
  beforeAll(async () => {
    memcached = await startMemcached()
    const started = await serve({ port: 0 })()
    if (E.isLeft(started)) throw new Error(`cannot serve: ${started.left.message}`)
    served = started.right
  })
  afterAll(async () => {
    await served?.close()
    await memcached?.stop()
  })

  it('has a row for every meta command, at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40)
    for (const command of ['mg', 'ms', 'md', 'ma', 'mn', 'me']) expect(rows.some((row) => row.steps.some((step) => step.includes(command)))).toBe(true)
  })

  it.each(rows)('$name', async (row) => {
    const expected = await runRow(memcached.port, row)
    const actual = await runRow(served.port ?? 0, row)
    expect(actual).toEqual(expected)
    // A row whose every step failed on memcached proves little: it must show replies.
    expect(expected.join('')).toMatch(/MN\r\n$/)
  })
})
