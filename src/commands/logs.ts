import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { useColor } from '../cli/color.js'
import { MswError, systemCode } from '../errors.js'
import { IpcClient } from '../ipc/client.js'
import { MAX_TAIL_LINES } from '../contracts/control-api.js'
import { LOG_LEVELS } from '../config/log-levels.js'
import { levelFilter } from '../logs/levels.js'
import { createLinePrinter } from '../logs/print.js'
import { readLogTail } from '../logs/read-log-tail.js'

export default class Logs extends BaseCommand {
  static override summary = "Show the daemon's log"
  static override description =
    'Prints the last lines of runtime/logs/mswoole.log, one line per event (the raw JSON lines with --json). With -f, keeps streaming new lines from the running daemon until it stops.'

  static override examples = [
    '<%= config.bin %> logs -n 100',
    '<%= config.bin %> logs -f --level warn',
    '<%= config.bin %> logs --json | jq .msg',
  ]

  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'how many lines to show', default: 50, min: 0, max: MAX_TAIL_LINES }),
    follow: Flags.boolean({ char: 'f', description: 'keep streaming new lines' }),
    level: Flags.option({ options: LOG_LEVELS, description: 'show only this level and above' })(),
    color: Flags.boolean({ allowNo: true, description: 'colour the lines [default: on a terminal, unless NO_COLOR or TERM=dumb]' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Logs)
    const config = await this.loadSettings(flags.config)
    const color = useColor({ isTTY: process.stdout.isTTY, env: process.env, flag: flags.color })
    const print = createLinePrinter({ raw: flags.json === true, color })
    let client: IpcClient
    try {
      client = await IpcClient.connect(config.paths.socket)
    } catch (err) {
      if (flags.follow || !(err instanceof MswError && err.code === 'MSW_ERR_NOT_RUNNING')) throw err
      // No daemon: the file still tells what happened.
      for (const line of await readLogFile(config.paths.logFile, flags.lines, levelFilter(flags.level))) print(line)
      return
    }
    // Watched from the start: the daemon may stop while the tail is on its way.
    const closed = new Promise<void>((resolve) => client.once('close', resolve))
    // Lines streamed before the tail arrives are held back, so the output stays in order.
    let held: string[] | undefined = []
    client.on('notification', (method, params) => {
      if (method !== 'logs.line') return
      const { line } = params as { line: string }
      if (held) held.push(line)
      else print(line)
    })
    try {
      const tail = await client.call('logs.tail', {
        lines: flags.lines,
        follow: flags.follow,
        ...(flags.level ? { level: flags.level } : {}),
      })
      for (const line of tail.lines) print(line)
      for (const line of held) print(line)
      held = undefined
    } catch (err) {
      client.close()
      throw err
    }
    if (!flags.follow) return client.close()
    let interrupted = false
    process.once('SIGINT', () => {
      interrupted = true
      client.close()
    })
    await closed
    // The daemon ended the stream: say why the lines stop (on stderr, so jq still gets JSON only).
    if (!interrupted) process.stderr.write('mswoole stopped; no more lines\n')
  }
}

async function readLogFile(file: string, lines: number, keep: (line: string) => boolean): Promise<string[]> {
  try {
    return await readLogTail(file, lines, keep)
  } catch (err) {
    if (systemCode(err) === 'ENOENT') throw new MswError('MSW_ERR_LOG_NOT_FOUND', `no log file at ${file}`)
    throw err
  }
}
