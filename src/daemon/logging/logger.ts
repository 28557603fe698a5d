import pino, { type Logger } from 'pino'
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
  close(): Promise<void>
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const tap = new LogTap()
  const file = new RotatingFile({
    file: options.file,
    maxSize: options.maxSize,
    maxFiles: options.maxFiles,
    onError: (err) => process.stderr.write(`mswoole: log file ${options.file} is failing (${err.message}); logging continues to followers only\n`),
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
  return { logger, file, tap, flushSync: () => file.flushSync(), close: () => file.end() }
}
