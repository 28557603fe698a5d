import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { checkParams } from '../cli/check-params.js'
import { deliveredText, nobodyWarning, parseConnectionRef } from '../cli/connection-ref.js'
import { envelopeFields, MESSAGE_NAMES, messageArgs, messageFlags } from '../cli/message-flags.js'
import { withDaemon } from '../ipc/client.js'
import type { DeliveryResult } from '../contracts/control-api.js'

export default class Broadcast extends BaseCommand {
  static override summary = 'Send a message to every connection in a room, or to all'
  static override description =
    "Sends the envelope {status, event, info, param} to each connection in the room (everyone who connected with that token code, or a room a controller made), or with --all to every connection; in a cluster, on every node. The message argument is the envelope's info; --param adds any JSON value as its param. Prints how many connections it was written to."

  static override examples = [
    '<%= config.bin %> broadcast --room room1 "The show starts in 5 minutes"',
    '<%= config.bin %> broadcast --room room1 --event lottery --param \'{"winner":42}\' "We have a winner"',
    '<%= config.bin %> broadcast --all --event maintenance --status 503 "Back in 10 minutes"',
    '<%= config.bin %> broadcast --room room1 --except 12,15 "to everyone else"',
  ]

  static override args = messageArgs

  static override flags = {
    room: Flags.string({ description: 'the room to send to (or --all)', exactlyOne: ['room', 'all'] }),
    all: Flags.boolean({ description: 'send to every connection (or --room)', exactlyOne: ['room', 'all'] }),
    except: Flags.string({
      description: 'fds or connection ids <node>:<fd> to leave out (comma-separated, or the flag repeated)',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    ...messageFlags('serverBroadcast'),
  }

  async run(): Promise<DeliveryResult> {
    const { args, flags } = await this.parse(Broadcast)
    const envelope = envelopeFields(flags, args.message)
    const target = flags.room === undefined ? { all: true as const } : { room: flags.room }
    const params = checkParams('broadcast', { ...target, ...envelope, except: (flags.except ?? []).map(parseConnectionRef) }, MESSAGE_NAMES)
    const config = await this.loadSettings(flags.config)
    const result = await withDaemon(config.paths.socket, (client) => client.call('broadcast', params))
    const where = flags.room === undefined ? 'all' : `room ${flags.room}`
    this.log(`broadcast to ${deliveredText(result)} (${where})`)
    const warning = nobodyWarning(result, flags.room === undefined ? 'no client is connected' : `room ${flags.room} has no connection`)
    if (warning !== undefined) this.warnOperator(warning)
    return result
  }
}
