/**
 * The emulator as a configuration endpoint: a settable cluster configuration whose version counts
 * changes, answered to `config get cluster` through the session (memory transport) and over TCP,
 * byte for byte; without one, `config` is `ERROR` as on plain memcached.
 */
import * as net from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { answerConfigGet, makeClusterConfig } from '../../src/emulator/cluster.js'
import { makeEngine } from '../../src/emulator/engine.js'
import { memoryTransport } from '../../src/emulator/memory.js'
import { parseCommand } from '../../src/emulator/parse.js'
import { renderReply } from '../../src/emulator/render.js'
import { serve, type Served } from '../../src/emulator/serve.js'
import { unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'

const node = (port: number) => ({ host: 'localhost', ip: '127.0.0.1', port })
const text = (chunks: ReadonlyArray<Uint8Array>): string => Buffer.concat(chunks).toString('latin1')

const opened: Array<Served> = []
afterAll(async () => {
  await Promise.all(opened.map((each) => each.close()))
})

describe('makeClusterConfig', () => {
  it('starts at version 1 (or the one given) and counts each change of the list once', () => {
    const cluster = makeClusterConfig([node(1)])
    expect(cluster.current()).toEqual({ version: 1, nodes: [node(1)] })
    expect(cluster.setNodes([node(1), node(2)]).version).toBe(2)
    expect(cluster.setNodes([node(1), node(2)]).version).toBe(2)
    expect(cluster.setNodes([node(2)])).toEqual({ version: 3, nodes: [node(2)] })
    expect(makeClusterConfig([], 40).current().version).toBe(40)
  })

  it('setConfig sets any version, lower ones included', () => {
    const cluster = makeClusterConfig([node(1)], 9)
    cluster.setConfig({ version: 2, nodes: [] })
    expect(cluster.current()).toEqual({ version: 2, nodes: [] })
  })

  it('keeps its own copy of the list', () => {
    const nodes = [node(1)]
    const cluster = makeClusterConfig(nodes)
    nodes.push(node(2))
    expect(cluster.current().nodes).toEqual([node(1)])
  })
})

describe('answerConfigGet', () => {
  it('answers the cluster key, ERROR for any other key or without a configuration', () => {
    const cluster = makeClusterConfig([node(1)])
    expect(answerConfigGet(cluster)(Request.configGet())).toEqual(Reply.clusterConfigReply({ version: 1, nodes: [node(1)] }))
    expect(answerConfigGet(cluster)(Request.configGet('other'))).toEqual(Reply.failure(unknownCommand('')))
    expect(answerConfigGet(undefined)(Request.configGet())).toEqual(Reply.failure(unknownCommand('')))
  })
})

describe('the front end', () => {
  it('parses `config get <key>` and nothing else as ConfigGet', () => {
    const line = (t: string) => parseCommand(new Uint8Array(Buffer.from(t, 'latin1')))
    expect(line('config get cluster')).toEqual({ _tag: 'Execute', request: Request.configGet() })
    expect(line('config set cluster')).toMatchObject({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')) })
    expect(line('config get')).toMatchObject({ _tag: 'Answer', reply: Reply.failure(unknownCommand('')) })
  })

  it('renders the reply as ElastiCache writes it', () => {
    const reply = Reply.clusterConfigReply({ version: 12, nodes: [node(11211), { host: 'b', ip: '', port: 11212 }] })
    const payload = '12\nlocalhost|127.0.0.1|11211 b||11212\n'
    expect(text(renderReply(reply))).toBe(`CONFIG cluster 0 ${payload.length}\r\n${payload}\r\nEND\r\n`)
  })

  it('answers through a session, and follows changes made at run time', async () => {
    const cluster = makeClusterConfig([node(1)])
    const transport = memoryTransport({ engine: makeEngine({ cluster }) })
    expect(await transport.send(Request.configGet())()).toEqual(E.right(Reply.clusterConfigReply({ version: 1, nodes: [node(1)] })))
    cluster.setNodes([node(1), node(2)])
    expect(await transport.send(Request.configGet())()).toEqual(E.right(Reply.clusterConfigReply({ version: 2, nodes: [node(1), node(2)] })))
    await transport.close()
  })

  it('an engine without a configuration answers ERROR, and the connection stays usable', async () => {
    const transport = memoryTransport()
    expect(await transport.send(Request.configGet())()).toEqual(E.right(Reply.failure(unknownCommand(''))))
    expect(await transport.send(Request.version)()).toMatchObject(E.right({ _tag: 'Version' }))
    await transport.close()
  })
})

describe('served', () => {
  it('writes the exact bytes over TCP, to every node sharing the configuration', async () => {
    const cluster = makeClusterConfig([node(11211)], 5)
    const servers = await Promise.all([serve({ cluster })(), serve({ cluster })()])
    const started = servers.flatMap((each) => (E.isRight(each) ? [each.right] : []))
    opened.push(...started)
    expect(started).toHaveLength(2)
    const payload = '5\nlocalhost|127.0.0.1|11211\n'
    for (const served of started) {
      const received = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(served.port ?? 0, '127.0.0.1')
        let answer = ''
        socket.setEncoding('latin1')
        socket.on('data', (chunk: string) => {
          answer += chunk
          if (answer.endsWith('END\r\n')) {
            socket.destroy()
            resolve(answer)
          }
        })
        socket.on('error', reject)
        socket.write('config get cluster\r\n')
      })
      expect(received).toBe(`CONFIG cluster 0 ${payload.length}\r\n${payload}\r\nEND\r\n`)
    }
  })
})
