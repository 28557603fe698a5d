import { statSync } from 'node:fs'
import type { Handlers } from '../../ipc/server.js'
import { levelFilter } from '../../logs/levels.js'
import { readLogTail } from '../../logs/read-log-tail.js'
import type { Logger } from 'pino'
import type { Config } from '../../config/load.js'
import type { ReloadResult, StatusResult, StopResult } from '../../contracts/control-api.js'
import type { RedisCluster } from '../cluster/redis-cluster.js'
import type { ClusterDelivery } from '../cluster/cluster-delivery.js'
import type { LocalIndex } from '../clients/local-index.js'
import type { ConnectionRegistry } from '../clients/registry.js'
import type { DaemonLogger } from '../logging/logger.js'
import type { DaemonStats } from '../stats.js'
import type { Store } from '../store/store.js'
import { getConnection, kickConnection, listConnections } from './connections.js'
import { collectGarbage } from './debug-gc.js'
import { broadcast, push } from './messaging.js'
import { listRooms } from './rooms.js'

/** What the control API reads and drives: the daemon, seen from here without importing it. */
export interface ControlTarget {
  readonly registry: ConnectionRegistry
  readonly index: LocalIndex
  readonly stats: DaemonStats
  readonly nodeId: string
  readonly logger: Logger
  readonly log: DaemonLogger
  readonly config: Config
  readonly clusterDelivery: ClusterDelivery
  readonly store: Store
  readonly cluster: RedisCluster | undefined
  status(): StatusResult
  stop(timeoutSeconds?: number, drainSeconds?: number): Promise<StopResult>
  reload(): Promise<ReloadResult>
}

/** The control API, implemented once; the control socket and the manager port both serve it. */
export function createControlApi(daemon: ControlTarget): Handlers {
  const { registry, stats, index, nodeId: node } = daemon
  const messaging = () => ({ clusterDelivery: daemon.clusterDelivery, store: daemon.store, stats })
  return {
    status: async () => daemon.status(),
    stop: async ({ timeout, drain }) => daemon.stop(timeout, drain),
    reload: async () => daemon.reload(),
    'connections.list': (params) => listConnections({ node, registry, cluster: daemon.cluster }, params),
    'connections.get': (params) => getConnection({ node, registry, cluster: daemon.cluster }, params),
    'connections.kick': async (params) => {
      const result = await kickConnection({ node, clusterDelivery: daemon.clusterDelivery, stats }, params)
      daemon.logger.info(result, 'connection kicked')
      return result
    },
    broadcast: (params) => broadcast(messaging(), params),
    push: (params) => push(messaging(), params),
    'rooms.list': (params) => listRooms({ node, index, cluster: daemon.cluster }, params),
    'debug.gc': async () => collectGarbage(),
    'logs.tail': async ({ lines, follow, level }, ctx) => {
      const file = daemon.config.paths.logFile
      const keep = levelFilter(level)
      // Flush, note where the file ends and subscribe in one synchronous step:
      // the tail covers everything before that point and the stream everything after.
      daemon.log.flushSync()
      const end = sizeOf(file)
      if (follow) {
        const unfollow = daemon.log.tap.follow((line) => {
          const text = line.endsWith('\n') ? line.slice(0, -1) : line
          if (keep(text)) ctx.notify('logs.line', { line: text })
        })
        ctx.onClose(unfollow)
      }
      const tail = end === undefined ? [] : await readLogTail(file, lines, keep, end)
      return { lines: tail, file }
    },
  }
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size
  } catch {
    return undefined
  }
}
