import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, UnsecuredJWT } from 'jose'
import { describe, it, expect } from 'vitest'
import { signJwtToken, verifyJwtToken } from '../../src/auth/jwt-codec.js'

const key = 'marico-websocket'
const payload = { id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom', ctime: 1764000000 }
const NOW = 1764000000

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: { code?: string }) => err.code,
  )

describe('jwt codec', () => {
  it('round-trips a payload, extra fields included', async () => {
    const token = await signJwtToken({ ...payload, avatar: 'a.png' }, key, { now: NOW })
    expect(token.split('.')).toHaveLength(3)
    expect(await verifyJwtToken(token, key, { now: NOW })).toMatchObject({ ...payload, avatar: 'a.png', iat: NOW })
  })

  it('fills ctime from iat when absent', async () => {
    const { ctime: _unused, ...noCtime } = payload
    const token = await signJwtToken(noCtime, key, { now: NOW + 5 })
    expect((await verifyJwtToken(token, key, { now: NOW + 5 })).ctime).toBe(NOW + 5)
  })

  it('honours exp', async () => {
    const token = await signJwtToken(payload, key, { ttlSeconds: 60, now: NOW })
    expect((await verifyJwtToken(token, key, { now: NOW + 59 })).id).toBe(1)
    expect(await code(verifyJwtToken(token, key, { now: NOW + 61 }))).toBe('MSW_ERR_AUTH_EXPIRED')
  })

  it('refuses a wrong key and a tampered token', async () => {
    const token = await signJwtToken(payload, key, { now: NOW })
    expect(await code(verifyJwtToken(token, 'other-key', { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
    const [h, p, s] = token.split('.') as [string, string, string]
    const forged = Buffer.from(JSON.stringify({ ...payload, type: 'wall', iat: NOW })).toString('base64url')
    expect(await code(verifyJwtToken(`${h}.${forged}.${s}`, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
    expect(await code(verifyJwtToken(`${h}.${p}.${s.slice(0, -2)}AA`, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('refuses alg none', async () => {
    const token = new UnsecuredJWT({ ...payload }).setIssuedAt(NOW).encode()
    expect(token.endsWith('.')).toBe(true)
    expect(await code(verifyJwtToken(token, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('refuses other algorithms (HS512, RS256)', async () => {
    const hs512 = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(key))
    expect(await code(verifyJwtToken(hs512, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const rs256 = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)
    expect(await code(verifyJwtToken(rs256, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('refuses garbage, a legacy token and a payload failing the schema', async () => {
    for (const t of [
      '',
      'not-a-token',
      'a.b.c',
      'RECyRsY27VZgEAcq4XWuUTsEwi5oC0KeHkjEy1Uw2TVTHBC83oAraeUfVKbtdDBacL9OjRIGu2b4*Da*onAO6LlmZ2W5CTX6dlBMGZmAS1w_',
    ])
      expect(await code(verifyJwtToken(t, key))).toBe('MSW_ERR_AUTH_INVALID')
    const partial = await new SignJWT({ id: 1 }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW).sign(new TextEncoder().encode(key))
    expect(await code(verifyJwtToken(partial, key, { now: NOW }))).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('stays strict where legacy tokens are lenient: every field present, with its own type', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW).sign(new TextEncoder().encode(key))
    const { nickname: _n, ...noNickname } = payload
    const { type: _t, ...noType } = payload
    for (const claims of [
      noNickname,
      noType,
      { ...payload, code: 1001 },
      { ...payload, nickname: null },
      { ...payload, ctime: String(NOW) },
    ])
      expect(await code(verifyJwtToken(await sign(claims), key, { now: NOW })), JSON.stringify(claims)).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('refuses to sign with an empty key or an incomplete payload', async () => {
    expect(await code(signJwtToken(payload, ''))).toBe('MSW_ERR_INVALID_ARGUMENT')
    expect(await code(signJwtToken({ id: 1 }, key))).toBe('MSW_ERR_INVALID_ARGUMENT')
  })
})
