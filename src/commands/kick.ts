import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { MswError } from '../errors.js'
import { withDaemon } from '../ipc/client.js'
import type { KickResult } from '../ipc/methods.js'

export default class Kick extends BaseCommand {
  static override summary = 'Close a client connection'
  static override description =
    'Closes the connection with this fd (see `conn ls`), sending the close code and reason to the client. The connection leaves its rooms and its close hooks run, as for any other close. Fails with MSW_ERR_CONN_NOT_FOUND when no connection has that fd.'

  static override examples = [
    '<%= config.bin %> kick 12',
    '<%= config.bin %> kick 12 --reason "spam" --code 4001',
  ]

  static override args = {
    fd: Args.string({ description: 'the connection to close (its fd in `conn ls`)', required: true }),
  }

  static override flags = {
    code: Flags.integer({ description: 'WebSocket close code: 1000 or 3000–4999', default: 4000 }),
    reason: Flags.string({ description: 'close reason the client receives (at most 123 bytes)', default: 'kicked' }),
  }

  async run(): Promise<KickResult> {
    const { args, flags } = await this.parse(Kick)
    const fd = parseFd(args.fd)
    const config = await this.loadSettings(flags.config)
    const result = await withDaemon(config.paths.socket, (client) =>
      client.call('connections.kick', { fd, code: flags.code, reason: flags.reason }),
    )
    this.log(`kicked fd ${result.fd} (${result.code}, ${result.reason})`)
    return result
  }
}

function parseFd(text: string): number {
  const fd = /^[1-9]\d{0,14}$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(fd)) throw new MswError('MSW_ERR_INVALID_ARGUMENT', `fd must be a positive integer, got "${text}"`)
  return fd
}
