import { describe, expect, it } from 'vitest'
import { decodeToken } from '../../src/auth/codec.js'
import { decodeMswooleToken, encodeMswooleToken, phpJsonEncode } from '../../src/auth/mswoole-codec.js'
import { MswError } from '../../src/errors.js'
import { authRefusalReasons } from '../helpers/auth-refusals.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { refusal, TestClient } from '../helpers/client.js'
import { BLOCK, legacyBlocks, legacyDecrypt, legacyToken } from '../helpers/legacy-cipher.js'

/**
 * Legacy tokens are 3DES in ECB mode with no MAC: every 8-byte block of
 * plaintext encrypts the same wherever it stands, so blocks cut from tokens a
 * backend minted (with nicknames the attacker chose) can be put together into
 * a token the backend never minted. These are such splices, built the way an
 * attacker holding only ordinary user tokens would, and what the codec makes
 * of them.
 *
 * The tokens follow the field order of MSwoole-ws backends (the fixture's:
 * id, type, code, nickname, ctime) and are minted by the codec, as a backend
 * holding the key would. json_encode writes `"` in a nickname as `\"`, so a
 * nickname block can hold a raw quote only as its first byte, the backslash
 * ending the block before it.
 */

const KEY = 'splice-test-key'
const MAX_AGE = 3600
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

interface Minted {
  token: string
  /** The plaintext as encrypted, PKCS5 padding included. */
  padded: Buffer
}

function mint(fields: { id: number; type: string; nickname: string; ctime: number }): Minted {
  const payload = { id: fields.id, type: fields.type, code: 'hall-7', nickname: fields.nickname, ctime: fields.ctime }
  const token = encodeMswooleToken(payload, KEY)
  const plain = Buffer.from(phpJsonEncode(payload))
  const pad = BLOCK - (plain.length % BLOCK)
  const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)])
  expect(legacyDecrypt(token, KEY)).toEqual(plain)
  return { token, padded }
}

/** The ciphertext block of `minted` whose plaintext is `text` (8 bytes), wherever it stands. */
function block(minted: Minted, text: string | Buffer): Buffer {
  const want = Buffer.from(text)
  expect(want.length).toBe(BLOCK)
  const blocks = legacyBlocks(minted.token)
  for (let i = 0; i < blocks.length; i++) {
    if (minted.padded.subarray(i * BLOCK, (i + 1) * BLOCK).equals(want)) return blocks[i]!
  }
  throw new Error(`no block ${JSON.stringify(want.toString('latin1'))} in ${JSON.stringify(minted.padded.toString('latin1'))}`)
}

/** Ordinary user tokens: an honest one, and two with nicknames chosen to give useful blocks. */
function userTokens(ctime: number) {
  const user = (nickname: string): Minted => mint({ id: 7, type: 'wechatUser', nickname, ctime })
  const honest = user('Tom')
  // '{"id":7,"type":"wechatUser","code":"hall-7","nickname":"' is 56 bytes: nicknames start on a block.
  expect(honest.padded.toString().indexOf('"nickname":"') + '"nickname":"'.length).toBe(56)
  // Written \" by json_encode: each quote lands first in its block, the backslash closing the block before.
  const crafted = user('xxxxxxx",      ' + ',       ' + 'xxxxxxx"padding' + 'xxxxxxx":      ' + 'xxxxxxx"xxxxxxx' + 'xxxxxxx"       ')
  // Its tail starts on a block: 'wall","c' 'time":17' '<8 digits>' '}' + padding.
  const wall = user('wall')
  return { honest, crafted, wall }
}

const tail = (minted: Minted, ctime: number): Buffer[] => [
  block(minted, 'wall","c'),
  block(minted, 'time":' + String(ctime).slice(0, 2)),
  block(minted, String(ctime).slice(2)),
  block(minted, Buffer.from('}\x07\x07\x07\x07\x07\x07\x07', 'latin1')),
]

/** The reported attack: a second "type" key, the last one winning in JSON.parse and PHP's json_decode alike. */
function duplicateTypeSplice(ctime: number): { token: string; plain: string } {
  const { honest, crafted, wall } = userTokens(ctime)
  const blocks = [
    ...['{"id":7,', '"type":"', 'wechatUs', 'er","cod', 'e":"hall', '-7","nic', 'kname":"'].map((text) => block(honest, text)),
    block(crafted, '",      '),
    block(honest, '"type":"'),
    ...tail(wall, ctime),
  ]
  return {
    token: legacyToken(blocks),
    plain: `{"id":7,"type":"wechatUser","code":"hall-7","nickname":"",      "type":"wall","ctime":${ctime}}`,
  }
}

/** The same escalation with every key once: spaces pad the forged parts out to block boundaries. */
function paddedSplice(ctime: number): { token: string; plain: string } {
  const { honest, crafted, wall } = userTokens(ctime)
  const [wallStart, timeBlock, digits, end] = tail(wall, ctime)
  const blocks = [
    block(honest, '{"id":7,'),
    block(honest, '"type":"'),
    wallStart!,
    timeBlock!,
    digits!,
    block(crafted, ',       '),
    block(crafted, '"padding'),
    block(crafted, '":      '),
    block(crafted, '"xxxxxxx'),
    ...['er","cod', 'e":"hall', '-7","nic', 'kname":"'].map((text) => block(honest, text)),
    block(crafted, '"       '),
    end!,
  ]
  return {
    token: legacyToken(blocks),
    plain: `{"id":7,"type":"wall","ctime":${ctime},       "padding":      "xxxxxxxer","code":"hall-7","nickname":""       }`,
  }
}

