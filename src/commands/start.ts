import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { keyValueTable } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import type { StatusResult } from '../ipc/methods.js'

export default class Start extends BaseCommand {
  static override summary = 'Start the mswoole daemon'
  static override description =
    'Spawns the daemon in the background and returns once it reports ready. With --foreground it runs attached and logs JSON lines to stdout, for systemd and containers.'

  static override examples = ['<%= config.bin %> start', '<%= config.bin %> start -c /etc/mswoole', '<%= config.bin %> start --foreground']

  static override flags = {
    foreground: Flags.boolean({ char: 'f', description: 'run attached; log to stdout as well as to the log file' }),
    timeout: Flags.integer({ description: 'seconds to wait for the daemon to report ready', default: 30, min: 1 }),
  }

  async run(): Promise<StatusResult | void> {
    const { flags } = await this.parse(Start)
    const config = await this.loadSettings(flags.config)
    // Loaded on use: oclif reads every command file to list them, and these pull in the daemon and execa.
    if (flags.foreground) {
      const { Daemon } = await import('../daemon/daemon.js')
      const { installProcessHandlers } = await import('../daemon/process-handlers.js')
      const daemon = await Daemon.start({ config, foreground: true })
      installProcessHandlers(daemon)
      await daemon.stopped()
      return
    }
    const { launchDaemon } = await import('../lifecycle/launch.js')
    const status = await withProgress(!flags.json, 'Starting mswoole', () => launchDaemon(config, { timeoutMs: flags.timeout * 1000 }))
    this.log(
      keyValueTable([
        ['pid', status.pid],
        ['outside', `ws://${status.outside.host}:${status.outside.port}`],
        ['manager', `http://${status.manager.host}:${status.manager.port}`],
        ['log file', status.logFile],
      ]),
    )
    return status
  }
}
