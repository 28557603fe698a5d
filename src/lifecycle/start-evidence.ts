import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { levelValue } from '../logs/levels.js'

/** What a failed start wrote: the last lines of daemon.out and of the log file, from this start only. */
export interface StartEvidence {
  outFile: string
  logFile: string
  daemonOut: string[]
  log: string[]
}

/** Where each file ended before the daemon was spawned, so earlier runs' lines are left out. */
export type FileMarks = Record<string, number>

const KEEP_LINES = 20
/** A failed start writes a few lines; a stack trace fits well within this. */
const MOST_BYTES = 64 * 1024

export async function markFiles(...files: string[]): Promise<FileMarks> {
  const marks: FileMarks = {}
  for (const file of files)
    marks[file] = await lstat(file).then(
      (s) => s.size,
      () => 0,
    )
  return marks
}

export async function gatherEvidence(outFile: string, logFile: string, marks: FileMarks): Promise<StartEvidence> {
  return {
    outFile,
    logFile,
    daemonOut: await linesSince(outFile, marks[outFile] ?? 0),
    log: await linesSince(logFile, marks[logFile] ?? 0),
  }
}

/**
 * The evidence as the end of a one-line error: the daemon's own words (the
 * last warning or error of its log, the error it printed), or plainly that it
 * wrote nothing at all.
 */
export function evidenceText(evidence: StartEvidence): string {
  const logged = tellingLogLine(evidence.log)
  const printed = tellingOutLine(evidence.daemonOut)
  if (logged === undefined && printed === undefined) {
    return `; it wrote nothing, neither to ${evidence.outFile} nor to ${evidence.logFile}`
  }
  return `${logged === undefined ? '' : `; its log says: ${logged}`}${printed === undefined ? '' : `; ${evidence.outFile} says: ${printed}`}`
}

const WARN = levelValue('warn')

/** The last warning or error of the log (else its last line), as `msg: err.message`. */
export function tellingLogLine(lines: readonly string[]): string | undefined {
  const entries = lines.map(parseLogLine).filter((entry) => entry !== undefined)
  const chosen = entries.findLast((entry) => entry.level >= WARN) ?? entries.at(-1)
  return chosen?.text
}

function parseLogLine(line: string): { level: number; text: string } | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return line.trim() === '' ? undefined : { level: 0, text: line.trim() }
  }
  const entry = (value ?? {}) as { level?: unknown; msg?: unknown; err?: { message?: unknown } }
  const level = levelValue(entry.level)
  const msg = typeof entry.msg === 'string' ? entry.msg : line
  const cause = typeof entry.err?.message === 'string' ? `: ${entry.err.message.split('\n')[0]}` : ''
  return { level, text: `${msg}${cause}` }
}

/** What node or the daemon printed: the error line of a stack trace, not its frames or node's version footer. */
export function tellingOutLine(lines: readonly string[]): string | undefined {
  const said = lines.map((line) => line.trim()).filter((line) => line !== '' && !/^at\s|^\^+$|^Node\.js v\d/.test(line))
  return said.findLast((line) => /^[\w.]*(Error|Exception)\b.*:/.test(line)) ?? said.at(-1)
}

async function linesSince(file: string, from: number): Promise<string[]> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    // Never through a planted link: what is read here ends up in an error message.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    const size = (await handle.stat()).size
    // A file rotated or truncated since the mark is read from its start.
    const start = Math.max(size < from ? 0 : from, size - MOST_BYTES)
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-KEEP_LINES)
  } catch {
    return []
  } finally {
    await handle?.close()
  }
}
