/**
 * Fuzzing every public command of a client with hostile arguments — keys with spaces, control
 * bytes, non-ASCII, 251 bytes, empty, not strings at all (plain JavaScript passes anything), and
 * numbers, deltas, options and values of every type — against real memcached through a proxy that
 * records every byte the client sends. Properties, per call: no throw; the task settles (never
 * hangs) and never rejects; and when a key is invalid the answer is a `Left` and not one byte
 * reached the wire. That last one is checked exactly: a `version` round trip before and after the
 * call brackets it, and the bytes in between must be the second `version` line alone.
 *
 * `npm test` runs a few thousand calls; `npm run soak` a hundred thousand.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../src/client.js'
import { isMemcacheException } from '../../src/exception.js'
import { toPromises, type PromiseClient } from '../../src/promise.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { startChaosProxy, type ChaosProxy } from './chaos-proxy.js'
import { scaled, seedFor, watched, watchUnhandledRejections } from './support.js'

const RUNS = scaled(2000, 100_000)
const TIMEOUT = 500
const PATIENCE = TIMEOUT + 5000

let memcached: MemcachedServer
let proxy: ChaosProxy
let client: Client<string>
let promises: PromiseClient<string>
let sent: Array<Buffer> = []

beforeAll(async () => {
  memcached = await startMemcached()
  proxy = await startChaosProxy({ target: { host: memcached.host, port: memcached.port }, seed: 0, onClientBytes: (chunk) => sent.push(chunk) })
  client = createClient({ servers: proxy.server, timeout: TIMEOUT })
  promises = toPromises(client)
})

afterAll(async () => {
  await client.close()
  await proxy.close()
  await memcached.stop()
})

// -------------------------------------------------------------------------------------
// arguments
// -------------------------------------------------------------------------------------

/** The oracle, written apart from the library's: a string of 1–250 printable ASCII bytes, no space. */
const isValidKey = (key: unknown): boolean => typeof key === 'string' && key.length >= 1 && key.length <= 250 && /^[\x21-\x7e]+$/.test(key)

interface Call {
  readonly name: string
  readonly args: ReadonlyArray<unknown>
  /** The keys the call names, for the oracle; `undefined` when it names none. */
  readonly keys: ReadonlyArray<unknown> | undefined
}

/**
 * Calls with hostile arguments. `typed`: of the types the TypeScript signatures say (strings for
 * keys, arrays for key lists, numbers...), hostile in content — what the fp-ts client promises to
 * handle. Otherwise of any type at all — what the Promise client, made for plain JavaScript, checks.
 */
