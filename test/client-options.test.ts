/**
 * `createClient`'s options: the run-time checks (unknown keys, wrong types, combinations that
 * cannot work), the `servers` string, the layers each option adds and their order, `getOrSet` on
 * the client, and keys and arguments refused before any connection is opened, on every path.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closest, optionsProblem, parseServers, type ClientOptions, type ServerOptions } from '../src/client-options.js'
import { clientTransport, createClient } from '../src/client.js'
import { memoryTransport } from '../src/emulator/memory.js'
import type { MemcacheError } from '../src/error.js'
import { constantDelay, limitRetries, concat } from '../src/middleware/retry-policy.js'
import * as Reply from '../src/protocol/reply.js'
import * as Request from '../src/protocol/request.js'
import { makeKetama } from '../src/routing/ketama.js'
import { rendezvous } from '../src/routing/rendezvous.js'
import { tcp } from '../src/transport/address.js'
import { connectionClosed } from '../src/transport/error.js'
import { reconnecting } from '../src/transport/reconnecting.js'
import type { Middleware, Transport } from '../src/transport/transport.js'
import { closedPort, fakeServer, type FakeServer } from './transport/fakes.js'
import { fakeTransport } from './middleware/fake.js'
import { startMemcached, type MemcachedServer } from './support/memcached.js'

const left = async <A>(task: TE.TaskEither<MemcacheError, A>): Promise<MemcacheError> => {
  const result = await task()
  if (E.isRight(result)) throw new Error(`expected a Left, got ${JSON.stringify(result.right, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`)
  return result.left
}
const right = async <A>(task: TE.TaskEither<MemcacheError, A>): Promise<A> => {
  const result = await task()
  if (E.isLeft(result)) throw new Error(`expected a Right, got ${result.left.message}`)
  return result.right
}

/** What plain JavaScript may pass: anything. */
type TextOptions = ClientOptions<string> & { readonly serde?: undefined }
const untyped = (options: unknown): TextOptions => options as TextOptions

// -------------------------------------------------------------------------------------
// option checks
// -------------------------------------------------------------------------------------

