/**
 * Keyv's keys as memcached keys.
 *
 * Keyv hands a store `namespace:key`. memcached takes 1..250 bytes of printable ASCII with no
 * space, so a key it cannot store (too long, a space or a control character, non-ASCII) is sent
 * as `#sha256:` and the SHA-256 of the key (its UTF-16 code units, so any JavaScript string,
 * lone surrogates included, has its own), in base64url: 51 bytes, deterministic, the same from
 * every process. A key that starts with `#sha256:` is hashed too, so no key can pose as another's
 * hash. A hashed key reads back under the key Keyv asked for; only memcached sees the hash.
 *
 * In a namespace, keys carry the namespace's generation (see `generation.ts`), a random token
 * that `clear` replaces: `keyv:user:1` in generation `Qm9x` is `keyv@Qm9x:user:1`. The
 * generation itself lives under `keyv@generation`.
 *
 * @since 0.2.0
 */
import { createHash } from 'node:crypto'
import { byteLength, keyProblem, MAX_KEY_LENGTH } from '../protocol/key.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What starts every hashed key.
 *
 * @example
 * HASHED_KEY_MARKER // '#sha256:'
 * @category model
 */
export const HASHED_KEY_MARKER = '#sha256:'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const hashOf = (key: string): string => HASHED_KEY_MARKER + createHash('sha256').update(key, 'utf16le').digest('base64url')

/**
 * `key` as memcached will store it: unchanged when memcached can take it in `maxBytes` bytes
 * (250, less a key prefix the client adds), else its hash.
 *
 * @example
 * sendableKey(250)('keyv:user:1') // 'keyv:user:1'
 * sendableKey(250)('keyv:a key with spaces') // '#sha256:…' (51 bytes)
 * sendableKey(250)('keyv:' + 'x'.repeat(300)) // '#sha256:…'
 * @category utils
 */
export const sendableKey =
  (maxBytes: number = MAX_KEY_LENGTH) =>
  (key: string): string =>
    keyProblem(key) === undefined && byteLength(key) <= maxBytes && !key.startsWith(HASHED_KEY_MARKER) ? key : hashOf(key)

/**
 * Whether `namespace` names a namespace: Keyv uses none when it is absent or empty.
 *
 * @example
 * hasNamespace('keyv') // true
 * hasNamespace('') // false
 * @category utils
 */
export const hasNamespace = (namespace: string | undefined): namespace is string => namespace !== undefined && namespace !== ''

/**
 * The key (before `sendableKey`) of Keyv's `key` in `generation` of `namespace`; with no
 * namespace, `key` itself. Keyv's own `namespace:` prefix is kept once: `keyv:k` is `keyv@g:k`,
 * while a key without it (Keyv's `useKeyPrefix: false`) is `keyv@g#k`, so the two never meet.
 *
 * @example
 * storedKey('keyv', 'Qm9x')('keyv:user:1') // 'keyv@Qm9x:user:1'
 * storedKey('keyv', 'Qm9x')('user:1') // 'keyv@Qm9x#user:1'
 * storedKey(undefined, '')('user:1') // 'user:1'
 * @category utils
 */
export const storedKey =
  (namespace: string | undefined, generation: string) =>
  (key: string): string => {
    if (!hasNamespace(namespace)) return key
    const prefix = `${namespace}:`
    return key.startsWith(prefix) ? `${namespace}@${generation}:${key.slice(prefix.length)}` : `${namespace}@${generation}#${key}`
  }

/**
 * The key (before `sendableKey`) holding the current generation of `namespace`.
 *
 * @example
 * generationKey('keyv') // 'keyv@generation'
 * @category utils
 */
export const generationKey = (namespace: string): string => `${namespace}@generation`
