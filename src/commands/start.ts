// First, so SIGUSR1 cannot open the inspector of a daemon run in this process (--foreground).
import '../daemon/signals/early-signals.js'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { keyValueTable } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import { MswError } from '../errors.js'
import { configFileWarnings, type ConfigFileWarning } from '../config/file-modes.js'
import type { StartWarning } from '../contracts/ready-message.js'
import type { StatusResult } from '../contracts/control-api.js'

/** What `start --json` prints: the daemon's status, whether it was running already, and every warning told on stderr. */
export type StartJson = StatusResult & { alreadyRunning: boolean; warnings: Array<ConfigFileWarning | StartWarning> }

export default class Start extends BaseCommand {
  static override summary = 'Start the mswoole daemon'
  static override description =
    'Spawns the daemon in the background and returns once it reports ready, telling on stderr what should be changed (a public auth key, an open manager port). A daemon already running is success: a notice, exit 0. With --foreground it runs attached and logs to stdout: one line per event on a terminal, JSON lines otherwise (systemd, containers); there a running daemon is an error.'

  static override examples = ['<%= config.bin %> start', '<%= config.bin %> start -c /etc/mswoole', '<%= config.bin %> start --foreground']

  static override flags = {
    foreground: Flags.boolean({ char: 'f', description: 'run attached; log to stdout as well as to the log file' }),
    color: Flags.boolean({
      allowNo: true,
      description: 'colour the --foreground lines on a terminal [default: on a terminal, unless NO_COLOR or TERM=dumb]',
    }),
    timeout: Flags.integer({ description: 'seconds to wait for the daemon to report ready', default: 30, min: 1 }),
    // For benchmarks: node's --expose-gc in the daemon, which enables the debug.gc control method.
    'expose-gc': Flags.boolean({ hidden: true, description: 'run the daemon with --expose-gc (enables the debug.gc control method)' }),
  }

  async run(): Promise<StartJson | undefined> {
    const { flags } = await this.parse(Start)
    const config = await this.loadSettings(flags.config)
    const warnings = await configFileWarnings(config.dir)
    for (const warning of warnings) this.warnOperator(warning.message)
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
      const { useColor } = await import('../cli/color.js')
      // A person at a terminal reads one-line text; systemd, containers and pipes get JSON lines.
      const tty = process.stdout.isTTY === true
      const stdoutFormat = tty
        ? { pretty: true as const, color: useColor({ isTTY: tty, env: process.env, flag: flags.color }) }
        : { pretty: false as const }
      const daemon = await Daemon.start({ config, foreground: true, stdoutFormat, onRunning: installProcessHandlers })
      await daemon.stopped()
      return
    }
    const { startDaemon } = await import('../lifecycle/start.js')
    const started = await withProgress(!flags.json, 'Starting mswoole', () =>
      startDaemon(config, { timeoutMs: flags.timeout * 1000, exposeGc: flags['expose-gc'] }),
    )
    const { status } = started
    if (started.alreadyRunning) process.stderr.write(`mswoole is already running (pid ${status.pid})\n`)
    for (const warning of started.warnings) this.warnOperator(warning.message)
    this.log(
      keyValueTable([
        ['pid', status.pid],
        ['outside', `ws://${status.outside.host}:${status.outside.port}`],
        ['manager', `http://${status.manager.host}:${status.manager.port}`],
        ...(status.managerKeyFile === undefined ? [] : [['manager key file', status.managerKeyFile] as [string, string]]),
        ['log file', status.logFile],
      ]),
    )
    return { ...status, alreadyRunning: started.alreadyRunning, warnings: [...warnings, ...started.warnings] }
  }
}
