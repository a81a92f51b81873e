/**
 * Reading commands: `get`, `gets`, `gat`, `gats` and their many-key forms.
 *
 * Single-key forms yield an `Option`; many-key forms a `ReadonlyMap` of the keys found, in the
 * caller's order (first occurrence when a key is repeated; each key is asked once), misses absent.
 * An empty key list answers an empty map without any I/O. `gat`/`gats` lines are limited by
 * memcached to 2048 bytes, so a long key list is split over several requests and merged back.
 *
 * Values go through a `Serde<A>`; a value that does not deserialize fails the whole command with
 * the serde's `SerdeError`. The stand-alone exports use `Encoded` values (bytes and flags as
 * stored); `commands(serde)` gives the same functions for any `Serde<A>`.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { protocolError } from '../protocol/error.js'
import { type MemcacheError } from '../error.js'
import { MAX_GAT_LINE } from '../protocol/encode.js'
import { byteLength } from '../protocol/key.js'
import { collectByKey, type Item } from '../protocol/reply.js'
import * as Request from '../protocol/request.js'
import type { Encoded, Serde } from '../serde/serde.js'
import { distinct, encodedSerde, succeed, unexpectedReply, type Command } from './command.js'
import { toContext, type CallOptions, type RequestContext } from '../transport/context.js'
import type { Transport } from '../transport/transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A value with its cas unique, as `gets`/`gats` return it; pass `cas` to the `cas` command.
 * @category model
 */
export interface Versioned<A> {
  readonly value: A
  readonly cas: bigint
}

