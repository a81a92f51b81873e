/**
 * A partitioned host, not a dead process: two network namespaces of this test's own joined by a
 * veth pair (addresses that exist only inside them), memcached in the server namespace, and the
 * client (`partition-client.ts`, a child process) in the client namespace with a second memcached
 * on that namespace's own loopback. The server's end of the link is taken down mid-load, so packets
 * vanish instead of being refused: the request and connect timeouts must fire as configured, the
 * node must be taken out (its keys served by the other node) and re-admitted when the link returns.
 *
 * Needs root and `ip` (Debian's iproute2, which `npm test`'s pretest installs as root). Where
 * namespaces cannot be made the test says why on stderr and asserts that the reason is one of
 * those — never a silent pass. Namespaces and servers are removed in `afterAll`, whatever happened.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runChild } from '../support/child.js'
import { scaled } from './support.js'

const id = process.pid % 1_000_000
const SERVER_NAMESPACE = `fpmc-srv-${id}`
const CLIENT_NAMESPACE = `fpmc-cli-${id}`
const SERVER_LINK = `fpv${id}s`
const CLIENT_LINK = `fpv${id}c`
const SERVER_ADDRESS = '10.213.0.2'
const CLIENT_ADDRESS = '10.213.0.1'
const PORT = 11211
const KEYS = scaled(40, 400)

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0
const hasMemcached = spawnSync('memcached', ['-h'], { stdio: 'ignore' }).status === 0

const ip = (...args: ReadonlyArray<string>): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

const servers: Array<ChildProcess> = []
let made = false

const removeNamespaces = (): void => {
  for (const namespace of [SERVER_NAMESPACE, CLIENT_NAMESPACE]) spawnSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' })
  made = false
}
// Also when the worker dies before afterAll (deleting a namespace takes its veth end with it).
process.once('exit', () => {
  for (const child of servers) child.kill('SIGKILL')
  if (made) removeNamespaces()
})

/** Why namespaces cannot be made here, or `undefined` when they can. */
const cannotPartition = (): string | undefined => {
  if (!isRoot) return 'not root: network namespaces need CAP_SYS_ADMIN'
  if (!hasIp) return '`ip` (iproute2) is not installed'
  if (!hasMemcached) return 'memcached is not installed'
  try {
    ip('netns', 'add', SERVER_NAMESPACE)
    made = true
    ip('netns', 'add', CLIENT_NAMESPACE)
    ip('link', 'add', CLIENT_LINK, 'netns', CLIENT_NAMESPACE, 'type', 'veth', 'peer', 'name', SERVER_LINK, 'netns', SERVER_NAMESPACE)
  } catch (error) {
    return `cannot make network namespaces here: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`
  }
  return undefined
}

const KNOWN_REASONS = [/^not root/, /^`ip`/, /^memcached is not/, /^cannot make network namespaces/]

/** Starts memcached inside `namespace` (`ip netns exec` execs it: the child is memcached). */
const memcachedIn = (namespace: string, host: string): void => {
  const child = spawn('ip', ['netns', 'exec', namespace, 'memcached', '-U', '0', '-t', '1', '-m', '16', '-u', 'root', '-l', host, '-p', String(PORT)], { stdio: 'ignore' })
  servers.push(child)
}

afterAll(async () => {
  for (const child of servers) child.kill('SIGKILL')
  await Promise.all(servers.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((done) => child.once('exit', done)))))
  if (made) removeNamespaces()
})

interface Facts {
  readonly keys: { readonly remote: number; readonly local: number }
  readonly healthy: number
  readonly heldGet: { readonly _tag: string; readonly after?: number } | string
  readonly freshConnect: { readonly _tag: string; readonly code?: string; readonly message?: string } | string
  readonly partitioned: ReadonlyArray<{ readonly remote: Record<string, number>; readonly local: Record<string, number>; readonly timeouts: ReadonlyArray<number> }>
  readonly partitionedClean: boolean
  readonly eventsPartitioned: ReadonlyArray<string>
  readonly healed: ReadonlyArray<{ readonly remote: Record<string, number>; readonly local: Record<string, number>; readonly timeouts: ReadonlyArray<number> }>
  readonly healedClean: boolean
  readonly eventsHealed: ReadonlyArray<string>
  readonly markerWritten: boolean
  readonly markerOnRemote: ReadonlyArray<string>
  readonly marker: string
  readonly hung: number
  readonly unhandled: ReadonlyArray<string>
}

