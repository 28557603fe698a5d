import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cleanupProject, startDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { makeProject, type Project } from '../helpers/project.js'
import { rawRequest, rawUpgrade } from './manager-http-raw.js'

/**
 * What a web page can make a visitor's browser send to the manager port on
 * 127.0.0.1: a DNS-rebound request (its own name in Host), and cross-site
 * "simple" requests (text/plain, forms) and WebSocket upgrades (with its Origin).
 * All are refused in every mode, the open one (manager.key "") included;
 * backends (no Origin, a loopback Host) keep working.
 */

const KEY = 'cross-site-key'
const LISTED_HOST = 'manager.internal'
const LISTED_ORIGIN = 'http://admin.example'
const EVIL_ORIGIN = 'http://evil.example'
const JSON_TYPE = { 'content-type': 'application/json' }
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' }
const rpcBroadcast = (event: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { all: true, event } })

interface Daemon {
  project: Project
  status: StatusResult
  /** A client on the outside port, in a room of its own; it should only ever see legitimate broadcasts. */
  watcher: TestClient
}

async function startWith(manager: Record<string, unknown>, uid: string): Promise<Daemon> {
  const project = await makeProject({
    manager: { allowed_hosts: [LISTED_HOST], allowed_origins: [LISTED_ORIGIN], ...manager },
    setting: { ack: false },
  })
  const status = await startDaemon(project)
  const watcher = await TestClient.connect(
    `ws://127.0.0.1:${status.outside.port}/?auth=${await mintToken({ id: uid, type: 'wechatUser', code: `room-${uid}` })}`,
  )
  return { project, status, watcher }
}

/** Sends a legitimate broadcast and answers every frame the watcher got up to and including it. */
async function framesUntilLegit(d: Daemon, headers: Record<string, string> = {}): Promise<string[]> {
  const answer = await rawRequest(
    d.status.manager.port,
    'POST',
    '/api/broadcast',
    { ...JSON_TYPE, ...headers },
    JSON.stringify({ all: true, event: 'legit' }),
  )
  expect(answer.status, answer.body).toBe(200)
  const frames: string[] = []
  for (let i = 0; i < 100; i++) {
    const frame = await d.watcher.nextFrame()
    frames.push(frame)
    if ((JSON.parse(frame) as { event?: string }).event === 'legit') return frames
  }
  throw new Error(`no legit broadcast among ${frames.length} frames`)
}

describe('the open mode (manager.key "")', () => {
  let d: Daemon
  beforeAll(async () => {
    d = await startWith({ key: '' }, 'open-watcher')
  })
  afterAll(async () => {
    d.watcher.close()
    await cleanupProject(d.project)
  })

  it('refuses a Host that names another machine (DNS rebinding) on /rpc, /api/* and a WebSocket upgrade, before routing', async () => {
    const { port } = d.status.manager
    for (const host of [
      'attacker.example',
      `attacker.example:${port}`,
      'ATTACKER.example.',
      `127.0.0.1.nip.io:${port}`,
      `evil.localhost:${port}`,
      `10.0.0.1:${port}`,
    ]) {
      const rpc = await rawRequest(port, 'POST', '/rpc', { host, ...JSON_TYPE }, rpcBroadcast('evil'))
      expect([rpc.status, rpc.code], host).toEqual([421, 'MSW_ERR_MANAGER_HOST'])
      const broadcast = await rawRequest(
        port,
        'POST',
        '/api/broadcast',
        { host, ...JSON_TYPE },
        JSON.stringify({ all: true, event: 'evil' }),
      )
      expect([broadcast.status, broadcast.code], host).toEqual([421, 'MSW_ERR_MANAGER_HOST'])
      const list = await rawRequest(port, 'GET', '/api/connections', { host })
      expect([list.status, list.code], host).toEqual([421, 'MSW_ERR_MANAGER_HOST'])
      expect(list.body).not.toContain('open-watcher')
      const missing = await rawRequest(port, 'GET', '/nope', { host })
      expect(missing.status, host).toBe(421)
      const upgrade = await rawUpgrade(port, '/', { host })
      expect([upgrade.status, upgrade.code], host).toEqual([421, 'MSW_ERR_MANAGER_HOST'])
    }
    expect(await framesUntilLegit(d)).toHaveLength(1)
  })

  it('takes loopback Hosts with any port, manager.host, and a name in manager.allowed_hosts', async () => {
    const { port } = d.status.manager
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      `127.1.2.3:${port}`,
      LISTED_HOST,
      `${LISTED_HOST}:${port}`,
    ]) {
      const answer = await rawRequest(port, 'GET', '/api/status', { host })
      expect(answer.status, `${host}: ${answer.body}`).toBe(200)
      const upgrade = await rawUpgrade(port, '/', { host })
      expect(upgrade.status, host).toBe(101)
    }
  })

  it('refuses cross-site simple requests: text/plain to /rpc, a form to /api/broadcast, a typeless body; the client gets nothing', async () => {
    const { port } = d.status.manager
    const attempts: Array<[string, Record<string, string>, string]> = [
      ['/rpc', { 'content-type': 'text/plain;charset=UTF-8' }, rpcBroadcast('evil')],
      ['/rpc', {}, rpcBroadcast('evil')],
      ['/rpc', FORM_TYPE, rpcBroadcast('evil')],
      ['/api/broadcast', FORM_TYPE, 'all=1&event=evil'],
      ['/api/broadcast', { 'content-type': 'text/plain' }, '{"all":true,"event":"evil"}'],
      [
        '/api/broadcast',
        { 'content-type': 'multipart/form-data; boundary=x' },
        '--x\r\nContent-Disposition: form-data; name="all"\r\n\r\n1\r\n--x--\r\n',
      ],
      ['/api/broadcast', {}, '{"all":true,"event":"evil"}'],
    ]
    for (const [path, headers, body] of attempts) {
      const what = `${path} ${JSON.stringify(headers)}`
      // As a page's browser sends it: with the page's Origin. Refused for the Origin.
      const fromPage = await rawRequest(port, 'POST', path, { ...headers, origin: EVIL_ORIGIN }, body)
      expect([fromPage.status, fromPage.code], what).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
      // And even where no Origin came with it (an old browser, a stripped header): refused for its type.
      const bare = await rawRequest(port, 'POST', path, headers, body)
      expect([bare.status, bare.code], what).toEqual([415, 'MSW_ERR_UNSUPPORTED_MEDIA_TYPE'])
    }
    // A JSON request from a page of an unlisted origin (it would need a preflight, but still).
    const json = await rawRequest(port, 'POST', '/rpc', { ...JSON_TYPE, origin: EVIL_ORIGIN }, rpcBroadcast('evil'))
    expect([json.status, json.code]).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
    const nullOrigin = await rawRequest(port, 'POST', '/rpc', { ...JSON_TYPE, origin: 'null' }, rpcBroadcast('evil'))
    expect(nullOrigin.status).toBe(403)
    const read = await rawRequest(port, 'GET', '/api/connections', { origin: EVIL_ORIGIN })
    expect([read.status, read.code]).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
    expect(read.body).not.toContain('open-watcher')

    expect(await framesUntilLegit(d)).toHaveLength(1)
  })

  it('refuses a WebSocket upgrade from another origin, so a page cannot read connections.list or stop the daemon', async () => {
    const { port } = d.status.manager
    for (const origin of [EVIL_ORIGIN, 'null', `http://127.0.0.1:${port}`, 'https://admin.example']) {
      const upgrade = await rawUpgrade(port, '/', { origin })
      expect([upgrade.status, upgrade.code], origin).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
    }
    const status = await rawRequest(port, 'GET', '/api/status')
    expect(status.status).toBe(200)
  })

  it('takes a listed origin, over HTTP and WebSocket', async () => {
    const { port } = d.status.manager
    const answer = await rawRequest(
      port,
      'POST',
      '/rpc',
      { ...JSON_TYPE, origin: LISTED_ORIGIN },
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'status' }),
    )
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ id: 3, result: { pid: d.status.pid } })
    const socket = await TestClient.connect(`ws://127.0.0.1:${port}/`, { origin: LISTED_ORIGIN })
    socket.send({ jsonrpc: '2.0', id: 4, method: 'connections.list', params: {} })
    expect(JSON.parse(await socket.nextFrame())).toMatchObject({ id: 4, result: { total: 1 } })
    socket.close()
  })
})

