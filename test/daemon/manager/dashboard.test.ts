import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../../src/contracts/control-api.js'
import { cleanupProject, startDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { makeProject, type Project, readLogLines } from '../../helpers/project.js'
import { managerOf, type ManagerTarget } from './manager-http.js'

const KEY = 'dashboard-key-for-tests'

/** A JSON answer, read loosely: the tests look into error and result bodies of several shapes. */
// biome-ignore lint/suspicious/noExplicitAny: the bodies are asserted on, not typed
type Loose = any

interface Reply {
  status: number
  headers: Headers
  body: Loose
}

interface Call {
  method?: string
  json?: unknown
  cookie?: string
  origin?: string
  page?: boolean
  key?: string
}

async function call(target: ManagerTarget, path: string, options: Call = {}): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  if (options.cookie !== undefined) headers.cookie = options.cookie
  if (options.origin !== undefined) headers.origin = options.origin
  if (options.page) headers['x-mswoole-dashboard'] = '1'
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`
  const res = await fetch(target.http + path, {
    method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
    redirect: 'manual',
  })
  const text = await res.text()
  const json = (res.headers.get('content-type') ?? '').startsWith('application/json')
  return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : { text } }
}

/** Logs in and answers the `name=value` of the session cookie. */
async function login(target: ManagerTarget, key = KEY): Promise<string> {
  const answer = await call(target, '/dashboard/login', { json: { key }, origin: target.http })
  expect(answer.status).toBe(200)
  return answer.headers.get('set-cookie')!.split(';')[0]!
}

const started: Project[] = []
async function daemon(manager: Record<string, unknown>): Promise<{ project: Project; status: StatusResult; target: ManagerTarget }> {
  const project = await makeProject({ manager })
  started.push(project)
  const status = await startDaemon(project)
  return { project, status, target: managerOf(status, typeof manager.key === 'string' ? manager.key : '') }
}
afterAll(() => Promise.all(started.map(cleanupProject)))

describe('dashboard: on (a manager key)', () => {
  let on: Awaited<ReturnType<typeof daemon>>
  beforeAll(async () => {
    on = await daemon({ key: KEY, max_key_failures: 0 })
  })

  it('serves the page and its libraries without the key, and nothing else under /dashboard', async () => {
    const bare = await call(on.target, '/dashboard')
    expect(bare.status).toBe(308)
    expect(bare.headers.get('location')).toBe('/dashboard/')
    const page = await call(on.target, '/dashboard/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    for (const file of [
      'app.js',
      'style.css',
      'vendor/preact.mjs',
      'vendor/hooks.mjs',
      'vendor/htm.mjs',
      'vendor/uplot.mjs',
      'vendor/uplot.css',
    ]) {
      const answer = await call(on.target, `/dashboard/${file}`)
      expect(answer.status, file).toBe(200)
    }
    for (const file of ['../package.json', '..%2fpackage.json', 'vendor/../../package.json', 'nope.js', 'vendor/preact.LICENSE.txt']) {
      // fetch resolves "..", so some of these leave /dashboard: unknown paths without the key are 401.
      const answer = await call(on.target, `/dashboard/${file}`)
      expect([401, 404], file).toContain(answer.status)
    }
    expect((await call(on.target, '/dashboard/session')).body).toEqual({ mode: 'on', keyed: true, authenticated: false })
  })

  it('logs in with the key into a signed HttpOnly, SameSite=Strict cookie of 12 h; refuses a wrong key', async () => {
    const wrong = await call(on.target, '/dashboard/login', { json: { key: 'wrong' }, origin: on.target.http })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('MSW_ERR_UNAUTHORIZED')
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const right = await call(on.target, '/dashboard/login', { json: { key: KEY }, origin: on.target.http })
    expect(right.status).toBe(200)
    const cookie = right.headers.get('set-cookie')!
    expect(cookie).toMatch(/^mswoole_dashboard=\d+\.[A-Za-z0-9_-]+; /)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/')
    expect(cookie).toContain('Max-Age=43200')
    const expires = Number(/=(\d+)\./.exec(cookie)![1])
    expect(Math.abs(expires - Date.now() - 12 * 3600_000)).toBeLessThan(60_000)
    const session = await call(on.target, '/dashboard/session', { cookie: cookie.split(';')[0] })
    expect(session.body.authenticated).toBe(true)
  })

  it('refuses a login from another origin, or from no page at all', async () => {
    const foreign = await call(on.target, '/dashboard/login', { json: { key: KEY }, origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.body.error.code).toBe('MSW_ERR_MANAGER_ORIGIN')
    const bare = await call(on.target, '/dashboard/login', { json: { key: KEY } })
    expect(bare.status).toBe(403)
    expect(bare.body.error.code).toBe('MSW_ERR_DASHBOARD_ORIGIN')
  })

  it('takes the cookie like the key for reads; a forged or altered cookie is refused', async () => {
    const cookie = await login(on.target)
    for (const path of ['/api/status', '/api/connections', '/api/rooms?presence=1', '/metrics'])
      expect((await call(on.target, path, { cookie })).status, path).toBe(200)
    const rpc = await call(on.target, '/rpc', {
      cookie,
      page: true,
      json: { jsonrpc: '2.0', id: 1, method: 'logs.tail', params: { lines: 5 } },
    })
    expect(rpc.body.result.lines.length).toBeGreaterThan(0)
    const [name, value] = cookie.split('=') as [string, string]
    const [expiry, mac] = value.split('.') as [string, string]
    const forged = [
      `${name}=${Number(expiry) + 1000}.${mac}`,
      `${name}=${expiry}.${mac.slice(0, -2)}AA`,
      `${name}=${Date.now() + 1000}.`,
      `${name}=garbage`,
    ]
    for (const bad of forged) {
      const answer = await call(on.target, '/api/status', { cookie: bad })
      expect(answer.status, bad).toBe(401)
    }
  })

  it('takes a state-changing call on the cookie only from the page (own Origin, or its header), and logs it with the address', async () => {
    const cookie = await login(on.target)
    const json = { all: true, event: 'dashboardTest' }
    const bare = await call(on.target, '/api/broadcast', { cookie, json })
    expect(bare.status).toBe(403)
    expect(bare.body.error.code).toBe('MSW_ERR_DASHBOARD_ORIGIN')
    const foreign = await call(on.target, '/api/broadcast', { cookie, json, origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.body.error.code).toBe('MSW_ERR_MANAGER_ORIGIN')
    expect((await call(on.target, '/api/broadcast', { cookie, json, origin: on.target.http })).status).toBe(200)
    expect((await call(on.target, '/api/broadcast', { cookie, json, page: true })).status).toBe(200)
    const reload = await call(on.target, '/rpc', { cookie, page: true, json: { jsonrpc: '2.0', id: 1, method: 'reload' } })
    expect(reload.body.result.generation).toBeGreaterThan(1)
    // status remembers it, newest first: the page's list of the last reloads.
    const status = await call(on.target, '/api/status', { cookie })
    expect(status.body.reloads[0]).toMatchObject({
      generation: reload.body.result.generation,
      previous: reload.body.result.previous,
      durationMs: reload.body.result.durationMs,
    })
    expect(Date.parse(status.body.reloads[0].at)).toBeGreaterThan(Date.now() - 60_000)
    // A form body is a backend's, never a page's.
    const form = await fetch(`${on.target.http}/api/broadcast`, {
      method: 'POST',
      headers: { cookie, 'x-mswoole-dashboard': '1', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'all=1',
    })
    expect(form.status).toBe(415)
    const lines = await poll(
      () => readLogLines(on.project),
      (read) => read.some((line) => line.msg === 'dashboard reload from 127.0.0.1'),
    )
    const logged = lines.filter((line) => String(line.msg).startsWith('dashboard '))
    expect(logged.some((line) => line.msg === 'dashboard reload from 127.0.0.1' && line.address === '127.0.0.1')).toBe(true)
    expect(logged.some((line) => line.msg === 'dashboard broadcast from 127.0.0.1')).toBe(true)
    expect(logged.some((line) => line.msg === 'dashboard login from 127.0.0.1')).toBe(true)
  })

  it('connections.get: one connection with its uids and the names of its session keys, never their values', async () => {
    const token = await mintToken({ id: 'detail-1', type: 'wechatUser', code: 'detail-room' })
    const client = await TestClient.connect(`ws://127.0.0.1:${on.status.outside.port}/?auth=${token}`)
    try {
      await client.ask({ method: 'index.index.session', values: { cart: 3, secret: 'do-not-show' } }, 'session')
      const cookie = await login(on.target)
      const listed = await call(on.target, '/api/connections?uid=detail-1', { cookie })
      const fd = listed.body.connections[0].fd as number
      const answer = await call(on.target, '/rpc', {
        cookie,
        page: true,
        json: { jsonrpc: '2.0', id: 1, method: 'connections.get', params: { fd } },
      })
      expect(answer.body.result).toMatchObject({
        uids: ['detail-1'],
        sessionKeys: ['cart', 'secret'],
        connection: { fd, rooms: ['detail-room'] },
      })
      expect(JSON.stringify(answer.body)).not.toContain('do-not-show')
      const missing = await call(on.target, '/rpc', {
        key: KEY,
        json: { jsonrpc: '2.0', id: 2, method: 'connections.get', params: { fd: 999_999 } },
      })
      expect(missing.body.error.data.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    } finally {
      client.close()
    }
  })

  it('logs out by clearing the cookie', async () => {
    const out = await call(on.target, '/dashboard/logout', { method: 'POST', page: true })
    expect(out.status).toBe(200)
    expect(out.headers.get('set-cookie')).toMatch(/^mswoole_dashboard=; .*Max-Age=0/)
  })
})

