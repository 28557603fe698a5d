import { UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { encodeToken, type AuthCodecName } from '../../src/auth/codec.js'
import { cli, startDaemon, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { refusal, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { readLogLines } from '../helpers/project.js'

/**
 * Client tokens at the outside port's upgrade, for both codecs: what is refused
 * (403 with `message: error auth`, no WebSocket), what is let in, and that the
 * tokens never reach the log.
 *
 * Already covered in test/daemon/outside/auth.test.ts, so not repeated here:
 * a missing token, `?auth=` and malformed legacy tokens, a legacy token made with
 * the wrong key, a legacy token past max_age, a legacy token at a jwt daemon and
 * a JWT past its `exp`.
 */

const project = useProjects()

const KEYS: Record<AuthCodecName, string> = {
  mswoole: 'msw-security-test-key',
  jwt: 'jwt-security-test-secret-0123456789abcdef',
}
const OTHER: Record<AuthCodecName, AuthCodecName> = { mswoole: 'jwt', jwt: 'mswoole' }

/** Generous enough that a valid token can never age out while a test runs. */
const MAX_AGE = 3600
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

interface Claims {
  id: number
  type: string
  code: string
  nickname: string
  ctime: number
}

function claims(overrides: Partial<Claims> = {}): Claims {
  return { id: 7, type: 'wechatUser', code: 'hall-7', nickname: 'Tom', ctime: nowSeconds(), ...overrides }
}

function mint(codec: AuthCodecName, overrides: Partial<Claims> = {}, key = KEYS[codec]): Promise<string> {
  return encodeToken(codec, claims(overrides), key)
}

/** The token with the character in its middle replaced by another of the same alphabet. */
function flipMiddle(token: string): string {
  let at = Math.floor(token.length / 2)
  if (token[at] === '.') at++
  const replacement = token[at] === 'A' ? 'B' : 'A'
  return token.slice(0, at) + replacement + token.slice(at + 1)
}

/** A JWT whose payload says something else, with the original header and signature. */
function swapJwtPayload(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  return `${header}.${Buffer.from(JSON.stringify({ ...decoded, ...changes })).toString('base64url')}.${signature}`
}

/** A JWT with a header of our choosing and no signature. */
function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(payload)}.`
}

/** A legacy token's ciphertext, cut into its 8-byte 3DES blocks. */
function legacyBlocks(token: string): Buffer[] {
  const bytes = Buffer.from(token.replace(/\*/g, '+').replace(/:/g, '/').replace(/_/g, '='), 'base64')
  const blocks: Buffer[] = []
  for (let at = 0; at < bytes.length; at += 8) blocks.push(bytes.subarray(at, at + 8))
  return blocks
}

/** Blocks back into a legacy token (base64 with + / = as * : _). */
function legacyToken(blocks: Buffer[]): string {
  return Buffer.concat(blocks).toString('base64').replace(/\+/g, '*').replace(/\//g, ':').replace(/=/g, '_')
}

function urlOf(port: number, token: string): string {
  return `ws://127.0.0.1:${port}/?auth=${encodeURIComponent(token)}`
}

/** Connects, asks the sample app's echo and returns the auth the controller saw. */
async function acceptedAs(port: number, token: string): Promise<Record<string, unknown>> {
  const client = await TestClient.connect(urlOf(port, token))
  const reply = await client.ask({ method: 'index.index.echo' }, 'echo')
  client.close()
  await client.closed()
  return (reply.param as { auth: Record<string, unknown> }).auth
}

async function expectRefused(port: number, token: string, what: string): Promise<void> {
  const { status, headers } = await refusal(urlOf(port, token))
  expect(status, what).toBe(403)
  expect(headers.message, what).toBe('error auth')
  expect(headers.upgrade, what).toBeUndefined()
}

describe.each(['mswoole', 'jwt'] as const)('tokens at the upgrade, codec %s', (codec) => {
  // Both tests only connect (closing what they open) and get refused: they share this daemon.
  const generous = useSharedDaemon({
    auth: { codec, key: KEYS[codec], max_age: MAX_AGE },
    log: { level: 'trace' },
    setting: { worker_num: 1 },
  })

  it('lets a valid token in and refuses tampered, wrongly keyed, other-codec, too old and unsigned ones with 403', async () => {
    const {
      project: p,
      status: { outside },
    } = generous()
    const port = outside.port

    // The control: a token made right is accepted, and the controller sees its claims.
    const valid = await mint(codec)
    expect(await acceptedAs(port, valid)).toMatchObject({ id: 7, type: 'wechatUser', code: 'hall-7' })

    const refused: Array<[string, string]> = [
      ['a character flipped in the middle', flipMiddle(valid)],
      ['a token older than max_age (explicit ctime)', await mint(codec, { ctime: nowSeconds() - MAX_AGE - 600 })],
      // Properly made, but it would never age out (as a spliced legacy token or a ctime in milliseconds would not).
      ['a ctime far in the future', await mint(codec, { ctime: nowSeconds() + 10 ** 9 })],
      ['a token of the other codec, made with this key', await encodeToken(OTHER[codec], claims(), KEYS[codec])],
    ]
    if (codec === 'jwt') {
      const now = nowSeconds()
      refused.push(
        ['a JWT made with another key', await mint(codec, {}, 'another-secret-of-the-same-length-0123456')],
        ['a JWT whose payload was changed and whose signature was kept', swapJwtPayload(valid, { type: 'wall' })],
        [
          'a JWT whose ctime was moved into max_age, signature kept',
          swapJwtPayload(await mint(codec, { ctime: now - MAX_AGE - 600 }), { ctime: now }),
        ],
        ['a JWT with alg none (jose)', new UnsecuredJWT({ ...claims() }).setIssuedAt().encode()],
        ['a JWT with alg "None" and no signature', unsignedJwt({ alg: 'None', typ: 'JWT' }, { ...claims(), iat: now })],
        [
          'a JWT with alg none and the valid signature kept',
          `${unsignedJwt({ alg: 'none' }, { ...claims(), iat: now }).slice(0, -1)}.${valid.split('.')[2]}`,
        ],
        ['an empty token', ''],
      )
    } else {
      // ECB works block by block: whole 8-byte blocks cut off, repeated or swapped.
      const blocks = legacyBlocks(valid)
      refused.push(
        ['a legacy token with its last block cut off', legacyToken(blocks.slice(0, -1))],
        ['a legacy token with its second block repeated', legacyToken([blocks[0]!, blocks[1]!, ...blocks.slice(1)])],
        ['a legacy token with its second and third blocks swapped', legacyToken([blocks[0]!, blocks[2]!, blocks[1]!, ...blocks.slice(3)])],
      )
    }
    for (const [what, token] of refused) await expectRefused(port, token, what)

    // Still serving valid tokens after all of that.
    expect(await acceptedAs(port, valid)).toMatchObject({ id: 7 })

    // Refusals are logged at debug, with a reason but never the token itself. The daemon runs on, so
    // read the log (`logs` flushes it) until it holds every refusal and the close of every connection.
    const settled = (lines: Array<Record<string, unknown>>): boolean => {
      const closed = new Set(lines.filter((line) => line.msg === 'connection closed').map((line) => line.fd))
      return (
        lines.filter((line) => line.msg === 'upgrade refused: auth').length >= refused.length &&
        lines.filter((line) => line.msg === 'connection open').every((line) => closed.has(line.fd))
      )
    }
    const log = await poll(async () => {
      expect((await cli(p, ['logs', '-n', '1'])).exitCode).toBe(0)
      return readLogLines(p)
    }, settled)
    expect(settled(log)).toBe(true)
    expect(log.filter((line) => line.msg === 'upgrade refused: auth').length).toBeGreaterThanOrEqual(refused.length)
    const text = log.map((line) => JSON.stringify(line)).join('\n')
    for (const token of [valid, ...refused.map(([, t]) => t)].filter((t) => t.length > 0)) {
      expect(text).not.toContain(token)
      if (codec === 'jwt') expect(text).not.toContain(token.split('.')[2] || token)
    }
  })

  it('lets the same token in again while its ctime is within max_age, and refuses it at a daemon with a smaller max_age', async () => {
    const ctime = nowSeconds() - 600
    const token = await mint(codec, { ctime })

    const first = generous().status
    // A bearer token is replayable within its age (documented): twice, on two connections.
    expect(await acceptedAs(first.outside.port, token)).toMatchObject({ id: 7, ctime })
    expect(await acceptedAs(first.outside.port, token)).toMatchObject({ id: 7, ctime })

    // The same string, once it is older than max_age: refused, without waiting for the clock.
    const strict = await project({ auth: { codec, key: KEYS[codec], max_age: 60 }, setting: { worker_num: 1 } })
    const second = await startDaemon(strict)
    await expectRefused(second.outside.port, token, 'a replay past max_age')
    // A fresh token still gets in there (the refusal is about age, not the key).
    expect(await acceptedAs(second.outside.port, await mint(codec))).toMatchObject({ id: 7 })
  })
})