describe('a partitioned host', () => {
  it('times out as configured, takes the node out, and re-admits it when the link returns', async () => {
    const reason = cannotPartition()
    if (reason !== undefined) {
      console.warn(`partition test not run: ${reason}`)
      expect(KNOWN_REASONS.some((known) => known.test(reason))).toBe(true)
      return
    }
    for (const [namespace, link, address] of [
      [SERVER_NAMESPACE, SERVER_LINK, SERVER_ADDRESS],
      [CLIENT_NAMESPACE, CLIENT_LINK, CLIENT_ADDRESS],
    ] as const) {
      ip('-n', namespace, 'link', 'set', 'lo', 'up')
      ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', link)
      ip('-n', namespace, 'link', 'set', link, 'up')
    }
    // A permanent neighbour entry: with the link down the client's packets are sent and vanish,
    // instead of ARP failing (EHOSTUNREACH) — the partition looks like a silent network.
    const serverMac = (JSON.parse(ip('-j', '-n', SERVER_NAMESPACE, 'link', 'show', SERVER_LINK)) as ReadonlyArray<{ readonly address: string }>)[0]?.address ?? ''
    ip('-n', CLIENT_NAMESPACE, 'neigh', 'replace', SERVER_ADDRESS, 'lladdr', serverMac, 'dev', CLIENT_LINK, 'nud', 'permanent')
    memcachedIn(SERVER_NAMESPACE, SERVER_ADDRESS)
    memcachedIn(CLIENT_NAMESPACE, '127.0.0.1')

    const outcome = await runChild('ip', ['netns', 'exec', CLIENT_NAMESPACE, resolve('node_modules/.bin/tsx'), resolve('test/fault/partition-client.ts')], {
      guardMs: 18_000, env: {
      PARTITION_LOCAL: `127.0.0.1:${PORT}`,
      PARTITION_REMOTE: `${SERVER_ADDRESS}:${PORT}`,
      PARTITION_SERVER_NAMESPACE: SERVER_NAMESPACE,
      PARTITION_SERVER_LINK: SERVER_LINK,
      PARTITION_KEYS: String(KEYS),
    } })
    expect(outcome.stderr).toBe('')
    expect(outcome.exited).toBe(true)
    expect(outcome.code).toBe(0)
    const facts = JSON.parse(outcome.stdout.trim().split('\n').pop() ?? '{}') as Facts
    console.log(`partition: ${JSON.stringify(facts)}`)

    expect(facts.keys).toEqual({ remote: KEYS, local: KEYS })
    expect(facts.healthy).toBe(0)
    // Packets vanish: the request on an open connection times out after the configured 300 ms,
    // and a new connection times out after the configured 400 ms — no refusal, no reset.
    expect(facts.heldGet).toEqual(expect.objectContaining({ _tag: 'Timeout', after: 300 }))
    expect(facts.freshConnect).toEqual(expect.objectContaining({ _tag: 'ConnectError', code: 'ETIMEDOUT', message: expect.stringContaining('400 ms') }))
    // While partitioned and after, the local node's keys never failed; the remote's failed only
    // with node errors. A request's `Timeout` reports the part of its 300 ms budget it spent
    // waiting for a reply (less when it first waited for a connection): never more.
    for (const round of [...facts.partitioned, ...facts.healed]) {
      expect(round.local).toEqual({})
      for (const tag of Object.keys(round.remote)) expect(['Timeout', 'ConnectError', 'ConnectionClosed', 'NoServers']).toContain(tag)
    }
    for (const round of facts.partitioned) for (const after of round.timeouts) expect(after).toBeLessThanOrEqual(300)
    expect(facts.partitioned.some((round) => (round.remote['Timeout'] ?? 0) > 0)).toBe(true)
    // Taken out: it was declared dead and its keys were then served by the local node.
    expect(facts.eventsPartitioned).toContain('Dead')
    expect(facts.partitionedClean).toBe(true)
    // Re-admitted when the link returned, and its keys land on it again.
    expect(facts.eventsHealed.some((event) => event === 'Readmitted:remote' || event === 'Up:remote')).toBe(true)
    expect(facts.healedClean).toBe(true)
    expect(facts.markerWritten).toBe(true)
    expect(facts.markerOnRemote).toEqual([facts.marker])
    expect(facts.hung).toBe(0)
    expect(facts.unhandled).toEqual([])
  })
})
