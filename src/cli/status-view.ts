import type { StatusResult } from '../contracts/control-api.js'
import type { Layout } from './columns.js'
import { formatBytes, formatDuration, keyValueTable, workersTable } from './format.js'

/** `status` for people: the daemon as `key: value` lines, then a blank line and its workers as columns. */
export function statusView(status: StatusResult, layout: Layout): string {
  const facts = keyValueTable([
    ['state', status.state],
    ['pid', status.pid],
    ['uptime', formatDuration(status.uptime)],
    ['version', status.version],
    ['node id', status.nodeId],
    ['cluster', clusterLine(status.cluster)],
    ['outside', `${status.outside.host}:${status.outside.port}`],
    ['manager', `${status.manager.host}:${status.manager.port}`],
    ...(status.managerKeyFile === undefined ? [] : [['manager key file', status.managerKeyFile] as [string, string]]),
    ['connections', status.connections],
    ...(status.draining === undefined ? [] : [['draining', drainingLine(status.draining)] as [string, string]]),
    ['workers', `${status.workers.length} (generation ${status.generation})`],
    ['memory', `${formatBytes(status.memory.rss)} rss, ${formatBytes(status.memory.heapUsed)} heap`],
    ['log file', status.logFile],
  ])
  return status.workers.length === 0 ? facts : `${facts}\n\n${workersTable(status.workers, layout)}`
}

/** A stop's drain: "12 closed, 28 open, 52s left". */
function drainingLine(draining: NonNullable<StatusResult['draining']>, now = Date.now()): string {
  const left = Math.max(0, Math.ceil((Date.parse(draining.closeBy) - now) / 1000))
  return `${draining.closed} closed, ${draining.remaining} open, ${formatDuration(left)} left`
}

/** "memory (one node)", or "redis, 3 nodes, ok" / "redis, 2 nodes, degraded". */
function clusterLine(cluster: StatusResult['cluster']): string {
  if (cluster.store === 'memory') return 'memory (one node)'
  return `redis, ${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'}, ${cluster.state}`
}
