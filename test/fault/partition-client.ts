/**
 * The client side of `partition.test.ts`, run inside the test's client network namespace
 * (`ip netns exec`): a client over two nodes, one local (loopback of this namespace) and one
 * across a veth pair in the server's namespace. It takes the server's end of the link down
 * mid-load (packets vanish: no refusal, no reset), checks that request and connect timeouts fire
 * as configured, that the remote node is taken out and its keys served by the local one, brings
 * the link back, and checks that the node is re-admitted. Prints one JSON line of facts; the test
 * asserts on them.
 *
 * The router's clock is injected: `retryTimeout` and `deadTimeout` pass by moving it, not by
 * sleeping. Only the timeouts of packets that never arrive take real time.
 */
import { execFileSync } from 'node:child_process'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { createClient } from '../../src/client.js'
import type { MemcacheError } from '../../src/error.js'
import * as Request from '../../src/protocol/request.js'
import type { HealthEvent } from '../../src/routing/health.js'
import { ownerOf } from '../../src/routing/rendezvous.js'
import { connect } from '../../src/transport/connection.js'
import { count, watched, type Watched } from './support.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const LOCAL = env('PARTITION_LOCAL')
const REMOTE = env('PARTITION_REMOTE')
const SERVER_NAMESPACE = env('PARTITION_SERVER_NAMESPACE')
const SERVER_LINK = env('PARTITION_SERVER_LINK')
const KEYS = Number(env('PARTITION_KEYS'))
const TIMEOUT = 300
const CONNECT_TIMEOUT = 400
const RETRY_TIMEOUT = 100
const DEAD_TIMEOUT = 5000
const PATIENCE = TIMEOUT + CONNECT_TIMEOUT + 5000
const MAX_ROUNDS = 20

const unhandled: Array<string> = []
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const link = (state: 'up' | 'down') => execFileSync('ip', ['-n', SERVER_NAMESPACE, 'link', 'set', SERVER_LINK, state])

/** Waits until `server` answers `version` (the servers were just started). */
const ready = async (server: string): Promise<boolean> => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const opened = await connect({ server, connectTimeout: 500, timeout: 500 })()
    if (E.isRight(opened)) {
      const answer = await opened.right.send(Request.version)()
      await opened.right.close()
      if (E.isRight(answer)) return true
    }
    await sleep(50)
  }
  return false
}

