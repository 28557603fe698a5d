import { BaseCommand } from '../cli/base-command.js'
import { formatBytes, formatDuration, keyValueTable, workersTable } from '../cli/format.js'
import { MswError } from '../errors.js'
import { withDaemon } from '../ipc/client.js'
import type { StatusResult } from '../ipc/methods.js'

export default class Status extends BaseCommand {
  static override summary = "Show the daemon's state"
  static override description = 'Exits 3 when the daemon is not running, as service managers expect.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status)
    const config = await this.loadSettings(flags.config)
    let status: StatusResult
    try {
      status = await withDaemon(config.paths.socket, (client) => client.call('status', {}, { timeoutMs: 5000 }))
    } catch (err) {
      if (!(err instanceof MswError && err.code === 'MSW_ERR_NOT_RUNNING')) throw err
      if (flags.json) this.printJson({ running: false, configDir: config.dir })
      else this.log('mswoole is not running')
      this.exit(3)
    }
    this.log(
      keyValueTable([
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
        ['workers', `${status.workers.length} (generation ${status.generation})`],
        ['memory', `${formatBytes(status.memory.rss)} rss, ${formatBytes(status.memory.heapUsed)} heap`],
        ['log file', status.logFile],
      ]),
    )
    if (status.workers.length > 0) this.log(workersTable(status.workers))
    return status
  }
}

/** "memory (one node)", or "redis, 3 nodes, ok" / "redis, 2 nodes, degraded". */
function clusterLine(cluster: StatusResult['cluster']): string {
  if (cluster.store === 'memory') return 'memory (one node)'
  return `redis, ${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'}, ${cluster.state}`
}
