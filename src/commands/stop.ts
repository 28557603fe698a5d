import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { plural } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import { stopDaemon, type StopOutcome } from '../lifecycle/stop.js'

export default class Stop extends BaseCommand {
  static override summary = 'Stop the daemon gracefully'
  static override description =
    'Stops accepting connections, closes every client with code 1001 (running close hooks), flushes the logs and removes the pid file and control socket. Work still running in the workers at --timeout is cut short, and said so on stderr; a daemon that has not exited by then is killed. Exits 0 when the daemon was not running.'

  static override examples = ['<%= config.bin %> stop', '<%= config.bin %> stop --timeout 30']

  static override flags = {
    timeout: Flags.integer({ description: 'seconds to let clients close before forcing', default: 10, min: 1 }),
  }

  async run(): Promise<StopOutcome> {
    const { flags } = await this.parse(Stop)
    const config = await this.loadSettings(flags.config)
    const outcome = await withProgress(!flags.json, 'Stopping mswoole', () => stopDaemon(config, flags.timeout))
    if (!outcome.wasRunning) {
      this.log(
        outcome.staleRemoved ? 'mswoole is not running (removed the pid file and socket of a daemon that died)' : 'mswoole is not running',
      )
    } else if (outcome.killed) {
      this.log(`mswoole (pid ${outcome.pid}) did not stop within ${flags.timeout}s and was killed`)
    } else {
      const { result } = outcome
      const closed = result ? `, closed ${plural(result.closedConnections, 'connection')} in ${result.durationMs} ms` : ''
      this.log(`mswoole stopped (pid ${outcome.pid}${closed})`)
      if (result !== undefined && result.abortedInFlight > 0) {
        const were = result.abortedInFlight === 1 ? 'was' : 'were'
        this.warnOperator(`${plural(result.abortedInFlight, 'handler')} still running at the ${flags.timeout} s timeout ${were} cut short`)
      }
    }
    return outcome
  }
}
