import type { LogLevelName } from '../config/log-levels.js'
import { levelName } from './levels.js'

export interface FormatOptions {
  color: boolean
}

/** Keys the head of the line shows, or that say the same on every line of a daemon (pid, node). */
const NOT_LISTED = new Set(['level', 'time', 'msg', 'pid', 'node', 'hostname', 'v'])

const LEVEL_COLORS: Record<LogLevelName, string> = {
  trace: '90',
  debug: '34',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '1;35',
}
const DIM = '2'

/**
 * One JSON log line as people read it, on one line: `time LEVEL msg key=value …`;
 * a stack, or any value of several lines, follows on indented lines of its own.
 * Answers the text with its newline; a line that is not a JSON object comes back unchanged.
 */
export function formatLogLine(line: string, options: FormatOptions): string {
  let entry: unknown
  try {
    entry = JSON.parse(line)
  } catch {
    return `${line}\n`
  }
  if (!isRecord(entry)) return `${line}\n`
  const paint = options.color ? (code: string, text: string) => `\u001b[${code}m${text}\u001b[0m` : (_code: string, text: string) => text

  const head: string[] = []
  const time = formatTime(entry.time)
  if (time !== undefined) head.push(paint(DIM, time))
  const name = levelName(entry.level)
  const label = escapeControls(name ?? String(entry.level ?? '?'))
    .toUpperCase()
    .padEnd(5)
  head.push(name === undefined ? label : paint(LEVEL_COLORS[name], label))
  const [msg = '', ...msgRest] = (typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '')).split('\n')
  if (msg !== '') head.push(escapeControls(msg))

  const below: string[] = msgRest.map((text) => `    ${escapeControls(text)}`)
  for (const [key, value] of Object.entries(entry)) {
    if (NOT_LISTED.has(key) || value === undefined) continue
    const shownKey = paint(DIM, `${escapeControls(key)}=`)
    if (typeof value === 'string' && value.includes('\n')) {
      // A value of several lines (a query, a template) is quoted after the line, under its key.
      below.push(`    ${escapeControls(key)}:`, ...indented(value, '      '))
      continue
    }
    if (isRecord(value) && typeof value.stack === 'string') {
      // An error: what it says on the line, its stack under it, as node prints it.
      const { stack, ...rest } = value
      if (Object.keys(rest).length > 0) head.push(shownKey + formatValue(rest))
      below.push(...indented(stack, '    '))
      continue
    }
    head.push(shownKey + formatValue(value))
  }
  return `${[head.join(' '), ...below].join('\n')}\n`
}

/** A value as `key=` takes it: bare when it is one word, JSON-quoted otherwise; objects as compact JSON. */
export function formatValue(value: unknown): string {
  // JSON escapes C0 controls but not DEL and C1: escapeControls takes those.
  if (typeof value === 'string') return needsQuotes(value) ? escapeControls(JSON.stringify(value)) : value
  if (typeof value === 'object' && value !== null) return escapeControls(JSON.stringify(value))
  return String(value)
}

function needsQuotes(value: string): boolean {
  if (value === '') return true
  for (const ch of value) {
    if (ch <= ' ' || ch === '"' || ch === '=' || ch === '\\' || isControl(ch.codePointAt(0) ?? 0)) return true
  }
  return false
}

/** The time in the reader's time zone, to the millisecond: `2026-12-06 09:12:03.412`. */
function formatTime(time: unknown): string | undefined {
  if (typeof time !== 'string' && typeof time !== 'number') return undefined
  const date = new Date(time)
  if (Number.isNaN(date.getTime())) return escapeControls(String(time))
  const two = (n: number) => String(n).padStart(2, '0')
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`
  return `${day} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`
}

function indented(text: string, indent: string): string[] {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => indent + escapeControls(line.replace(/\r$/, '')))
}

/** Control characters written as JSON escapes: a logged value must never drive the reader's terminal. */
function escapeControls(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    out += isControl(code) ? `\\u${code.toString(16).padStart(4, '0')}` : ch
  }
  return out
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
