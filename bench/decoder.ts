/**
 * Decoder microbenchmark: how many `get` replies per second the pure decoder reads from a buffer
 * already in memory (no sockets, no event loop), for single and 10-key gets with 100-byte and
 * 4 KiB values. It calls `decodeStep`, the resumable form a connection's framing uses (a whole
 * reply in the buffer decodes in one step), and compares it with memcache-parser (the parser of
 * memcache-client) reading the same bytes: `compareDecoders`, which `npm run bench` also runs.
 *
 * Run: `npm run bench:decoder` (or `npx tsx bench/decoder.ts [seconds-per-case]`).
 *
 * Each case builds one buffer holding many replies back to back, as a connection's read buffer
 * would, warms up, then decodes the buffer from start to end over and over for the given time.
 * Every pass checks that it read the expected number of replies, so a broken decoder cannot
 * report a fast time.
 */
import * as E from 'fp-ts/lib/Either.js'
import { MemcacheParser } from 'memcache-parser'
import { fileURLToPath } from 'node:url'
import { decodeStep } from '../src/protocol/decode.js'
import * as R from '../src/protocol/request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly valueBytes: number
  readonly keysPerGet: number
}

interface Measured {
  readonly replies: number
  readonly seconds: number
  /** Wire bytes of one reply. */
  readonly replyBytes: number
}

const cases: ReadonlyArray<Case> = [
  { name: 'get, 1 key, 100 B', valueBytes: 100, keysPerGet: 1 },
  { name: 'get, 1 key, 4 KiB', valueBytes: 4096, keysPerGet: 1 },
  { name: 'get, 10 keys, 100 B', valueBytes: 100, keysPerGet: 10 },
  { name: 'get, 10 keys, 4 KiB', valueBytes: 4096, keysPerGet: 10 },
]

const WARM_UP_SECONDS = 0.3
/** Enough replies per buffer that a pass is long compared to the clock, capped near 8 MiB. */
const BUFFER_TARGET_BYTES = 8 * 1024 * 1024
const MAX_REPLIES_PER_BUFFER = 20_000

// -------------------------------------------------------------------------------------
// building the wire
// -------------------------------------------------------------------------------------

const keysFor = (count: number): ReadonlyArray<string> => Array.from({ length: count }, (_, i) => `user:${100_000 + i}:profile`)

interface Wire {
  readonly request: R.Request
  readonly buffer: Uint8Array
  readonly replies: number
  readonly replyBytes: number
}

