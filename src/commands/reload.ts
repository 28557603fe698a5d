import { BaseCommand } from '../cli/base-command.js'
import { workersTable } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import { withDaemon } from '../ipc/client.js'
import type { ReloadResult } from '../contracts/control-api.js'

export default class Reload extends BaseCommand {
  static override summary = 'Reload the application without dropping a connection'
  static override description =
    'Loads a new generation of workers from the application as it is on disk (TypeScript included), switches to it once every worker is ready, lets the old generation finish its work (up to setting.max_wait_time), runs its onReload hooks and ends it. If the new code fails to load, nothing changes and the command fails with the file, the line and the message.'

  static override examples = ['<%= config.bin %> reload', '<%= config.bin %> reload --json']

  async run(): Promise<ReloadResult> {
    const { flags } = await this.parse(Reload)
    const config = await this.loadSettings(flags.config)
    // Loading and draining can take up to max_wait_time; leave room past it for the answer.
    const timeoutMs = (config.app.setting.max_wait_time + 60) * 1000
    const result = await withProgress(!flags.json, 'Reloading', () =>
      withDaemon(config.paths.socket, (client) => client.call('reload', {}, { timeoutMs })),
    )
    this.log(`reloaded: generation ${result.generation} (was ${result.previous}) in ${result.durationMs} ms`)
    this.log(workersTable(result.workers))
    return result
  }
}