describe('optionsProblem', () => {
  const refusals: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
    ['an unknown key, with the closest known one', { servers: 'a', poool: 3 }, 'poool', /not an option of createClient \(did you mean "pool"\?\)/],
    ['a misspelt timeout', { servers: 'a', timout: 5 }, 'timout', /did you mean "timeout"/],
    ['a key in another case', { servers: 'a', KeyPrefix: 'x' }, 'KeyPrefix', /did you mean "keyPrefix"/],
    ['a key like nothing known, listing them', { servers: 'a', zzzzzzzzzz: 1 }, 'zzzzzzzzzz', /known: servers, transport, serde/],
    ['an unknown key inside pool', { servers: 'a', pool: { sise: 2 } }, 'pool.sise', /not an option of `pool` \(did you mean "size"\?\)/],
    ['an unknown key inside batching', { servers: 'a', batching: { windw: 2 } }, 'batching.windw', /did you mean "window"/],
    ['a misspelt batching protocol', { servers: 'a', batching: { protocol: 'mega' } }, 'batching.protocol', /"text" or "meta".*got the string "mega"/],
    ['an unknown key inside routing', { servers: 'a', routing: { failOver: true } }, 'routing.failOver', /did you mean "failover"/],
    ['a timeout given as a string', { servers: 'a', timeout: '100' }, 'timeout', /must be a number of milliseconds.*got the string "100"/],
    ['a negative timeout', { servers: 'a', timeout: -1 }, 'timeout', /got the number -1/],
    ['NaN as a timeout', { servers: 'a', connectTimeout: NaN }, 'connectTimeout', /got the number NaN/],
    ['servers as a number', { servers: 11211 }, 'servers', /must be a server string .* got the number 11211/],
    ['servers holding a number', { servers: ['a:1', 2] }, 'servers', /an array of them, got an array/],
    ['a pool size of 0', { servers: 'a', pool: { size: 0 } }, 'pool.size', /a positive integer, got the number 0/],
    ['a pool given as a number', { servers: 'a', pool: 3 }, 'pool', /true, false or an object, got the number 3/],
    ['an unknown hashing', { servers: 'a', hashing: 'md5' }, 'hashing', /"rendezvous" or "ketama", got the string "md5"/],
    ['a misspelled protocol', { servers: 'a', protocol: 'mega' }, 'protocol', /must be "text" or "meta", got the string "mega"/],
    ['a protocol in another case', { transport: memoryTransport(), protocol: 'Meta' }, 'protocol', /must be "text" or "meta", got the string "Meta"/],
    ['retry: true', { servers: 'a', retry: true }, 'retry', /\{ policy \} .* \{ attempts, retryDelay \}, got the boolean true/],
    ['retry with a policy and pymemcache numbers', { servers: 'a', retry: { policy: limitRetries(1), attempts: 2 } }, 'retry.attempts', /not both/],
    ['retry attempts of 0', { servers: 'a', retry: { attempts: 0 } }, 'retry.attempts', /positive integer/],
    ['a misspelt error tag', { servers: 'a', retry: { attempts: 2, retryFor: ['Timout'] } }, 'retry.retryFor[0]', /"Timout" is no error tag \(did you mean "Timeout"\?\)/],
    ['middleware that is not functions', { servers: 'a', middleware: [() => undefined, 'observe'] }, 'middleware[1]', /must be a function, got the string "observe"/],
    ['a serde that is not one', { servers: 'a', serde: 'json' }, 'serde', /must be a Serde/],
    ['credentials without a password', { servers: 'a', credentials: { username: 'u' } }, 'credentials.password', /is required/],
    ['a transport that is not one', { transport: {} }, 'transport', /must be a Transport/],
    ['neither servers nor a transport', { keyPrefix: 'a:' }, 'servers', /required: .* or a `transport` instead/],
    ['servers and a transport', { servers: 'a', transport: memoryTransport() }, 'servers', /not both/],
    ['a socket option with a transport', { transport: memoryTransport(), tls: true }, 'tls', /with a `transport`, configure that transport/],
    ['a pool with a transport', { transport: memoryTransport(), pool: true }, 'pool', /configure that transport/],
    ['ketama weights with rendezvous', { servers: 'a,b', routing: { weights: { a: 2 } } }, 'routing.weights', /hashing: 'ketama' only/],
    ['options that are a string', 'localhost:11211', 'options', /must be an object such as \{ servers: '127.0.0.1:11211' \}, got the string "localhost:11211"/],
    ['no options', undefined, 'options', /got undefined/],
    ['a misspelt discovery option', { discovery: { endpoint: 'a:1', interval: 5 } }, 'discovery.interval', /did you mean "intervalMs"/],
    ['discovery without an endpoint', { discovery: { intervalMs: 50 } }, 'discovery.endpoint', /required/],
    ['a discovery endpoint that does not parse', { discovery: { endpoint: 'a:notaport' } }, 'discovery.endpoint', /port/],
    ['a discovery interval of 0', { discovery: { endpoint: 'a:1', intervalMs: 0 } }, 'discovery.intervalMs', /more than 0/],
    ['an unknown discovery command', { discovery: { endpoint: 'a:1', command: 'stats' } }, 'discovery.command', /"config" or "legacy"/],
    ['discovery with a transport', { transport: memoryTransport(), discovery: { endpoint: 'a:1' } }, 'discovery', /configure that transport/],
    ['a negative drainTimeout', { servers: 'a', routing: { drainTimeout: -1 } }, 'routing.drainTimeout', /milliseconds/],
  ]

  it.each(refusals)('refuses %s', (_, options, argument, message) => {
    const problem = optionsProblem(options)
    expect(problem).toMatchObject({ _tag: 'InvalidArgument', argument })
    expect(problem?.message).toMatch(message)
  })

  it('accepts every documented shape, and undefined as absent', () => {
    const accepted: ReadonlyArray<unknown> = [
      { servers: '127.0.0.1:11211' },
      { servers: ['a:1', 'b:2'], timeout: Infinity, connectTimeout: 0, pool: true, batching: true, hashing: 'ketama', routing: { weights: { 'a:1': 2 } } },
      { servers: 'a', pool: { size: 2, busyAt: 4, idleTimeout: 1000 }, batching: { window: 1, maxKeys: 10 }, retry: { attempts: 3, retryDelay: 10, retryFor: ['Timeout'] } },
      { servers: 'a', retry: { policy: concat(limitRetries(2))(constantDelay(5)), retryNonIdempotent: true, onRetry: () => undefined } },
      { servers: 'a', pool: false, batching: false, keyPrefix: undefined, timeout: undefined, middleware: [] },
      { transport: memoryTransport(), keyPrefix: 'app:', timeout: 50, retry: {}, middleware: [(next: Transport) => next] },
      { servers: 'a', credentials: { username: 'u', password: 'p' }, tls: { servername: 'a' }, maxPending: 10, maxValueSize: 1024, onUnsolicited: () => undefined },
      { discovery: { endpoint: 'cfg.example:11211' } },
      { servers: 'a:1,b:2', discovery: { endpoint: 'cfg.example:11211', intervalMs: 50, jitterMs: 0, timeoutMs: 100, command: 'legacy', address: 'host', observe: () => undefined } },
      { discovery: { endpoint: '127.0.0.1:1' }, hashing: 'ketama', pool: true, routing: { drainTimeout: Infinity } },
    ]
    for (const options of accepted) expect(optionsProblem(options)).toBeUndefined()
  })

  it('closest suggests only near names', () => {
    expect(closest('timout', ['timeout', 'servers'])).toBe('timeout')
    expect(closest('Servers', ['timeout', 'servers'])).toBe('servers')
    expect(closest('colour', ['timeout', 'servers'])).toBeUndefined()
  })
})

