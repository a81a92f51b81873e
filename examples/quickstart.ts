/**
 * Quickstart: a ready client, a few commands, errors as values.
 *
 *   npm start                                  # an embedded server of our own
 *   MEMCACHED_SERVERS=127.0.0.1:11211 npm start   # your memcached
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { createClient } from 'fp-memcache'
import { describeServers, useServers } from './support/servers.js'

const where = await useServers()
console.log(`fp-memcache quickstart against ${describeServers(where)}`)

// Values are UTF-8 strings by default (pass `serde` for JSON, numbers, compression...).
const client = createClient({ servers: where.servers, keyPrefix: 'quickstart:' })
const show = (label: string) => <A>(value: A) => TE.fromIO<void, never>(() => console.log(`${label.padEnd(34)} ->`, value))

const program = pipe(
  client.set('greeting', 'hello, memcached', { exptime: 60 }),
  TE.tap(show('set greeting')),
  TE.chain(() => client.get('greeting')),
  TE.tap((greeting) => show('get greeting')(O.getOrElse(() => '(miss)')(greeting))),
  TE.chain(() => client.add('greeting', 'not stored: the key exists')),
  TE.tap(show('add greeting (exists)')),
  TE.chain(() => client.set('visits', '0')),
  TE.chain(() => client.incr('visits', 41)),
  TE.chain(() => client.incr('visits', 1)),
  TE.tap((visits) => show('incr visits twice')(O.getOrElse(() => -1n)(visits))),
  TE.chain(() => client.getMany(['greeting', 'visits', 'missing'])),
  TE.tap((found) => show('getMany (misses are absent)')(Object.fromEntries(found))),
  TE.chain(() => client.delete('greeting')),
  TE.tap(show('delete greeting')),
  TE.chain(() => client.get('a key with spaces')),
)

// The last step is refused before anything is sent: errors are values with a tag.
const result = await program()
if (E.isLeft(result)) console.log(`${'get "a key with spaces"'.padEnd(34)} -> Left ${result.left._tag}: ${result.left.message}`)

await client.close()
await where.close()
