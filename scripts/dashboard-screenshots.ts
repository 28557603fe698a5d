/**
 * Regenerates the dashboard screenshots in docs/images/ (docs/dashboard.md shows them):
 *
 *   npm run build && node --import tsx scripts/dashboard-screenshots.ts
 *
 * Starts a throwaway daemon with a manager key (bench/lib/mswoole-target.ts), connects a few
 * clients in three rooms that keep sending, broadcasts and reloads once so every part of the
 * page has something in it, then takes the login form and the page from top to bottom
 * (overview, connections, rooms) at 1280×800 in Debian's Chromium (/usr/bin/chromium, headless,
 * through playwright-core; never a downloaded browser). Everything it started is stopped
 * before it exits.
 */
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { WebSocket } from 'ws'
import { AUTH_KEY, startMswoole, type MswooleTarget } from '../bench/lib/mswoole-target.js'
import { REPO_ROOT } from '../bench/lib/paths.js'
import { encodeToken } from '../src/auth/codec.js'
import { launchChromium } from '../test/helpers/chromium.js'

const OUT = path.join(REPO_ROOT, 'docs', 'images')
const KEY = 'dashboard-screenshots-key'
const VIEWPORT = { width: 1280, height: 800 }
/** Seconds of polls before the shots, so the charts have a line. */
const WARM_SECONDS = 24
const CLIENTS: ReadonlyArray<{ id: number; nickname: string; room: string }> = [
  { id: 1001, nickname: 'Ada', room: 'lobby' },
  { id: 1002, nickname: 'Grace', room: 'lobby' },
  { id: 1003, nickname: 'Linus', room: 'lobby' },
  { id: 1004, nickname: 'Margaret', room: 'support' },
  { id: 1005, nickname: 'Ken', room: 'support' },
  { id: 1006, nickname: 'Barbara', room: 'vip' },
  { id: 1007, nickname: 'Dennis', room: 'lobby' },
  { id: 1008, nickname: 'Frances', room: 'vip' },
  { id: 1001, nickname: 'Ada', room: 'lobby' },
]

async function connect(port: number, c: (typeof CLIENTS)[number]): Promise<WebSocket> {
  const now = Math.floor(Date.now() / 1000)
  const token = await encodeToken('mswoole', { id: c.id, type: 'wechatUser', code: c.room, nickname: c.nickname, ctime: now }, AUTH_KEY)
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?auth=${encodeURIComponent(token)}`)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return ws
}

/** Scrolls the section whose heading is `title` to the top of the viewport and takes the viewport. */
async function shoot(page: Page, name: string, title?: string): Promise<void> {
  if (title !== undefined) {
    await page.getByRole('heading', { name: title, exact: true }).evaluate((el) => {
      ;(el as unknown as { closest(s: string): { scrollIntoView(o: object): void } }).closest('section').scrollIntoView({ block: 'start' })
    })
  } else {
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0))
  }
  await sleep(300)
  const file = path.join(OUT, `dashboard-${name}.png`)
  await page.screenshot({ path: file })
  const { size } = await stat(file)
  console.log(`${path.relative(REPO_ROOT, file)}: ${Math.round(size / 1024)} KiB`)
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true })
  let target: MswooleTarget | undefined
  let browser: Browser | undefined
  const sockets: WebSocket[] = []
  let traffic: NodeJS.Timeout | undefined
  try {
    target = await startMswoole({ tokens: 1, extra: { manager: { host: '127.0.0.1', port: 0, key: KEY } } })
    const status = await target.cliJson<{ manager: { port: number } }>(['status'])
    const base = `http://127.0.0.1:${status.manager.port}`
    for (const c of CLIENTS) sockets.push(await connect(target.port, c))
    traffic = setInterval(() => {
      for (const [i, ws] of sockets.entries())
        if (ws.readyState === ws.OPEN && Math.random() < 0.3 + i / 20) ws.send(JSON.stringify({ method: 'index.index.index' }))
    }, 250)

    browser = await launchChromium()
    const page = await browser.newPage({ viewport: VIEWPORT })
    await page.goto(`${base}/dashboard/`)
    await page.getByLabel('Manager key').waitFor()
    await shoot(page, 'login')

    await page.getByLabel('Manager key').fill(KEY)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByTestId('mode').waitFor()
    // A reload for the workers' list, and a broadcast whose result the actions show.
    await page.getByRole('button', { name: 'Reload the workers' }).click()
    await page.getByTestId('action-result').waitFor({ timeout: 30_000 })
    await sleep(WARM_SECONDS * 1000)
    const form = page.getByRole('form', { name: 'Broadcast' })
    await form.getByLabel('Room').fill('lobby')
    await form.getByLabel('Event').fill('announcement')
    await form.getByLabel('Info').fill('maintenance at 02:00 UTC')
    await form.getByLabel('Param (JSON)').fill('{"minutes":15}')
    await form.getByRole('button', { name: 'Broadcast' }).click()
    await page.getByText(/delivered to/).waitFor()

    // The top of the page: overview, charts and actions.
    await shoot(page, 'overview')
    // The connections with one row's details open.
    const table = page.getByRole('table', { name: 'Connections' })
    const fd = await table.locator('tbody tr').first().getAttribute('data-fd')
    await page.getByRole('button', { name: `Details of connection ${fd}` }).click()
    await page.getByTestId('session-keys').filter({ hasNotText: '…' }).waitFor()
    await shoot(page, 'connections', 'Connections')
    // The end of the page: rooms, workers and the log.
    await shoot(page, 'rooms', 'Rooms')
  } finally {
    if (traffic !== undefined) clearInterval(traffic)
    for (const ws of sockets) ws.terminate()
    await browser?.close()
    await target?.stop()
  }
}

await main()
