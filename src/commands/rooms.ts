import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { pagedListing, roomPresenceTable, roomsTable } from '../cli/format.js'
import { layoutFor, outputFlags } from '../cli/output-flag.js'
import { pagingFlags } from '../cli/paging-flags.js'
import { withDaemon } from '../ipc/client.js'
import type { RoomsListResult } from '../contracts/control-api.js'

export default class Rooms extends BaseCommand {
  static override summary = 'List rooms and how many connections each holds'
  static override description =
    "Every room with at least one member, by name: the token-code rooms connections join at open, and the rooms controllers make (the Live module's user and wall rooms, for example). With --presence, one row per uid of each room with its connections there (uid - for connections bound to no uid). With --json, prints {total, offset, limit, rooms}; with --presence each room also has uids [{uid, connections}] and anonymous."

  static override examples = [
    '<%= config.bin %> rooms',
    '<%= config.bin %> rooms --prefix user:',
    '<%= config.bin %> rooms -o wide',
    '<%= config.bin %> rooms --presence --prefix live:',
    '<%= config.bin %> rooms --json | jq ".rooms[] | select(.members > 100)"',
  ]

  static override flags = {
    prefix: Flags.string({ description: 'only rooms whose name starts with this' }),
    presence: Flags.boolean({ description: "each room's uids and how many connections each has there" }),
    ...pagingFlags('rooms'),
    ...outputFlags,
  }

  async run(): Promise<RoomsListResult> {
    const { flags } = await this.parse(Rooms)
    const config = await this.loadSettings(flags.config)
    const { prefix, limit, offset, presence } = flags
    const params = presence ? { prefix, limit, offset, presence } : { prefix, limit, offset }
    const result = await withDaemon(config.paths.socket, (client) => client.call('rooms.list', params))
    if (!this.jsonEnabled()) {
      const layout = layoutFor(flags.output)
      const table = presence ? roomPresenceTable : roomsTable
      this.log(pagedListing(result, result.rooms, 'room', (items) => table(items, layout)))
    }
    return result
  }
}
