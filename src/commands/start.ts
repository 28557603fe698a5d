// First, so SIGUSR1 cannot open the inspector of a daemon run in this process (--foreground).
import '../daemon/signals/early-signals.js'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { keyValueTable } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import { MswError } from '../errors.js'
import { configFileWarnings, type ConfigFileWarning } from '../config/file-modes.js'
import type { StatusResult } from '../ipc/methods.js'

export default class Start extends BaseCommand {
  static override summary = 'Start the mswoole daemon'
  static override description =
    'Spawns the daemon in the background and returns once it reports ready. With --foreground it runs attached and logs JSON lines to stdout, for systemd and containers.'

  static override examples = ['<%= config.bin %> start', '<%= config.bin %> start -c /etc/mswoole', '<%= config.bin %> start --foreground']

  static override flags = {
    foreground: Flags.boolean({ char: 'f', description: 'run attached; log to stdout as well as to the log file' }),
    timeout: Flags.integer({ description: 'seconds to wait for the daemon to report ready', default: 30, min: 1 }),
    // For benchmarks: node's --expose-gc in the daemon, which enables the debug.gc control method.
    'expose-gc': Flags.boolean({ hidden: true, description: 'run the daemon with --expose-gc (enables the debug.gc control method)' }),
  }

  async run(): Promise<(StatusResult & { warnings: ConfigFileWarning[] }) | void> {
    const { flags } = await this.parse(Start)
    const config = await this.loadSettings(flags.config)
    const warnings = await configFileWarnings(config.dir)
    for (const warning of warnings) process.stderr.write(`Warning: ${warning.message}\n`)
    // Loaded on use: oclif reads every command file to list them, and these pull in the daemon and execa.
    if (flags.foreground) {
      // The flag adds node's --expose-gc to the daemon it spawns; in this process only node itself can.
      if (flags['expose-gc'] && typeof globalThis.gc !== 'function') {
        throw new MswError(
          'MSW_ERR_INVALID_ARGUMENT',
          '--expose-gc applies to a background start; in the foreground run node --expose-gc bin/run.js start --foreground',
        )
      }
      const { Daemon } = await import('../daemon/daemon.js')
      const { installProcessHandlers } = await import('../daemon/process-handlers.js')
      const daemon = await Daemon.start({ config, foreground: true, onRunning: installProcessHandlers })
      await daemon.stopped()
      return
    }
    const { launchDaemon } = await import('../lifecycle/launch.js')
    const status = await withProgress(!flags.json, 'Starting mswoole', () =>
      launchDaemon(config, { timeoutMs: flags.timeout * 1000, exposeGc: flags['expose-gc'] }),
    )
    this.log(
      keyValueTable([
        ['pid', status.pid],
        ['outside', `ws://${status.outside.host}:${status.outside.port}`],
        ['manager', `http://${status.manager.host}:${status.manager.port}`],
        ...(status.managerKeyFile === undefined ? [] : [['manager key file', status.managerKeyFile] as [string, string]]),
        ['log file', status.logFile],
      ]),
    )
    return { ...status, warnings }
  }
}
