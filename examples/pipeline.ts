/**
 * A composed client: per server a pool of pipelining connections, observed per node; a rendezvous
 * router over three servers (keys placed as pymemcache's HashClient places them); retries with
 * exponential backoff and full jitter outside the router; a deadline over all attempts; and one
 * observer outermost feeding a latency histogram per command.
 *
 *   npx tsx examples/pipeline.ts                  # three embedded servers
 *   MEMCACHED_SERVERS=a:11211,b:11211,c:11211 npx tsx examples/pipeline.ts
 *
 * Order, inside out, and why:
 *   pooled ∘ withObserve(node)  each attempt, with the node that served it
 *   rendezvous                  splits multi-key gets by node, marks dead nodes
 *   withRetry                   outside the router: a retry may reach a re-admitted node
 *   withTimeout                 outside retry: one deadline for every attempt together
 *   withObserve                 outermost: what the caller saw, retries included
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { commands } from 'fp-memcache'
import { makePooled } from 'fp-memcache/pool'
import { rendezvousRouter } from 'fp-memcache/routing'
import { json } from 'fp-memcache/serde'
import { RetryPolicy, withObserve, withRetry, withTimeout, type RequestEvent } from 'fp-memcache/middleware'
import { connect } from 'fp-memcache/transport'
import { describeServers, useServers } from './support/servers.js'

const where = await useServers(3)
console.log(`pipeline over ${describeServers(where)}`)

// Metrics: a histogram of microseconds per command (what an OpenTelemetry histogram would get,
// with `event.attributes` as its attributes), and a count of requests per node.
const histograms = new Map<string, RecordableHistogram>()
const recordLatency = (event: RequestEvent) => {
  const histogram = histograms.get(event.command) ?? createHistogram()
  histograms.set(event.command, histogram)
  histogram.record(Math.max(1, Math.round(event.durationMs * 1000)))
}
const perNode = new Map<string, number>()
const countNode = (event: RequestEvent) => perNode.set(event.node ?? '?', (perNode.get(event.node ?? '?') ?? 0) + 1)

const cluster = pipe(
  rendezvousRouter(
    where.servers.map((server) => ({
      name: server,
      transport: pipe(makePooled(connect({ server, timeout: 500 }), { maxSize: 2 }), withObserve({ onRequest: countNode }, { node: server })),
    })),
    { retryAttempts: 2, retryTimeout: 1000, deadTimeout: 30_000, onHealth: (event) => console.warn(`node ${event.node}: ${event._tag}`) },
  ),
  withRetry({
    policy: pipe(RetryPolicy.exponentialBackoff(5), RetryPolicy.fullJitter(), RetryPolicy.capDelay(100), RetryPolicy.concat(RetryPolicy.limitRetries(3))),
    onRetry: (error, status, delay) => console.warn(`retry #${status.iteration + 1} in ${delay} ms after ${error._tag}`),
  }),
  withTimeout(2000),
  withObserve({ onRequest: recordLatency }),
)

const users = commands(json)
const ids = Array.from({ length: 300 }, (_, index) => `user:${index}`)

const failed = await users.setMany(ids.map((id, index) => [id, { id, name: `user ${index}`, score: index * 7 }] as const))(cluster)()
const found = await users.getMany(ids)(cluster)()

if (E.isRight(failed) && E.isRight(found)) {
  console.log(`stored ${ids.length - failed.right.length} users, read back ${found.right.size}`)
  console.log('requests per node:', Object.fromEntries(perNode))
  for (const [command, histogram] of histograms) {
    console.log(
      `${command.padEnd(4)} n=${String(histogram.count).padStart(4)}  p50=${histogram.percentile(50)} µs  p99=${histogram.percentile(99)} µs`,
    )
  }
} else {
  console.error('failed:', E.isLeft(failed) ? failed.left : E.isLeft(found) ? found.left : '')
  process.exitCode = 1
}

await cluster.close()
await where.close()
