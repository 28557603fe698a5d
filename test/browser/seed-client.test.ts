import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { LAUNCH_TIMEOUT_MS, launchChromium, SEED_CLIENT, type PageState } from '../helpers/browser.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken } from '../helpers/client.js'

// Both tests only connect: one daemon serves them.
const daemon = useSharedDaemon()
let browser: Browser

beforeAll(async () => {
  browser = await launchChromium()
}, LAUNCH_TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
})

describe('the seed README JavaScript client in Chromium', () => {
  it('connects with its token, sends, and gets the ack then the reply; keepalive 2 gets 3', async () => {
    const { outside } = daemon().status
    const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom' })
    const page = await browser.newPage()
    // The outside port serves a page itself, so the client runs from a real http origin.
    await page.goto(`http://127.0.0.1:${outside.port}/`)
    await page.evaluate(SEED_CLIENT.replace('SERVER', JSON.stringify(`ws://127.0.0.1:${outside.port}/?auth=${token}`)))
    await page.waitForFunction(() => (globalThis as unknown as PageState).received.length >= 2)
    const received = (await page.evaluate(() => (globalThis as unknown as PageState).received)).map((f) => JSON.parse(f))
    expect(received[0]).toMatchObject({ status: 200, event: 'receiveMessage' })
    expect(received[1]).toMatchObject({ status: 200, event: 'success' })

    await page.evaluate(() => (globalThis as unknown as { websocket: { send(data: string): void } }).websocket.send('2'))
    await page.waitForFunction(() => (globalThis as unknown as PageState).received.includes('3'))
    await page.close()
  })

  it('is refused without a token, as the seed was', async () => {
    const { outside } = daemon().status
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${outside.port}/`)
    await page.evaluate(SEED_CLIENT.replace('SERVER', JSON.stringify(`ws://127.0.0.1:${outside.port}/`)))
    // A refused upgrade surfaces in browsers as close code 1006 with nothing received.
    await page.waitForFunction(() => (globalThis as unknown as PageState).closeCode !== null)
    expect(await page.evaluate(() => (globalThis as unknown as PageState).closeCode)).toBe(1006)
    expect(await page.evaluate(() => (globalThis as unknown as PageState).received)).toEqual([])
    await page.close()
  })
})
