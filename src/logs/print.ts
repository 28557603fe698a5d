import { formatLogLine } from './format-line.js'

export interface LinePrinterOptions {
  /** Print JSON lines as they are (for jq and log shippers). */
  raw: boolean
  color: boolean
}

/** Prints log lines, one line per event for people, untouched for machines. */
export function createLinePrinter(options: LinePrinterOptions): (line: string) => void {
  if (options.raw) return (line) => process.stdout.write(`${line}\n`)
  return (line) => process.stdout.write(formatLogLine(line, { color: options.color }))
}
