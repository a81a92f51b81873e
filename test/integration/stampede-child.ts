/**
 * One process of the cross-process stampede proof (`stampede.test.ts`): STAMPEDE_CALLERS
 * concurrent `getOrCompute` calls on STAMPEDE_KEY against STAMPEDE_SERVER (a real memcached).
 *
 * Each caller that finds the lock taken (`Z`) adds 1 to the counter `<key>:waiting` on the server,
 * once; a winner's compute holds until that counter says every other caller of every process
 * (STAMPEDE_TOTAL − 1) is waiting, so the callers of all the processes overlap while it computes
 * (it gives up holding after STAMPEDE_HOLD_MS, and the parent's count then fails). Prints one JSON
 * line: how many times compute ran here, the values served, the outcomes, the waiters seen here.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { createClient } from '../../src/client.js'
import type { Outcome } from '../../src/commands/stampede.js'
import { lockWatch } from '../support/lock-watch.js'

const server = process.env['STAMPEDE_SERVER'] ?? ''
const key = process.env['STAMPEDE_KEY'] ?? ''
const callers = Number(process.env['STAMPEDE_CALLERS'] ?? '50')
const total = Number(process.env['STAMPEDE_TOTAL'] ?? '200')
const holdMs = Number(process.env['STAMPEDE_HOLD_MS'] ?? '60000')
const waitingKey = `${key}:waiting`

const watch = lockWatch()
const client = createClient({ servers: server, middleware: [watch.middleware], timeout: 5_000 })
const increments: Array<Promise<unknown>> = []
watch.onFirstWait(() => increments.push(client.incr(waitingKey, 1)()))

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

let computes = 0
const compute: TE.TaskEither<never, string> = async () => {
  computes++
  const started = Date.now()
  for (;;) {
    await Promise.all(increments)
    const waiting = await client.get(waitingKey)()
    if (E.isRight(waiting) && O.isSome(waiting.right) && Number(waiting.right.value) >= total - 1) break
    if (Date.now() - started > holdMs) break
    await pause(20)
  }
  return E.right(`computed by process ${process.pid}`)
}

const outcomes: Record<string, number> = {}
const onOutcome = (outcome: Outcome): void => {
  outcomes[outcome._tag] = (outcomes[outcome._tag] ?? 0) + 1
}
const results = await Promise.all(
  Array.from({ length: callers }, () => client.getOrCompute(key, compute, { ttl: 300, lockTtl: 90, signal: new AbortController().signal, onOutcome })()),
)
await Promise.all(increments)
const values: Record<string, number> = {}
for (const result of results) {
  const shown = E.isRight(result) ? result.right : `Left ${result.left._tag}: ${result.left.message}`
  values[shown] = (values[shown] ?? 0) + 1
}
console.log(JSON.stringify({ computes, values, outcomes, waiters: watch.waiters(), flags: watch.flags }))
await client.close()
