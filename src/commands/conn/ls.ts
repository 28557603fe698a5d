import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { connectionsTable, pagedListing } from '../../cli/format.js'
import { layoutFor, outputFlags } from '../../cli/output-flag.js'
import { pagingFlags } from '../../cli/paging-flags.js'
import { withDaemon } from '../../ipc/client.js'
import type { ConnectionsListResult } from '../../contracts/control-api.js'

export default class ConnLs extends BaseCommand {
  static override summary = 'List client connections'
  static override description =
    'One row per connection: its fd, the uid, type, nickname and room code from its token, its address, when it connected and was last active, and the messages it sent and was sent (in/out). On a narrow terminal the table drops the least useful columns (in/out, last active, nickname, …) and shortens long text; -o wide shows every column in full. Filters combine: a connection must match all of them. The list is in fd order and paged with --limit and --offset. In a cluster (the Redis store) it covers every node, in node then fd order, and names each connection by its connection id <node>:<fd>; activity (last active, in/out) shows only for the connections of this node. With --json, prints {total, offset, limit, connections}.'

  static override examples = [
    '<%= config.bin %> conn ls',
    '<%= config.bin %> conn ls --room room1 --type wall',
    '<%= config.bin %> conn ls --uid 42',
    '<%= config.bin %> conn ls --node web-2',
    '<%= config.bin %> conn ls --limit 50 --offset 50',
    '<%= config.bin %> conn ls -o wide',
    '<%= config.bin %> conn ls --json | jq ".connections[].fd"',
  ]

  static override flags = {
    room: Flags.string({ description: 'only connections in this room (a token code, or a room a controller made)' }),
    type: Flags.string({ description: 'only connections whose token type is this (wechatUser, wall, …)' }),
    uid: Flags.string({ description: "only connections of this uid (the token's id)" }),
    ip: Flags.string({ description: 'only connections from this address' }),
    node: Flags.string({ description: 'only connections held by this node (in a cluster)' }),
    ...pagingFlags('connections'),
    ...outputFlags,
  }

  async run(): Promise<ConnectionsListResult> {
    const { flags } = await this.parse(ConnLs)
    const config = await this.loadSettings(flags.config)
    const { room, type, uid, ip, node, limit, offset } = flags
    const result = await withDaemon(config.paths.socket, (client) =>
      client.call('connections.list', { room, type, uid, ip, node, limit, offset }),
    )
    // The table is costly for a long page and --json would not print it.
    if (!this.jsonEnabled()) {
      const layout = layoutFor(flags.output)
      this.log(pagedListing(result, result.connections, 'connection', (items) => connectionsTable(items, layout)))
    }
    return result
  }
}
