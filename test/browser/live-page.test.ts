import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { ConnectionsListResult } from '../../src/contracts/control-api.js'
import { escapeHtml } from '../../src/protocol/escape-html.js'
import { LAUNCH_TIMEOUT_MS, launchChromium, pngSize } from '../helpers/browser.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'

/**
 * The audience's page, /live, in Chromium on a phone-sized touch screen:
 * joining the token's event, writing, seeing what the walls approve and
 * announce, and coming back after the connection drops, with room history on.
 */

// One daemon for the file, with room history; each test runs an event of its own.
const daemon = useSharedDaemon({ history: { size: 100, ttl: 300 } })
let browser: Browser
// Kept when MSW_SCREENSHOT_DIR names a folder, to look at the page by eye.
let shotDir: string
const ownShotDir = process.env.MSW_SCREENSHOT_DIR === undefined
const PHONE = { width: 390, height: 844 }

beforeAll(async () => {
  browser = await launchChromium()
  shotDir = process.env.MSW_SCREENSHOT_DIR ?? (await mkdtemp(path.join(tmpdir(), 'msw-live-shot-')))
}, LAUNCH_TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
  if (ownShotDir && shotDir) await rm(shotDir, { recursive: true, force: true })
})

let events = 0
let CODE = ''
beforeEach(() => {
  CODE = `phone-event-${++events}`
})
const XSS = '<img src=x onerror="window.__xss=1">'
let nextId = 1

/** What the tests read of the page's window (the project's types have no DOM). */
interface PageWindow {
  getComputedStyle(element: unknown): { fontSize: string }
}

interface Shown {
  id: string
  nickname: string
  say: string
}

/** A phone: its own browser context with a touch screen, the page opened on /live with its token. */
async function openPhone(
  port: number,
  token: string,
  route?: (page: Page) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 3, isMobile: true, hasTouch: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  await route?.(page)
  await page.goto(`http://127.0.0.1:${port}/live?auth=${encodeURIComponent(token)}`)
  return { context, page, errors }
}

async function userToken(nickname: string, id = nextId++): Promise<string> {
  return mintToken({ id, type: 'wechatUser', code: CODE, nickname })
}

async function wall(port: number): Promise<TestClient> {
  const client = await TestClient.connect(
    `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 'screen', type: 'wall', code: CODE, nickname: 'Host' })}`,
  )
  await client.ask({ method: 'live.wall.join' }, 'wallJoinSuccess')
  return client
}

