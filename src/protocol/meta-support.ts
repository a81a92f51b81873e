/**
 * Which memcached version speaks which meta command and flag, and the check that refuses a
 * request the connected server would not understand — before anything is written.
 *
 * The meta commands appeared in 1.5.19 and were reworked until 1.6.10, which gave them the grammar
 * this codec writes and reads: the `HD` code (1.6.0-1.6.9 answered `OK`), `ms <key> <datalen>`
 * (before, an `S` flag), base64 keys (`b`). Later: `ms c` returns the right cas unique from
 * 1.6.13 (1.6.10-1.6.12 returned the item's old one). Sources: memcached's doc/protocol.txt and
 * proto_text.c at each release tag.
 *
 * @since 0.2.0
 */
import { invalidArgument, type InvalidArgument } from './error.js'
import { metaCommandName, type MetaRequest } from './meta.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A release as `[major, minor, patch]`. @category model */
export type ServerVersion = readonly [number, number, number]

/**
 * A feature and the first version that has it.
 * @category model
 */
export interface MetaFeature {
  /** What a person reads in the error: `mg`, `ms flag c (return cas)`. */
  readonly name: string
  readonly since: ServerVersion
}

/** The meta commands with this codec's grammar. @category model */
export const META_COMMANDS_SINCE: ServerVersion = [1, 6, 10]

/** `ms c` returns the new cas unique. @category model */
export const META_SET_RETURN_CAS_SINCE: ServerVersion = [1, 6, 13]

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The version in a `VERSION` reply (`1.6.18`, `1.6.21-dev`...), or `undefined` when it does not
 * start with three numbers.
 *
 * @example
 * parseServerVersion('1.6.18') // [1, 6, 18]
 * parseServerVersion('1.4.5-debian') // [1, 4, 5]
 * parseServerVersion('custom') // undefined
 * @category utils
 */
export const parseServerVersion = (text: string): ServerVersion | undefined => {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim())
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

/**
 * @example
 * isAtLeast([1, 6, 18], [1, 6, 10]) // true
 * @category utils
 */
export const isAtLeast = (version: ServerVersion, since: ServerVersion): boolean => {
  for (let i = 0; i < 3; i++) {
    const a = version[i] as number
    const b = since[i] as number
    if (a !== b) return a > b
  }
  return true
}

const showVersion = (version: ServerVersion): string => version.join('.')

/**
 * The features `request` uses, each with the version that brought it.
 *
 * @example
 * featuresOf(metaSet('k', value, { returnCas: true }))
 * // [{ name: 'ms', since: [1, 6, 10] }, { name: 'ms flag c (return cas)', since: [1, 6, 13] }]
 * @category utils
 */
export const featuresOf = (request: MetaRequest): ReadonlyArray<MetaFeature> => {
  if (request._tag === 'MetaBatch') {
    const all: Array<MetaFeature> = [{ name: 'mn', since: META_COMMANDS_SINCE }]
    for (const member of request.requests) all.push(...featuresOf(member))
    return all
  }
  const name = metaCommandName(request)
  const features: Array<MetaFeature> = [{ name, since: META_COMMANDS_SINCE }]
  if (request._tag === 'MetaSet' && request.flags.returnCas === true) {
    features.push({ name: 'ms flag c (return cas)', since: META_SET_RETURN_CAS_SINCE })
  }
  return features
}

/**
 * The refusal of `request` by a server at `version` (the text of its `VERSION` reply), or
 * `undefined` when the server knows everything the request uses. A version that does not parse
 * (a proxy, a fork) is given the benefit of the doubt.
 *
 * @example
 * unsupportedBy('1.5.22')(metaGet('a')) // InvalidArgument: mg needs memcached 1.6.10 or later; the server is 1.5.22
 * unsupportedBy('1.6.18')(metaGet('a')) // undefined
 * @category utils
 */
export const unsupportedBy =
  (versionText: string) =>
  (request: MetaRequest): InvalidArgument | undefined => {
    const version = parseServerVersion(versionText)
    if (version === undefined) return undefined
    for (const feature of featuresOf(request)) {
      if (!isAtLeast(version, feature.since)) {
        return invalidArgument(
          feature.name,
          `needs memcached ${showVersion(feature.since)} or later; the server is ${versionText.trim()}: use the text protocol for this request (protocol: 'text')`,
        )
      }
    }
    return undefined
  }