describe('parseServers', () => {
  it('reads a comma-separated string (MEMCACHED_SERVERS) and arrays, whitespace around entries ignored', () => {
    const both = [tcp('10.0.0.1', 11211), tcp('::1', 11212)]
    expect(parseServers('10.0.0.1:11211,[::1]:11212')).toEqual(E.right(both))
    expect(parseServers(' 10.0.0.1:11211 ,\t[::1]:11212 \n')).toEqual(E.right(both))
    expect(parseServers(['10.0.0.1:11211', ' [::1]:11212 '])).toEqual(E.right(both))
    expect(parseServers('cache1')).toEqual(E.right([tcp('cache1', 11211)]))
  })

  it.each([
    ['', /at least one server is needed/],
    ['  ', /at least one server is needed/],
    ['a:1,,b:2', /entry 2 of "a:1,,b:2" is empty; separate servers with one comma/],
    ['a:1,', /entry 2 of "a:1," is empty/],
    ['a:1,http://b', /"http:\/\/b": a server is host:port, \[v6\]:port or unix:\/path, not a URL — write "b"/],
  ])('refuses %j naming what is wrong', (servers, message) => {
    const parsed = parseServers(servers)
    expect(E.isLeft(parsed) && parsed.left.message).toMatch(message)
  })

  it('refuses an empty array', () => {
    expect(parseServers([])).toEqual(E.left(expect.objectContaining({ _tag: 'InvalidArgument', argument: 'servers' })))
  })
})

// -------------------------------------------------------------------------------------
// refused options: every command answers the Left, nothing is opened
// -------------------------------------------------------------------------------------

