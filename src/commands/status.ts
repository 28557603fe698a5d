import { BaseCommand } from '../cli/base-command.js'
import { layoutFor, outputFlags } from '../cli/output-flag.js'
import { statusView } from '../cli/status-view.js'
import { readPidFile } from '../daemon/runtime/pid-file.js'
import { looksLikeDaemon } from '../daemon/runtime/process-alive.js'
import { MswError } from '../errors.js'
import { withDaemon } from '../ipc/client.js'
import type { StatusResult } from '../contracts/control-api.js'

export default class Status extends BaseCommand {
  static override summary = "Show the daemon's state"
  static override description =
    'Exit codes as service managers expect (LSB): 0 running, 3 not running, 1 when the daemon died and left its pid file behind (the line names the pid; `mswoole stop` removes the file).'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -o wide', '<%= config.bin %> status --json']

  static override flags = { ...outputFlags }

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status)
    const config = await this.loadSettings(flags.config)
    let status: StatusResult
    try {
      status = await withDaemon(config.paths.socket, (client) => client.call('status', {}, { timeoutMs: 5000 }))
    } catch (err) {
      if (!(err instanceof MswError && err.code === 'MSW_ERR_NOT_RUNNING')) throw err
      return this.notRunning(config.paths.pidFile, config.dir, flags.json === true)
    }
    this.log(statusView(status, layoutFor(flags.output)))
    return status
  }

  /**
   * Exits 3, or 1 when the pid file names a process that is gone (or is no
   * longer mswoole): LSB's "dead and pid file exists".
   */
  private async notRunning(pidFile: string, configDir: string, json: boolean): Promise<never> {
    const pid = await readPidFile(pidFile)
    if (pid !== undefined && !looksLikeDaemon(pid)) {
      if (json) this.printJson({ running: false, stale: true, pid, pidFile, configDir })
      else this.log(`mswoole is not running, but its pid file remains (pid ${pid} is gone): run mswoole stop to clean up, or mswoole start`)
      this.exit(1)
    }
    if (json) this.printJson({ running: false, configDir })
    else this.log('mswoole is not running')
    this.exit(3)
  }
}
