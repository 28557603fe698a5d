import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { ConnectionsListResult } from '../../src/contracts/control-api.js'
import { LAUNCH_TIMEOUT_MS, launchChromium } from '../helpers/browser.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'

// One daemon for the file: each test runs an event of its own (its own code, so its own rooms, queue and history).
const daemon = useSharedDaemon()
let browser: Browser
// Kept when MSW_SCREENSHOT_DIR names a folder, to look at the page by eye.
let shotDir: string
const ownShotDir = process.env.MSW_SCREENSHOT_DIR === undefined

beforeAll(async () => {
  browser = await launchChromium()
  shotDir = process.env.MSW_SCREENSHOT_DIR ?? (await mkdtemp(path.join(tmpdir(), 'msw-wall-shot-')))
}, LAUNCH_TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
  if (ownShotDir && shotDir) await rm(shotDir, { recursive: true, force: true })
})

let events = 0
let CODE = ''
beforeEach(() => {
  CODE = `event42-${++events}`
})
const XSS = '<img src=x onerror="window.__xss=1">'

/** A shown message: an approved one keeps its pending id; a wall's carries its row id (as a string). */
interface ShownMessage {
  id: string
  nickname: string
  say: string
}

/** A big-screen page on /wall with the token in its address; page errors and console errors are collected. */
async function openWall(port: number, token: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  await page.goto(`http://127.0.0.1:${port}/wall?auth=${encodeURIComponent(token)}`)
  return { page, errors }
}