function refusalReason(token: string): string {
  try {
    decodeMswooleToken(token, KEY)
  } catch (err) {
    expect(err).toBeInstanceOf(MswError)
    expect((err as MswError).code).toBe('MSW_ERR_AUTH_INVALID')
    return (err as MswError).message
  }
  return expect.fail('the splice was accepted')
}

describe('legacy token splicing: the codec', () => {
  it('refuses the three-token splice that makes a user a "wall" through a duplicate "type" key', () => {
    const ctime = nowSeconds()
    const { token, plain } = duplicateTypeSplice(ctime)
    // The splice decrypts cleanly to JSON whose last "type" (the one JSON.parse and json_decode keep) is "wall".
    expect(legacyDecrypt(token, KEY).toString()).toBe(plain)
    expect(JSON.parse(plain)).toMatchObject({ id: 7, type: 'wall', code: 'hall-7', ctime })
    expect(refusalReason(token)).toBe('token payload is not as json_encode writes it: duplicate key "type"')
  })

  it('refuses the same escalation written without a duplicate key, for its padding spaces', () => {
    const ctime = nowSeconds()
    const { token, plain } = paddedSplice(ctime)
    expect(legacyDecrypt(token, KEY).toString()).toBe(plain)
    // Every key once, all of them present: it would pass a schema check alone.
    expect(JSON.parse(plain)).toEqual({ id: 7, type: 'wall', ctime, padding: 'xxxxxxxer', code: 'hall-7', nickname: '' })
    expect(refusalReason(token)).toBe('token payload is not as json_encode writes it: whitespace between JSON tokens')
  })

  it("still accepts a splice that keeps json_encode's exact form: a stale token renewed with a fresh tail (use jwt)", async () => {
    // What ECB leaves open and no plaintext check can close: a wall token that aged out of max_age
    // (leaked, say), and a fresh user token whose nickname makes the rest of the wall's nickname
    // and the closing fields. No duplicate key, no whitespace: a token json_encode could have written.
    const now = nowSeconds()
    const stale = mint({ id: 900, type: 'wall', nickname: 'Big Screen', ctime: now - 10 * MAX_AGE })
    const fresh = mint({ id: 7, type: 'wechatUser', nickname: 'Screen', ctime: now })
    const stalePrefix = '{"id":900,"type":"wall","code":"hall-7","nickname":"Big '
    const blocks = [
      ...legacyBlocks(stale.token).slice(0, stalePrefix.length / BLOCK),
      ...legacyBlocks(fresh.token).slice(stalePrefix.length / BLOCK),
    ]
    expect(stale.padded.subarray(0, stalePrefix.length).toString()).toBe(stalePrefix)
    expect(fresh.padded.subarray(stalePrefix.length, stalePrefix.length + BLOCK).toString()).toBe('Screen",')
    const renewed = legacyToken(blocks)

    await expect(decodeToken('mswoole', stale.token, KEY, { maxAge: MAX_AGE, now })).rejects.toMatchObject({ code: 'MSW_ERR_AUTH_EXPIRED' })
    expect(await decodeToken('mswoole', renewed, KEY, { maxAge: MAX_AGE, now })).toEqual({
      id: 900,
      type: 'wall',
      code: 'hall-7',
      nickname: 'Big Screen',
      ctime: now,
    })
  })
})

describe('legacy token splicing: at the upgrade', () => {
  // Connects, gets refused and reads the log: nothing changes the daemon.
  const shared = useSharedDaemon({ auth: { key: KEY, max_age: MAX_AGE }, log: { level: 'debug' }, setting: { worker_num: 1 } })

  it('answers 403 to both spliced escalations, logs why, and still lets the tokens they came from in', async () => {
    const { project, status } = shared()
    const url = (token: string): string => `ws://127.0.0.1:${status.outside.port}/?auth=${encodeURIComponent(token)}`
    const ctime = nowSeconds()

    // The control: the ordinary tokens the splices were cut from are accepted, as users.
    for (const minted of Object.values(userTokens(ctime))) {
      const client = await TestClient.connect(url(minted.token))
      const reply = await client.ask({ method: 'index.index.echo' }, 'echo')
      expect((reply.param as { auth: Record<string, unknown> }).auth).toMatchObject({ id: 7, type: 'wechatUser', code: 'hall-7' })
      client.close()
      await client.closed()
    }

    for (const splice of [duplicateTypeSplice(ctime), paddedSplice(ctime)]) {
      const { status: code, headers } = await refusal(url(splice.token))
      expect(code, splice.plain).toBe(403)
      expect(headers.message, splice.plain).toBe('error auth')
    }

    expect(await authRefusalReasons(project, 2)).toEqual([
      'token payload is not as json_encode writes it: duplicate key "type"',
      'token payload is not as json_encode writes it: whitespace between JSON tokens',
    ])
  })
})
