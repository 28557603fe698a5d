import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../../src/contracts/control-api.js'
import { cleanupProject, cli, startDaemon, useProjects } from '../../helpers/cli.js'
import { refusal, TestClient } from '../../helpers/client.js'
import { makeProject, type Project } from '../../helpers/project.js'
import { managerOf, request, type ErrorBody, type ManagerTarget } from './manager-http.js'

const KEY = 'manager-key-for-tests'

/** Every keyed route with a call that succeeds when the key is right. */
const ROUTES: Array<{ method: 'GET' | 'POST'; path: string; json?: unknown }> = [
  { method: 'GET', path: '/api/status' },
  { method: 'GET', path: '/api/connections' },
  { method: 'GET', path: '/api/rooms' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/api/broadcast', json: { all: true, event: 'ping' } },
  { method: 'POST', path: '/rpc', json: { jsonrpc: '2.0', id: 1, method: 'status' } },
]

let p: Project
let started: StatusResult
let manager: ManagerTarget

beforeAll(async () => {
  // These tests send wrong keys by the dozen on purpose; the 429 past ten has its own suite (test/security/manager-defaults.test.ts).
  p = await makeProject({ manager: { key: KEY, max_key_failures: 0 } })
  started = await startDaemon(p)
  manager = managerOf(started, KEY)
})
afterAll(() => cleanupProject(p))

describe('manager port: the key', () => {
  it('serves every route to a Bearer token and to X-Api-Key', async () => {
    for (const route of ROUTES) {
      for (const auth of ['bearer', 'x-api-key'] as const) {
        const answer = await request(manager, route.path, { method: route.method, json: route.json, auth })
        expect(answer.status, `${route.method} ${route.path} (${auth})`).toBe(200)
      }
    }
  })

  it('refuses every route without the key or with a wrong one: 401, WWW-Authenticate: Bearer', async () => {
    const routes = [
      ...ROUTES,
      { method: 'POST' as const, path: '/api/push', json: { fd: 1 } },
      { method: 'POST' as const, path: '/api/kick', json: { fd: 1 } },
    ]
    for (const route of routes) {
      for (const attempt of [
        { auth: 'none' },
        { auth: 'bearer', key: 'wrong' },
        { auth: 'x-api-key', key: `${KEY}x` },
        { auth: 'bearer', key: '' },
      ] as const) {
        const answer = await request<ErrorBody>(manager, route.path, { method: route.method, json: route.json, ...attempt })
        const what = `${route.method} ${route.path} ${JSON.stringify(attempt)}`
        expect(answer.status, what).toBe(401)
        expect(answer.headers.get('www-authenticate'), what).toBe('Bearer')
        expect(answer.body.error.code, what).toBe('MSW_ERR_UNAUTHORIZED')
      }
    }
  })

  it('hides even unknown routes from a caller without the key', async () => {
    expect((await request(manager, '/nope', { auth: 'none' })).status).toBe(401)
    expect((await request<ErrorBody>(manager, '/nope')).body.error.code).toBe('MSW_ERR_NOT_FOUND')
  })

  it('leaves /healthz open', async () => {
    const answer = await request(manager, '/healthz', { auth: 'none' })
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ status: 'ok', store: 'ok' })
  })

  it('refuses a WebSocket upgrade without the key with HTTP 401, and takes the key as header or ?key=', async () => {
    const refused = await refusal(`${manager.ws}/`)
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toBe('Bearer')
    expect((await refusal(`${manager.ws}/?key=wrong`)).status).toBe(401)

    for (const client of [
      await TestClient.connect(`${manager.ws}/?key=${KEY}`),
      await TestClient.connect(`${manager.ws}/rpc`, { headers: { authorization: `Bearer ${KEY}` } }),
      await TestClient.connect(`${manager.ws}/`, { headers: { 'x-api-key': KEY } }),
    ]) {
      client.send({ jsonrpc: '2.0', id: 7, method: 'status' })
      expect(JSON.parse(await client.nextFrame())).toMatchObject({ id: 7, result: { pid: started.pid } })
      client.close()
    }
  })
})

describe('manager port: an empty key', () => {
  const project = useProjects()

  it('keeps the daemon from starting on a host that is not loopback, with one line naming manager.key', async () => {
    const q = await project({ manager: { host: '0.0.0.0', key: '' } })
    const result = await cli(q, ['start'])
    expect(result.exitCode).not.toBe(0)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('MSW_ERR_CONFIG_INVALID')
    expect(lines[0]).toContain('manager.key')
    expect(existsSync(q.pidFile)).toBe(false)
  })

  it('leaves the port open on a loopback host and says so in the log', async () => {
    const q = await project()
    const open = managerOf(await startDaemon(q))
    expect((await request(open, '/api/status', { auth: 'none' })).status).toBe(200)
    const logged = await cli(q, ['logs', '--json', '-n', '100'])
    expect(logged.stdout).toContain('manager.key is empty')
  })
})