async function phone(port: number, id: number, nickname: string): Promise<TestClient> {
  const token = await mintToken({ id, type: 'wechatUser', code: CODE, nickname })
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/?auth=${token}`)
  await client.ask({ method: 'live.user.join' }, 'userJoinSuccess')
  return client
}

async function say(client: TestClient, text: string): Promise<string> {
  const reply = await client.ask({ method: 'live.user.say', say: text }, 'userSaySuccess')
  return String(reply.param)
}

/** Every envelope with `event` the client has received up to and including the one `until` accepts. */
async function collect(client: TestClient, event: string, until: (e: Envelope) => boolean): Promise<Envelope[]> {
  const seen: Envelope[] = []
  for (;;) {
    const envelope = await client.next(event)
    seen.push(envelope)
    if (until(envelope)) return seen
  }
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true)
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

describe('the /wall page in Chromium', () => {
  it('moderates phone messages: approved ones go live everywhere, rejected ones nowhere, markup stays text', async () => {
    const { outside } = daemon().status
    const wallToken = await mintToken({ id: 'screen-1', type: 'wall', code: CODE, nickname: 'Main screen' })
    const { page, errors } = await openWall(outside.port, wallToken)
    await page.locator('#status[data-state="connected"]').waitFor()
    // The event's code comes with the user count (the seed's wallJoinSuccess has no param).
    await expect.poll(() => page.locator('#room').textContent()).toBe(`Room ${CODE}`)
    const live = page.locator('#messages')
    // The list while empty: what an image of it without any text weighs.
    const blank = await live.screenshot()

    const alice = await phone(outside.port, 1, 'Alice')
    const bob = await phone(outside.port, 2, 'Bob')
    const mallory = await phone(outside.port, 3, '<b>Mallory</b>')
    await expect.poll(() => page.locator('#users').textContent()).toBe('3 online')
    const aliceId = await say(alice, 'Hello from Alice')
    const bobId = await say(bob, 'Spam from Bob')
    const malloryId = await say(mallory, XSS)

    const pending = (id: string) => page.locator(`#pending li[data-id="${id}"]`)
    for (const id of [aliceId, bobId, malloryId]) await pending(id).waitFor()
    await expect.poll(() => page.locator('#pending-count').textContent()).toBe('3')
    await page.screenshot({ path: path.join(shotDir, 'wall-pending.png') })
    // Markup in a pending message and in a nickname is shown as the characters typed.
    expect(await pending(malloryId).locator('.say').textContent()).toBe(XSS)
    expect(await pending(malloryId).locator('.who').textContent()).toBe('<b>Mallory</b>')

    await pending(bobId).getByRole('button', { name: 'Reject' }).click()
    await pending(bobId).waitFor({ state: 'detached' })
    await pending(aliceId).getByRole('button', { name: 'Approve' }).click()
    await pending(malloryId).getByRole('button', { name: 'Approve' }).click()
    await pending(aliceId).waitFor({ state: 'detached' })
    await pending(malloryId).waitFor({ state: 'detached' })
    expect(await page.locator('#pending-count').textContent()).toBe('0')

    const aliceItem = live.locator('li', { hasText: 'Hello from Alice' })
    const malloryItem = live.locator('li', { hasText: XSS })
    await aliceItem.waitFor()
    await malloryItem.waitFor()
    expect(await malloryItem.locator('.say').textContent()).toBe(XSS)
    expect(await malloryItem.locator('.who').textContent()).toBe('<b>Mallory</b>')
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('#messages b').count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined()
    expect(await live.textContent()).not.toContain('Spam from Bob')

    // Every phone gets both approved messages, under the ids they had while pending, and never the rejected one.
    for (const client of [alice, bob, mallory]) {
      const approved = new Set([aliceId, malloryId])
      const got = await collect(client, 'userSayBroadcast', (e) => {
        approved.delete(String((e.param as ShownMessage).id))
        return approved.size === 0
      })
      const messages = got.map((e) => e.param as ShownMessage)
      expect(messages.map((m) => m.id).sort()).toEqual([aliceId, malloryId].sort())
      expect(messages.find((m) => m.id === aliceId)).toEqual({ id: aliceId, nickname: 'Alice', say: 'Hello from Alice' })
      expect(JSON.stringify(messages)).not.toContain('Spam from Bob')
    }
    // As in the seed, approved messages are shown, not stored: the history is what walls said.
    const history = await alice.ask({ method: 'live.user.history' }, 'wallSayHistory')
    expect(history.param).toEqual({ list: [], count: 0 })

    // The screenshot of the live list: a real PNG of the element, whose box holds the approved text.
    await expect.poll(() => aliceItem.isVisible()).toBe(true)
    const box = await live.boundingBox()
    expect(box).not.toBeNull()
    expect(box!.width).toBeGreaterThan(0)
    expect(box!.height).toBeGreaterThan(0)
    const itemBox = await aliceItem.boundingBox()
    expect(itemBox!.y).toBeGreaterThanOrEqual(box!.y)
    expect(itemBox!.y + itemBox!.height).toBeLessThanOrEqual(box!.y + box!.height + 1)
    const shot = await live.screenshot({ path: path.join(shotDir, 'wall-messages.png') })
    const size = pngSize(shot)
    // The element's box, snapped outward to whole pixels (the page runs at one device pixel per CSS pixel).
    expect(size.width).toBe(Math.ceil(box!.x + box!.width) - Math.floor(box!.x))
    expect(size.height).toBe(Math.ceil(box!.y + box!.height) - Math.floor(box!.y))
    // Rendered text does not compress away like a plain background: the filled list weighs far more than the empty one.
    expect(shot.length).toBeGreaterThan(blank.length * 4)
    await writeFile(path.join(shotDir, 'wall-page.png'), await page.screenshot())

    for (const client of [alice, bob, mallory]) client.close()
    await page.close()
    expect(errors).toEqual([])
  })

  it('posts an announcement to the phones, and recalls a message from the page and the phones', async () => {
    const { outside } = daemon().status
    const wallToken = await mintToken({ id: 'screen-1', type: 'wall', code: CODE, nickname: 'Host' })
    const { page, errors } = await openWall(outside.port, wallToken)
    await page.locator('#status[data-state="connected"]').waitFor()
    const carol = await phone(outside.port, 7, 'Carol')

    await page.locator('#announce-text').fill('Doors close at <9>')
    await page.getByRole('button', { name: 'Post' }).click()
    const announced = (await carol.next('wallSayBroadcast')).param as ShownMessage
    expect(announced).toMatchObject({ nickname: 'Host', say: 'Doors close at &lt;9&gt;' })
    const item = page.locator(`#messages li[data-id="${announced.id}"]`)
    await item.waitFor()
    expect(await item.locator('.say').textContent()).toBe('Doors close at <9>')
    expect(await item.getAttribute('class')).toContain('announcement')
    expect(await page.locator('#announce-text').inputValue()).toBe('')
    await page.screenshot({ path: path.join(shotDir, 'wall-announcement.png') })

    await item.getByRole('button', { name: 'Recall' }).click()
    expect(await carol.next('wallSayRecall')).toMatchObject({ status: 200, param: announced.id })
    await item.waitFor({ state: 'detached' })

    // A page opened later gets the history without the recalled message.
    const again = await openWall(outside.port, wallToken)
    await again.page.locator('#status[data-state="connected"]').waitFor()
    await page.locator('#announce-text').fill('Second announcement')
    await page.getByRole('button', { name: 'Post' }).click()
    await again.page.locator('#messages li', { hasText: 'Second announcement' }).waitFor()
    expect(await again.page.locator('#messages').textContent()).not.toContain('Doors close')

    carol.close()
    await again.page.close()
    await page.close()
    expect([...errors, ...again.errors]).toEqual([])
  })

  it('keeps its pending list in step with another screen of the event that moderates or cleans', async () => {
    const { outside } = daemon().status
    const { page, errors } = await openWall(outside.port, await mintToken({ id: 'screen-1', type: 'wall', code: CODE, nickname: 'Main' }))
    await page.locator('#status[data-state="connected"]').waitFor()
    const other = await TestClient.connect(
      `ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 'screen-2', type: 'wall', code: CODE, nickname: 'Side' })}`,
    )
    // With extras, as the page joins: the other screen hears of the clean it asks for.
    await other.ask({ method: 'live.wall.join', extras: true }, 'wallJoinSuccess')
    const dave = await phone(outside.port, 8, 'Dave')
    const rejected = await say(dave, 'rejected elsewhere')
    const waiting = [await say(dave, 'cleaned one'), await say(dave, 'cleaned two')]

    const pending = (id: string) => page.locator(`#pending li[data-id="${id}"]`)
    for (const id of [rejected, ...waiting]) await pending(id).waitFor()
    await other.ask({ method: 'live.wall.check', id: rejected, status: 0 }, 'wallCheckSuccess')
    await pending(rejected).waitFor({ state: 'detached' })
    await expect.poll(() => page.locator('#pending-count').textContent()).toBe('2')

    await other.ask({ method: 'live.wall.clean' }, 'wallCleanSuccess')
    for (const id of waiting) await pending(id).waitFor({ state: 'detached' })
    await expect.poll(() => page.locator('#pending-count').textContent()).toBe('0')

    for (const client of [other, dave]) client.close()
    await page.close()
    expect(errors).toEqual([])
  })

  it('shows the server refusing a phone token as the status line error (403 mustBeWall)', async () => {
    const { outside } = daemon().status
    const userToken = await mintToken({ id: 9, type: 'wechatUser', code: CODE, nickname: 'Dave' })
    // What the server says to a phone that asks to join as a wall, to compare with the page.
    const probe = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${userToken}`)
    const refused = await probe.ask({ method: 'live.wall.join' }, 'mustBeWall')
    expect(refused.status).toBe(403)
    probe.close()

    const { page, errors } = await openWall(outside.port, userToken)
    const status = page.locator('#status[data-state="error"][data-event="mustBeWall"]')
    await status.waitFor()
    expect(await status.textContent()).toContain('403')
    expect(await status.textContent()).toContain(refused.info)
    await page.close()
    expect(errors).toEqual([])
  })

  it('sends the keepalive every 25 s and reconnects after the server closes it', async () => {
    const {
      project: p,
      status: { outside },
    } = daemon()
    // A uid of its own, so the kick below finds this page's connection whatever other walls are listed.
    const wallToken = await mintToken({ id: 'screen-keepalive', type: 'wall', code: CODE, nickname: 'Host' })
    const page = await browser.newPage()
    // The page's timers run on a clock the test moves, so nothing here waits on real time.
    await page.clock.install()
    const sockets: Array<{ sent: string[]; received: string[] }> = []
    page.on('websocket', (ws) => {
      const frames = { sent: [] as string[], received: [] as string[] }
      sockets.push(frames)
      ws.on('framesent', (f) => frames.sent.push(String(f.payload)))
      ws.on('framereceived', (f) => frames.received.push(String(f.payload)))
    })
    await page.goto(`http://127.0.0.1:${outside.port}/wall?auth=${encodeURIComponent(wallToken)}`)
    await page.locator('#status[data-state="connected"]').waitFor()
    expect(sockets[0]?.sent).not.toContain('2')
    await page.clock.runFor(25_000)
    await expect.poll(() => sockets[0]?.received.includes('3')).toBe(true)
    expect(sockets[0]?.sent).toContain('2')

    const { json } = await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])
    const walls = json.connections.filter((c) => String(c.id) === 'screen-keepalive')
    expect(walls).toHaveLength(1)
    const wall = walls[0]
    expect(wall).toBeDefined()
    // Every state the status takes from here on, however briefly: the installed clock goes on in
    // real time, so the retry's wait (below minDelay) may end, and "closed" give way, within milliseconds.
    await page.evaluate(`{
      const status = document.querySelector('#status')
      const seen = (window.statesSeen = [])
      new MutationObserver(() => seen.push(status.getAttribute('data-state'))).observe(status, {
        attributes: true,
        attributeFilter: ['data-state'],
      })
    }`)
    expect((await cli(p, ['kick', String(wall!.fd)])).exitCode).toBe(0)
    await expect.poll(() => page.evaluate("window.statesSeen.includes('closed')")).toBe(true)
    // Past the first retry's longest wait (below minDelay, 1 s: the kicked connection had lived), and no
    // further: the join that follows runs on real time, where a longer run of the page's clock could
    // fire its join timeout before the server's answer arrived.
    await page.clock.runFor(1_000)
    await page.locator('#status[data-state="connected"]').waitFor()
    expect(sockets).toHaveLength(2)
    expect(sockets[1]?.sent.map((f) => (f.startsWith('{') ? (JSON.parse(f) as { method: string }).method : f))).toEqual(
      expect.arrayContaining(['live.wall.join', 'live.wall.history']),
    )
    await page.close()
  })
})

