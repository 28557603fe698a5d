import { Flags } from '@oclif/core'
import { encodeToken } from '../auth/codec.js'
import { BaseCommand } from '../cli/base-command.js'
import { MswError } from '../errors.js'

export default class Token extends BaseCommand {
  static override summary = 'Mint a client token with the configured codec and key'
  static override description =
    'Prints a token for ws://host:port/?auth=<token>, made as the configured auth.codec makes them: "mswoole" (MSwoole-ws\'s 3DES tokens, byte-identical to PHP\'s Encrypt::des) or "jwt" (HS256).'

  static override examples = [
    '<%= config.bin %> token --id 1 --type wechatUser --code room1 --nickname Tom',
    '<%= config.bin %> token --id 900 --type wall --code room1 --nickname "Big Screen" --json',
  ]

  static override flags = {
    id: Flags.string({ description: 'user id', required: true }),
    type: Flags.string({ description: 'user type (wechatUser, wall, …)', required: true }),
    code: Flags.string({ description: 'room code', required: true }),
    nickname: Flags.string({ description: 'display name', default: '' }),
    ttl: Flags.integer({ description: 'seconds until the token expires (jwt codec only)', min: 1 }),
  }

  async run(): Promise<{ token: string; codec: string; payload: Record<string, unknown> }> {
    const { flags } = await this.parse(Token)
    const { auth } = (await this.loadSettings(flags.config)).app
    if (flags.ttl !== undefined && auth.codec !== 'jwt') {
      throw new MswError('MSW_ERR_INVALID_ARGUMENT', '--ttl needs the jwt codec; mswoole tokens age out through auth.max_age')
    }
    // A numeric id stays a number, as PHP backends send it.
    const id = /^(0|[1-9]\d{0,14})$/.test(flags.id) ? Number(flags.id) : flags.id
    const payload = { id, type: flags.type, code: flags.code, nickname: flags.nickname, ctime: Math.floor(Date.now() / 1000) }
    const token = await encodeToken(auth.codec, payload, auth.key, flags.ttl === undefined ? {} : { ttlSeconds: flags.ttl })
    this.log(token)
    return { token, codec: auth.codec, payload }
  }
}