const main = async () => {
  if (!(await ready(LOCAL)) || !(await ready(REMOTE))) throw new Error('servers did not answer')
  let offset = 0
  const events: Array<HealthEvent> = []
  const client = createClient({
    servers: [LOCAL, REMOTE],
    timeout: TIMEOUT,
    connectTimeout: CONNECT_TIMEOUT,
    routing: { retryAttempts: 1, retryTimeout: RETRY_TIMEOUT, deadTimeout: DEAD_TIMEOUT, now: () => Date.now() + offset, onHealth: (event) => events.push(event) },
  })
  const owner = ownerOf([LOCAL, REMOTE])
  const all = Array.from({ length: KEYS * 8 }, (_, i) => `p:${i}`)
  const remoteKeys = all.filter((key) => O.toUndefined(owner(key)) === REMOTE).slice(0, KEYS)
  const localKeys = all.filter((key) => O.toUndefined(owner(key)) === LOCAL).slice(0, KEYS)
  let hung = 0
  let version = 0

  /** One round: set then get every key, concurrently; error tags counted per side. */
  const round = async () => {
    version++
    const errors = { remote: {} as Record<string, number>, local: {} as Record<string, number> }
    const timeouts: Array<number> = []
    const one = async (key: string, side: 'remote' | 'local') => {
      const value = `${key}=${version}`
      const settled = <A>(result: Watched<E.Either<MemcacheError, A>>): O.Option<A> => {
        if (result._tag === 'Hung') hung++
        else if (result._tag === 'Rejected') count(errors[side], 'rejected')
        else if (E.isLeft(result.value)) {
          count(errors[side], result.value.left._tag)
          if (result.value.left._tag === 'Timeout') timeouts.push(result.value.left.after)
        } else return O.some(result.value.right)
        return O.none
      }
      settled(await watched(client.set(key, value), PATIENCE))
      const got = O.flatten(settled(await watched(client.get(key), PATIENCE)))
      // A write may have been lost: an older round's value is fine, another key's or a future one is not.
      if (O.isSome(got) && !(got.value.startsWith(`${key}=`) && Number(got.value.slice(key.length + 1)) <= version)) count(errors[side], 'wrong')
    }
    await Promise.all([...remoteKeys.map((key) => one(key, 'remote')), ...localKeys.map((key) => one(key, 'local'))])
    const failures = Object.values(errors.remote).reduce((a, b) => a + b, 0) + Object.values(errors.local).reduce((a, b) => a + b, 0)
    return { errors, failures, timeouts }
  }

  const healthy = await round()

  // A connection opened before the partition: its request must time out as configured.
  const held = await connect({ server: REMOTE, timeout: TIMEOUT, connectTimeout: CONNECT_TIMEOUT })()
  if (E.isLeft(held)) throw new Error(`held connection: ${held.left.message}`)

  link('down')
  const eventsBefore = events.length
  const heldGet = await held.right.send(Request.get(['p:held']))()
  const freshConnect = await connect({ server: REMOTE, timeout: TIMEOUT, connectTimeout: CONNECT_TIMEOUT })()
  await held.right.close()
  if (E.isRight(freshConnect)) await freshConnect.right.close()

  // Rounds while partitioned, the clock moved past retryTimeout each time, until one is clean.
  const partitioned = []
  for (let n = 0; n < MAX_ROUNDS; n++) {
    const result = await round()
    partitioned.push(result)
    if (result.failures === 0 && events.some((event) => event.node === REMOTE && event._tag === 'Dead')) break
    offset += RETRY_TIMEOUT + 1
  }
  const eventsPartitioned = events.slice(eventsBefore).map((event) => event._tag)

  link('up')
  offset += DEAD_TIMEOUT + 1
  const eventsHealed = events.length
  const healed = []
  for (let n = 0; n < MAX_ROUNDS; n++) {
    const result = await round()
    healed.push(result)
    if (result.failures === 0) break
    offset += RETRY_TIMEOUT + 1
  }
  // Re-admitted: a remote key written through the client now lands on the remote server itself.
  const marker = `back=${version}`
  const markerKey = remoteKeys[0] ?? 'p:0'
  const wrote = await client.set(markerKey, marker)()
  const direct = await connect({ server: REMOTE, timeout: 1000, connectTimeout: 1000 })()
  const onRemote = E.isRight(direct) ? await direct.right.send(Request.get([markerKey]))() : direct
  if (E.isRight(direct)) await direct.right.close()
  await client.close()

  const summary = (rounds: ReadonlyArray<Awaited<ReturnType<typeof round>>>) => rounds.map((r) => ({ remote: r.errors.remote, local: r.errors.local, timeouts: [...new Set(r.timeouts)] }))
  console.log(
    JSON.stringify({
      keys: { remote: remoteKeys.length, local: localKeys.length },
      healthy: healthy.failures,
      heldGet: E.isLeft(heldGet) ? heldGet.left : 'answered',
      freshConnect: E.isLeft(freshConnect) ? freshConnect.left : 'connected',
      partitioned: summary(partitioned),
      partitionedClean: partitioned[partitioned.length - 1]?.failures === 0,
      eventsPartitioned,
      healed: summary(healed),
      healedClean: healed[healed.length - 1]?.failures === 0,
      eventsHealed: events.slice(eventsHealed).map((event) => `${event._tag}:${event.node === REMOTE ? 'remote' : 'local'}`),
      markerWritten: E.isRight(wrote),
      markerOnRemote: E.isRight(onRemote) && onRemote.right._tag === 'Values' ? onRemote.right.items.map((item) => new TextDecoder().decode(item.value)) : [],
      marker,
      hung,
      unhandled,
    }),
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
