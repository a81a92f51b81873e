/**
 * "A bad key is a `Left`, never bytes on the wire", for the commands that send one request per
 * key (`deleteMany`, `setMany`): the whole batch must be refused before any of it is written.
 * Found by `fuzz-commands.test.ts`; each case here is its smallest reproduction, against a loopback
 * server that records what it receives (a `version` round trip after the call makes sure every byte
 * written before it has arrived).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client, type ServerOptions } from '../../src/client.js'

let server: net.Server
let port = 0
let received = ''

beforeAll(async () => {
  server = net.createServer((socket) => {
    let pending = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      pending += chunk.toString('latin1')
      // Answers line by line; data blocks of `set` are short single lines here.
      let end = pending.indexOf('\r\n')
      while (end >= 0) {
        const line = pending.slice(0, end)
        pending = pending.slice(end + 2)
        if (line.startsWith('version')) socket.write('VERSION 1.6.0\r\n')
        else if (line.startsWith('delete')) socket.write('NOT_FOUND\r\n')
        else if (line.startsWith('set')) {
          const dataEnd = pending.indexOf('\r\n')
          pending = dataEnd < 0 ? '' : pending.slice(dataEnd + 2)
          socket.write('STORED\r\n')
        }
        end = pending.indexOf('\r\n')
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  port = typeof address === 'object' && address !== null ? address.port : 0
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** What reached the server while `run` ran on a client made with `options`. */
const onTheWire = async (options: Omit<ServerOptions<string>, 'servers' | 'serde'>, run: (client: Client<string>) => Promise<E.Either<{ readonly _tag: string }, unknown>>) => {
  const client = createClient({ servers: `127.0.0.1:${port}`, timeout: 1000, ...options })
  expect(E.isRight(await client.version()())).toBe(true)
  received = ''
  const result = await run(client)
  expect(E.isRight(await client.version()())).toBe(true)
  await client.close()
  return { result: E.isLeft(result) ? result.left._tag : 'Right', wire: received }
}

describe('a batch with one invalid key writes nothing', () => {
  it('deleteMany with a non-ASCII key (unicode keys not allowed)', async () => {
    expect(await onTheWire({}, (client) => client.deleteMany(['ok', 'é'])())).toEqual({ result: 'InvalidKey', wire: 'version\r\n' })
  })

  it('setMany with a non-ASCII key (unicode keys not allowed)', async () => {
    expect(await onTheWire({}, (client) => client.setMany([['ok', 'v'], ['日本', 'v']])())).toEqual({ result: 'InvalidKey', wire: 'version\r\n' })
  })

  it('deleteMany with a key that the key prefix pushes past 250 bytes', async () => {
    expect(await onTheWire({ keyPrefix: 'p'.repeat(200) }, (client) => client.deleteMany(['ok', 'k'.repeat(60)])())).toEqual({ result: 'InvalidKey', wire: 'version\r\n' })
  })

  it('setMany with a key that the key prefix pushes past 250 bytes', async () => {
    expect(await onTheWire({ keyPrefix: 'p'.repeat(200) }, (client) => client.setMany([['ok', 'v'], ['k'.repeat(60), 'v']])())).toEqual({ result: 'InvalidKey', wire: 'version\r\n' })
  })

  it('deleteMany with a key holding a space (caught today: the control case)', async () => {
    expect(await onTheWire({}, (client) => client.deleteMany(['ok', 'a b'])())).toEqual({ result: 'InvalidKey', wire: 'version\r\n' })
  })
})
