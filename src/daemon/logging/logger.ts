import pino, { type Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { LogLevelName } from '../../ipc/methods.js'
import { LogTap } from './log-tap.js'
import { RotatingFile } from './rotating-file.js'

export interface DaemonLoggerOptions {
  file: string
  level: LogLevelName
  maxSize: number
  maxFiles: number
  /** Also write JSON lines to stdout (foreground mode, for journald and containers). */
  stdout: boolean
  nodeId: string
}

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
  const sink = {
    write(line: string) {
      file.write(line)
      if (options.stdout) process.stdout.write(line)
      tap.push(line)
    },
  }
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid, node: options.nodeId },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    sink,
  )
  return { logger, file, tap, flushSync: () => file.flushSync(), reopen: () => file.reopen(), close: () => file.end() }
}
