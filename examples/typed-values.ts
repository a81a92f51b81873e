/**
 * Typed values with io-ts: what comes back from the cache is checked, so a value written by an
 * older version of the app (or by another app) is a `Left` naming the field that does not fit,
 * not a wrongly typed object that fails somewhere later.
 *
 *   npx tsx examples/typed-values.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { commands, createClient } from 'fp-memcache'
import { codec, compressed, json } from 'fp-memcache/serde'
import { describeServers, useServers } from './support/servers.js'

/** A `Date` in the app, an ISO string in the cache. */
const DateFromISOString = new t.Type<Date, string, unknown>(
  'DateFromISOString',
  (value): value is Date => value instanceof Date,
  (value, context) => {
    if (typeof value !== 'string') return t.failure(value, context)
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? t.failure(value, context, 'not an ISO date') : t.success(date)
  },
  (date) => date.toISOString(),
)

const User = t.type(
  {
    id: t.number,
    name: t.string,
    roles: t.array(t.union([t.literal('admin'), t.literal('reader')])),
    since: DateFromISOString,
  },
  'User',
)
type User = t.TypeOf<typeof User>

const where = await useServers()
console.log(`typed values against ${describeServers(where)}`)
const client = createClient({ servers: where.servers, keyPrefix: 'typed:' })

// JSON, compressed above 1 KiB, checked by the io-ts type on the way back.
const users = commands(pipe(json, compressed({ threshold: 1024 }), codec(User)))
const ada: User = { id: 1, name: 'Ada', roles: ['admin'], since: new Date('2024-02-03T04:05:06Z') }

const stored = await pipe(
  users.set('user:1', ada)(client.transport),
  TE.chain(() => users.get('user:1')(client.transport)),
)()
if (E.isRight(stored) && O.isSome(stored.right)) {
  const user = stored.right.value
  console.log(`read back ${user.name}, a ${user.roles.join('/')} since ${user.since.getUTCFullYear()} (a real Date: ${user.since instanceof Date})`)
}

// An older deployment wrote `roles` as a string: reading it is a typed error, not a crash.
await commands(json).set('user:2', { id: 2, name: 'Bob', roles: 'reader', since: '2020-01-01T00:00:00Z' })(client.transport)()
const stale = await users.get('user:2')(client.transport)()
if (E.isLeft(stale)) console.log(`user:2 -> Left ${stale.left._tag}: ${stale.left.message}`)

await client.close()
await where.close()
