import { describe, expect, it } from 'vitest'
import { authRefusalReasons } from '../../helpers/auth-refusals.js'
import { useSharedDaemon } from '../../helpers/cli.js'
import { refusal, TestClient } from '../../helpers/client.js'
import { legacyEncrypt } from '../../helpers/legacy-cipher.js'

/**
 * Legacy tokens as PHP backends minted them for MSwoole-ws, whose checkAtuh took
 * any object: fields left out, numbers where strings were meant. They get in,
 * and controllers see them in the same shapes as a full token's.
 */

const KEY = 'lenient-test-key'
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** A token of exactly this JSON, as a PHP backend with the key would mint it. */
const tokenOf = (json: string): string => legacyEncrypt(json, KEY)

interface Seen {
  auth: Record<string, unknown>
  code: unknown
}

/** What the sample app's echo controller receives from a connection made with `token`. */
async function seenBy(port: number, token: string): Promise<Seen> {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/?auth=${encodeURIComponent(token)}`)
  const reply = await client.ask({ method: 'index.index.echo' }, 'echo')
  client.close()
  await client.closed()
  const { auth, code } = reply.param as Seen
  return { auth, code }
}

describe('lenient legacy tokens, no max_age', () => {
  // Each test only connects and closes.
  const shared = useSharedDaemon({ auth: { key: KEY }, setting: { worker_num: 1 } })

  it.each([
    ['no nickname, type or ctime', '{"id":7,"code":"hall-7"}', { auth: { id: 7, code: 'hall-7', type: '', nickname: '' }, code: 'hall-7' }],
    [
      'a numeric code and a null nickname',
      '{"id":7,"type":"wall","code":1001,"nickname":null,"ctime":1764000000}',
      { auth: { id: 7, type: 'wall', code: '1001', nickname: '', ctime: 1764000000 }, code: '1001' },
    ],
    [
      'a ctime written as a string and a string id',
      '{"id":"u-7","type":"wechatUser","code":"hall-7","nickname":"Tom","ctime":"1764000000"}',
      { auth: { id: 'u-7', type: 'wechatUser', code: 'hall-7', nickname: 'Tom', ctime: 1764000000 }, code: 'hall-7' },
    ],
    [
      'a numeric nickname and extra fields',
      '{"id":7,"code":"hall-7","nickname":42,"avatar":"a.png","vip":{"level":2}}',
      { auth: { id: 7, code: 'hall-7', type: '', nickname: '42', avatar: 'a.png', vip: { level: 2 } }, code: 'hall-7' },
    ],
  ])('lets in a token with %s', async (_what, json, expected) => {
    const seen = await seenBy(shared().status.outside.port, tokenOf(json))
    expect(seen).toEqual(expected)
  })
})

describe('lenient legacy tokens under auth.max_age', () => {
  // One test: it connects, is refused, and reads the log.
  const shared = useSharedDaemon({ auth: { key: KEY, max_age: 600 }, log: { level: 'debug' }, setting: { worker_num: 1 } })

  it('refuses a token without ctime with 403, logging why, and ages a string ctime like a number', async () => {
    const { project, status } = shared()
    const port = status.outside.port
    const now = nowSeconds()

    const { status: code, headers } = await refusal(
      `ws://127.0.0.1:${port}/?auth=${encodeURIComponent(tokenOf('{"id":7,"type":"wall","code":"hall-7","nickname":"Big Screen"}'))}`,
    )
    expect(code).toBe(403)
    expect(headers.message).toBe('error auth')

    expect(await seenBy(port, tokenOf(`{"id":7,"code":"hall-7","ctime":"${now}"}`))).toEqual({
      auth: { id: 7, code: 'hall-7', type: '', nickname: '', ctime: now },
      code: 'hall-7',
    })
    const stale = await refusal(
      `ws://127.0.0.1:${port}/?auth=${encodeURIComponent(tokenOf(`{"id":7,"code":"hall-7","ctime":"${now - 3600}"}`))}`,
    )
    expect(stale.status).toBe(403)

    expect(await authRefusalReasons(project, 2)).toEqual(['token has no ctime and auth.max_age is set', 'token older than 600s'])
  })
})
