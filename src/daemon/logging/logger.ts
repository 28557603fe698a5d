import pino, { type Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { LogLevelName } from '../../config/log-levels.js'
import { formatLogLine } from '../../logs/format-line.js'
import { mergeLineFields } from './line-fields.js'
import { LogTap } from './log-tap.js'
import { RotatingFile } from './rotating-file.js'

export interface DaemonLoggerOptions {
  file: string
  level: LogLevelName
  maxSize: number
  maxFiles: number
  /** Also write to stdout (foreground mode): JSON lines for journald and containers, or one-line text for a terminal. */
  stdout: false | StdoutFormat
  nodeId: string
}

/** How the foreground daemon writes its lines to stdout; the log file always has JSON lines. */
export type StdoutFormat = { pretty: false } | { pretty: true; color: boolean }

export interface DaemonLogger {
  logger: Logger
  file: RotatingFile
  tap: LogTap
  /** Writes out everything buffered, synchronously: used before exit and before reading the file. */
  flushSync(): void
  /** Opens the log file by its name again (SIGUSR1); throws, keeping the old file, when it cannot. */
  reopen(): void
  close(): Promise<void>
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const tap = new LogTap()
  const file = new RotatingFile({
    file: options.file,
    maxSize: options.maxSize,
    maxFiles: options.maxFiles,
    onError: (err) => {
      if (err instanceof MswError) {
        // A rotation found a link where the new file goes: the lines stay in the renamed file.
        process.stderr.write(`mswoole: ${err.message} [${err.code}]; logging continues to ${options.file}.1\n`)
        setImmediate(() => logger.error({ err, file: options.file }, 'log rotation refused to open the new file'))
        return
      }
      process.stderr.write(`mswoole: log file ${options.file} is failing (${err.message}); logging continues to followers only\n`)
    },
  })
  const stdout = options.stdout
  const toStdout: ((line: string) => string) | undefined =
    stdout === false ? undefined : stdout.pretty ? (line) => formatLogLine(line.slice(0, -1), { color: stdout.color }) : (line) => line
  const sink = {
    write(line: string) {
      file.write(line)
      if (toStdout) process.stdout.write(toStdout(line))
      tap.push(line)
    },
  }
  const identity = { pid: process.pid, node: options.nodeId }
  const logger = pino(
    {
      level: options.level,
      // The identity comes through the mixin, not as base bindings: pino would write a field of the same name twice.
      base: null,
      mixin: () => identity,
      mixinMergeStrategy: (fields, mixed) => mergeLineFields(fields, mixed as Record<string, unknown>),
      // "level":"warn", for jq and log shippers; readers still take the numbers of older files.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    sink,
  )
  return { logger, file, tap, flushSync: () => file.flushSync(), reopen: () => file.reopen(), close: () => file.end() }
}
