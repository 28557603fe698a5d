// The text of docs/errors.md, rendered from the error catalogue. Pure, so the
// docs test can compare it with the page on disk.
import { ERROR_CATALOGUE, type ErrorEntry } from '../src/errors.js'

const HEADER = '<!-- Generated from src/errors.ts by `npm run docs:errors`: edit the catalogue there, not this page. -->'

const INTRO = `# Errors

Every error mswoole raises has a stable code. The CLI prints it in brackets, JSON-RPC errors carry
it in \`error.data.code\`, and \`--json\` prints it as \`error.code\`.`

const OUTRO = 'The catalogue lives in `src/errors.ts`.'

/** A table cell: a pipe would end the cell early. Empty cells stay `| |`. */
function cell(text: string): string {
  return text === '' ? ' |' : ` ${text.replaceAll('|', '\\|')} |`
}

/** One row per code, except that codes next to each other with the same texts share a row. */
function rows(catalogue: Record<string, ErrorEntry>): string[] {
  const groups: { codes: string[]; entry: ErrorEntry }[] = []
  for (const [code, entry] of Object.entries(catalogue)) {
    const last = groups.at(-1)
    if (last && last.entry.meaning === entry.meaning && last.entry.action === entry.action) last.codes.push(code)
    else groups.push({ codes: [code], entry })
  }
  return groups.map(
    ({ codes, entry }) => `|${cell(codes.map((code) => `\`${code}\``).join(', '))}${cell(entry.meaning)}${cell(entry.action)}`,
  )
}

export function renderErrorsPage(catalogue: Record<string, ErrorEntry> = ERROR_CATALOGUE): string {
  const table = ['| code | meaning | what to do |', '| --- | --- | --- |', ...rows(catalogue)]
  return `${[HEADER, INTRO, table.join('\n'), OUTRO].join('\n\n')}\n`
}
