import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { checkParams } from '../cli/check-params.js'
import { parseConnectionRef } from '../cli/connection-ref.js'
import { withDaemon } from '../ipc/client.js'
import type { KickResult } from '../contracts/control-api.js'
import { CLOSE_CODES } from '../protocol/close-codes.js'

export default class Kick extends BaseCommand {
  static override summary = 'Close a client connection'
  static override description =
    'Closes the connection with this fd, or with this connection id "<node>:<fd>" on any node of a cluster (see `conn ls`), sending the close code and reason to the client. The connection leaves its rooms and its close hooks run, as for any other close. Fails with MSW_ERR_CONN_NOT_FOUND when there is no such connection.'

  static override examples = [
    '<%= config.bin %> kick 12',
    '<%= config.bin %> kick 12 --reason "spam" --code 4001',
    '<%= config.bin %> kick web-2:17',
  ]

  static override args = {
    fd: Args.string({ description: 'the connection to close: its fd, or its connection id <node>:<fd> (see `conn ls`)', required: true }),
  }

  static override flags = {
    code: Flags.integer({ description: 'WebSocket close code: 1000 or 3000–4999', default: CLOSE_CODES.KICKED }),
    reason: Flags.string({ description: 'close reason the client receives (at most 123 bytes)', default: 'kicked' }),
  }

  async run(): Promise<KickResult> {
    const { args, flags } = await this.parse(Kick)
    const fd = parseConnectionRef(args.fd)
    const params = checkParams('connections.kick', { fd, code: flags.code, reason: flags.reason })
    const config = await this.loadSettings(flags.config)
    const result = await withDaemon(config.paths.socket, (client) => client.call('connections.kick', params))
    this.log(`kicked ${typeof fd === 'number' ? `fd ${result.fd}` : result.cid} (${result.code}, ${result.reason})`)
    return result
  }
}
