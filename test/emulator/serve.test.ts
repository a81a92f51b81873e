/**
 * `serve`: the emulator behind a real listener, used by other text-protocol clients (the
 * `memcached` npm package, pymemcache) and by ours over TCP and a unix socket; `close` ends
 * every client connection and the listener. Then the server under hostile clients: a connection
 * limit, data blocks that never finish, lines that never end, and a multi-get long enough to
 * starve everyone else if it were answered in one go.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import Memcached from 'memcached'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_MAX_CONNECTIONS, serve, TOO_MANY_CONNECTIONS, type Served, type ServeOptions } from '../../src/emulator/serve.js'
import { itemSize } from '../../src/emulator/store.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { connect, type Connection } from '../../src/transport/connection.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const opened: Array<{ close: () => Promise<void> }> = []
const directories: Array<string> = []
afterAll(async () => {
  await Promise.all(opened.map((each) => each.close()))
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
})

const start = async (options: ServeOptions = {}): Promise<Served> => {
  const started = await serve(options)()
  if (E.isLeft(started)) throw new Error(started.left.message)
  opened.push({ close: started.right.close })
  return started.right
}

const client = async (server: string): Promise<Connection> => {
  const result = await connect({ server })()
  if (E.isLeft(result)) throw new Error(result.left.message)
  opened.push({ close: result.right.close })
  return result.right
}

/** The `memcached` package's callback API as promises. */
const promised = <A>(call: (callback: (error: unknown, data: A) => void) => void): Promise<A> =>
  new Promise((resolve, reject) => call((error, data) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(data))))

