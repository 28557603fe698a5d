import { Errors, flush, run, settings } from '@oclif/core'
import { reportFailure, wantsJson } from './failure.js'

/**
 * The CLI's entry (bin/run.js, bin/dev.js): runs the command line and ends
 * the process with the command's exit code. Failures that no command caught
 * (an unknown command, help for one, a broken install) are reported as the
 * commands report theirs.
 */
export async function runCli(dir: string, options: { development?: boolean } = {}): Promise<void> {
  const argv = process.argv.slice(2)
  if (options.development === true) {
    process.env.NODE_ENV = 'development'
    settings.debug = true
  } else {
    // The built CLI runs its build: an operator's NODE_ENV=development (or a test runner's "test")
    // must not send oclif after the TypeScript sources of the help class.
    settings.enableAutoTranspile = false
  }
  try {
    await run(argv, dir)
    await flush()
  } catch (err) {
    // As oclif's own handler does: what is left open (a socket, a timer) must not keep a failed command alive.
    process.exit(err instanceof Errors.ExitError ? (err.oclif.exit ?? 1) : reportFailure(err, wantsJson(argv)))
  }
}
