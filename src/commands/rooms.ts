import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { pagedListing, roomsTable } from '../cli/format.js'
import { layoutFor, outputFlags } from '../cli/output-flag.js'
import { pagingFlags } from '../cli/paging-flags.js'
import { withDaemon } from '../ipc/client.js'
import type { RoomsListResult } from '../contracts/control-api.js'

export default class Rooms extends BaseCommand {
  static override summary = 'List rooms and how many connections each holds'
  static override description =
    "Every room with at least one member, by name: the token-code rooms connections join at open, and the rooms controllers make (the Live module's user and wall rooms, for example). With --json, prints {total, offset, limit, rooms}."

  static override examples = [
    '<%= config.bin %> rooms',
    '<%= config.bin %> rooms --prefix user:',
    '<%= config.bin %> rooms -o wide',
    '<%= config.bin %> rooms --json | jq ".rooms[] | select(.members > 100)"',
  ]

  static override flags = {
    prefix: Flags.string({ description: 'only rooms whose name starts with this' }),
    ...pagingFlags('rooms'),
    ...outputFlags,
  }

  async run(): Promise<RoomsListResult> {
    const { flags } = await this.parse(Rooms)
    const config = await this.loadSettings(flags.config)
    const { prefix, limit, offset } = flags
    const result = await withDaemon(config.paths.socket, (client) => client.call('rooms.list', { prefix, limit, offset }))
    if (!this.jsonEnabled()) {
      const layout = layoutFor(flags.output)
      this.log(pagedListing(result, result.rooms, 'room', (items) => roomsTable(items, layout)))
    }
    return result
  }
}
