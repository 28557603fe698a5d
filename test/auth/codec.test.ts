import { describe, it, expect } from 'vitest'
import { decodeToken, encodeToken, MAX_CLOCK_SKEW_SECONDS, type AuthCodecName } from '../../src/auth/codec.js'
import { legacyEncrypt } from '../helpers/legacy-cipher.js'
import { legacyTokens } from '../helpers/legacy-tokens.js'

const fixture = legacyTokens
const { key } = fixture
const vector = fixture.vectors[0]!
const CTIME = 1764000000 // every fixture vector's ctime

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: { code?: string }) => err.code,
  )

describe('auth codec entry point', () => {
  it('decodes a legacy fixture token', async () => {
    expect(await decodeToken('mswoole', vector.token, key)).toEqual(vector.payload)
    expect(await encodeToken('mswoole', vector.payload, key)).toBe(vector.token)
  })

  it.each(['mswoole', 'jwt'] as const)('round-trips through %s', async (name: AuthCodecName) => {
    const token = await encodeToken(name, vector.payload, key, { now: CTIME })
    expect(await decodeToken(name, token, key, { now: CTIME })).toMatchObject(vector.payload)
  })

  it('refuses a token from the other codec', async () => {
    const jwt = await encodeToken('jwt', vector.payload, key)
    expect(await code(decodeToken('mswoole', jwt, key))).toBe('MSW_ERR_AUTH_INVALID')
    expect(await code(decodeToken('jwt', vector.token, key))).toBe('MSW_ERR_AUTH_INVALID')
  })

  it('applies maxAge to ctime (seconds), 0 = off', async () => {
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 60, now: CTIME + 60 }))).toBe('resolved')
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 60, now: CTIME + 61 }))).toBe('MSW_ERR_AUTH_EXPIRED')
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 0, now: CTIME + 10 ** 9 }))).toBe('resolved')
    expect(await code(decodeToken('mswoole', vector.token, key))).toBe('resolved')
  })

  it('refuses a legacy token without ctime while maxAge applies, saying why; lets it in without maxAge', async () => {
    const noCtime = legacyEncrypt('{"id":1,"type":"wechatUser","code":"room1","nickname":"Tom"}', key)
    await expect(decodeToken('mswoole', noCtime, key, { maxAge: 60, now: CTIME })).rejects.toMatchObject({
      code: 'MSW_ERR_AUTH_INVALID',
      message: 'token has no ctime and auth.max_age is set',
    })
    expect(await decodeToken('mswoole', noCtime, key, { now: CTIME })).toEqual({
      id: 1,
      type: 'wechatUser',
      code: 'room1',
      nickname: 'Tom',
    })
    // A ctime written as a string of digits is aged like a number.
    const textCtime = legacyEncrypt(`{"id":1,"code":"room1","ctime":"${CTIME}"}`, key)
    expect(await code(decodeToken('mswoole', textCtime, key, { maxAge: 60, now: CTIME + 60 }))).toBe('resolved')
    expect(await code(decodeToken('mswoole', textCtime, key, { maxAge: 60, now: CTIME + 61 }))).toBe('MSW_ERR_AUTH_EXPIRED')
  })

  it('refuses a ctime further in the future than the clock skew while maxAge applies', async () => {
    // now is the token's ctime minus the skew: just accepted; one second less: refused.
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 60, now: CTIME - MAX_CLOCK_SKEW_SECONDS }))).toBe('resolved')
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 60, now: CTIME - MAX_CLOCK_SKEW_SECONDS - 1 }))).toBe(
      'MSW_ERR_AUTH_INVALID',
    )
    // Without maxAge ctime is not judged at all, as before.
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: 0, now: CTIME - 10 ** 6 }))).toBe('resolved')
  })

  it('applies maxAge to JWTs too, with ctime defaulting to iat', async () => {
    const { ctime: _unused, ...noCtime } = vector.payload
    const token = await encodeToken('jwt', noCtime, key, { now: CTIME })
    expect(await code(decodeToken('jwt', token, key, { maxAge: 30, now: CTIME + 30 }))).toBe('resolved')
    expect(await code(decodeToken('jwt', token, key, { maxAge: 30, now: CTIME + 31 }))).toBe('MSW_ERR_AUTH_EXPIRED')
  })

  it('reports JWT exp as expired', async () => {
    const token = await encodeToken('jwt', vector.payload, key, { ttlSeconds: 10, now: CTIME })
    expect(await code(decodeToken('jwt', token, key, { now: CTIME + 11 }))).toBe('MSW_ERR_AUTH_EXPIRED')
  })

  it('refuses a wrong key, a bad maxAge and an unknown codec', async () => {
    expect(await code(decodeToken('mswoole', vector.token, 'nope'))).toBe('MSW_ERR_AUTH_INVALID')
    expect(await code(decodeToken('mswoole', vector.token, key, { maxAge: -1 }))).toBe('MSW_ERR_INVALID_ARGUMENT')
    expect(await code(decodeToken('rot13' as AuthCodecName, vector.token, key))).toBe('MSW_ERR_INVALID_ARGUMENT')
    expect(await code(encodeToken('rot13' as AuthCodecName, vector.payload, key))).toBe('MSW_ERR_INVALID_ARGUMENT')
  })
})
