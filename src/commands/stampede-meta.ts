/**
 * The server operations of stampede protection (`StampedeOps`, see `stampede.ts`) as meta
 * commands over any `Transport`:
 *
 * | op           | request                                              | answers                                  |
 * | ------------ | ---------------------------------------------------- | ---------------------------------------- |
 * | `lookup`     | `mg <key> v c f N<lockTtl>` (+ `R<recacheBefore>` when > 0) | `VA` a value or a stub (0 bytes), with `W`/`X`/`Z`; `EN` no item |
 * | `store`      | `ms <key> <size> T<ttl> C<cas>` (+ `F<flags>` when not 0) | `HD` stored; `EX`/`NF`/`NS` conflict     |
 * | `invalidate` | `md <key> I` (+ `T<staleFor>` when given)            | `HD` marked stale; `NF` no item          |
 *
 * Each request is one keyed meta request, so a router places it by its key like any other, and a
 * key prefix below it applies. The lookup always asks for the cas (`c`): the winner's write-back
 * is guarded by it, and without it the write-back is skipped rather than made unguarded. It does
 * not ask for the TTL (`t`) or the key (`k`): nothing in the algorithm reads them.
 *
 * The requests carry the caller's `RequestContext` (signal, deadline, retry permission) down the
 * stack. A retry layer does not resend `mg … N`/`R` or `ms … C` on its own (they are not
 * idempotent: a second `mg N` could hand out a second win); `md … I` may be resent.
 *
 * `metaStampede(serde)(transport)` is the whole of it for typed values: what `createClient`'s
 * `getOrCompute` and `invalidate` are.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { MemcacheError } from '../error.js'
import { protocolError } from '../protocol/error.js'
import * as Meta from '../protocol/meta.js'
import type { Encoded, Serde } from '../serde/serde.js'
import type { Transport } from '../transport/transport.js'
import { commandIn } from './command.js'
import { makeStampede, realScheduler, viaSerde, type Lookup, type Scheduler, type Stampede, type StampedeOps, type StoreResult } from './stampede.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * `StampedeOps` over `transport`'s meta commands, for values as memcached stores them (bytes and
 * client flags). Compose with `viaSerde` for typed values (or use `metaStampede`).
 *
 * @example
 * import { makeStampede, viaSerde } from 'fp-memcache'
 * import { json } from 'fp-memcache/serde'
 * const pages = makeStampede(viaSerde(json)(metaStampedeOps(client.transport)))
 * await pages.getOrCompute('page:/', renderHome, { ttl: 300, lockTtl: 10, recacheBefore: 30 })()
 * @category constructors
 */
export const metaStampedeOps = (transport: Transport): StampedeOps<Encoded> => ({
  lookup: (key, { lockTtl, recacheBefore }, context) =>
    commandIn(
      Meta.metaGet(key, {
        returnValue: true,
        returnCas: true,
        returnFlags: true,
        vivify: lockTtl,
        ...(recacheBefore > 0 ? { recache: recacheBefore } : {}),
      }),
      { MetaReply: lookupOf },
      context,
    )(transport),
  store: (key, value, { ttl, cas }, context) =>
    commandIn(
      Meta.metaSet(key, value.bytes, { ttl, compareCas: cas, ...(value.flags === 0 ? {} : { clientFlags: value.flags }) }),
      { MetaReply: storeResultOf },
      context,
    )(transport),
  invalidate: (key, { staleFor }, context) =>
    commandIn(Meta.metaDelete(key, { invalidate: true, ...(staleFor === undefined ? {} : { ttl: staleFor }) }), { MetaReply: invalidatedOf }, context)(transport),
})

/**
 * Stampede protection for values of `serde` over `transport`'s meta commands: `getOrCompute`
 * and `invalidate` (see `makeStampede`). `scheduler` is the clock, sleep and randomness of the
 * waits (the real ones by default; tests inject their own).
 *
 * @example
 * import { json } from 'fp-memcache/serde'
 * const users = metaStampede(json)(client.transport)
 * const user = await users.getOrCompute('user:1', loadUser('1'), { ttl: 60, lockTtl: 5 })()
 * await users.invalidate('user:1', { staleFor: 30 })() // after the user changed in the database
 * @category constructors
 */
export const metaStampede =
  <A>(serde: Serde<A>, scheduler: Scheduler = realScheduler) =>
  (transport: Transport): Stampede<A> =>
    makeStampede(viaSerde(serde)(metaStampedeOps(transport)), scheduler)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const noItem: Lookup<Encoded> = { value: O.none, cas: undefined, win: false, stale: false, alreadyWon: false }

/**
 * What an `mg … v c f N R` answer tells: `VA` is an item (a stub when its value has 0 bytes),
 * `EN` no item (the stub could not be made).
 *
 * @example
 * lookupOf(Meta.metaReply('VA', { cas: 17n, win: true }, new Uint8Array(0))) // right({ value: none, cas: 17n, win: true, ... })
 * @category utils
 */
const lookupOf = (reply: Meta.MetaReply): E.Either<MemcacheError, Lookup<Encoded>> => {
  switch (reply.code) {
    case 'VA': {
      const bytes = reply.value ?? new Uint8Array(0)
      const { cas, clientFlags, win, stale, alreadyWon } = reply.returned
      return E.right({
        value: bytes.length === 0 ? O.none : O.some({ bytes, flags: clientFlags ?? 0 }),
        cas,
        win: win === true,
        stale: stale === true,
        alreadyWon: alreadyWon === true,
      })
    }
    case 'EN':
      return E.right(noItem)
    default:
      return E.left(protocolError(`mg answered ${reply.code} to a stampede lookup`))
  }
}

/**
 * What an `ms … C<cas>` answer tells: `HD` stored; `EX` (the cas moved: invalidated or replaced),
 * `NF` (the item is gone) and `NS` (not stored) all leave what the cache holds in place.
 *
 * @example
 * storeResultOf(Meta.metaReply('EX')) // right('conflict')
 * @category utils
 */
const storeResultOf = (reply: Meta.MetaReply): E.Either<MemcacheError, StoreResult> => {
  switch (reply.code) {
    case 'HD':
      return E.right('stored')
    case 'EX':
    case 'NF':
    case 'NS':
      return E.right('conflict')
    default:
      return E.left(protocolError(`ms answered ${reply.code} to a compare-and-swap write-back`))
  }
}

/**
 * What an `md … I` answer tells: `HD` marked stale, `NF` no item to mark.
 *
 * @example
 * invalidatedOf(Meta.metaReply('NF')) // right(false)
 * @category utils
 */
const invalidatedOf = (reply: Meta.MetaReply): E.Either<MemcacheError, boolean> => {
  switch (reply.code) {
    case 'HD':
      return E.right(true)
    case 'NF':
      return E.right(false)
    default:
      return E.left(protocolError(`md answered ${reply.code} to an invalidation`))
  }
}
