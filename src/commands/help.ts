import { Args, loadHelpClass } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'

export default class HelpCommand extends BaseCommand {
  static override summary = 'Show the commands, or how to use one'
  static override description =
    'With no command, lists every command; with one (as typed, e.g. `conn ls`), shows its usage, flags and examples.'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help start', '<%= config.bin %> help conn ls']
  static override enableJsonFlag = false
  // The command's words are any number of arguments.
  static override strict = false
  static override args = {
    command: Args.string({ description: 'the command or topic, as typed: start, conn, conn ls…', required: false }),
  }

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand)
    const Help = await loadHelpClass(this.config)
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(argv as string[])
  }
}