const callsOf = (typed: boolean): fc.Arbitrary<Call> => {
  const validKey = fc.stringMatching(/^[\x21-\x7e]{1,40}$/).map((key) => `fz:${key}`)
  const badString = fc.oneof(
    fc.constant(''),
    fc.constant('k'.repeat(251)),
    fc.tuple(validKey, fc.constantFrom(' ', '\t', '\r', '\n', '\r\nflush_all\r\n', '\0', '\x7f', '\x1b', 'é', '日本', '😀', '\ud800'), fc.nat()).map(([key, bad, at]) => {
      const where = at % (key.length + 1)
      return key.slice(0, where) + bad + key.slice(where)
    }),
  )
  const notAString = fc.oneof(fc.integer(), fc.constant(undefined), fc.constant(null), fc.constant({}), fc.constant(['a']), fc.bigInt(), fc.boolean())
  const invalidKey: fc.Arbitrary<unknown> = typed ? badString : fc.oneof(badString, notAString)
  const key: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: validKey }, { weight: 2, arbitrary: invalidKey })
  const keyList = fc.array(key, { minLength: 0, maxLength: 5 })
  const keys: fc.Arbitrary<unknown> = typed ? keyList : fc.oneof({ weight: 8, arbitrary: keyList }, { weight: 1, arbitrary: fc.constantFrom('not-an-array', undefined, null, 7) })
  const number = fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.integer(), fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 64, 0.5))
  const anyNumber: fc.Arbitrary<unknown> = typed ? number : fc.oneof(number, fc.bigInt(), fc.constantFrom('10', '', undefined, null, {}, true))
  const delta: fc.Arbitrary<unknown> = typed ? fc.oneof(number, fc.bigInt()) : anyNumber
  const unique: fc.Arbitrary<unknown> = typed ? fc.bigInt() : fc.oneof(fc.bigInt(), anyNumber, fc.constantFrom('12', 'x'))
  const string = fc.string({ maxLength: 50 })
  const value: fc.Arbitrary<unknown> = typed
    ? fc.oneof({ weight: 8, arbitrary: string }, { weight: 1, arbitrary: fc.constant('v'.repeat(2 * 1024 * 1024)) })
    : fc.oneof({ weight: 4, arbitrary: string }, { weight: 1, arbitrary: fc.oneof(fc.constant('v'.repeat(2 * 1024 * 1024)), fc.integer(), fc.constant(undefined), fc.constant(null), fc.object()) })
  const flag: fc.Arbitrary<unknown> = typed ? fc.boolean() : fc.oneof(fc.boolean(), fc.constant('yes'))
  const options: fc.Arbitrary<unknown> = fc.oneof(
    fc.constant(undefined),
    fc.record({ noreply: flag, exptime: anyNumber }, { requiredKeys: [] }),
    fc.record({ timeout: anyNumber, retry: flag }, { requiredKeys: [] }),
    ...(typed ? [] : [fc.constantFrom(null, 5, 'fast', [])]),
  )
  const single = (name: string, ...rest: ReadonlyArray<fc.Arbitrary<unknown>>): fc.Arbitrary<Call> =>
    fc.tuple(key, ...rest).map(([k, ...others]) => ({ name, args: [k, ...others], keys: [k] }))
  const many = (name: string, ...rest: ReadonlyArray<fc.Arbitrary<unknown>>): fc.Arbitrary<Call> =>
    fc.tuple(keys, ...rest).map(([ks, ...others]) => ({ name, args: [ks, ...others], keys: Array.isArray(ks) ? ks : [ks] }))
  const unkeyed = (name: string, ...rest: ReadonlyArray<fc.Arbitrary<unknown>>): fc.Arbitrary<Call> =>
    fc.tuple(fc.constant(undefined), ...rest).map(([, ...args]) => ({ name, args, keys: undefined }))
  return fc.oneof(
    single('get', options),
    single('gets', options),
    single('gat', anyNumber, options),
    single('gats', anyNumber, options),
    single('touch', anyNumber, options),
    single('delete', options),
    single('incr', delta, options),
    single('decr', delta, options),
    single('set', value, options),
    single('add', value, options),
    single('replace', value, options),
    single('append', value, options),
    single('prepend', value, options),
    single('cas', value, unique, options),
    many('getMany', options),
    many('getsMany', options),
    many('gatMany', anyNumber, options),
    many('gatsMany', anyNumber, options),
    many('deleteMany', options),
    fc.tuple(fc.array(fc.tuple(key, value), { maxLength: 4 }), options).map(([entries, opts]) => ({ name: 'setMany', args: [entries, opts], keys: entries.map(([k]) => k) })),
    unkeyed('stats', options),
    unkeyed('statsSettings', options),
    unkeyed('statsItems', options),
    unkeyed('statsSlabs', options),
    unkeyed('statsSizes', options),
    unkeyed('statsConns', options),
    unkeyed('flushAll', fc.oneof(fc.constant(undefined), fc.record({ delay: anyNumber, noreply: flag }, { requiredKeys: [] }))),
    unkeyed('version', options),
    unkeyed('verbosity', anyNumber, options),
    unkeyed('cacheMemlimit', fc.oneof(fc.constant(64), anyNumber), options),
    unkeyed('quit', options),
    unkeyed('shutdown', options),
    fc.tuple(key, fc.oneof(fc.constant('computed'), typed ? fc.constant('') : fc.constant(1))).map(([k, computed]) => ({ name: 'getOrSet', args: [k, computed], keys: [k] })),
    ...(typed
      ? [
          unkeyed(
            'raw',
            fc.oneof(fc.constantFrom('version', 'mn', 'get a', 'bogus', 'get a\r\nflush_all', ''), fc.string({ maxLength: 20 })),
            fc.constantFrom('line', 'values', 'stats', 'none'),
            fc.constant(undefined),
            options,
          ),
        ]
      : []),
  )
}

// -------------------------------------------------------------------------------------
// running one call
// -------------------------------------------------------------------------------------

/** A `version` round trip: once it is answered, every byte written before it has reached the proxy. */
const flush = async (): Promise<void> => {
  for (let attempt = 0; attempt < 5; attempt++) if (E.isRight(await client.version()())) return
}

type Outcome = { readonly _tag: 'Threw'; readonly error: unknown } | { readonly _tag: 'Left'; readonly error: unknown } | { readonly _tag: 'Right' }

