import { prettyFactory } from 'pino-pretty'

export interface LinePrinterOptions {
  /** Print JSON lines as they are (for jq and log shippers). */
  raw: boolean
  color: boolean
}

/** Prints log lines, pretty for people, untouched for machines. */
export function createLinePrinter(options: LinePrinterOptions): (line: string) => void {
  if (options.raw) return (line) => process.stdout.write(line + '\n')
  const pretty = prettyFactory({ colorize: options.color, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'hostname' })
  return (line) => {
    let formatted: string
    try {
      formatted = pretty(line)
    } catch {
      formatted = line + '\n'
    }
    process.stdout.write(formatted)
  }
}