async function phoneClient(port: number, nickname: string): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await userToken(nickname)}`)
  await client.ask({ method: 'live.user.join' }, 'userJoinSuccess')
  return client
}

/** The wall's next pending message, which must be `say`. */
async function pendingAt(screen: TestClient, say: string): Promise<Shown> {
  const pending = (await screen.next('userSayNeedCheck')).param as Shown
  // Escaped once by the Live module; the page shows it as typed.
  expect(pending.say).toBe(escapeHtml(say))
  return pending
}

async function check(screen: TestClient, id: string, status: 0 | 1): Promise<Envelope> {
  return screen.ask({ method: 'live.wall.check', id, status }, 'wallCheckSuccess')
}

async function announce(screen: TestClient, say: string): Promise<Shown> {
  return (await screen.ask({ method: 'live.wall.say', say }, 'wallSaySuccess')).param as Shown
}

/** The texts of the messages shown, top to bottom. */
async function shownTexts(page: Page): Promise<string[]> {
  return page.locator('#messages li .say').allTextContents()
}

describe('the /live phone page in Chromium', () => {
  it('joins, sends a message that shows once a wall approves it, shows announcements, and keeps markup as text', async () => {
    const { outside } = daemon().status
    const screen = await wall(outside.port)
    const { context, page, errors } = await openPhone(outside.port, await userToken('Ann'))
    await page.locator('#status[data-state="connected"]').waitFor()
    expect(await page.locator('#empty').isVisible()).toBe(true)
    const feed = page.locator('#feed')
    // The feed while empty: what an image of it with only the empty note weighs.
    const blank = await feed.screenshot({ scale: 'css' })

    await announce(screen, 'Doors open at <7>')
    const announcement = page.locator('#messages li.announcement')
    await announcement.waitFor()
    expect(await announcement.locator('.say').textContent()).toBe('Doors open at <7>')
    expect(await announcement.locator('.badge').textContent()).toBe('Announcement')
    expect(await page.locator('#empty').isVisible()).toBe(false)

    // Written and sent with a tap: it waits for a moderator, and shows only once approved.
    const box = page.getByLabel('Your message')
    await box.fill('Hello from row 5')
    await page.getByRole('button', { name: 'Send' }).tap()
    const mine = await pendingAt(screen, 'Hello from row 5')
    expect(mine.nickname).toBe('Ann')
    await page.locator('#note[data-state="sent"][data-event="userSaySuccess"]').waitFor()
    expect(await box.inputValue()).toBe('')
    expect(await shownTexts(page)).toEqual(['Doors open at <7>'])
    await check(screen, mine.id, 1)
    const approved = page.locator(`#messages li[data-id="${mine.id}"]`)
    await approved.waitFor()
    expect(await approved.getAttribute('class')).toContain('mine')
    expect(await approved.locator('.who').textContent()).toBe('Ann')

    // Enter sends too; markup typed in shows as the characters typed.
    await box.fill(XSS)
    await box.press('Enter')
    await check(screen, (await pendingAt(screen, XSS)).id, 1)
    await page.locator('#messages li .say', { hasText: XSS }).waitFor()

    // Another phone's messages: one rejected, never shown; one approved.
    const bob = await phoneClient(outside.port, '<b>Bob</b>')
    await bob.ask({ method: 'live.user.say', say: 'spam from Bob' }, 'userSaySuccess')
    await check(screen, (await pendingAt(screen, 'spam from Bob')).id, 0)
    await bob.ask({ method: 'live.user.say', say: 'Bob agrees' }, 'userSaySuccess')
    const bobs = await pendingAt(screen, 'Bob agrees')
    await check(screen, bobs.id, 1)
    const bobItem = page.locator(`#messages li[data-id="${bobs.id}"]`)
    await bobItem.waitFor()
    expect(await bobItem.getAttribute('class')).not.toContain('mine')
    expect(await bobItem.locator('.who').textContent()).toBe('<b>Bob</b>')
    expect(await shownTexts(page)).toEqual(['Doors open at <7>', 'Hello from row 5', XSS, 'Bob agrees'])
    expect(await page.locator('#messages img, #messages b').count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined()

    // Made for the phone: nothing wider than the screen, the box at the bottom, type and targets large enough.
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(PHONE.width)
    const form = (await page.locator('#compose').boundingBox())!
    expect(form.y + form.height).toBeCloseTo(PHONE.height, 0)
    expect(
      Number.parseFloat(await box.evaluate((el) => (globalThis as unknown as PageWindow).getComputedStyle(el).fontSize)),
    ).toBeGreaterThanOrEqual(16)
    expect((await page.getByRole('button', { name: 'Send' }).boundingBox())!.height).toBeGreaterThanOrEqual(44)

    // The screenshot of the feed: a real PNG of the element, whose box holds the messages.
    const feedBox = (await feed.boundingBox())!
    expect(feedBox.width).toBeGreaterThan(0)
    expect(feedBox.height).toBeGreaterThan(0)
    const itemBox = (await approved.boundingBox())!
    expect(itemBox.y).toBeGreaterThanOrEqual(feedBox.y)
    expect(itemBox.y + itemBox.height).toBeLessThanOrEqual(feedBox.y + feedBox.height + 1)
    const shot = await feed.screenshot({ scale: 'css', path: path.join(shotDir, 'live-feed.png') })
    const size = pngSize(shot)
    // In CSS pixels, the element's box snapped outward to whole pixels.
    expect(size.width).toBe(Math.ceil(feedBox.x + feedBox.width) - Math.floor(feedBox.x))
    expect(size.height).toBe(Math.ceil(feedBox.y + feedBox.height) - Math.floor(feedBox.y))
    // Rendered messages do not compress away like the nearly empty feed.
    expect(shot.length).toBeGreaterThan(blank.length * 3)
    await writeFile(path.join(shotDir, 'live-page.png'), await page.screenshot())

    // A wall recalls the announcement: it leaves the phone.
    const recalledId = (await page.locator('#messages li.announcement').getAttribute('data-id'))!
    await screen.ask({ method: 'live.wall.recall', id: recalledId }, 'wallRecallSuccess')
    await page.locator(`#messages li[data-id="${recalledId}"]`).waitFor({ state: 'detached' })

    for (const client of [screen, bob]) client.close()
    await context.close()
    expect(errors).toEqual([])
  })

  it('opens with the announcements already made, oldest first, and refuses a wall token for good', async () => {
    const { outside } = daemon().status
    const screen = await wall(outside.port)
    for (const say of ['First', 'Second', 'Third']) await announce(screen, say)
    const phone = await openPhone(outside.port, await userToken('Cleo'))
    await phone.page.locator('#status[data-state="connected"]').waitFor()
    await expect.poll(() => shownTexts(phone.page)).toEqual(['First', 'Second', 'Third'])
    expect(await phone.page.locator('#messages li.announcement time').count()).toBe(3)
    await phone.context.close()
    expect(phone.errors).toEqual([])

    const sockets: unknown[] = []
    const refused = await openPhone(outside.port, await mintToken({ id: 'screen', type: 'wall', code: CODE }), async (page) => {
      page.on('websocket', (ws) => sockets.push(ws))
    })
    const status = refused.page.locator('#status[data-state="error"][data-event="mustBeWechatUser"]')
    await status.waitFor()
    expect(await status.textContent()).toBe('This link is not an audience link.')
    expect(await refused.page.locator('#compose').isVisible()).toBe(false)
    // Past the longest first wait: it did not try again.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(sockets).toHaveLength(1)
    screen.close()
    await refused.context.close()
    expect(refused.errors).toEqual([])
  })

  it('after its connection drops, it joins again, gets what it missed once, and sends what was written offline', async () => {
    const { project, status } = daemon()
    const { outside } = status
    const screen = await wall(outside.port)
    const annId = nextId++
    // Every socket of the page goes through here: while `away`, a reconnect is refused; the frames it sends are kept.
    let away = false
    const sent: string[][] = []
    const phone = await openPhone(outside.port, await userToken('Ann', annId), (page) =>
      page.routeWebSocket(
        (url) => url.searchParams.has('auth'),
        (ws) => {
          if (away) {
            ws.close({ code: 4001, reason: 'away' })
            return
          }
          const frames: string[] = []
          sent.push(frames)
          const server = ws.connectToServer()
          ws.onMessage((message) => {
            frames.push(String(message))
            server.send(message)
          })
        },
      ),
    )
    const { page } = phone
    await page.locator('#status[data-state="connected"]').waitFor()
    const before = await announce(screen, 'Before the drop')
    await page.locator(`#messages li[data-id="${before.id}"]`).waitFor()

    away = true
    const { json } = await cliJson<ConnectionsListResult>(project, ['conn', 'ls'])
    const ann = json.connections.filter((c) => c.code === CODE && c.id === annId)
    expect(ann).toHaveLength(1)
    expect((await cli(project, ['kick', String(ann[0]!.fd)])).exitCode).toBe(0)
    await page.locator('#status[data-state="closed"]').waitFor()

    // Written while offline: kept, and sent once the page is back.
    await page.getByLabel('Your message').fill('Written offline')
    await page.getByRole('button', { name: 'Send' }).tap()
    expect(await page.locator('#note').textContent()).toContain('Offline')
    // What the event does meanwhile.
    const during = await announce(screen, 'While you were away')
    const bob = await phoneClient(outside.port, 'Bob')
    await bob.ask({ method: 'live.user.say', say: 'Bob meanwhile' }, 'userSaySuccess')
    const bobs = await pendingAt(screen, 'Bob meanwhile')
    await check(screen, bobs.id, 1)
    await screen.ask({ method: 'live.wall.recall', id: before.id }, 'wallRecallSuccess')
    away = false

    await page.locator('#status[data-state="connected"]').waitFor({ timeout: 30_000 })
    await page.locator(`#messages li[data-id="${bobs.id}"]`).waitFor()
    await page.locator(`#messages li[data-id="${before.id}"]`).waitFor({ state: 'detached' })
    expect(await shownTexts(page)).toEqual(['While you were away', 'Bob meanwhile'])
    expect(await page.locator(`#messages li[data-id="${during.id}"]`).count()).toBe(1)
    // The second socket joined, then asked for the event's room from where the first left off.
    const second = (sent.at(-1) ?? []).filter((f) => f.startsWith('{')).map((f) => JSON.parse(f) as Record<string, unknown>)
    expect(second.map((f) => f.method).slice(0, 3)).toEqual(['live.user.join', '@recover', 'live.user.say'])
    expect(second[1]).toMatchObject({ room: `live:user:${CODE}` })

    const offline = await pendingAt(screen, 'Written offline')
    await check(screen, offline.id, 1)
    await page.locator(`#messages li.mine[data-id="${offline.id}"]`).waitFor()
    expect(await shownTexts(page)).toEqual(['While you were away', 'Bob meanwhile', 'Written offline'])
    await page.screenshot({ path: path.join(shotDir, 'live-page-after-reconnect.png') })

    for (const client of [screen, bob]) client.close()
    await phone.context.close()
    expect(phone.errors).toEqual([])
  })
})
