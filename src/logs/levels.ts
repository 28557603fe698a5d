import { LEVEL_VALUES, LOG_LEVELS, type LogLevelName } from '../config/log-levels.js'

/**
 * A line's `level` as a name: lines say `"level":"warn"`; log files written by
 * earlier versions (kept by rotation) say `"level":40`. Undefined when neither.
 */
export function levelName(level: unknown): LogLevelName | undefined {
  if (typeof level === 'string') return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevelName) : undefined
  if (typeof level === 'number') return LOG_LEVELS.find((name) => LEVEL_VALUES[name] === level)
  return undefined
}

/** A line's `level` as pino's number (warn is 40), named or numbered; 0 when it has none. */
export function levelValue(level: unknown): number {
  const name = levelName(level)
  return name === undefined ? 0 : LEVEL_VALUES[name]
}

/** A predicate on raw JSON log lines: true when the line is at `level` or above, whether it names its level or numbers it. */
export function levelFilter(level: LogLevelName | undefined): (line: string) => boolean {
  if (!level) return () => true
  const min = LEVEL_VALUES[level]
  return (line) => {
    // The first "level" key is the line's own: pino writes it first, before any field.
    const match = /"level":(?:(\d+)|"([a-z]+)")/.exec(line)
    if (match === null) return false
    if (match[1] !== undefined) return Number(match[1]) >= min
    const name = levelName(match[2])
    return name !== undefined && LEVEL_VALUES[name] >= min
  }
}