describe('a keyed manager', () => {
  let d: Daemon
  beforeAll(async () => {
    d = await startWith({ key: KEY }, 'keyed-watcher')
  })
  afterAll(async () => {
    d.watcher.close()
    await cleanupProject(d.project)
  })
  const keyed = { 'x-api-key': KEY }

  it('takes a PHP backend form (the key, no Origin), and refuses the same form from a browser page', async () => {
    const { port } = d.status.manager
    const backend = await rawRequest(port, 'POST', '/api/broadcast', { ...keyed, ...FORM_TYPE }, 'all=1&event=fromBackend')
    expect(backend.status, backend.body).toBe(200)
    expect(JSON.parse(backend.body)).toMatchObject({ delivered: 1 })
    expect(await d.watcher.next('fromBackend')).toMatchObject({ event: 'fromBackend' })

    // A listed origin may send JSON, not a form: a form from a page is what CSRF looks like.
    const listedForm = await rawRequest(
      port,
      'POST',
      '/api/broadcast',
      { ...keyed, ...FORM_TYPE, origin: LISTED_ORIGIN },
      'all=1&event=evil',
    )
    expect([listedForm.status, listedForm.code]).toEqual([415, 'MSW_ERR_UNSUPPORTED_MEDIA_TYPE'])
    const evilForm = await rawRequest(port, 'POST', '/api/broadcast', { ...keyed, ...FORM_TYPE, origin: EVIL_ORIGIN }, 'all=1&event=evil')
    expect([evilForm.status, evilForm.code]).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
    const plain = await rawRequest(port, 'POST', '/rpc', { ...keyed, 'content-type': 'text/plain' }, rpcBroadcast('evil'))
    expect([plain.status, plain.code]).toEqual([415, 'MSW_ERR_UNSUPPORTED_MEDIA_TYPE'])
    // The right key does not make another Host acceptable.
    const rebound = await rawRequest(port, 'POST', '/rpc', { ...keyed, ...JSON_TYPE, host: 'attacker.example' }, rpcBroadcast('evil'))
    expect([rebound.status, rebound.code]).toEqual([421, 'MSW_ERR_MANAGER_HOST'])
    const reboundWs = await rawUpgrade(port, `/?key=${KEY}`, { host: 'attacker.example' })
    expect(reboundWs.status).toBe(421)

    expect(await framesUntilLegit(d, keyed)).toHaveLength(1)
  })
})
