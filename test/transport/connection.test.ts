/**
 * The connection against real memcached processes: TCP over IPv4 and IPv6, unix sockets, binary
 * and large values, deep pipelines, noreply, quit, a server killed mid-flight, maxconns, exit.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemcacheError } from '../../src/error.js'
import type { Reply } from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { connect, type Connection, type ConnectOptions } from '../../src/transport/connection.js'
import { startMemcached, type MemcachedServer } from '../support/memcached.js'
import { fakeServer, writeInParts } from './fakes.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))

const servers: Array<MemcachedServer> = []
const connections: Array<Connection> = []
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()))
  await Promise.all(servers.map((server) => server.stop()))
})

const start = async (...args: Parameters<typeof startMemcached>): Promise<MemcachedServer> => {
  const server = await startMemcached(...args)
  servers.push(server)
  return server
}

const open = async (options: ConnectOptions): Promise<Connection> => {
  const opened = await connect(options)()
  if (E.isLeft(opened)) throw new Error(`connect failed: ${opened.left.message}`)
  connections.push(opened.right)
  return opened.right
}

const valueOf = (result: E.Either<MemcacheError, Reply>, key: string): Uint8Array | undefined =>
  E.isRight(result) && result.right._tag === 'Values' ? result.right.items.find((item) => item.key === key)?.value : undefined

const leftTag = (result: E.Either<MemcacheError, unknown>): string => (E.isLeft(result) ? result.left._tag : 'Right')

describe.each([
  ['TCP over IPv4', {}],
  ['TCP over IPv6', { ipv6: true }],
  ['a unix socket', { unixSocket: true }],
] as const)('over %s', (_name, serverOptions) => {
  let server: MemcachedServer
  let connection: Connection
  beforeAll(async () => {
    server = await start({ ...serverOptions, itemSizeMax: '2m' })
    connection = await open({ server: server.server })
  })

  it('names the node as the server string says', () => {
    expect(connection.node).toBe(server.server)
    expect(connection.isOpen()).toBe(true)
  })

  it('stores, reads, touches and deletes', async () => {
    expect(await connection.send(Request.set('greeting', bytes('hello'), { flags: 7 }))()).toEqual(E.right({ _tag: 'Stored' }))
    expect(await connection.send(Request.get(['greeting', 'absent']))()).toEqual(
      E.right({ _tag: 'Values', items: [{ key: 'greeting', flags: 7, value: bytes('hello') }] }),
    )
    expect(await connection.send(Request.touch('greeting', 60))()).toEqual(E.right({ _tag: 'Touched' }))
    expect(await connection.send(Request.del('greeting'))()).toEqual(E.right({ _tag: 'Deleted' }))
    expect(await connection.send(Request.del('greeting'))()).toEqual(E.right({ _tag: 'NotFound' }))
  })

  it('round-trips every byte value, an empty value and a 1 MiB value', async () => {
    const everyByte = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256)
    const mebibyte = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 131 + 7) % 256)
    for (const [key, value] of [
      ['every-byte', everyByte],
      ['empty', new Uint8Array(0)],
      ['mebibyte', mebibyte],
    ] as const) {
      expect(await connection.send(Request.set(key, value))()).toEqual(E.right({ _tag: 'Stored' }))
    }
    const result = await connection.send(Request.get(['every-byte', 'empty', 'mebibyte']))()
    expect(valueOf(result, 'every-byte')).toEqual(everyByte)
    expect(valueOf(result, 'empty')).toEqual(new Uint8Array(0))
    // Compared natively: vitest's deep equality walks a megabyte element by element (seconds).
    const received = valueOf(result, 'mebibyte') ?? new Uint8Array(0)
    expect({ length: received.length, same: Buffer.compare(received, mebibyte) === 0 }).toEqual({ length: mebibyte.length, same: true })
  })

  it('keeps values intact while later reads (its own and another connection’s) reuse the read buffer', async () => {
    const other = await open({ server: server.server })
    const kept: Array<readonly [Uint8Array, Uint8Array]> = []
    for (let i = 0; i < 20; i++) {
      const value = Uint8Array.from({ length: 100 + i * 300 }, (_, j) => (i * 31 + j) % 256)
      expect(await connection.send(Request.set(`kept:${i}`, value))()).toEqual(E.right({ _tag: 'Stored' }))
      const via = i % 2 === 0 ? connection : other
      const received = valueOf(await via.send(Request.get([`kept:${i}`]))(), `kept:${i}`)
      kept.push([received ?? new Uint8Array(0), value])
    }
    for (const [received, value] of kept) expect(Buffer.from(received).equals(Buffer.from(value))).toBe(true)
  })

  it('accepts keys of exactly 250 bytes and refuses 251 before writing', async () => {
    const longest = 'k'.repeat(250)
    expect(await connection.send(Request.set(longest, bytes('v')))()).toEqual(E.right({ _tag: 'Stored' }))
    expect(valueOf(await connection.send(Request.get([longest]))(), longest)).toEqual(bytes('v'))
    expect(leftTag(await connection.send(Request.get(['k'.repeat(251)]))())).toBe('InvalidKey')
    expect(connection.isOpen()).toBe(true)
  })
})

describe('pipelining', () => {
  it('matches 5000 concurrent mixed requests to their own replies', async () => {
    const server = await start()
    const connection = await open({ server: server.server, timeout: 10_000 })
    const count = 5000
    const keyOf = (i: number) => `pipe:${i}`
    const valueFor = (i: number) => bytes(`value of ${i} `.repeat((i % 7) + 1))
    const setup = await Promise.all(Array.from({ length: count }, (_, i) => connection.send(Request.set(keyOf(i), valueFor(i), { flags: i }))()))
    expect(setup.every((result) => E.isRight(result) && result.right._tag === 'Stored')).toBe(true)

    const mixed = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        switch (i % 5) {
          case 0:
            return connection.send(Request.get([keyOf(i), keyOf(i + 1)]))()
          case 1:
            return connection.send(Request.gets([keyOf(i)]))()
          case 2:
            return connection.send(Request.set(`counter:${i}`, bytes(String(i))))().then(() => connection.send(Request.incr(`counter:${i}`, 1n))())
          case 3:
            return connection.send(Request.del(keyOf(i)))()
          default:
            return connection.send(Request.get([`missing:${i}`]))()
        }
      }),
    )
    mixed.forEach((result, i) => {
      switch (i % 5) {
        case 0:
          expect(valueOf(result, keyOf(i))).toEqual(valueFor(i))
          expect(valueOf(result, keyOf(i + 1))).toEqual(valueFor(i + 1))
          expect(E.isRight(result) && result.right._tag === 'Values' ? result.right.items.map((item) => item.flags) : []).toEqual([i, i + 1])
          break
        case 1:
          expect(result).toEqual(E.right({ _tag: 'Values', items: [{ key: keyOf(i), flags: i, value: valueFor(i), cas: expect.any(BigInt) }] }))
          break
        case 2:
          expect(result).toEqual(E.right({ _tag: 'Numeric', value: BigInt(i + 1) }))
          break
        case 3:
          expect(result).toEqual(E.right({ _tag: 'Deleted' }))
          break
        default:
          expect(result).toEqual(E.right({ _tag: 'Values', items: [] }))
      }
    })
    expect(connection.inFlight()).toBe(0)
  })
})

describe('noreply, unsolicited errors and quit', () => {
  it('pipelines noreply writes and then reads them on the same connection', async () => {
    const server = await start()
    const connection = await open({ server: server.server })
    const written = await Promise.all(
      Array.from({ length: 100 }, (_, i) => connection.send(Request.set(`quiet:${i}`, bytes(`v${i}`), { noreply: true }))()),
    )
    expect(written.every((result) => E.isRight(result) && result.right._tag === 'NoReply')).toBe(true)
    const keys = Array.from({ length: 100 }, (_, i) => `quiet:${i}`)
    const result = await connection.send(Request.get(keys))()
    expect(keys.map((key) => Buffer.from(valueOf(result, key) ?? []).toString())).toEqual(keys.map((_, i) => `v${i}`))
    expect(connection.isOpen()).toBe(true)
  })

  it('reports what memcached says to a command sent without expecting a reply', async () => {
    const server = await start()
    const unsolicited: Array<MemcacheError> = []
    let reported: () => void = () => undefined
    const reportedOnce = new Promise<void>((resolve) => (reported = resolve))
    const connection = await open({
      server: server.server,
      onUnsolicited: (error) => {
        unsolicited.push(error)
        reported()
      },
    })
    expect(await connection.send(Request.raw('no_such_command', 'none'))()).toEqual(E.right({ _tag: 'NoReply' }))
    await reportedOnce
    expect(unsolicited).toEqual([expect.objectContaining({ _tag: 'UnknownCommand' })])
    expect(leftTag(await connection.send(Request.version)())).toBe('Right')
  })

  it('quits: NoReply, then closed', async () => {
    const server = await start()
    const connection = await open({ server: server.server })
    expect(await connection.send(Request.quit)()).toEqual(E.right({ _tag: 'NoReply' }))
    expect(connection.isOpen()).toBe(false)
    expect(leftTag(await connection.send(Request.version)())).toBe('ConnectionClosed')
    await connection.close()
  })
})

describe('server-side limits and failures', () => {
  it('hands back ValueTooLarge as a Failure from a server with a small item size, and stays usable', async () => {
    const server = await start({ itemSizeMax: '64k', extraArgs: ['-o', 'slab_chunk_max=32768'] })
    const connection = await open({ server: server.server })
    const result = await connection.send(Request.set('big', new Uint8Array(100 * 1024)))()
    expect(result).toEqual(E.right({ _tag: 'Failure', error: expect.objectContaining({ _tag: 'ValueTooLarge', key: 'big', size: 100 * 1024 }) }))
    expect(await connection.send(Request.set('small', new Uint8Array(1024)))()).toEqual(E.right({ _tag: 'Stored' }))
    expect(connection.isOpen()).toBe(true)
  })

  it('fails everything in flight with ConnectionClosed when the server is killed', async () => {
    const server = await start()
    const connection = await open({ server: server.server, timeout: 0 })
    expect(leftTag(await connection.send(Request.version)())).toBe('Right')
    server.kill('SIGSTOP')
    const inFlight = Array.from({ length: 50 }, (_, i) => connection.send(Request.get([`k${i}`]))())
    expect(connection.inFlight()).toBe(50)
    server.kill('SIGKILL')
    const results = await Promise.all(inFlight)
    expect(new Set(results.map(leftTag))).toEqual(new Set(['ConnectionClosed']))
    expect(connection.isOpen()).toBe(false)
  })

  it('close does not wait for a server that stopped answering', async () => {
    const server = await start()
    const connection = await open({ server: server.server, timeout: 0, connectTimeout: 200 })
    server.kill('SIGSTOP')
    const waiting = connection.send(Request.get(['a']))()
    await connection.close()
    expect(leftTag(await waiting)).toBe('ConnectionClosed')
    server.kill('SIGCONT')
  })

  it('surfaces "Too many open connections" instead of hanging', async () => {
    const server = await start({ extraArgs: ['-c', '32'] })
    const outcomes: Array<string> = []
    for (let i = 0; i < 40 && !outcomes.some((outcome) => outcome.includes('Too many open connections')); i++) {
      const opened = await connect({ server: server.server })()
      if (E.isLeft(opened)) {
        outcomes.push(opened.left.message)
        continue
      }
      connections.push(opened.right)
      const result = await opened.right.send(Request.version)()
      outcomes.push(E.isLeft(result) ? result.left.message : result.right._tag === 'Failure' ? result.right.error.message : 'answered')
    }
    expect(outcomes.at(-1)).toMatch(/Too many open connections/)
  })
})

describe('process lifetime', () => {
  it('lets a process with only a closed connection exit on its own', async () => {
    const server = await start()
    const dir = mkdtempSync(join(tmpdir(), 'fp-memcache-exit-'))
    const script = join(dir, 'exit.mts')
    const source = fileURLToPath(new URL('../../src/transport/connection.ts', import.meta.url))
    const request = fileURLToPath(new URL('../../src/protocol/request.ts', import.meta.url))
    writeFileSync(
      script,
      [
        `import { connect } from ${JSON.stringify(source)}`,
        `import { set, get } from ${JSON.stringify(request)}`,
        `const opened = await connect({ server: ${JSON.stringify(server.server)}, timeout: 60000 })()`,
        `if (opened._tag === 'Left') { console.log(opened.left.message); process.exit(2) }`,
        `await opened.right.send(set('exit', new Uint8Array([1])))()`,
        `const got = await opened.right.send(get(['exit']))()`,
        `await opened.right.close()`,
        `console.log(got._tag)`,
      ].join('\n'),
    )
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
    const child = spawn(tsx, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'Right' })
  })
})

describe('writing a tick as one buffer', () => {
  it('sends the requests of one tick in order, byte for byte, large values among small ones, and answers noreply writes', async () => {
    const server = await fakeServer()
    try {
      const opened = await connect({ server: server.server })()
      if (E.isLeft(opened)) throw new Error(opened.left.message)
      const connection = opened.right
      const large = new Uint8Array(20 * 1024).fill(0x78)
      const sent = [
        connection.send(Request.get(['a']))(),
        connection.send(Request.set('big', large, { noreply: true }))(),
        connection.send(Request.get(['b']))(),
        connection.send(Request.set('small', bytes('hi'), { noreply: true }))(),
      ]
      const peer = await server.connection(0)
      const expected = `get a\r\nset big 0 0 ${large.length} noreply\r\n${'x'.repeat(large.length)}\r\nget b\r\nset small 0 0 2 noreply\r\nhi\r\n`
      await peer.waitFor('hi\r\n')
      expect(peer.received()).toBe(expected)
      expect(await sent[1]).toEqual(E.right({ _tag: 'NoReply' }))
      expect(await sent[3]).toEqual(E.right({ _tag: 'NoReply' }))
      peer.socket.write('VALUE a 0 1\r\n1\r\nEND\r\nEND\r\n')
      expect(valueOf(await (sent[0] as Promise<E.Either<MemcacheError, Reply>>), 'a')).toEqual(bytes('1'))
      expect(await sent[2]).toEqual(E.right({ _tag: 'Values', items: [] }))
      await connection.close()
    } finally {
      await server.close()
    }
  })
})

describe('reusing the write buffer', () => {
  it('sends each tick byte for byte whether the buffer of an earlier tick was larger or smaller', async () => {
    const server = await fakeServer()
    try {
      const opened = await connect({ server: server.server })()
      if (E.isLeft(opened)) throw new Error(opened.left.message)
      const connection = opened.right
      // Each tick's noreply writes resolve once the socket is done with that tick's buffer.
      const tick = (letter: string, count: number, size: number) =>
        Promise.all(Array.from({ length: count }, (_, i) => connection.send(Request.set(`${letter}${i}`, bytes(letter.repeat(size)), { noreply: true }))()))
      const wire = (letter: string, count: number, size: number): string =>
        Array.from({ length: count }, (_, i) => `set ${letter}${i} 0 0 ${size} noreply\r\n${letter.repeat(size)}\r\n`).join('')
      const ticks: ReadonlyArray<readonly [string, number, number]> = [['a', 8, 900], ['b', 2, 10], ['c', 3, 300], ['d', 12, 1000], ['e', 1, 5], ['f', 2, 1]]
      for (const [letter, count, size] of ticks) {
        expect(await tick(letter, count, size)).toEqual(Array.from({ length: count }, () => E.right({ _tag: 'NoReply' })))
      }
      const expected = ticks.map(([letter, count, size]) => wire(letter, count, size)).join('')
      const peer = await server.connection(0)
      await peer.waitFor('f\r\n', 2)
      expect(peer.received()).toBe(expected)
      await connection.close()
    } finally {
      await server.close()
    }
  })
})

describe('values of 64 KiB and more', () => {
  let connection: Connection
  beforeAll(async () => {
    const server = await start({ itemSizeMax: '2m' })
    connection = await open({ server: server.server })
  })

  // 64 KiB arrives in a few chunks; 1 MiB is over the size from which the receive buffer reserves
  // one buffer for the whole reply.
  it.each([64 * 1024, 1024 * 1024])('are views on the bytes received, not copies (%i bytes)', async (size) => {
    const value = Buffer.alloc(size, 'abcdefghijklmnopqrstuvwxyz')
    expect(await connection.send(Request.set('big', value))()).toEqual(E.right({ _tag: 'Stored' }))
    const view = valueOf(await connection.send(Request.get(['big']))(), 'big') ?? new Uint8Array(0)
    expect(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(value)).toBe(true)
    // A copy would own its memory; a view shares it with what arrived around it: the VALUE line
    // lies just before the value, in the same memory.
    const header = `VALUE big 0 ${size}\r\n`
    expect(view.byteOffset).toBeGreaterThanOrEqual(header.length)
    expect(Buffer.from(view.buffer, view.byteOffset - header.length, header.length).toString('latin1')).toBe(header)
  })

  it('are received into one buffer of their size even when the next reply comes in the same chunk', async () => {
    const server = await fakeServer()
    try {
      const connection = await open({ server: server.server })
      const size = 1024 * 1024
      const big = connection.send(Request.get(['big']))()
      const small = connection.send(Request.get(['small']))()
      const peer = await server.connection(0)
      await peer.waitFor('get small\r\n')
      const header = `VALUE big 0 ${size}\r\n`
      const value = Buffer.alloc(size, 'abcdefghijklmnopqrstuvwxyz')
      // The last part ends the value, its reply, and carries the whole next reply (64 KiB of it).
      const next = `VALUE small 0 ${64 * 1024}\r\n${'s'.repeat(64 * 1024)}\r\nEND\r\n`
      await writeInParts(peer.socket, [header, value.subarray(0, size - 10), Buffer.concat([value.subarray(size - 10), Buffer.from(`\r\nEND\r\n${next}`)])])
      const view = valueOf(await big, 'big') ?? new Uint8Array(0)
      expect(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(value)).toBe(true)
      // Appending the last part whole would have overflowed the reserved buffer into one twice as large.
      expect(view.buffer.byteLength).toBeLessThan(size + 1024)
      expect(valueOf(await small, 'small')).toEqual(new Uint8Array(64 * 1024).fill('s'.charCodeAt(0)))
      await connection.close()
    } finally {
      await server.close()
    }
  })
})
