import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { LAUNCH_TIMEOUT_MS, launchChromium } from '../helpers/browser.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'

const KEY = 'dashboard-browser-key'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
}, LAUNCH_TIMEOUT_MS)
afterAll(async () => {
  await browser?.close()
})

/** The dashboard of a manager port in a fresh page; page errors are collected. */
async function openDashboard(port: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`)
    void dialog.dismiss()
  })
  await page.goto(`http://127.0.0.1:${port}/dashboard/`)
  return { page, errors }
}

async function client(port: number, id: string, code: string): Promise<TestClient> {
  const token = await mintToken({ id, type: 'wechatUser', code, nickname: `user ${id}` })
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${token}`)
}

const number = (text: string | null): number => Number((text ?? '').replace(/[^0-9]/g, ''))

describe('dashboard page: full access', () => {
  const daemon = useSharedDaemon({ manager: { key: KEY } })
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    ;({ page, errors } = await openDashboard(daemon().status.manager.port))
  })
  afterAll(async () => {
    await page?.close()
  })

  it('refuses a wrong key in the page, then logs in with the right one', async () => {
    await page.getByLabel('Manager key').fill('not the key')
    await page.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong manager key')
    await page.getByLabel('Manager key').fill(KEY)
    await page.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.getByTestId('mode').textContent()).toBe('full access')
    await expect.poll(() => page.getByTestId('generation').textContent()).toBe('1')
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === 'mswoole_dashboard')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
  })

  it('shows the connection count change as clients connect and leave', async () => {
    const port = daemon().status.outside.port
    const before = number(await page.getByTestId('connections').textContent())
    const clients = [await client(port, 'count-1', 'count-room'), await client(port, 'count-2', 'count-room')]
    await expect.poll(async () => number(await page.getByTestId('connections').textContent()), { timeout: 10_000 }).toBe(before + 2)
    for (const c of clients) c.close()
    await Promise.all(clients.map((c) => c.closed()))
    await expect.poll(async () => number(await page.getByTestId('connections').textContent()), { timeout: 10_000 }).toBe(before)
  })

  it('filters the connections by room and uid, and kicks one after a confirmation: its client sees the close', async () => {
    const port = daemon().status.outside.port
    const [a, b] = [await client(port, 'kick-a', 'kick-room'), await client(port, 'kick-b', 'kick-room')]
    await a.ask({ method: 'index.index.session', values: { cart: 1 } }, 'session')
    const table = page.getByRole('table', { name: 'Connections' })
    const filters = page.getByRole('form', { name: 'Filter connections' })
    await filters.getByLabel('Room').fill('kick-room')
    await filters.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(2)
    await expect.poll(() => page.getByTestId('connections-range').textContent()).toBe('1–2 of 2')
    await filters.getByLabel('Uid').fill('kick-a')
    await filters.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(1)
    const fd = await table.locator('tbody tr').first().getAttribute('data-fd')
    // The details of the row: its rooms and traffic.
    await page.getByRole('button', { name: `Details of connection ${fd}` }).click()
    await expect.poll(() => table.locator('tr.detail').textContent()).toContain('kick-room')
    await expect.poll(() => page.getByTestId('session-keys').textContent()).toBe('cart')
    await page.getByRole('button', { name: `Kick connection ${fd}` }).click()
    // One click asks; nothing is closed yet.
    await page.getByRole('button', { name: `Confirm kick of connection ${fd}` }).click()
    const closed = await a.closed()
    expect(closed.code).toBe(4000)
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Kicked connection')
    expect(b.ws.readyState).toBe(b.ws.OPEN)
    b.close()
  })

  it('broadcasts to a room: its clients receive the envelope, others do not', async () => {
    const port = daemon().status.outside.port
    const inRoom = [await client(port, 'bc-1', 'bc-room'), await client(port, 'bc-2', 'bc-room')]
    const outside = await client(port, 'bc-3', 'other-room')
    const form = page.getByRole('form', { name: 'Broadcast' })
    await form.getByLabel('Room').fill('bc-room')
    await form.getByLabel('Event').fill('dashboardHello')
    await form.getByLabel('Info').fill('from the dashboard')
    await form.getByLabel('Param (JSON)').fill('{"n":1}')
    // Confirmed once: the first click only asks.
    await form.getByRole('button', { name: 'Broadcast' }).click()
    await form.getByRole('button', { name: 'Confirm broadcast' }).click()
    for (const c of inRoom) {
      const envelope = await c.next('dashboardHello')
      expect(envelope).toMatchObject({ status: 200, info: 'from the dashboard', param: { n: 1 } })
    }
    await expect.poll(() => page.getByTestId('action-result').textContent()).toContain('delivered to 2')
    outside.send({ method: 'index.index.index' })
    expect(outside.frames.some((f) => f.includes('dashboardHello'))).toBe(false)
    for (const c of [...inRoom, outside]) c.close()
  })

  it('reloads the workers: the result and the new generation show', async () => {
    await page.getByRole('button', { name: 'Reload the workers' }).click()
    expect(await page.getByTestId('generation').textContent()).toBe('1')
    await page.getByRole('button', { name: 'Confirm reload' }).click()
    await expect.poll(() => page.getByTestId('action-result').textContent(), { timeout: 30_000 }).toMatch(/generation 1 → 2 in [\d,.]+ ms/)
    await expect.poll(() => page.getByTestId('generation').textContent(), { timeout: 10_000 }).toBe('2')
    await expect.poll(() => page.getByTestId('reloads').textContent(), { timeout: 10_000 }).toMatch(/^generation 1 → 2 in [\d,.]+ ms/)
    expect(errors).toEqual([])
  })
})

describe('dashboard page: read-only (the open mode)', () => {
  const daemon = useSharedDaemon({ manager: { key: '' } })

  it('needs no login, offers no action, and is refused one by request', async () => {
    const { page, errors } = await openDashboard(daemon().status.manager.port)
    try {
      await expect.poll(() => page.getByTestId('mode').textContent()).toBe('read-only')
      for (const name of ['Broadcast', 'Push', 'Reload the workers'])
        expect(await page.getByRole('button', { name, exact: true }).isDisabled(), name).toBe(true)
      const port = daemon().status.outside.port
      const c = await client(port, 'ro-1', 'ro-room')
      const table = page.getByRole('table', { name: 'Connections' })
      await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(1)
      expect(await table.getByRole('button', { name: /Kick/ }).count()).toBe(0)
      const answers = await page.evaluate(async () => {
        const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
          const res = await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify(body),
          })
          return { status: res.status, body: (await res.json()) as { error: { code: string | number; data?: { code: string } } } }
        }
        return [
          await post('/api/broadcast', { all: true }),
          await post('/api/kick', { fd: 1 }, { 'x-mswoole-dashboard': '1' }),
          await post('/rpc', { jsonrpc: '2.0', id: 1, method: 'reload' }),
          await post('/rpc', { jsonrpc: '2.0', id: 2, method: 'stop' }),
        ]
      })
      expect(answers[0]).toMatchObject({ status: 403, body: { error: { code: 'MSW_ERR_DASHBOARD_READONLY' } } })
      expect(answers[1]).toMatchObject({ status: 403, body: { error: { code: 'MSW_ERR_DASHBOARD_READONLY' } } })
      expect(answers[2]!.body.error.data?.code).toBe('MSW_ERR_DASHBOARD_READONLY')
      expect(answers[3]!.body.error.data?.code).toBe('MSW_ERR_DASHBOARD_READONLY')
      expect(c.ws.readyState).toBe(c.ws.OPEN)
      c.close()
      expect(errors).toEqual([])
    } finally {
      await page.close()
    }
  })
})
