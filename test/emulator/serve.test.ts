/**
 * `serve`: the emulator behind a real listener, used by other text-protocol clients (the
 * `memcached` npm package, pymemcache) and by ours over TCP and a unix socket; `close` ends
 * every client connection and the listener.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import Memcached from 'memcached'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { serve, type Served, type ServeOptions } from '../../src/emulator/serve.js'
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
