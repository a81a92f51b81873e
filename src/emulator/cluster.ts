/**
 * The emulator as an ElastiCache configuration endpoint: a cluster configuration (version and
 * node list) that `config get cluster` answers, changed at run time so tests can grow and shrink
 * a cluster of served emulators under load.
 *
 * One `ClusterConfigSource` may be given to several engines (`makeEngine({ cluster })`,
 * `serve({ cluster })`): every node then answers the same list, as every ElastiCache node does.
 * An engine without one answers `config` with `ERROR`, as plain memcached does.
 *
 * @since 0.2.0
 */
import { CLUSTER_CONFIG_KEY, type ClusterConfig, type ClusterNode } from '../protocol/cluster-config.js'
import { unknownCommand } from '../protocol/error.js'
import * as Reply from '../protocol/reply.js'
import type { ConfigGet } from '../protocol/request.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A cluster configuration that can change.
 *
 * @example
 * const cluster: ClusterConfigSource = makeClusterConfig([{ host: 'localhost', ip: '127.0.0.1', port: 11211 }])
 * cluster.setNodes([]) // version 2
 * @category model
 */
export interface ClusterConfigSource {
  /** The configuration answered now. */
  readonly current: () => ClusterConfig
  /** Sets the node list; the version grows by one when the list differs from the current one (as ElastiCache counts changes). */
  readonly setNodes: (nodes: ReadonlyArray<ClusterNode>) => ClusterConfig
  /** Sets version and nodes as given, even a lower version (to test how clients take a stale or reset endpoint). */
  readonly setConfig: (config: ClusterConfig) => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const sameNodes = (a: ReadonlyArray<ClusterNode>, b: ReadonlyArray<ClusterNode>): boolean =>
  a.length === b.length && a.every((node, index) => node.host === b[index]?.host && node.ip === b[index]?.ip && node.port === b[index]?.port)

/**
 * A configuration holding `nodes` at `version` (default 1).
 *
 * @example
 * const cluster = makeClusterConfig([{ host: 'localhost', ip: '127.0.0.1', port: 11211 }])
 * const served = await serve({ cluster })()
 * cluster.setNodes([...cluster.current().nodes, { host: 'localhost', ip: '127.0.0.1', port: 11212 }]) // version 2
 * @category constructors
 */
export const makeClusterConfig = (nodes: ReadonlyArray<ClusterNode>, version = 1): ClusterConfigSource => {
  let config: ClusterConfig = { version, nodes: [...nodes] }
  return {
    current: () => config,
    setNodes: (next) => {
      if (!sameNodes(config.nodes, next)) config = { version: config.version + 1, nodes: [...next] }
      return config
    },
    setConfig: (next) => {
      config = { version: next.version, nodes: [...next.nodes] }
    },
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const UNKNOWN = Reply.failure(unknownCommand(''))

/**
 * The engine's answer to `config get <key>`: the configuration for `cluster`, `ERROR` for any other
 * key or when the engine has no configuration.
 *
 * @example
 * answerConfigGet(makeClusterConfig([]))(configGet()) // clusterConfigReply({ version: 1, nodes: [] })
 * answerConfigGet(undefined)(configGet()) // failure(unknownCommand('')): plain memcached
 * @category utils
 */
export const answerConfigGet =
  (cluster: ClusterConfigSource | undefined) =>
  (request: ConfigGet): Reply.Reply =>
    cluster === undefined || request.key !== CLUSTER_CONFIG_KEY ? UNKNOWN : Reply.clusterConfigReply(cluster.current())