const wireOf = (benchCase: Case): Wire => {
  const keys = keysFor(benchCase.keysPerGet)
  const value = Buffer.alloc(benchCase.valueBytes, 0x61)
  const reply = Buffer.concat([
    ...keys.flatMap((key) => [Buffer.from(`VALUE ${key} 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]),
    Buffer.from('END\r\n'),
  ])
  const replies = Math.max(1, Math.min(MAX_REPLIES_PER_BUFFER, Math.floor(BUFFER_TARGET_BYTES / reply.length)))
  const buffer = new Uint8Array(reply.length * replies)
  for (let i = 0; i < replies; i++) buffer.set(reply, i * reply.length)
  return { request: R.get(keys), buffer, replies, replyBytes: reply.length }
}

// -------------------------------------------------------------------------------------
// measuring
// -------------------------------------------------------------------------------------

/** Decodes every reply in `buffer`; returns how many, or throws if the decoder disagrees with the wire. */
const decodePass = (request: R.Request, buffer: Uint8Array, keysPerGet: number): number => {
  let offset = 0
  let replies = 0
  while (offset < buffer.length) {
    const result = decodeStep(request, buffer, offset)
    if (E.isLeft(result)) throw new Error(`decoder refused the wire: ${result.left.message}`)
    if (result.right._tag === 'NeedMore') throw new Error(`decoder wanted more bytes at ${offset}`)
    const { reply, next } = result.right
    if (reply._tag !== 'Values' || reply.items.length !== keysPerGet) throw new Error(`unexpected reply ${reply._tag}`)
    offset = next
    replies++
  }
  return replies
}

const runFor = (seconds: number, benchCase: Case): Measured => {
  const { request, buffer, replies: perPass, replyBytes } = wireOf(benchCase)
  let replies = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < seconds * 1000) {
    const decoded = decodePass(request, buffer, benchCase.keysPerGet)
    if (decoded !== perPass) throw new Error(`decoded ${decoded} replies, expected ${perPass}`)
    replies += decoded
    elapsed = performance.now() - started
  }
  return { replies, seconds: elapsed / 1000, replyBytes }
}

/**
 * memcache-parser on the same bytes, used the way memcache-client uses it: `VALUE` lines start a
 * pending value, `END` ends a reply; values are collected per reply. Its hooks are set on the
 * instance (no subclass). A no-op logger: its default one prints every line.
 */
const parserPass = (buffer: Uint8Array, keysPerGet: number): number => {
  const silent = { error: noop, debug: noop, info: noop, warn: noop }
  const parser = new MemcacheParser(silent)
  let replies = 0
  let values: Array<Buffer> = []
  parser.processCmd = (tokens) => {
    const word = tokens[0]
    if (word === 'VALUE') parser.initiatePending(tokens as Array<string>, Number(tokens[3]))
    else if (word === 'END') {
      if (values.length !== keysPerGet) throw new Error(`memcache-parser read ${values.length} values, expected ${keysPerGet}`)
      values = []
      replies++
    } else throw new Error(`memcache-parser: unexpected ${String(word)}`)
    return tokens.length
  }
  parser.receiveResult = (result) => {
    if (typeof result !== 'string' && result.data !== undefined) values.push(result.data)
  }
  parser.onData(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength))
  return replies
}

const noop = (): void => undefined

type Pass = (request: R.Request, buffer: Uint8Array, keysPerGet: number) => number

const passes: Readonly<Record<'fp-memcache' | 'memcache-parser', Pass>> = {
  'fp-memcache': decodePass,
  'memcache-parser': (_request, buffer, keysPerGet) => parserPass(buffer, keysPerGet),
}

const runPassFor = (seconds: number, benchCase: Case, pass: Pass): Measured => {
  const { request, buffer, replies: perPass, replyBytes } = wireOf(benchCase)
  let replies = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < seconds * 1000) {
    const decoded = pass(request, buffer, benchCase.keysPerGet)
    if (decoded !== perPass) throw new Error(`decoded ${decoded} replies, expected ${perPass}`)
    replies += decoded
    elapsed = performance.now() - started
  }
  return { replies, seconds: elapsed / 1000, replyBytes }
}

/** One case compared: replies per second of each decoder and their ratio (median of `rounds`). */
export interface DecoderComparison {
  readonly case: string
  readonly valueBytes: number
  readonly keysPerGet: number
  readonly oursPerSec: number
  readonly parserPerSec: number
  readonly ratio: number
}

/**
 * Runs every case through both decoders in interleaved rounds (`seconds` each per round, after a
 * warm-up) and reports the medians.
 *
 * @example
 * const rows = compareDecoders(0.5, 3)
 */
export const compareDecoders = (seconds: number, rounds: number): ReadonlyArray<DecoderComparison> =>
  cases.map((benchCase) => {
    runPassFor(WARM_UP_SECONDS, benchCase, passes['fp-memcache'])
    runPassFor(WARM_UP_SECONDS, benchCase, passes['memcache-parser'])
    const ours: Array<number> = []
    const parser: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const a = runPassFor(seconds, benchCase, passes['fp-memcache'])
      const b = runPassFor(seconds, benchCase, passes['memcache-parser'])
      ours.push(a.replies / a.seconds)
      parser.push(b.replies / b.seconds)
    }
    const oursPerSec = middle(ours)
    const parserPerSec = middle(parser)
    return { case: benchCase.name, valueBytes: benchCase.valueBytes, keysPerGet: benchCase.keysPerGet, oursPerSec, parserPerSec, ratio: oursPerSec / parserPerSec }
  })

const middle = (values: ReadonlyArray<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

// -------------------------------------------------------------------------------------
// report
// -------------------------------------------------------------------------------------

const formatRate = (perSecond: number): string =>
  perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : perSecond >= 1e3 ? `${(perSecond / 1e3).toFixed(1)} k` : perSecond.toFixed(0)

const main = (): void => {
  const seconds = Number(process.argv[2] ?? '1.5')
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error('usage: tsx bench/decoder.ts [seconds-per-case]')
    process.exitCode = 2
    return
  }
  console.log(`fp-memcache decoder benchmark — node ${process.version}, ${seconds}s per case after ${WARM_UP_SECONDS}s warm-up`)
  const rows = cases.map((benchCase) => {
    runFor(WARM_UP_SECONDS, benchCase)
    const measured = runFor(seconds, benchCase)
    const repliesPerSecond = measured.replies / measured.seconds
    return {
      case: benchCase.name,
      'replies/s': formatRate(repliesPerSecond),
      'values/s': formatRate(repliesPerSecond * benchCase.keysPerGet),
      'wire MiB/s': ((repliesPerSecond * measured.replyBytes) / (1024 * 1024)).toFixed(0),
    }
  })
  console.table(rows)
  console.log('against memcache-parser (median of 3 interleaved rounds):')
  console.table(
    compareDecoders(seconds / 3, 3).map((row) => ({
      case: row.case,
      'fp-memcache replies/s': formatRate(row.oursPerSec),
      'memcache-parser replies/s': formatRate(row.parserPerSec),
      ratio: `${row.ratio.toFixed(2)}×`,
    })),
  )
}

// `npm run bench` imports `compareDecoders` from here: run only when started as the script.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url).replace(/\.[jt]s$/, '') === process.argv[1].replace(/\.[jt]s$/, '')) main()
