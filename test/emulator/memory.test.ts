/**
 * `memoryTransport`: the codec path in memory, asynchronous but ordered replies, one engine shared
 * by several transports, the life of a connection (close, quit, desync), and the request context
 * (a fired signal or a passed deadline stops a request before the engine).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { makeEngine } from '../../src/emulator/engine.js'
import type { MemcacheError } from '../../src/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as Request from '../../src/protocol/request.js'
import { memoryTransport } from '../../src/emulator/memory.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))
const leftTag = (result: E.Either<MemcacheError, unknown>): string => (E.isLeft(result) ? result.left._tag : 'Right')

describe('memoryTransport', () => {
  it('answers on a later microtask, in the order requests are run', async () => {
    const transport = memoryTransport()
    let answered = false
    const version = transport.send(Request.version)().then((result) => {
      answered = true
      return result
    })
    expect(answered).toBe(false)
    expect(transport.inFlight()).toBe(1)
    // Run without waiting between them: the get still sees the set.
    const [stored, got] = await Promise.all([
      transport.send(Request.set('k', bytes('v')))(),
      transport.send(Request.get(['k']))(),
    ])
    expect(stored).toEqual(E.right(Reply.stored))
    expect(got).toEqual(E.right(Reply.values([{ key: 'k', flags: 0, value: bytes('v') }])))
    expect(leftTag(await version)).toBe('Right')
    expect(transport.inFlight()).toBe(0)
  })

  it('refuses what the encoder refuses, before the engine sees a byte', async () => {
    const transport = memoryTransport({ maxValueSize: 10 })
    expect(leftTag(await transport.send(Request.get(['has space']))())).toBe('InvalidKey')
    expect(leftTag(await transport.send(Request.get(['clé']))())).toBe('InvalidKey')
    expect(leftTag(await transport.send(Request.set('k', new Uint8Array(11)))())).toBe('ValueTooLarge')
    expect(leftTag(await transport.send(Request.incr('k', -1n))())).toBe('InvalidArgument')
    expect([transport.engine.stat('bytes_read'), transport.engine.stat('cmd_get'), transport.engine.stat('cmd_set')]).toEqual([0, 0, 0])
  })

  it('sends unicode keys as UTF-8 when allowed, and reads them back', async () => {
    const transport = memoryTransport({ allowUnicodeKeys: true })
    expect(await transport.send(Request.set('clé', bytes('v')))()).toEqual(E.right(Reply.stored))
    expect(await transport.send(Request.get(['clé']))()).toEqual(E.right(Reply.values([{ key: 'clé', flags: 0, value: bytes('v') }])))
    // The engine holds the key's UTF-8 bytes, one char per byte.
    expect(transport.engine.peek(Buffer.from('clé', 'utf8').toString('latin1'))?.size).toBeGreaterThan(0)
  })

  it('gives each reply its own bytes: changing one does not change the store', async () => {
    const transport = memoryTransport()
    await transport.send(Request.set('k', bytes('abc')))()
    const first = await transport.send(Request.get(['k']))()
    if (E.isRight(first) && first.right._tag === 'Values') first.right.items[0]?.value.fill(0)
    expect(await transport.send(Request.get(['k']))()).toEqual(E.right(Reply.values([{ key: 'k', flags: 0, value: bytes('abc') }])))
  })

  it('shares one engine between transports, each one a connection', async () => {
    const engine = makeEngine()
    const first = memoryTransport({ engine })
    const second = memoryTransport({ engine, node: 'second' })
    await first.send(Request.set('k', bytes('shared')))()
    expect(await second.send(Request.get(['k']))()).toEqual(E.right(Reply.values([{ key: 'k', flags: 0, value: bytes('shared') }])))
    expect(engine.stat('curr_connections')).toBe(2)
    await first.close()
    expect([engine.stat('curr_connections'), engine.stat('total_connections')]).toEqual([1, 2])
  })

  it('fails every request after close with ConnectionClosed, including those already run', async () => {
    const transport = memoryTransport()
    const running = transport.send(Request.version)()
    await transport.close()
    expect(leftTag(await running)).toBe('ConnectionClosed')
    expect(leftTag(await transport.send(Request.version)())).toBe('ConnectionClosed')
    expect(transport.isOpen()).toBe(false)
  })

  it('ends the connection after quit, as memcached does', async () => {
    const transport = memoryTransport()
    expect(await transport.send(Request.quit)()).toEqual(E.right(Reply.noReply))
    expect(leftTag(await transport.send(Request.version)())).toBe('ConnectionClosed')
  })

  it('reports error lines that answer no request, and ends the connection on any other stray bytes', async () => {
    const unsolicited: Array<MemcacheError> = []
    const transport = memoryTransport({ onUnsolicited: (error) => unsolicited.push(error) })
    const chunk = await transport.send(Request.raw('set k 0 0 1', 'line', bytes('xx')))()
    expect(chunk).toEqual(E.right(Reply.failure({ _tag: 'ClientError', reason: 'bad data chunk', message: 'server reported a client error: bad data chunk' })))
    expect(unsolicited.map((error) => error._tag)).toEqual(['UnknownCommand'])
    await transport.send(Request.set('k', bytes('x')))()
    // A raw "line" read of a multi-line reply leaves the rest of the reply: out of step.
    expect(leftTag(await transport.send(Request.raw('get k', 'line'))())).toBe('ProtocolError')
    expect(leftTag(await transport.send(Request.version)())).toBe('ConnectionClosed')
  })

  it('answers a multi-get longer than a slice whole: a transport in memory takes every slice at once', async () => {
    const engine = makeEngine()
    const transport = memoryTransport({ engine })
    const keys = Array.from({ length: 2500 }, (_, index) => `key${index}`)
    for (const key of keys) engine.execute(Request.set(key, bytes(key)))
    const reply = await transport.send(Request.get([...keys, 'missing']))()
    expect(E.isRight(reply) && reply.right._tag === 'Values' && reply.right.items.map((item) => item.key)).toEqual(keys)
    expect(transport.isOpen()).toBe(true)
  })

  it('gives back the room of a data block that never comes when the connection ends', async () => {
    const engine = makeEngine()
    const transport = memoryTransport({ engine })
    // A raw line promising a block it does not send: no whole reply, so the connection ends.
    expect(leftTag(await transport.send(Request.raw('set k 0 0 100', 'line'))())).toBe('ProtocolError')
    expect(transport.isOpen()).toBe(false)
    expect(engine.memory().reserved).toBe(0)
  })

  it('counts the bytes it moves in the engine stats', async () => {
    const transport = memoryTransport()
    await transport.send(Request.set('k', bytes('v')))()
    await transport.send(Request.get(['k']))()
    expect(transport.engine.stat('bytes_read')).toBe('set k 0 0 1\r\nv\r\n'.length + 'get k\r\n'.length)
    expect(transport.engine.stat('bytes_written')).toBe('STORED\r\n'.length + 'VALUE k 0 1\r\nv\r\nEND\r\n'.length)
  })

  describe('request context', () => {
    it('answers Aborted for a signal that fired, and the engine never sees the request', async () => {
      const transport = memoryTransport()
      const controller = new AbortController()
      controller.abort(new Error('the page was closed'))
      const result = await transport.send(Request.set('k', bytes('v')), { signal: controller.signal })()
      expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'Aborted', request: 'set', reason: 'the page was closed' })))
      expect([transport.engine.stat('bytes_read'), transport.engine.stat('cmd_set')]).toEqual([0, 0])
      expect(transport.inFlight()).toBe(0)
    })

    it('answers Aborted for a signal that fires after the request was run, before its turn', async () => {
      const transport = memoryTransport()
      const controller = new AbortController()
      const running = transport.send(Request.get(['k']), { signal: controller.signal })()
      controller.abort()
      expect(leftTag(await running)).toBe('Aborted')
      expect(transport.engine.stat('cmd_get')).toBe(0)
    })

    it('answers Timeout, naming the node, for a deadline that has passed', async () => {
      const transport = memoryTransport({ node: 'mem-1' })
      const result = await transport.send(Request.get(['k']), { deadline: Date.now() - 1 })()
      expect(result).toEqual(E.left(expect.objectContaining({ _tag: 'Timeout', request: 'get', node: 'mem-1' })))
      expect(transport.engine.stat('cmd_get')).toBe(0)
    })

    it('answers as usual while the signal has not fired and the deadline is ahead; the connection stays open after an interruption', async () => {
      const transport = memoryTransport()
      const controller = new AbortController()
      const context = { signal: controller.signal, deadline: Date.now() + 60_000, retry: false }
      expect(await transport.send(Request.set('k', bytes('v')), context)()).toEqual(E.right(Reply.stored))
      expect(leftTag(await transport.send(Request.version, { deadline: 0 })())).toBe('Timeout')
      expect(await transport.send(Request.get(['k']), {})()).toEqual(E.right(Reply.values([{ key: 'k', flags: 0, value: bytes('v') }])))
      expect(transport.isOpen()).toBe(true)
    })

    it('reports a bad key before an interruption, and a closed connection before both', async () => {
      const transport = memoryTransport()
      const signal = AbortSignal.abort()
      expect(leftTag(await transport.send(Request.get(['has space']), { signal })())).toBe('InvalidKey')
      await transport.close()
      expect(leftTag(await transport.send(Request.get(['k']), { signal })())).toBe('ConnectionClosed')
    })
  })
})
