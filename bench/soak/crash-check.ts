/**
 * What says the daemon or a worker fell over during the soak, from three witnesses:
 *
 *   - the pid: the daemon's pid must answer `status` at every sample and be alive at the end;
 *   - the log (runtime/logs/mswoole.log and its rotated files, JSON lines): a worker that died
 *     or was ended by the watchdog is logged `worker exited; replacing it` (a reload ends its
 *     old workers without that line), a daemon crash `crashed` at level fatal;
 *   - /metrics: `mswoole_worker_restarts_total` counts workers replaced after dying or being
 *     ended by the watchdog (a reload's retired workers are not counted).
 *
 * Errors and warnings of any other kind are counted by message and reported, not judged.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'

const WORKER_EXIT = 'worker exited; replacing it'
const WATCHDOG = 'handler exceeded max_execution_time; replacing the worker'
const CRASHED = 'crashed'
const RELOAD_DONE = 'reload: done'
/** pino's levels; lines name them (`"level":"warn"`), files of earlier versions number them. */
const WARN = 40
const ERROR = 50
const FATAL = 60
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: WARN, error: ERROR, fatal: FATAL }

export interface LogFindings {
  /** Lines read from the soak's start on. */
  lines: number
  workerExits: number
  watchdogKills: number
  fatal: number
  reloadsDone: number
  /** Error-level lines by message, and warnings by message. */
  errors: Record<string, number>
  warnings: Record<string, number>
  /** The first few error or fatal lines, whole. */
  errorSamples: string[]
}

interface LogLine {
  level?: number | string
  time?: number
  msg?: string
}

/** Reads the log and its rotated files (oldest first), keeping lines from `sinceMs` (epoch) on. */
export async function scanLog(logFile: string, sinceMs: number, maxFiles = 10): Promise<LogFindings> {
  const found: LogFindings = {
    lines: 0,
    workerExits: 0,
    watchdogKills: 0,
    fatal: 0,
    reloadsDone: 0,
    errors: {},
    warnings: {},
    errorSamples: [],
  }
  const files = [...Array.from({ length: maxFiles }, (_, i) => `${logFile}.${maxFiles - i}`), logFile]
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      continue // no such rotation
    }
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue
      let line: LogLine
      try {
        line = JSON.parse(raw) as LogLine
      } catch {
        continue
      }
      if ((line.time ?? 0) < sinceMs) continue
      found.lines++
      const msg = line.msg ?? ''
      const level = typeof line.level === 'string' ? (LEVELS[line.level] ?? 0) : (line.level ?? 0)
      if (msg === WORKER_EXIT) found.workerExits++
      if (msg === WATCHDOG) found.watchdogKills++
      if (msg === RELOAD_DONE) found.reloadsDone++
      if (level >= FATAL || msg === CRASHED) found.fatal++
      if (level >= ERROR) {
        found.errors[msg] = (found.errors[msg] ?? 0) + 1
        if (found.errorSamples.length < 5) found.errorSamples.push(raw.slice(0, 1000))
      } else if (level >= WARN) found.warnings[msg] = (found.warnings[msg] ?? 0) + 1
    }
  }
  return found
}

/** runtime/logs/daemon.out: what the daemon printed before its logger existed, and native crashes. */
export async function daemonOut(logFile: string): Promise<string> {
  try {
    return (await readFile(path.join(path.dirname(logFile), 'daemon.out'), 'utf8')).trim()
  } catch {
    return ''
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