/** Runs `call` on the fp-ts client: a synchronous throw is reported, not thrown; a rejection surfaces from `watched`. */
const onFpClient =
  (call: Call) =>
  async (): Promise<Outcome> => {
    const bound = (client as unknown as Record<string, (...args: ReadonlyArray<unknown>) => () => Promise<E.Either<unknown, unknown>>>)[call.name]
    if (bound === undefined) throw new Error(`no command ${call.name}`)
    let task: () => Promise<E.Either<unknown, unknown>>
    try {
      task = call.name === 'getOrSet' ? bound(call.args[0], TE.right(call.args[1])) : bound(...call.args)
    } catch (error) {
      return { _tag: 'Threw', error }
    }
    const result = await task()
    return E.isLeft(result) ? { _tag: 'Left', error: result.left } : { _tag: 'Right' }
  }

/** Runs `call` on the Promise client: a synchronous throw is reported; a rejection is its `Left`. */
const onPromiseClient =
  (call: Call) =>
  async (): Promise<Outcome> => {
    const method = (promises as unknown as Record<string, (...args: ReadonlyArray<unknown>) => Promise<unknown>>)[call.name]
    if (method === undefined) throw new Error(`no method ${call.name}`)
    let pending: Promise<unknown>
    try {
      pending = call.name === 'getOrSet' ? method(call.args[0], () => call.args[1]) : method(...call.args)
    } catch (error) {
      return { _tag: 'Threw', error }
    }
    return pending.then(
      (): Outcome => ({ _tag: 'Right' }),
      (error: unknown): Outcome => ({ _tag: 'Left', error }),
    )
  }

const tagOf = (error: unknown): unknown => (typeof error === 'object' && error !== null && '_tag' in error ? error._tag : error)

/**
 * Refused before any I/O, for the key or for another argument checked first — or, with a deadline
 * of (next to) nothing, out of time before anything was checked (`Timeout`, still no byte sent).
 */
const ARGUMENT_ERRORS = ['InvalidKey', 'InvalidArgument', 'SerdeError', 'ValueTooLarge', 'Timeout']

const fuzz = async (typed: boolean, run: (call: Call) => () => Promise<Outcome>, seed: number) => {
  const unhandled = watchUnhandledRejections()
  const tally = { calls: 0, invalidKeyCalls: 0, refused: 0 }
  await fc.assert(
    fc.asyncProperty(callsOf(typed), async (call) => {
      tally.calls++
      const hasInvalidKey = call.keys !== undefined && !call.keys.every(isValidKey)
      if (hasInvalidKey) {
        tally.invalidKeyCalls++
        await flush()
        sent = []
      }
      const result = await watched(run(call), PATIENCE)
      expect(result._tag).toBe('Settled')
      if (result._tag !== 'Settled') return
      const outcome = result.value
      expect(outcome._tag === 'Threw' ? { threw: outcome.error } : 'no throw').toBe('no throw')
      if (outcome._tag === 'Left') {
        tally.refused++
        // Every failure is a typed error (an exception carrying its tag, for the Promise client).
        expect(typeof tagOf(outcome.error)).toBe('string')
        if (!typed) expect(isMemcacheException(outcome.error)).toBe(true)
      }
      if (hasInvalidKey) {
        // getOrSet treats the cache as best effort (its module's notes): it computes instead.
        if (call.name !== 'getOrSet') expect(ARGUMENT_ERRORS).toContain(outcome._tag === 'Left' ? tagOf(outcome.error) : outcome._tag)
        await flush()
        expect(Buffer.concat(sent).toString('latin1')).toBe('version\r\n')
      }
    }),
    { numRuns: RUNS, seed: seedFor(seed) },
  )
  expect(unhandled.stop()).toEqual([])
  return tally
}

describe('every public command under hostile arguments', () => {
  it('the fp-ts client, arguments of the declared types: never throws, hangs or rejects; an invalid key puts no byte on the wire', async () => {
    const tally = await fuzz(true, onFpClient, 6)
    console.log(`command fuzz, fp-ts client: ${JSON.stringify(tally)}`)
  })

  it('the Promise client, arguments of any type: never throws, never hangs, rejects only with a MemcacheException; an invalid key puts no byte on the wire', async () => {
    const tally = await fuzz(false, onPromiseClient, 7)
    console.log(`command fuzz, Promise client: ${JSON.stringify(tally)}`)
  })
})
