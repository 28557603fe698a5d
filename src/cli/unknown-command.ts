import { MswError } from '../errors.js'

/** What the suggestion needs to know of the CLI: its name, its commands and topics. */
export interface CommandCatalogue {
  bin: string
  commands: ReadonlyArray<{ id: string; hidden?: boolean }>
  topics: ReadonlyArray<{ name: string; hidden?: boolean }>
}

/**
 * The error for a command line whose command does not exist, with the
 * nearest command or topic when one is close enough to be a typo. oclif
 * gives the id with ':' between words ("conn:lss"); operators type spaces.
 */
export function unknownCommandError(catalogue: CommandCatalogue, id: string): MswError {
  const typed = id.replaceAll(':', ' ')
  const help = `see ${catalogue.bin} help`
  if (typed.startsWith('-')) {
    return new MswError('MSW_ERR_INVALID_ARGUMENT', `${typed} needs a command before it (${help})`, { details: { flag: typed } })
  }
  const ids = catalogue.commands.filter((command) => command.hidden !== true).map((command) => command.id.replaceAll(':', ' '))
  // oclif reads extra words after a command that takes no arguments as part of its id ("stop now" → "stop:now").
  const words = typed.split(' ')
  for (let length = words.length - 1; length > 0; length--) {
    const command = words.slice(0, length).join(' ')
    if (ids.includes(command)) {
      const extra = words.slice(length).join(' ')
      return new MswError(
        'MSW_ERR_INVALID_ARGUMENT',
        `unexpected argument "${extra}" for ${catalogue.bin} ${command} (${help} ${command})`,
        {
          details: { command, argument: extra },
        },
      )
    }
  }
  const topics = catalogue.topics.filter((topic) => topic.hidden !== true).map((topic) => topic.name.replaceAll(':', ' '))
  const suggestion = nearest(typed, [...new Set([...ids, ...topics])])
  const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`
  return new MswError('MSW_ERR_UNKNOWN_COMMAND', `unknown command "${typed}"${hint} (${help})`, {
    details: suggestion === undefined ? { command: typed } : { command: typed, suggestion },
  })
}

/** The candidate fewest edits away, when those edits could be a typo: at most a third of the word, and at least 2. */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(typed.length / 3))
  let best: { name: string; distance: number } | undefined
  for (const name of [...candidates].sort()) {
    const distance = editDistance(typed, name)
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance }
  }
  return best?.name
}

/** Levenshtein distance, where swapping two neighbours ("stauts") counts as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1)
      const row = rows[i]
      if (row) row[j] = distance
    }
  }
  return at(a.length, b.length)
}
