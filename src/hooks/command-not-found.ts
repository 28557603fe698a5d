import type { Hook } from '@oclif/core'
import { unknownCommandError } from '../cli/unknown-command.js'

/**
 * oclif's answer to a command line that names no command. Thrown, the error
 * reaches the CLI's entry (cli/run-cli.ts), which prints it as every other
 * failure: one line with its code, the JSON envelope with --json, exit 2.
 */
const commandNotFound: Hook.CommandNotFound = async ({ config, id }) => {
  throw unknownCommandError(config, id)
}

export default commandNotFound
