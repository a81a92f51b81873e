/**
 * One fp-memcache client on one workload, long enough to profile, against a memcached started for
 * the run. Used to find where `npm run bench`'s time goes:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts client get 200000
 *
 * Arguments: the stack (`client` = `createClient` (batching on, its default), `unbatched` = `createClient` with `batching: false`, `connection` = one `connect`ed connection,
 * `transport` = the client's reconnecting transport without the command layer, `raw` = bench/raw.ts, the floor), the workload (`get`, `get-seq`, `get-4k`, `get-miss`,
 * `set`, `set-1k`) and the number of operations. Prints ops/s and the process's CPU µs per op (and its user part: the
 * kernel's share, mostly the socket writes, is the noisiest); every result is checked. `IN_FLIGHT=N`
 * sets how many operations are in flight (default 64; `get-seq` is 1); for the `client` stack,
 * `MAX_KEYS=N` and `EAGER=0|1` set batching's `maxKeys` and `eager`.
 *
 * Under `tsx` every named closure of the library also pays esbuild's `__name` (see `compile.ts`):
 * compare stacks with each other, or profile the JavaScript `compileForBench` emits.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { performance } from 'node:perf_hooks'
import { createClient } from '../src/client.js'
import type { MemcacheError } from '../src/error.js'
import type { Reply } from '../src/protocol/reply.js'
import * as Request from '../src/protocol/request.js'
import { bytes } from '../src/serde/bytes.js'
import { connect } from '../src/transport/connection.js'
import { reconnecting } from '../src/transport/reconnecting.js'
import { startMemcached } from '../test/support/memcached.js'
import { rawSocketClient } from './raw.js'

type Stack = 'client' | 'unbatched' | 'connection' | 'transport' | 'raw'

interface Ops {
  readonly get: (key: string) => Promise<O.Option<Uint8Array>>
  readonly set: (key: string, value: Uint8Array) => Promise<boolean>
  readonly close: () => Promise<void>
}

const orThrow = <A>(result: E.Either<MemcacheError, A>): A => {
  if (E.isLeft(result)) throw new Error(`${result.left._tag}: ${result.left.message}`)
  return result.right
}

const fromReply = (key: string, reply: Reply): O.Option<Uint8Array> => {
  if (reply._tag !== 'Values') throw new Error(`unexpected ${reply._tag}`)
  const item = reply.items[0]
  return item === undefined || item.key !== key ? O.none : O.some(item.value)
}

const open = async (stack: Stack, server: string): Promise<Ops> => {
  switch (stack) {
    case 'client':
    case 'unbatched': {
      const client = createClient({ servers: server, serde: bytes, ...(stack === 'unbatched' ? { batching: false } : process.env['MAX_KEYS'] !== undefined || process.env['EAGER'] !== undefined ? { batching: { ...(process.env['MAX_KEYS'] === undefined ? {} : { maxKeys: Number(process.env['MAX_KEYS']) }), ...(process.env['EAGER'] === undefined ? {} : { eager: process.env['EAGER'] === '1' }) } } : {}) })
      return {
        get: (key) => client.get(key)().then(orThrow),
        set: (key, value) => client.set(key, value)().then(orThrow),
        close: client.close,
      }
    }
    case 'connection': {
      const connection = orThrow(await connect({ server })())
      return {
        get: (key) => connection.send(Request.get([key]))().then((result) => fromReply(key, orThrow(result))),
        set: (key, value) => connection.send(Request.set(key, value))().then((result) => orThrow(result)._tag === 'Stored'),
        close: connection.close,
      }
    }
    case 'transport': {
      const transport = reconnecting({ server })
      return {
        get: (key) => transport.send(Request.get([key]))().then((result) => fromReply(key, orThrow(result))),
        set: (key, value) => transport.send(Request.set(key, value))().then((result) => orThrow(result)._tag === 'Stored'),
        close: transport.close,
      }
    }
    case 'raw': {
      const raw = await rawSocketClient(server)
      return {
        get: (key) => raw.get(key).then((found) => O.fromNullable(found.get(key))),
        set: (key, value) => raw.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
        close: raw.close,
      }
    }
  }
}

const main = async (): Promise<void> => {
  const [stackArg = 'client', workload = 'get', opsArg = '100000'] = process.argv.slice(2)
  const stack = stackArg as Stack
  const ops = Number(opsArg)
  const size = workload === 'get-4k' ? 4096 : workload === 'set-1k' ? 1024 : 100
  const concurrency = workload === 'get-seq' ? 1 : Number(process.env['IN_FLIGHT'] ?? 64)
  const mc = await startMemcached({ memoryMb: 128 })
  const client = await open(stack, mc.server)
  try {
    const keys = Array.from({ length: 1000 }, (_, i) => `p:${i}`)
    const value = new Uint8Array(size).fill(97)
    for (const key of keys) if (!(await client.set(key, value))) throw new Error(`not stored: ${key}`)
    const op = (i: number): Promise<unknown> => {
      const key = keys[i % keys.length] as string
      if (workload === 'set' || workload === 'set-1k') return client.set(key, value)
      if (workload === 'get-miss') return client.get(`missing:${i % 1000}`).then((found) => (O.isSome(found) ? Promise.reject(new Error('hit')) : found))
      return client.get(key).then((found) => (O.isSome(found) && found.value.length === size ? found : Promise.reject(new Error(`bad ${key}`))))
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ops) await op(next++)
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    next = 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrency }, worker))
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    const cpuUsPerOp = (used.user + used.system) / ops
    console.log(`${stack} ${workload}: ${Math.round(ops / seconds).toLocaleString('en-US')} ops/s, ${cpuUsPerOp.toFixed(2)} µs CPU/op, ${(used.user / ops).toFixed(2)} µs of it user (${ops} ops, ${concurrency} in flight)`)
  } finally {
    await client.close()
    await mc.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