describe('serve', () => {
  it('answers the memcached npm package (text protocol)', async () => {
    const { server } = await start()
    const memcached = new Memcached(server, { retries: 0, timeout: 2000, reconnect: 100 })
    try {
      expect(await promised<boolean>((callback) => memcached.set('npm:k', 'hello', 60, callback))).toBe(true)
      expect(await promised<unknown>((callback) => memcached.get('npm:k', callback))).toBe('hello')
      expect(await promised<boolean>((callback) => memcached.set('npm:n', 10, 60, callback))).toBe(true)
      expect(await promised<unknown>((callback) => memcached.incr('npm:n', 5, callback))).toBe(15)
      const gets = await promised<{ readonly cas: string }>((callback) => memcached.gets('npm:k', callback))
      expect(await promised<boolean>((callback) => memcached.cas('npm:k', 'changed', gets.cas, 60, callback))).toBe(true)
      expect(await promised<unknown>((callback) => memcached.getMulti(['npm:k', 'npm:n', 'npm:none'], callback))).toEqual({ 'npm:k': 'changed', 'npm:n': 15 })
      expect(await promised<boolean>((callback) => memcached.del('npm:k', callback))).toBe(true)
      expect(await promised<unknown>((callback) => memcached.get('npm:k', callback))).toBeUndefined()
    } finally {
      memcached.end()
    }
  })

  it('answers pymemcache (Debian python3)', async () => {
    const { port } = await start()
    const script = [
      'import json, sys',
      'from pymemcache.client.base import Client',
      `client = Client(("127.0.0.1", ${port}), connect_timeout=2, timeout=2)`,
      'client.set("py:k", b"hello", expire=60)',
      'client.set("py:n", b"41")',
      'value, cas = client.gets("py:k")',
      'out = {',
      '  "get": client.get("py:k").decode(),',
      '  "incr": client.incr("py:n", 1),',
      '  "cas": client.cas("py:k", b"changed", cas),',
      '  "stale": client.cas("py:k", b"again", cas),',
      '  "many": {k: v.decode() for k, v in client.get_many(["py:k", "py:n", "py:none"]).items()},',
      '  "add": client.add("py:k", b"x", noreply=False),',
      '  "delete": client.delete("py:k", noreply=False),',
      '}',
      'client.close()',
      'print(json.dumps(out))',
    ].join('\n')
    const output = await new Promise<string>((resolve, reject) => {
      const python = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      python.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      python.once('error', reject)
      python.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python3 exited ${code}: ${stderr}`))))
    })
    expect(JSON.parse(output)).toEqual({
      get: 'hello',
      incr: 42,
      cas: true,
      stale: false,
      many: { 'py:k': 'changed', 'py:n': '42' },
      add: false,
      delete: true,
    })
  })

  it('listens on a unix socket', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fp-memcache-serve-'))
    directories.push(directory)
    const path = join(directory, 'emulator.sock')
    const served = await start({ path })
    expect(served.server).toBe(`unix:${path}`)
    expect(served.port).toBeUndefined()
    const connection = await client(served.server)
    expect(await connection.send(Request.set('unix:k', bytes('v')))()).toEqual(E.right(Reply.stored))
    expect(await connection.send(Request.get(['unix:k']))()).toEqual(E.right(Reply.values([{ key: 'unix:k', flags: 0, value: bytes('v') }])))
  })

  it('serves every client from one engine and counts them', async () => {
    const served = await start()
    const [first, second] = await Promise.all([client(served.server), client(served.server)])
    await first.send(Request.set('shared:k', bytes('from first')))()
    expect(await second.send(Request.get(['shared:k']))()).toEqual(E.right(Reply.values([{ key: 'shared:k', flags: 0, value: bytes('from first') }])))
    expect(served.engine.stat('curr_connections')).toBe(2)
    expect(await second.send(Request.quit)()).toEqual(E.right(Reply.noReply))
    // The server sees the close when its socket does: wait for it, however long it takes.
    await vi.waitFor(() => expect(served.engine.stat('curr_connections')).toBe(1))
    expect(served.engine.stat('total_connections')).toBe(2)
  })

  it('close ends every client connection and the listener', async () => {
    const served = await start()
    const connection = await client(served.server)
    expect(E.isRight(await connection.send(Request.version)())).toBe(true)
    await served.close()
    const after = await connection.send(Request.version)()
    expect(E.isLeft(after) && after.left._tag).toBe('ConnectionClosed')
    const again = await connect({ server: served.server, connectTimeout: 500 })()
    expect(E.isLeft(again) && again.left._tag).toBe('ConnectError')
  })

  it('reports a port it cannot listen on as a ConnectError', async () => {
    const served = await start()
    const clash = await serve({ port: served.port ?? 0 })()
    expect(E.isLeft(clash) && [clash.left._tag, clash.left._tag === 'ConnectError' && clash.left.code]).toEqual(['ConnectError', 'EADDRINUSE'])
  })
})

/** A raw client socket: what it has read, and whether the server ended it. */
const raw = async (port: number) => {
  const socket = net.connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  opened.push({ close: async () => void socket.destroy() })
  const state = { read: '', ended: false }
  socket.on('data', (chunk: Buffer) => (state.read += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  socket.once('close', () => (state.ended = true))
  return { socket, state }
}

const statOf = async (connection: Connection, name: string): Promise<number> => {
  const reply = await connection.send(Request.stats())()
  if (E.isLeft(reply) || reply.right._tag !== 'Stats') throw new Error('expected stats')
  return Number(reply.right.entries.find(([entry]) => entry === name)?.[1])
}

describe('serve: hostile clients', () => {
  it('refuses clients beyond maxConnections as memcached does beyond -c, and takes them again once one goes', async () => {
    expect(DEFAULT_MAX_CONNECTIONS).toBe(1024)
    const served = await start({ maxConnections: 2 })
    const [first, second] = await Promise.all([client(served.server), client(served.server)])
    expect(E.isRight(await first.send(Request.version)())).toBe(true)
    expect(E.isRight(await second.send(Request.version)())).toBe(true)
    const refused = await raw(served.port ?? 0)
    await vi.waitFor(() => expect(refused.state.ended).toBe(true))
    expect(refused.state.read).toBe(TOO_MANY_CONNECTIONS)
    expect(TOO_MANY_CONNECTIONS).toBe('ERROR Too many open connections\r\n')
    expect([served.rejectedConnections(), served.engine.stat('curr_connections')]).toEqual([1, 2])
    await first.close()
    await vi.waitFor(() => expect(served.engine.stat('curr_connections')).toBe(1))
    const third = await client(served.server)
    expect(await third.send(Request.version)()).toEqual(E.right(Reply.versionReply('1.6.18-fp-memcache-emulator')))
  })

  it('answers a long multi-get in slices: another client is answered before the long reply is done', async () => {
    const hits = 20_000
    const served = await start({ keysPerSlice: 100 })
    for (let index = 0; index < hits; index++) served.engine.execute(Request.set(`key${index}`, bytes(`value${index}`)))
    const other = await client(served.server)
    const long = await raw(served.port ?? 0)
    // The other client asks once the first bytes of the long reply are out: the server has
    // answered one slice of 200 and lets the other client in before the rest.
    const seenMidway = new Promise<number>((resolve, reject) => {
      long.socket.once('data', () => statOf(other, 'get_hits').then(resolve, reject))
    })
    long.socket.write(`get ${Array.from({ length: hits }, (_, index) => `key${index}`).join(' ')}\r\n`)
    const hitsSeenMidway = await seenMidway
    expect(hitsSeenMidway).toBeGreaterThan(0)
    expect(hitsSeenMidway).toBeLessThan(hits)
    await vi.waitFor(() => expect(long.state.read.endsWith('END\r\n')).toBe(true))
    expect(long.state.read.match(/^VALUE /gm)?.length).toBe(hits)
    expect(long.state.read.startsWith('VALUE key0 0 6\r\nvalue0\r\nVALUE key1 0 6\r\nvalue1\r\n')).toBe(true)
    expect(await statOf(other, 'get_hits')).toBe(hits)
  })

  it('holds unfinished data blocks inside the memory limit: the blocks that cannot fit are refused, and others are still served', async () => {
    const limit = 1024 * 1024
    const served = await start({ memoryLimit: limit })
    const size = itemSize('k00'.length, 0, 100_000)
    const fit = Math.floor(limit / size)
    const clients = await Promise.all(Array.from({ length: 30 }, () => raw(served.port ?? 0)))
    clients.forEach((each, index) => each.socket.write(`set k${String(index).padStart(2, '0')} 0 0 100000\r\n${'x'.repeat(50_000)}`))
    const refusal = 'SERVER_ERROR out of memory storing object\r\n'
    await vi.waitFor(() => expect(clients.filter((each) => each.state.read === refusal)).toHaveLength(30 - fit))
    await vi.waitFor(() => expect(served.engine.memory().reserved).toBe(fit * size))
    expect(served.engine.memory().items + served.engine.memory().reserved).toBeLessThanOrEqual(limit)
    const other = await client(served.server)
    expect(await other.send(Request.version)()).toEqual(E.right(Reply.versionReply('1.6.18-fp-memcache-emulator')))
    // Clients that go before finishing their blocks give the room back.
    for (const each of clients) each.socket.destroy()
    await vi.waitFor(() => expect(served.engine.memory().reserved).toBe(0))
  })

  it('bounds the lines all clients hold while waiting for a newline; the client going over is answered out of memory and closed', async () => {
    const served = await start({ lineMemoryLimit: 100_000 })
    const head = `get ${'k '.repeat(30_000)}`
    const first = await raw(served.port ?? 0)
    first.socket.write(head)
    await vi.waitFor(() => expect(served.heldLineBytes()).toBe(head.length))
    const second = await raw(served.port ?? 0)
    second.socket.write(head)
    await vi.waitFor(() => expect(second.state.ended).toBe(true))
    expect(second.state.read).toBe('SERVER_ERROR out of memory reading request\r\n')
    expect(served.heldLineBytes()).toBe(head.length)
    const other = await client(served.server)
    expect(await other.send(Request.version)()).toEqual(E.right(Reply.versionReply('1.6.18-fp-memcache-emulator')))
    first.socket.write('\r\n')
    await vi.waitFor(() => expect(first.state.read).toBe('END\r\n'))
    expect(served.heldLineBytes()).toBe(0)
  })
})