describe('createClient with options that cannot work', () => {
  let server: FakeServer
  beforeAll(async () => {
    server = await fakeServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it.each([
    ['an unknown option', { poool: 3 }, 'poool'],
    ['a mistyped option', { timeout: '100' }, 'timeout'],
    ['a nested unknown option', { pool: { sise: 1 } }, 'pool.sise'],
  ])('%s: every command answers InvalidArgument and no connection is opened', async (_, extra, argument) => {
    const client = createClient(untyped({ servers: server.server, ...extra }))
    const expected = { _tag: 'InvalidArgument', argument }
    expect(await left(client.get('k'))).toMatchObject(expected)
    expect(await left(client.set('k', 'v'))).toMatchObject(expected)
    expect(await left(client.getMany(['a', 'b']))).toMatchObject(expected)
    expect(await left(client.incr('n', 1))).toMatchObject(expected)
    expect(await left(client.version())).toMatchObject(expected)
    expect(await left(client.raw('version', 'line'))).toMatchObject(expected)
    expect(await left(client.transport.send(Request.version))).toMatchObject(expected)
    await client.close()
    expect(server.connections).toHaveLength(0)
  })

  it('does not throw for options that are not an object, nor run a serde that is not one', async () => {
    const noOptions = createClient(untyped(undefined))
    expect(await left(noOptions.get('k'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'options' })
    const badSerde = createClient(untyped({ servers: server.server, serde: 'json' }))
    expect(await left(badSerde.set('k', 'v'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'serde' })
    await Promise.all([noOptions.close(), badSerde.close()])
  })

  it('a refused client still closes the transport it was given', async () => {
    const given = fakeTransport(() => E.right(Reply.stored))
    const client = createClient(untyped({ transport: given.transport, timout: 5 }))
    expect(await left(client.get('k'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'timout', message: expect.stringContaining('did you mean "timeout"') })
    await client.close()
    expect(given.sent).toHaveLength(0)
    expect(given.closedCount()).toBe(1)
  })

  it('getOrSet on a refused client computes, reporting the cache failures', async () => {
    const client = createClient(untyped({ servers: server.server, poool: 1 }))
    const failures: Array<string> = []
    const value = await client.getOrSet('k', TE.right('computed'), { onCacheError: (error, during) => failures.push(`${during}:${error._tag}`) })()
    expect(value).toEqual(E.right('computed'))
    expect(failures).toEqual(['get:InvalidArgument', 'set:InvalidArgument'])
    await client.close()
  })

  it('a middleware that throws when applied is refused as an InvalidArgument', async () => {
    const given = fakeTransport(() => E.right(Reply.stored))
    const throwing: Middleware = () => {
      throw new Error('not configured')
    }
    const client = createClient({ transport: given.transport, middleware: [throwing] })
    expect(await left(client.get('k'))).toMatchObject({ _tag: 'InvalidArgument', argument: 'middleware', message: expect.stringContaining('middleware[0] threw when applied: not configured') })
    await client.close()
    expect(given.closedCount()).toBe(1)
  })

  it('a bad entry in a servers string: every command answers why, naming the entry', async () => {
    const client = createClient({ servers: `${server.server},http://cache2` })
    const error = await left(client.get('k'))
    expect(error).toMatchObject({ _tag: 'InvalidArgument', argument: 'server' })
    expect(error.message).toContain('"http://cache2": a server is host:port, [v6]:port or unix:/path, not a URL — write "cache2"')
    await client.close()
    expect(server.connections).toHaveLength(0)
  })

  it('clientTransport refuses the same way', async () => {
    const transport = clientTransport(untyped({ servers: server.server, hashing: 'md5' }))
    expect(await left(transport.send(Request.get(['k'])))).toMatchObject({ _tag: 'InvalidArgument', argument: 'hashing' })
    await transport.close()
  })
})

// -------------------------------------------------------------------------------------
// the layers, over a given transport
// -------------------------------------------------------------------------------------

/** A middleware that records, in `log`, its name and whether the request it saw had a deadline. */
const tracing =
  (name: string, log: Array<string>): Middleware =>
  (next) => ({
    send: (request, context) => {
      log.push(`${name}:${context?.deadline === undefined ? 'no deadline' : 'deadline'}`)
      return next.send(request, context)
    },
    close: next.close,
  })

describe('createClient({ transport })', () => {
  it('runs every command on the transport, with no servers', async () => {
    const client = createClient({ transport: memoryTransport() })
    expect(await right(client.set('k', 'v'))).toBe(true)
    expect(await right(client.get('k'))).toEqual(O.some('v'))
    await client.close()
  })

  it('puts the key prefix on the transport', async () => {
    const memory = memoryTransport()
    const prefixed = createClient({ transport: memory, keyPrefix: 'app:' })
    const bare = createClient({ transport: memory })
    await right(prefixed.set('k', 'v'))
    expect(await right(bare.get('app:k'))).toEqual(O.some('v'))
    expect(await right(prefixed.getMany(['k']))).toEqual(new Map([['k', 'v']]))
    await prefixed.close()
  })

  it('closes the transport it was given', async () => {
    const given = fakeTransport(() => E.right(Reply.stored))
    const client = createClient({ transport: given.transport })
    await client.close()
    expect(given.closedCount()).toBe(1)
  })

  it('applies middleware first outermost, above the default deadline', async () => {
    const log: Array<string> = []
    const given = fakeTransport(() => E.right(Reply.values([])))
    const client = createClient({ transport: given.transport, middleware: [tracing('first', log), tracing('second', log)], timeout: 500 })
    await right(client.get('k'))
    expect(log).toEqual(['first:no deadline', 'second:no deadline'])
    // Below the client's layers the default deadline is there.
    expect(given.contexts[0]?.deadline).toBeTypeOf('number')
    log.length = 0
    await right(client.get('k', { timeout: 50 }))
    expect(log).toEqual(['first:deadline', 'second:deadline'])
    await client.close()
  })

  it('retry with pymemcache numbers: attempts count the first try', async () => {
    const memory = memoryTransport()
    let failures = 2
    const flaky = fakeTransport((request, _, context) => (failures-- > 0 ? E.left(connectionClosed('memory', 'dropped')) : memory.send(request, context)()))
    const client = createClient({ transport: flaky.transport, retry: { attempts: 3 } })
    expect(await right(client.get('k'))).toEqual(O.none)
    expect(flaky.sent).toHaveLength(3)
    failures = 3
    expect(await left(client.get('k'))).toMatchObject({ _tag: 'ConnectionClosed' })
    expect(flaky.sent).toHaveLength(6)
    await client.close()
  })

  it('retry with a policy, and no retry without the option', async () => {
    const retried: Array<string> = []
    const flaky = fakeTransport((_, attempt) => (attempt === 1 ? E.left(connectionClosed('memory', 'dropped')) : E.right(Reply.values([]))))
    const client = createClient({ transport: flaky.transport, retry: { policy: limitRetries(1), onRetry: (error) => retried.push(error._tag) } })
    expect(await right(client.get('k'))).toEqual(O.none)
    expect(retried).toEqual(['ConnectionClosed'])
    await client.close()

    const once = fakeTransport(() => E.left(connectionClosed('memory', 'dropped')))
    const plain = createClient({ transport: once.transport })
    expect(await left(plain.get('k'))).toMatchObject({ _tag: 'ConnectionClosed' })
    expect(once.sent).toHaveLength(1)
    await plain.close()
  })

  it('retry sits below your middleware: one call, one event, its attempts inside', async () => {
    const log: Array<string> = []
    const flaky = fakeTransport((_, attempt) => (attempt === 1 ? E.left(connectionClosed('memory', 'dropped')) : E.right(Reply.values([]))))
    const client = createClient({ transport: flaky.transport, retry: { attempts: 2 }, middleware: [tracing('observe', log)] })
    await right(client.get('k'))
    expect(log).toEqual(['observe:no deadline'])
    expect(flaky.sent).toHaveLength(2)
    await client.close()
  })

  it('batching: concurrent gets become one get on the transport', async () => {
    const memory = memoryTransport()
    const counted = fakeTransport((request, _, context) => memory.send(request, context)())
    const client = createClient({ transport: counted.transport, batching: { eager: false } })
    await right(client.set('a', '1'))
    await right(client.set('b', '2'))
    const [a, b, c] = await Promise.all([right(client.get('a')), right(client.get('b')), right(client.get('c'))])
    expect([a, b, c]).toEqual([O.some('1'), O.some('2'), O.none])
    const gets = counted.sent.filter((request) => request._tag === 'Get')
    expect(gets).toHaveLength(1)
    expect(gets[0]).toMatchObject({ keys: ['a', 'b', 'c'] })
    await client.close()
  })

  it('batching sits above retry: a merged get that fails is retried once for all', async () => {
    const flaky = fakeTransport((_, attempt) => (attempt === 1 ? E.left(connectionClosed('memory', 'dropped')) : E.right(Reply.values([]))))
    const client = createClient({ transport: flaky.transport, batching: { eager: false }, retry: { attempts: 2 } })
    await Promise.all([right(client.get('a')), right(client.get('b'))])
    expect(flaky.sent.map((request) => request._tag === 'Get' && request.keys)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ])
    await client.close()
  })
})

describe('getOrSet on the client', () => {
  it('computes on a miss, stores, and reads the stored value next time', async () => {
    const client = createClient({ transport: memoryTransport() })
    let computed = 0
    const compute = TE.fromTask(async () => `value ${++computed}`)
    expect(await client.getOrSet('k', compute, { exptime: 60 })()).toEqual(E.right('value 1'))
    expect(await client.getOrSet('k', compute)()).toEqual(E.right('value 1'))
    expect(computed).toBe(1)
    expect(await right(client.get('k'))).toEqual(O.some('value 1'))
    await client.close()
  })

  it("fails only with compute's own error", async () => {
    const client = createClient({ transport: memoryTransport() })
    expect(await client.getOrSet('k', TE.left('database down'))()).toEqual(E.left('database down'))
    await client.close()
  })
})

describe('routing with one server', () => {
  it('routing given: the router is used even for one server (ignoreErrors turns a down server into misses)', async () => {
    const port = await closedPort()
    const routed = createClient({ servers: `127.0.0.1:${port}`, connectTimeout: 200, routing: { ignoreErrors: true } })
    expect(await right(routed.get('k'))).toEqual(O.none)
    await routed.close()
    const direct = createClient({ servers: `127.0.0.1:${port}`, connectTimeout: 200 })
    expect(await left(direct.get('k'))).toMatchObject({ _tag: 'ConnectError' })
    await direct.close()
  })
})

// -------------------------------------------------------------------------------------
// keys and arguments are refused before any connection is opened, on every path
// -------------------------------------------------------------------------------------

describe('keys and arguments before any connection', () => {
  let listening: FakeServer
  let other: FakeServer
  beforeAll(async () => {
    ;[listening, other] = await Promise.all([fakeServer(), fakeServer()])
  })
  afterAll(async () => {
    await Promise.all([listening.close(), other.close()])
  })

  const paths: ReadonlyArray<readonly [string, Partial<ServerOptions<string>>]> = [
    ['one reconnecting connection', {}],
    ['a pool', { pool: true }],
    ['a pool, retry and batching', { pool: { size: 2 }, retry: { attempts: 3 }, batching: true }],
    ['a router (one server and routing)', { routing: { failover: true } }],
    ['a router turning node failures into misses', { routing: { ignoreErrors: true } }],
    ['a prefix and a ketama router', { keyPrefix: 'app:', hashing: 'ketama', routing: {} }],
  ]

  it.each(paths)('%s, over one server or two: a bad key opens nothing', async (_, extra) => {
    for (const servers of [[listening.server], [listening.server, other.server]]) {
      const before = listening.connections.length + other.connections.length
      const client = createClient({ servers, maxValueSize: 10, connectTimeout: 200, ...extra } as TextOptions)
      expect(await left(client.get('bad key'))).toMatchObject({ _tag: 'InvalidKey', key: 'bad key' })
      expect(await left(client.set('k'.repeat(251), 'v'))).toMatchObject({ _tag: 'InvalidKey' })
      // Good keys on every node (twenty of them) and one bad: the router must not open a connection for the good ones.
      const good = Array.from({ length: 20 }, (_, index) => `good-${index}`)
      expect(await left(client.getMany([...good, 'bad\nkey']))).toMatchObject({ _tag: 'InvalidKey', key: 'bad\nkey' })
      expect(await left(client.gatMany([...good, 'k'.repeat(251)], 60))).toMatchObject({ _tag: 'InvalidKey' })
      expect(await left(client.set('k', 'far more than ten bytes'))).toMatchObject({ _tag: 'ValueTooLarge' })
      expect(await left(client.touch('bad key', 5))).toMatchObject({ _tag: 'InvalidKey' })
      // The prefix counts in the 250 bytes.
      if (extra.keyPrefix !== undefined) expect(await left(client.get('k'.repeat(248)))).toMatchObject({ _tag: 'InvalidKey', message: expect.stringContaining('with the prefix') })
      await client.close()
      expect(listening.connections.length + other.connections.length).toBe(before)
    }
  })

  it.each(paths)('%s, with the servers down: InvalidKey, not ConnectError', async (_, extra) => {
    const ports = [await closedPort(), await closedPort()]
    for (const servers of [[`127.0.0.1:${ports[0]}`], ports.map((port) => `127.0.0.1:${port}`)]) {
      const client = createClient({ servers, connectTimeout: 200, ...extra } as TextOptions)
      expect(await left(client.get('bad key'))).toMatchObject({ _tag: 'InvalidKey' })
      // The servers really are down: a good key finds that out (or misses, with ignoreErrors), and a bad key is still InvalidKey after.
      const fine = await client.get('fine')()
      expect(E.isLeft(fine) ? fine.left._tag : fine.right).toEqual(extra.routing?.ignoreErrors === true ? O.none : expect.stringMatching(/ConnectError|NoServers/))
      expect(await left(client.get('bad key'))).toMatchObject({ _tag: 'InvalidKey' })
      await client.close()
    }
  })
})

// -------------------------------------------------------------------------------------
// against real memcached: servers strings, pool, hashing
// -------------------------------------------------------------------------------------

describe('createClient against memcached', () => {
  let one: MemcachedServer
  let two: MemcachedServer
  let direct: ReadonlyArray<Transport>
  let counter = 0
  const fresh = (): string => `opt-${process.pid}-${++counter}`

  beforeAll(async () => {
    ;[one, two] = await Promise.all([startMemcached(), startMemcached()])
    direct = [reconnecting({ server: one.server }), reconnecting({ server: two.server })]
  })
  afterAll(async () => {
    await Promise.all(direct.map((transport) => transport.close()))
    await Promise.all([one?.stop(), two?.stop()])
  })

  /** Which of the two servers holds `key` (as sent), read with no router in the way. */
  const holder = async (key: string): Promise<string | undefined> => {
    const found: Array<string> = []
    for (const [index, transport] of direct.entries()) {
      const reply = await transport.send(Request.get([key]))()
      if (E.isRight(reply) && reply.right._tag === 'Values' && reply.right.items.length > 0) found.push([one, two][index]?.server ?? '')
    }
    return found.length === 1 ? found[0] : undefined
  }

  it('takes servers as one comma-separated string, placing keys by rendezvous', async () => {
    const client = createClient({ servers: ` ${one.server} , ${two.server} ` })
    const placement = rendezvous.place([one.server, two.server])
    const keys = Array.from({ length: 12 }, fresh)
    for (const key of keys) await right(client.set(key, key))
    for (const key of keys) expect(await holder(key)).toBe(O.toUndefined(placement.ownerOf(key)))
    expect(new Set(await Promise.all(keys.map(holder))).size).toBe(2)
    await client.close()
  })

  it("hashing: 'ketama' places keys as the memcached package, the prefix part of the key placed", async () => {
    const client = createClient({ servers: [one.server, two.server], hashing: 'ketama', keyPrefix: 'ns:' })
    const placement = makeKetama().place([one.server, two.server])
    const keys = Array.from({ length: 12 }, fresh)
    for (const key of keys) await right(client.set(key, key))
    for (const key of keys) expect(await holder(`ns:${key}`)).toBe(O.toUndefined(placement.ownerOf(`ns:${key}`)))
    expect(await right(client.getMany(keys))).toEqual(new Map(keys.map((key) => [key, key])))
    await client.close()
  })

  it('pool: works as one connection does, and opens more under load', async () => {
    const client = createClient({ servers: one.server, pool: { size: 3, busyAt: 1 } })
    const keys = Array.from({ length: 30 }, fresh)
    await Promise.all(keys.map((key) => right(client.set(key, key))))
    expect(await Promise.all(keys.map((key) => right(client.get(key))))).toEqual(keys.map((key) => O.some(key)))
    await client.close()
  })
})

describe('pool against a scripted server', () => {
  /** Answers each `get` with END, or holds its answers while `hold` is on. */
  const scripted = async () => {
    let hold = false
    const pending: Array<() => void> = []
    const server = await fakeServer((connection) => {
      let buffered = ''
      connection.socket.on('data', (chunk) => {
        const lines = (buffered + chunk.toString('latin1')).split('\r\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          if (!line.startsWith('get ')) continue
          const answer = (): void => void connection.socket.write('END\r\n')
          if (hold) pending.push(answer)
          else answer()
        }
      })
    })
    return {
      server,
      holdAnswers: () => {
        hold = true
      },
      releaseAnswers: () => {
        hold = false
        for (const answer of pending.splice(0)) answer()
      },
    }
  }

  it('opens a second connection once the first is busy', async () => {
    const { server, holdAnswers, releaseAnswers } = await scripted()
    try {
      const client = createClient({ servers: server.server, pool: { size: 2, busyAt: 2 } })
      await right(client.get('warm'))
      holdAnswers()
      const first = [right(client.get('a')), right(client.get('b'))]
      await (await server.connection(0)).waitFor('get b')
      // Two in flight on the only connection: busy, so this one starts opening another.
      const third = right(client.get('c'))
      await server.connection(1)
      releaseAnswers()
      expect(await Promise.all([...first, third])).toEqual([O.none, O.none, O.none])
      await client.close()
      expect(server.connections).toHaveLength(2)
    } finally {
      await server.close()
    }
  })

  it('without pool, one connection carries everything', async () => {
    const { server, holdAnswers, releaseAnswers } = await scripted()
    try {
      // Unbatched, so that each get is its own request on the one connection.
      const client = createClient({ servers: server.server, batching: false })
      await right(client.get('warm'))
      holdAnswers()
      const all = Array.from({ length: 5 }, (_, index) => right(client.get(`k${index}`)))
      await (await server.connection(0)).waitFor('get k4')
      releaseAnswers()
      await Promise.all(all)
      await client.close()
      expect(server.connections).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})

describe('keys of the wrong type, from plain JavaScript', () => {
  it.each(['rendezvous', 'ketama'] as const)('are InvalidKey through the %s router, never a throw', async (hashing) => {
    const servers = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`]
    const client = createClient({ servers, hashing, connectTimeout: 200 })
    try {
      for (const key of [null, 5, undefined, {}] as ReadonlyArray<unknown>) {
        const result = await client.get(key as string)()
        expect(E.isLeft(result) && result.left._tag).toBe('InvalidKey')
      }
    } finally {
      await client.close()
    }
  })
})

describe('createClient({ discovery })', () => {
  it('uses the seed servers until a poll succeeds, and reports the failed polls (a plain server answers ERROR)', async () => {
    const { serve } = await import('../src/emulator/serve.js')
    const served = await serve()()
    if (E.isLeft(served)) throw new Error(served.left.message)
    const events: Array<string> = []
    const client = createClient({
      servers: served.right.server,
      discovery: { endpoint: served.right.server, intervalMs: 20, observe: (event) => events.push(event._tag === 'PollFailed' ? event.error._tag : event._tag) },
    })
    expect(await right(client.set('seeded', 'yes'))).toBe(true)
    expect(await right(client.get('seeded'))).toEqual(O.some('yes'))
    for (let turn = 0; turn < 200 && events.length < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(events.slice(0, 2)).toEqual(['UnknownCommand', 'UnknownCommand'])
    await client.close()
    const after = events.length
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(events.length).toBe(after)
    await served.right.close()
  })

  it('without seeds and with an endpoint that fails, requests answer NoServers once the first poll is over', async () => {
    const client = createClient({ discovery: { endpoint: `127.0.0.1:${await closedPort()}`, intervalMs: 1000, timeoutMs: 500 }, connectTimeout: 200 })
    expect(await left(client.get('k'))).toMatchObject({ _tag: 'NoServers' })
    await client.close()
  })
})
