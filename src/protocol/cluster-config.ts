/**
 * The cluster configuration an ElastiCache (memcached) configuration endpoint hands out, as data:
 * a version number and the node list, and the one format both of its commands reply in.
 *
 * `config get cluster` (engines 1.4.14 and later) answers
 *
 * ```
 * CONFIG cluster 0 <bytes>\r\n
 * <version>\n
 * <host>|<ip>|<port> <host>|<ip>|<port> ...\n
 * \r\n
 * END\r\n
 * ```
 *
 * where `<bytes>` counts the payload — the version line and the node line, each with its `\n` —
 * exactly as a `VALUE` block counts its value. Older engines keep the same payload as the value of
 * the key `AmazonElastiCache:cluster` (`get AmazonElastiCache:cluster`). The version grows by one
 * each time a node is added or removed; a node's IP may be empty (its `|` stay), its host is
 * always there. This module parses and writes the payload; the decoder (`decode.ts`) reads the
 * `CONFIG` framing around it and the emulator writes it.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { protocolError, type ProtocolError } from './error.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One node of the list: its DNS name, its private IP (`''` when the endpoint does not give one)
 * and its port.
 *
 * @example
 * const node: ClusterNode = { host: 'cache.abc.0001.use1.cache.amazonaws.com', ip: '10.0.0.1', port: 11211 }
 * @category model
 */
export interface ClusterNode {
  readonly host: string
  readonly ip: string
  readonly port: number
}

/**
 * What a configuration endpoint says: the configuration's version and the nodes, in its order.
 *
 * @example
 * const config: ClusterConfig = { version: 12, nodes: [{ host: 'a', ip: '10.0.0.1', port: 11211 }] }
 * @category model
 */
export interface ClusterConfig {
  readonly version: number
  readonly nodes: ReadonlyArray<ClusterNode>
}

/**
 * Which part of a node names it to the client: its `ip` (inside the VPC, as pymemcache's
 * `use_vpc=True` does), or its `host` name.
 *
 * @example
 * const prefer: AddressPreference = 'ip'
 * @category model
 */
export type AddressPreference = 'ip' | 'host'

/**
 * The key `config get` asks for: the cluster configuration.
 * @category model
 */
export const CLUSTER_CONFIG_KEY = 'cluster'

/**
 * The key engines older than 1.4.14 keep the same payload under, read with a plain `get`.
 * @category model
 */
export const LEGACY_CLUSTER_CONFIG_KEY = 'AmazonElastiCache:cluster'

/**
 * The word a `config get` reply starts with.
 * @category model
 */
export const CONFIG_WORD = 'CONFIG'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const LF = '\n'
const DIGITS = /^[0-9]{1,15}$/

const malformed = (reason: string): E.Either<ProtocolError, never> => E.left(protocolError(`cluster configuration: ${reason}`))

const describeText = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)

const parseNode = (entry: string): E.Either<ProtocolError, ClusterNode> => {
  const parts = entry.split('|')
  if (parts.length !== 3) return malformed(`node ${describeText(entry)} is not host|ip|port`)
  const [host = '', ip = '', portText = ''] = parts
  if (host === '' && ip === '') return malformed(`node ${describeText(entry)} has neither a host nor an ip`)
  const port = DIGITS.test(portText) ? Number(portText) : NaN
  if (!(port >= 1 && port <= 65535)) return malformed(`node ${describeText(entry)} has no port in 1..65535`)
  return E.right({ host, ip, port })
}

/**
 * The payload of a `config get cluster` reply (or of the `AmazonElastiCache:cluster` value):
 * `<version>\n<host>|<ip>|<port> ...\n`. Nodes are separated by single spaces; the final `\n` of
 * the node line may be missing (a value someone wrote by hand), a `\r` before it may not (it would
 * end up in a port). An empty node line is an empty list. Anything else is a `ProtocolError`.
 *
 * @example
 * parseClusterConfig(new TextEncoder().encode('12\nhost-a|10.0.0.1|11211 host-b|10.0.0.2|11211\n'))
 * // right({ version: 12, nodes: [{ host: 'host-a', ip: '10.0.0.1', port: 11211 }, { host: 'host-b', ip: '10.0.0.2', port: 11211 }] })
 * parseClusterConfig(new TextEncoder().encode('twelve\n')) // left(ProtocolError)
 * @category utils
 */
export const parseClusterConfig = (payload: Uint8Array): E.Either<ProtocolError, ClusterConfig> => {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1')
  const versionEnd = text.indexOf(LF)
  if (versionEnd < 0) return malformed(`no version line in ${describeText(text)}`)
  const versionText = text.slice(0, versionEnd)
  if (!DIGITS.test(versionText)) return malformed(`version ${describeText(versionText)} is not a number`)
  const rest = text.slice(versionEnd + 1)
  const lineEnd = rest.indexOf(LF)
  if (lineEnd >= 0 && lineEnd !== rest.length - 1) return malformed(`more than two lines in ${describeText(text)}`)
  const nodeLine = lineEnd < 0 ? rest : rest.slice(0, lineEnd)
  const nodes: Array<ClusterNode> = []
  if (nodeLine !== '') {
    for (const entry of nodeLine.split(' ')) {
      const node = parseNode(entry)
      if (E.isLeft(node)) return node
      nodes.push(node.right)
    }
  }
  return E.right({ version: Number(versionText), nodes })
}

/**
 * The payload for `config`: the bytes `parseClusterConfig` reads back to the same value
 * (`<version>\n`, the nodes joined by spaces, `\n`). What the emulator answers, and what a test
 * writes under `AmazonElastiCache:cluster`.
 *
 * @example
 * formatClusterConfig({ version: 3, nodes: [{ host: 'localhost', ip: '127.0.0.1', port: 11211 }] })
 * // bytes('3\nlocalhost|127.0.0.1|11211\n')
 * @category utils
 */
export const formatClusterConfig = (config: ClusterConfig): Uint8Array =>
  new Uint8Array(Buffer.from(`${config.version}\n${config.nodes.map((node) => `${node.host}|${node.ip}|${node.port}`).join(' ')}\n`, 'latin1'))

/**
 * The `host:port` (or `[v6]:port`) name a client gives a node: by its `ip` unless told `host`, and
 * by its host whenever it has no ip. This is the name the router places keys by.
 *
 * @example
 * nodeAddress({ host: 'a.cache.amazonaws.com', ip: '10.0.0.1', port: 11211 }) // '10.0.0.1:11211'
 * nodeAddress({ host: 'a.cache.amazonaws.com', ip: '10.0.0.1', port: 11211 }, 'host') // 'a.cache.amazonaws.com:11211'
 * nodeAddress({ host: 'a', ip: '::1', port: 11211 }) // '[::1]:11211'
 * @category utils
 */
export const nodeAddress = (node: ClusterNode, prefer: AddressPreference = 'ip'): string => {
  const host = prefer === 'host' || node.ip === '' ? (node.host === '' ? node.ip : node.host) : node.ip
  return host.includes(':') ? `[${host}]:${node.port}` : `${host}:${node.port}`
}