/** The reading commands over values of type `A`. @category model */
export interface Retrieval<A> {
  readonly get: (key: string, options?: CallOptions) => Command<O.Option<A>>
  readonly getMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, A>>
  readonly gets: (key: string, options?: CallOptions) => Command<O.Option<Versioned<A>>>
  readonly getsMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<A>>>
  readonly gat: (key: string, exptime: number, options?: CallOptions) => Command<O.Option<A>>
  readonly gatMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, A>>
  readonly gats: (key: string, exptime: number, options?: CallOptions) => Command<O.Option<Versioned<A>>>
  readonly gatsMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<A>>>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** What a command makes of the items it fetched. */
type OnItems<B> = (items: ReadonlyArray<Item>) => E.Either<MemcacheError, B>

/**
 * Fetches the items of one retrieval request under `context` on `transport` and hands them to
 * `onItems` in the same step: the reply is interpreted once, with no promise of its own between
 * the items and the command's result, and no closure per step (a get is mostly such steps when
 * batched).
 */
type Fetch = <B>(keys: ReadonlyArray<string>, context: RequestContext, onItems: OnItems<B>, transport: Transport) => Promise<E.Either<MemcacheError, B>>

const fetchItems = <B>(request: Request.Retrieval, context: RequestContext, onItems: OnItems<B>, transport: Transport): Promise<E.Either<MemcacheError, B>> =>
  transport
    .send(request, context)()
    .then((result) => (E.isLeft(result) ? result : result.right._tag === 'Values' ? onItems(result.right.items) : result.right._tag === 'Failure' ? E.left(result.right.error) : E.left(unexpectedReply(request, result.right))))

/**
 * Splits keys so that each `<command> <exptime> <keys...>\r\n` line stays within `MAX_GAT_LINE`
 * bytes. A key too long to fit alone is left in a group of its own for the encoder to refuse.
 *
 * @example
 * splitGatKeys('gat', 0, keys) // [[...], [...]]
 * @category utils
 */
export const splitGatKeys = (name: string, exptime: number, keys: ReadonlyArray<string>): ReadonlyArray<ReadonlyArray<string>> => {
  const header = `${name} ${String(exptime)}`.length + 2 // + "\r\n"
  const groups: Array<Array<string>> = []
  let current: Array<string> = []
  let length = header
  for (const key of keys) {
    const added = 1 + byteLength(key)
    if (current.length > 0 && length + added > MAX_GAT_LINE) {
      groups.push(current)
      current = []
      length = header
    }
    current.push(key)
    length += added
  }
  if (current.length > 0) groups.push(current)
  return groups
}

const fetchGatItems =
  (tag: 'Gat' | 'Gats', exptime: number): Fetch =>
  (keys, context, onItems, transport) => {
    const groups = splitGatKeys(tag.toLowerCase(), exptime, keys)
    const request = (group: ReadonlyArray<string>): Request.Retrieval => (tag === 'Gat' ? Request.gat(exptime, group) : Request.gats(exptime, group))
    const only = groups[0]
    if (groups.length === 1 && only !== undefined) return fetchItems(request(only), context, onItems, transport)
    return pipe(
      groups,
      TE.traverseArray((group) => () => fetchItems(request(group), context, E.right, transport)),
      TE.chainEitherK((parts) => onItems(parts.flat())),
    )()
  }

const decodeItem =
  <A>(serde: Serde<A>) =>
  (item: Item): E.Either<MemcacheError, A> =>
    serde.deserialize({ bytes: item.value, flags: item.flags })

const decodeVersioned =
  <A>(decodeValue: (item: Item) => E.Either<MemcacheError, A>) =>
  (item: Item): E.Either<MemcacheError, Versioned<A>> => {
    const cas = item.cas
    return cas === undefined
      ? E.left(protocolError(`reply for ${JSON.stringify(item.key)} carries no cas unique`))
      : pipe(
          decodeValue(item),
          E.map((value): Versioned<A> => ({ value, cas })),
        )
  }

/** The map of found keys in the caller's order (`keys` are distinct), each value decoded. */
const toMap =
  <B>(keys: ReadonlyArray<string>, decodeOne: (item: Item) => E.Either<MemcacheError, B>) =>
  (items: ReadonlyArray<Item>): E.Either<MemcacheError, ReadonlyMap<string, B>> => {
    const found = collectByKey(items)
    const result = new Map<string, B>()
    for (const key of keys) {
      const item = found.get(key)
      if (item === undefined) continue
      const decoded = decodeOne(item)
      if (E.isLeft(decoded)) return decoded
      result.set(key, decoded.right)
    }
    return E.right(result)
  }

const toOption =
  <B>(key: string, decodeOne: (item: Item) => E.Either<MemcacheError, B>) =>
  (items: ReadonlyArray<Item>): E.Either<MemcacheError, O.Option<B>> => {
    // The decoder has checked that a reply names only the keys asked for: one key, one item at most.
    const item = items[0]
    if (item === undefined) return E.right(O.none)
    if (item.key !== key || items.length > 1) return E.left(protocolError(`reply to a get of ${JSON.stringify(key)} names other keys`))
    const decoded = decodeOne(item)
    return E.isLeft(decoded) ? decoded : E.right(O.some(decoded.right))
  }

const many =
  <B>(fetch: Fetch, decodeOne: (item: Item) => E.Either<MemcacheError, B>) =>
  (keys: ReadonlyArray<string>, options?: CallOptions): Command<ReadonlyMap<string, B>> => {
    if (keys.length === 0) return succeed(new Map<string, B>())
    const unique = distinct(keys)
    return (transport) => () => fetch(unique, toContext(options), toMap(unique, decodeOne), transport)
  }

const single =
  <B>(fetch: Fetch, decodeOne: (item: Item) => E.Either<MemcacheError, B>) =>
  (key: string, options?: CallOptions): Command<O.Option<B>> =>
  (transport) =>
  () =>
    fetch([key], toContext(options), toOption(key, decodeOne), transport)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The reading commands for values read through `serde`.
 *
 * @example
 * import { json } from '../serde/index.js'
 * const { get, getMany } = retrieval(json)
 * const user = await get('user:1')(transport)() // right(some({...}))
 * @category constructors
 */
export const retrieval = <A>(serde: Serde<A>): Retrieval<A> => {
  const plain = decodeItem(serde)
  const versioned = decodeVersioned(plain)
  const fetchGet: Fetch = (keys, context, onItems, transport) => fetchItems(Request.get(keys), context, onItems, transport)
  const fetchGets: Fetch = (keys, context, onItems, transport) => fetchItems(Request.gets(keys), context, onItems, transport)
  return {
    get: single(fetchGet, plain),
    getMany: many(fetchGet, plain),
    gets: single(fetchGets, versioned),
    getsMany: many(fetchGets, versioned),
    gat: (key, exptime, options) => single(fetchGatItems('Gat', exptime), plain)(key, options),
    gatMany: (keys, exptime, options) => many(fetchGatItems('Gat', exptime), plain)(keys, options),
    gats: (key, exptime, options) => single(fetchGatItems('Gats', exptime), versioned)(key, options),
    gatsMany: (keys, exptime, options) => many(fetchGatItems('Gats', exptime), versioned)(keys, options),
  }
}

const encoded = retrieval(encodedSerde)

/**
 * `get <key>`: the value, or `none` on a miss.
 *
 * @example
 * const hit = await get('greeting')(transport)() // right(some({ bytes, flags }))
 * @category constructors
 */
export const get: (key: string, options?: CallOptions) => Command<O.Option<Encoded>> = encoded.get

/**
 * `get <keys...>`: the keys found, in the order given; misses are absent. No I/O for `[]`.
 *
 * @example
 * const found = await getMany(['a', 'b', 'a'])(transport)() // right(Map { 'a' => ..., 'b' => ... })
 * @category constructors
 */
export const getMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, Encoded>> = encoded.getMany

/**
 * `gets <key>`: the value with its cas unique.
 *
 * @example
 * const current = await gets('counter')(transport)() // right(some({ value, cas: 12n }))
 * @category constructors
 */
export const gets: (key: string, options?: CallOptions) => Command<O.Option<Versioned<Encoded>>> = encoded.gets

/**
 * `gets <keys...>`: values with their cas uniques, in the order given.
 *
 * @example
 * getsMany(['a', 'b'])(transport)
 * @category constructors
 */
export const getsMany: (keys: ReadonlyArray<string>, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<Encoded>>> = encoded.getsMany

/**
 * `gat <exptime> <key>`: the value, and its expiry set to `exptime`.
 *
 * @example
 * gat('session', 1800)(transport)
 * @category constructors
 */
export const gat: (key: string, exptime: number, options?: CallOptions) => Command<O.Option<Encoded>> = encoded.gat

/**
 * `gat <exptime> <keys...>`, split over several requests when the line would pass 2048 bytes.
 *
 * @example
 * gatMany(['a', 'b'], 60)(transport)
 * @category constructors
 */
export const gatMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, Encoded>> = encoded.gatMany

/**
 * `gats <exptime> <key>`: `gat` with the cas unique.
 *
 * @example
 * gats('session', 1800)(transport)
 * @category constructors
 */
export const gats: (key: string, exptime: number, options?: CallOptions) => Command<O.Option<Versioned<Encoded>>> = encoded.gats

/**
 * `gats <exptime> <keys...>`, split like `gatMany`.
 *
 * @example
 * gatsMany(['a', 'b'], 60)(transport)
 * @category constructors
 */
export const gatsMany: (keys: ReadonlyArray<string>, exptime: number, options?: CallOptions) => Command<ReadonlyMap<string, Versioned<Encoded>>> =
  encoded.gatsMany
