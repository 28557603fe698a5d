import { execa } from 'execa'

/** One shell word: script(1) runs its command through a shell. */
function shellWord(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`
}

/**
 * Runs a command on a pseudo-terminal, as at an operator's terminal: its
 * stdout is a TTY. util-linux script(1) gives one without a dependency; -e
 * passes the command's exit code on. The output has the terminal's \r\n line ends.
 */
export function onTerminal(command: string[], env: Record<string, string | undefined> = {}) {
  return execa('script', ['-qec', command.map(shellWord).join(' '), '/dev/null'], { reject: false, stdin: 'ignore', env })
}

/** What a terminal showed, with the line ends it adds (\r\n) back to \n. */
export function terminalText(text: unknown): string {
  return String(text).replaceAll('\r\n', '\n')
}