describe('the /wall page with room history', () => {
  const withHistory = useSharedDaemon({ history: { size: 100, ttl: 300 } })

  it('keeps what it showed across a reconnect and gets what it missed from the room history, not from the stored page', async () => {
    const { project, status } = withHistory()
    const port = status.outside.port
    // Every socket of the page goes through here: while `away`, a reconnect is refused; the frames it sends are kept.
    let away = false
    const sent: string[][] = []
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.routeWebSocket(
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
    )
    const wallToken = await mintToken({ id: 'screen-1', type: 'wall', code: CODE, nickname: 'Main' })
    await page.goto(`http://127.0.0.1:${port}/wall?auth=${encodeURIComponent(wallToken)}`)
    await page.locator('#status[data-state="connected"]').waitFor()
    const alice = await phone(port, 1, 'Alice')
    const first = await say(alice, 'Before the drop')
    await page.locator(`#pending li[data-id="${first}"]`).getByRole('button', { name: 'Approve' }).click()
    await page.locator(`#messages li[data-id="${first}"]`).waitFor()

    away = true
    const { json } = await cliJson<ConnectionsListResult>(project, ['conn', 'ls'])
    const wall = json.connections.find((c) => c.type === 'wall' && c.code === CODE)
    expect((await cli(project, ['kick', String(wall!.fd)])).exitCode).toBe(0)
    await page.locator('#status[data-state="closed"]').waitFor()
    // Another screen moderates and announces meanwhile.
    const other = await TestClient.connect(
      `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 'screen-2', type: 'wall', code: CODE, nickname: 'Side' })}`,
    )
    await other.ask({ method: 'live.wall.join' }, 'wallJoinSuccess')
    const during = await say(alice, 'Approved elsewhere')
    await other.ask({ method: 'live.wall.check', id: during, status: 1 }, 'wallCheckSuccess')
    const waiting = await say(alice, 'Still waiting')
    await other.ask({ method: 'live.wall.say', say: 'Announced meanwhile' }, 'wallSaySuccess')
    away = false

    await page.locator('#status[data-state="connected"]').waitFor({ timeout: 30_000 })
    await page.locator('#messages li', { hasText: 'Announced meanwhile' }).waitFor()
    await page.locator(`#pending li[data-id="${waiting}"]`).waitFor()
    // An approved message is not stored: only the history could bring back both.
    expect(await page.locator('#messages .say').allTextContents()).toEqual(['Announced meanwhile', 'Approved elsewhere', 'Before the drop'])
    await expect.poll(() => page.locator('#pending-count').textContent()).toBe('1')
    const again = (sent.at(-1) ?? []).filter((f) => f.startsWith('{')).map((f) => JSON.parse(f) as Record<string, unknown>)
    expect(again.map((f) => f.method)).toContain('@recover')
    expect(again.filter((f) => f.method === '@recover').map((f) => f.room)).toContain(`live:wall:${CODE}`)
    // The pending list is read again; the shown messages are not.
    expect(again.filter((f) => f.method === 'live.wall.history').map((f) => f.type)).toEqual(['user'])

    for (const client of [alice, other]) client.close()
    await page.close()
    expect(errors).toEqual([])
  })
})
