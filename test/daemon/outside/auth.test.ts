import { describe, expect, it } from 'vitest'
import { encodeToken } from '../../../src/auth/codec.js'
import { cliJson, startDaemon, useProjects, useSharedDaemon } from '../../helpers/cli.js'
import { refusal, TestClient, mintToken } from '../../helpers/client.js'
import { readLogLines } from '../../helpers/project.js'
import { legacyTokens } from '../../helpers/legacy-tokens.js'

const fixture = legacyTokens

const project = useProjects()

describe('auth at the upgrade', () => {
  describe('with the legacy fixture key', () => {
    // Neither test changes the daemon: one connects and closes, the other is refused.
    const legacy = useSharedDaemon({ auth: { key: fixture.key } })

    it('accepts every legacy MSwoole-ws token and hands its payload to controllers', async () => {
      const { outside } = legacy().status
      for (const vector of fixture.vectors) {
        const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${vector.token}`)
        const reply = await client.ask({ method: 'index.index.echo' }, 'echo')
        const data = reply.param as { auth: Record<string, unknown>; code: string }
        expect(data.auth).toMatchObject({ id: vector.payload.id, type: vector.payload.type, code: vector.payload.code })
        expect(data.code).toBe(vector.payload.code)
        client.close()
      }
    })

    it('refuses invalid, missing and wrong-key tokens with 403 and "message: error auth"', async () => {
      const { outside } = legacy().status
      const base = `ws://127.0.0.1:${outside.port}/`
      const wrongKey = await mintToken({ id: 1, type: 'wechatUser', code: 'r' }, 'another-key')
      for (const url of [base, ...fixture.invalid.map((t) => `${base}?auth=${encodeURIComponent(t)}`), `${base}?auth=${wrongKey}`]) {
        const { status, headers } = await refusal(url)
        expect(status, url).toBe(403)
        expect(headers.message, url).toBe('error auth')
      }
    })
  })

  it('honours auth.max_age against the token ctime', async () => {
    const p = await project({ auth: { max_age: 60 } })
    const { outside } = await startDaemon(p)
    const stale = await mintToken({ id: 1, type: 'wechatUser', code: 'r', ctime: Math.floor(Date.now() / 1000) - 3600 })
    expect((await refusal(`ws://127.0.0.1:${outside.port}/?auth=${stale}`)).status).toBe(403)
    const fresh = await mintToken({ id: 1, type: 'wechatUser', code: 'r' })
    const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${fresh}`)
    client.close()
  })

  it('verifies HS256 JWTs minted by `mswoole token`, and refuses expired ones and mswoole tokens', async () => {
    const p = await project({ auth: { codec: 'jwt', key: 'a-long-enough-secret-for-hs256-tokens' } })
    const { outside } = await startDaemon(p)
    const minted = await cliJson<{ token: string; codec: string }>(p, [
      'token',
      '--id',
      '7',
      '--type',
      'wall',
      '--code',
      'hall',
      '--ttl',
      '600',
    ])
    expect(minted.exitCode).toBe(0)
    expect(minted.json.codec).toBe('jwt')
    const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${minted.json.token}`)
    const reply = await client.ask({ method: 'echo' }, 'echo')
    expect(reply.param).toMatchObject({ code: 'hall', auth: { id: 7, type: 'wall' } })
    client.close()

    const now = Math.floor(Date.now() / 1000)
    const expired = await encodeToken('jwt', { id: 7, type: 'wall', code: 'hall', nickname: '' }, 'a-long-enough-secret-for-hs256-tokens', {
      ttlSeconds: 1,
      now: now - 10,
    })
    expect((await refusal(`ws://127.0.0.1:${outside.port}/?auth=${expired}`)).status).toBe(403)
    const legacy = await mintToken({ id: 7, type: 'wall', code: 'hall' }, 'a-long-enough-secret-for-hs256-tokens')
    expect((await refusal(`ws://127.0.0.1:${outside.port}/?auth=${legacy}`)).status).toBe(403)
  })

  it('lets anonymous clients in when auth is disabled', async () => {
    const p = await project({ auth: { enabled: false } })
    const { outside } = await startDaemon(p)
    const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/`)
    const reply = await client.ask({ method: 'echo' }, 'echo')
    expect(reply.param).toMatchObject({ auth: {}, code: '' })
    client.close()
  })

  describe('X-Real-IP and X-Forwarded-For', () => {
    const connectedFrom = async (trusted: string[]): Promise<unknown> => {
      const token = await mintToken({ id: 1, type: 'wechatUser', code: 'r' })
      const p = await project({ log: { level: 'debug' }, outside: { host: '127.0.0.1', port: 0, trusted_proxies: trusted } })
      const { outside } = await startDaemon(p)
      const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${token}`, {
        headers: { 'x-real-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
      })
      await client.ask({ method: 'echo' }, 'echo')
      client.close()
      await cliJson(p, ['stop'])
      return (await readLogLines(p)).find((line) => line.msg === 'connection open')?.ip
    }

    it('are believed from a trusted proxy', async () => {
      expect(await connectedFrom(['127.0.0.1'])).toBe('203.0.113.7')
    })

    it('are not believed from anyone else', async () => {
      expect(await connectedFrom([])).toBe('127.0.0.1')
    })
  })
})
