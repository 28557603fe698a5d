import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { checkParams } from '../cli/check-params.js'
import { deliveredText, nobodyWarning, parseConnectionRef } from '../cli/connection-ref.js'
import { envelopeFields, MESSAGE_NAMES, messageArgs, messageFlags } from '../cli/message-flags.js'
import { withDaemon } from '../ipc/client.js'
import type { DeliveryResult } from '../contracts/control-api.js'

export default class Push extends BaseCommand {
  static override summary = 'Send a message to one connection, or to every connection of a uid'
  static override description =
    "Sends the envelope {status, event, info, param} to the connection with this fd or connection id (on any node of a cluster), or to each connection whose token id is this uid (a user with two tabs gets it twice). The message argument is the envelope's info; --param adds any JSON value as its param. Fails with MSW_ERR_CONN_NOT_FOUND when no connection matches."

  static override examples = [
    '<%= config.bin %> push --fd 12 "Your question was picked"',
    '<%= config.bin %> push --uid 42 --event prize --param \'{"prize":"mug"}\' "You won"',
  ]

  static override args = messageArgs

  static override flags = {
    fd: Flags.string({
      description: 'the connection to send to: an fd, or a connection id <node>:<fd> (or --uid)',
      exactlyOne: ['fd', 'uid'],
    }),
    uid: Flags.string({ description: "every connection of this uid, the token's id (or --fd)", exactlyOne: ['fd', 'uid'] }),
    ...messageFlags('serverPush'),
  }

  async run(): Promise<DeliveryResult> {
    const { args, flags } = await this.parse(Push)
    const envelope = envelopeFields(flags, args.message)
    const target = flags.fd === undefined ? { uid: flags.uid } : { fd: parseConnectionRef(flags.fd) }
    const params = checkParams('push', { ...target, ...envelope }, MESSAGE_NAMES)
    const config = await this.loadSettings(flags.config)
    const result = await withDaemon(config.paths.socket, (client) => client.call('push', params))
    this.log(`pushed to ${deliveredText(result)}`)
    // A connection found but written nothing: it is closing, or was too slow and cut.
    const warning = nobodyWarning(result, `${flags.fd === undefined ? `uid ${flags.uid}` : `fd ${flags.fd}`} is closing`)
    if (warning !== undefined) this.warnOperator(warning)
    return result
  }
}
