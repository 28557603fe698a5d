import { BaseCommand } from '../cli/base-command.js'

export default class Version extends BaseCommand {
  static override summary = 'Print the version of mswoole'
  static override description =
    'The same line as `mswoole --version` and `mswoole -v`: the version, the platform and the version of Node.js.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  async run(): Promise<{ version: string; node: string; platform: string; arch: string }> {
    await this.parse(Version)
    this.log(this.config.userAgent)
    return { version: this.config.version, node: process.versions.node, platform: process.platform, arch: process.arch }
  }
}
