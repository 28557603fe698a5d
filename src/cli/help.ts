import { Help } from '@oclif/core'
import { unknownCommandError } from './unknown-command.js'

/**
 * oclif's help, with help for a command that does not exist (`help stauts`,
 * `stauts --help`) failing as running it would: unknown command, with the
 * nearest one suggested.
 */
export default class MswooleHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (err) {
      const subject = /^Command (.+) not found\.?$/.exec((err as Error).message)?.[1]
      throw subject === undefined ? err : unknownCommandError(this.config, subject)
    }
  }
}
