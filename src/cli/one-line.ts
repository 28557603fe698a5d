import { stripVTControlCharacters } from 'node:util'

const NOISE = [/^See more help with --help$/, /^The following errors? occurred:$/]

/**
 * A parser error's message as one line: oclif spreads its usage errors over
 * several ("Parsing --fd", "Expected an integer…", "See more help…"); the
 * CLI's contract is one line on stderr.
 */
export function oneLineMessage(message: string): string {
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '' && !NOISE.some((noise) => noise.test(line)))
  let text = ''
  for (const line of lines) {
    const parsing = /^Parsing (\S+)$/.exec(line)
    const part = parsing ? `${parsing[1]}:` : line
    text = text === '' ? part : `${text}${text.endsWith(':') ? ' ' : '; '}${part}`
  }
  return text.replace(/:$/, '')
}
