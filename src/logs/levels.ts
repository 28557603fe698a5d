import type { LogLevelName } from '../ipc/methods.js'

const LEVEL_VALUES: Record<LogLevelName, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

/** A predicate on raw JSON log lines: true when the line is at `level` or above. */
export function levelFilter(level: LogLevelName | undefined): (line: string) => boolean {
  if (!level) return () => true
  const min = LEVEL_VALUES[level]
  return (line) => {
    const match = /"level":(\d+)/.exec(line)
    return match !== null && Number(match[1]) >= min
  }
}
