import { errorFromJSON, isErrorCode, MswError, type ErrorCode } from '../errors.js'
import { oneLineMessage } from './one-line.js'

/** How every mswoole command ends; docs/cli.md lists them. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3 } as const

/** Codes that mean the command line itself is wrong, whoever noticed it: the parser, a command or the daemon's own checks. */
const USAGE: ReadonlySet<ErrorCode> = new Set(['MSW_ERR_INVALID_ARGUMENT', 'MSW_ERR_UNKNOWN_COMMAND'])

export interface Failure {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> }
  exitCode: number
}

/**
 * Any error a command ends with, as mswoole reports it. oclif's parser errors
 * (unknown flag, missing argument, bad option value) carry exit 2 and become
 * MSW_ERR_INVALID_ARGUMENT; anything else that is not an MswError is a bug.
 */
export function describeFailure(err: unknown): Failure {
  const msw = asMswError(err)
  if (msw !== undefined) {
    const exitCode = msw.code === 'MSW_ERR_NOT_RUNNING' ? EXIT.notRunning : USAGE.has(msw.code) ? EXIT.usage : EXIT.failure
    return { error: msw.toJSON(), exitCode }
  }
  const message = missingArgsMessage(err) ?? oneLineMessage(err instanceof Error ? err.message : String(err))
  const parser = (err as { oclif?: { exit?: unknown } } | null)?.oclif?.exit === EXIT.usage
  return parser
    ? { error: { code: 'MSW_ERR_INVALID_ARGUMENT', message }, exitCode: EXIT.usage }
    : { error: { code: 'MSW_ERR_INTERNAL', message }, exitCode: EXIT.failure }
}

/** An MswError, also one made by another copy of errors.ts (oclif loads hooks on its own in development). */
function asMswError(err: unknown): MswError | undefined {
  if (err instanceof MswError) return err
  const like = err as { name?: unknown; code?: unknown } | null
  return like?.name === 'MswError' && isErrorCode(like.code) ? errorFromJSON(like) : undefined
}

/** oclif lists missing arguments with their descriptions over several lines; their names say enough. */
function missingArgsMessage(err: unknown): string | undefined {
  const { args, message } = (err ?? {}) as { args?: unknown; message?: unknown }
  if (!Array.isArray(args) || typeof message !== 'string' || !message.startsWith('Missing ')) return undefined
  const names = args.map((arg: { name?: unknown }) => String(arg.name)).join(', ')
  return `${message.split(':')[0]}: ${names}`
}

/** Prints the failure (one line on stderr; with --json, also the envelope on stdout) and returns the exit code. */
export function reportFailure(err: unknown, json: boolean): number {
  const failure = describeFailure(err)
  if (json) process.stdout.write(`${JSON.stringify({ error: failure.error }, null, 2)}\n`)
  process.stderr.write(`${failureLine(failure)}\n`)
  return failure.exitCode
}

/** `Error: <first line of the message> [MSW_ERR_…]`. */
export function failureLine({ error }: Failure): string {
  return `Error: ${error.message.split('\n')[0] ?? ''} [${error.code}]`
}

/** Whether a command line asks for JSON: `--json` before any `--`. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}
