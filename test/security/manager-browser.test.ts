import { once } from 'node:events'
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { ensureProgram } from '../helpers/system-package.js'

/**
 * A real browser visiting a hostile page while the daemon runs in its most
 * exposed mode (manager.key "" on loopback): the page tries what a page can
 * without the visitor's help (a text/plain fetch, a form post, a WebSocket,
 * and a DNS-rebound same-origin fetch), to broadcast and to stop the daemon.
 * Nothing reaches the clients and the daemon keeps running.
 */

const REBOUND = 'attacker.example'
const daemon = useSharedDaemon({ manager: { key: '' }, setting: { ack: false } })
let browser: Browser
let evil: Server
let evilOrigin: string

beforeAll(async () => {
  // The rebinding attacker's name resolves to this machine, as after a DNS rebind.
  const executablePath = await ensureProgram(CHROMIUM, 'chromium')
  browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`] })
  evil = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title><p>evil</p>'),
  )
  evil.listen(0, '127.0.0.1')
  await once(evil, 'listening')
  evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
})

afterAll(async () => {
  await browser?.close()
  evil?.close()
})

/** What the hostile page runs (plain JS in the page; `port` is the manager's). */
const ATTACK = `async (port) => {
  const target = 'http://127.0.0.1:' + port
  const rpc = (method, params) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  const fetches = []
  // Simple requests: no preflight, so they are sent whatever the answer; the answer is opaque.
  for (const [path, body] of [
    ['/rpc', rpc('broadcast', { all: true, event: 'evil' })],
    ['/api/broadcast', JSON.stringify({ all: true, event: 'evil' })],
    ['/rpc', rpc('stop', {})],
  ]) {
    const res = await fetch(target + path, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }).catch((err) => err)
    fetches.push(res instanceof Error ? 'error ' + res.message : res.type)
  }
  // A body without a type (a Blob) sends no Content-Type at all.
  await fetch(target + '/rpc', { method: 'POST', mode: 'no-cors', body: new Blob([rpc('stop', {})]) }).catch(() => undefined)

  // A form post, as a CSRF page does it.
  const frame = document.createElement('iframe')
  frame.name = 'sink'
  document.body.append(frame)
  const form = document.createElement('form')
  form.method = 'POST'
  form.action = target + '/api/broadcast'
  form.target = 'sink'
  for (const [name, value] of [['all', '1'], ['event', 'evil']]) {
    const input = document.createElement('input')
    input.name = name
    input.value = value
    form.append(input)
  }
  document.body.append(form)
  const loaded = new Promise((resolve) => frame.addEventListener('load', () => resolve('loaded'), { once: true }))
  form.submit()
  const formDone = await loaded

  // A WebSocket: were it taken, the seed console's say and stop would follow.
  const socket = await new Promise((resolve) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/')
    let opened = false
    ws.onopen = () => {
      opened = true
      ws.send(JSON.stringify({ method: 'say', say: 'evil' }))
      ws.send(JSON.stringify({ method: 'stop' }))
    }
    ws.onclose = (event) => resolve({ opened, closeCode: event.code })
  })
  return { fetches, form: formDone, socket }
}`

interface PageResult {
  fetches: string[]
  form: string
  socket: { opened: boolean; closeCode: number }
}

describe('a hostile page in Chromium against the open manager port', () => {
  it('cannot broadcast or stop the daemon by fetch, form post or WebSocket, nor through a rebound name', async () => {
    const { status, project } = daemon()
    const managerPort = status.manager.port
    const watcher = await TestClient.connect(
      `ws://127.0.0.1:${status.outside.port}/?auth=${await mintToken({ id: 'watcher', type: 'wechatUser', code: 'hall' })}`,
    )

    const page = await browser.newPage()
    await page.goto(`${evilOrigin}/`)
    const result = (await page.evaluate(`(${ATTACK})(${managerPort})`)) as PageResult
    expect(result.fetches).toEqual(['opaque', 'opaque', 'opaque'])
    expect(result.form).toBe('loaded')
    expect(result.socket).toEqual({ opened: false, closeCode: 1006 })

    // DNS rebinding: the attacker's name now points here, so its page's calls are same-origin
    // and readable (the page is whatever that address answered, here the manager's own answer).
    const rebound = await browser.newPage()
    await rebound.goto(`http://${REBOUND}:${managerPort}/healthz`)
    const sameOrigin = await rebound.evaluate(async () => {
      const res = await fetch('/rpc', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { all: true, event: 'evil' } }),
      })
      return { status: res.status, body: await res.text() }
    })
    expect(sameOrigin.status).toBe(421)
    expect(sameOrigin.body).toContain('MSW_ERR_MANAGER_HOST')
    await page.close()
    await rebound.close()

    // Still running, and the client got only the broadcast sent afterwards by a backend.
    const after = await withDaemon(project.socket, (client) => client.call('status', {}))
    expect(after).toMatchObject({ pid: status.pid, state: 'running' })
    const legit = await fetch(`http://127.0.0.1:${managerPort}/api/broadcast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ all: true, event: 'legit' }),
    })
    expect(legit.status).toBe(200)
    expect(JSON.parse(await watcher.nextFrame())).toMatchObject({ event: 'legit' })
    watcher.close()
  })
})