describe('dashboard: readonly', () => {
  it('with a key and manager.dashboard "readonly": reads work, every action on the cookie is 403, the key still acts', async () => {
    const ro = await daemon({ key: KEY, dashboard: 'readonly' })
    expect((await call(ro.target, '/dashboard/session')).body.mode).toBe('readonly')
    const cookie = await login(ro.target)
    expect((await call(ro.target, '/api/status', { cookie })).status).toBe(200)
    const actions: Array<[string, unknown]> = [
      ['/api/broadcast', { all: true }],
      ['/api/push', { uid: 'someone' }],
      ['/api/kick', { fd: 1 }],
    ]
    for (const [path, json] of actions) {
      const answer = await call(ro.target, path, { cookie, page: true, json })
      expect(answer.status, path).toBe(403)
      expect(answer.body.error.code, path).toBe('MSW_ERR_DASHBOARD_READONLY')
    }
    for (const method of ['reload', 'stop', 'broadcast', 'push', 'connections.kick']) {
      const params =
        method === 'broadcast' ? { all: true } : method === 'push' ? { uid: 'x' } : method === 'connections.kick' ? { fd: 1 } : {}
      const answer = await call(ro.target, '/rpc', { cookie, page: true, json: { jsonrpc: '2.0', id: 1, method, params } })
      expect(answer.body.error?.data?.code, method).toBe('MSW_ERR_DASHBOARD_READONLY')
    }
    // Still running (the stop was refused), and the key is not bound by the dashboard's mode.
    expect((await call(ro.target, '/api/broadcast', { key: KEY, json: { all: true } })).status).toBe(200)
  })

  it('with the key explicitly "" (open mode) the default is readonly: the page needs no login and cannot act', async () => {
    const open = await daemon({ key: '' })
    expect((await call(open.target, '/dashboard/session')).body).toEqual({ mode: 'readonly', keyed: false, authenticated: true })
    expect((await call(open.target, '/api/status', { page: true })).status).toBe(200)
    const refused = await call(open.target, '/api/broadcast', { page: true, json: { all: true } })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('MSW_ERR_DASHBOARD_READONLY')
    const fromOrigin = await call(open.target, '/rpc', { origin: open.target.http, json: { jsonrpc: '2.0', id: 1, method: 'reload' } })
    expect(fromOrigin.body.error.data.code).toBe('MSW_ERR_DASHBOARD_READONLY')
    // A backend of the open mode (no Origin, no page header) acts as before.
    expect((await call(open.target, '/api/broadcast', { json: { all: true } })).status).toBe(200)
  })
})

describe('dashboard: off, and wrong keys', () => {
  it('"off" serves no page and takes no cookie', async () => {
    const off = await daemon({ key: KEY, dashboard: 'off', max_key_failures: 3 })
    expect((await call(off.target, '/dashboard/')).status).toBe(401)
    expect((await call(off.target, '/dashboard/', { key: KEY })).status).toBe(404)
    expect((await call(off.target, '/dashboard/login', { json: { key: KEY }, origin: off.target.http })).status).toBe(403)
    // Wrong logins count like wrong keys, per address: the third is refused and so is the right key after it.
    const on = await daemon({ key: KEY, max_key_failures: 3 })
    for (let i = 0; i < 3; i++) {
      const wrong = await call(on.target, '/dashboard/login', { json: { key: `wrong${i}` }, page: true })
      expect(wrong.status).toBe(401)
    }
    const limited = await call(on.target, '/dashboard/login', { json: { key: KEY }, page: true })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('MSW_ERR_MANAGER_RATE_LIMITED')
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})
