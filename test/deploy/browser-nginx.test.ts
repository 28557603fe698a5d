import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { ConnectionInfo, ConnectionsListResult, ReloadResult } from '../../src/contracts/control-api.js'
import { LAUNCH_TIMEOUT_MS, launchChromium, seedClient, type PageState } from '../helpers/browser.js'
import { cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken } from '../helpers/client.js'
import { startNginx, type NginxServer } from '../helpers/nginx.js'
import type { Project } from '../helpers/project.js'

/**
 * The seed README's JavaScript client in Chromium, through a real nginx running
 * deploy/nginx.conf, in front of a daemon started with the CLI. The page itself
 * is fetched through nginx too, so its origin is nginx's, as in production.
 *
 * The daemon listens on ::1 and trusts only ::1, so nginx reaches it from ::1
 * while the browser reaches nginx from 127.0.0.1: a connection recorded with
 * 127.0.0.1 can only have taken its address from nginx's X-Real-IP.
 */
const BROWSER_ADDRESS = '127.0.0.1'
const NGINX_TO_DAEMON = '::1'
const WAIT_MS = 20_000

const project = useProjects()
let browser: Browser | undefined
let nginx: NginxServer | undefined
const pages: Page[] = []
let nextUid = 1

beforeAll(async () => {
  browser = await launchChromium()
}, LAUNCH_TIMEOUT_MS)

// Registered after useProjects' hook, so it runs before it: pages, then nginx, then the daemon.
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()))
  await nginx?.stop()
  nginx = undefined
})

afterAll(async () => {
  await browser?.close()
})

interface Stack {
  node: Project
  nginx: NginxServer
  /** http://127.0.0.1:<nginx port>, where the page comes from. */
  origin: string
}

async function startStack(): Promise<Stack> {
  const node = await project({ outside: { host: NGINX_TO_DAEMON, trusted_proxies: [NGINX_TO_DAEMON] } })
  const { outside } = await startDaemon(node)
  nginx = await startNginx({ upstreams: [`[${NGINX_TO_DAEMON}]:${outside.port}`] })
  return { node, nginx, origin: `http://127.0.0.1:${nginx.port}` }
}

/**
 * Loads the page from nginx and runs the seed client in it, with a fresh uid in
 * `room`; resolves once the client's first message has its ack and its reply.
 */
async function openPage(stack: Stack, room: string): Promise<Page> {
  if (browser === undefined) throw new Error('Chromium is not running')
  const page = await browser.newPage()
  pages.push(page)
  page.setDefaultTimeout(WAIT_MS)

  const response = await page.goto(`${stack.origin}/`)
  // The shipped config only proxies, so a page with nginx's Server header came from the outside port through it.
  expect(response?.status()).toBe(200)
  expect(response?.headers()['server']).toMatch(/^nginx/)
  expect(response?.headers()['content-type']).toMatch(/^text\/html/)
  expect(await page.evaluate(() => (globalThis as unknown as { location: { origin: string } }).location.origin)).toBe(stack.origin)

  const token = await mintToken({ id: nextUid++, type: 'wechatUser', code: room, nickname: 'Tom' })
  await page.evaluate(seedClient(`${stack.nginx.url}/?auth=${token}`))
  await page.waitForFunction(() => (globalThis as unknown as PageState).received.length >= 2)
  const frames = await received(page)
  expect(frames.map(parse)).toEqual([
    { status: 200, event: 'receiveMessage', info: '服务端已收到您的请求内容' },
    { status: 200, event: 'success', info: '执行完成' },
  ])
  return page
}

async function received(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as PageState).received)
}

async function closeCode(page: Page): Promise<number | null> {
  return page.evaluate(() => (globalThis as unknown as PageState).closeCode)
}

/** Sends `frame` on the page's socket; answers the frames that arrived after it, once there are `count`. */
async function exchange(page: Page, frame: string, count: number): Promise<string[]> {
  const before = (await received(page)).length
  await page.evaluate((data) => (globalThis as unknown as PageState).websocket.send(data), frame)
  await page.waitForFunction((n) => (globalThis as unknown as PageState).received.length >= n, before + count)
  return (await received(page)).slice(before)
}

/** A message and a keepalive, each answered on the page's one socket. */
async function roundTrip(page: Page, name: string): Promise<void> {
  const answers = await exchange(page, JSON.stringify({ method: 'index.index.index', name }), 2)
  expect(answers.map(parse)).toEqual([
    { status: 200, event: 'receiveMessage', info: '服务端已收到您的请求内容' },
    { status: 200, event: 'success', info: '执行完成' },
  ])
  expect(await exchange(page, '2', 1)).toEqual(['3'])
}

function parse(frame: string): unknown {
  return JSON.parse(frame)
}

async function connections(node: Project, room: string): Promise<ConnectionInfo[]> {
  const { exitCode, json, stderr } = await cliJson<ConnectionsListResult>(node, ['conn', 'ls', '--room', room])
  expect(exitCode, stderr).toBe(0)
  return json.connections
}

/** What stays the same for as long as one socket stays open. */
const identity = ({ cid, connectedAt }: ConnectionInfo) => ({ cid, connectedAt })

describe('the seed client in Chromium through nginx (deploy/nginx.conf)', () => {
  it('sends and receives through nginx, recorded with its own address, and keeps its socket across mswoole reload', async () => {
    const stack = await startStack()
    const uid = nextUid
    const page = await openPage(stack, 'room1')
    await roundTrip(page, 'before')

    const [before, ...others] = await connections(stack.node, 'room1')
    expect(others).toEqual([])
    expect(before).toMatchObject({ type: 'wechatUser', code: 'room1', nickname: 'Tom', ip: BROWSER_ADDRESS })
    // The token's id may come back as a number.
    expect(String(before?.id)).toBe(String(uid))

    const { exitCode, json, stderr } = await cliJson<ReloadResult>(stack.node, ['reload'])
    expect(exitCode, stderr).toBe(0)
    expect(json.generation).toBeGreaterThan(json.previous)

    // Same socket: the page saw no close, and the daemon still holds the connection it opened.
    expect(await closeCode(page)).toBeNull()
    await roundTrip(page, 'after mswoole reload')
    expect(await closeCode(page)).toBeNull()
    const after = await connections(stack.node, 'room1')
    expect(after.map(identity)).toEqual([identity(before as ConnectionInfo)])
  })

  it('keeps the open socket across an nginx reload, and a page opened after it works too', async () => {
    const stack = await startStack()
    const first = await openPage(stack, 'room2')
    const [before] = await connections(stack.node, 'room2')

    // Resolves once a new nginx worker runs; the old one keeps the upgraded connection it holds.
    await stack.nginx.reload()

    expect(await closeCode(first)).toBeNull()
    await roundTrip(first, 'after nginx reload')
    expect(await closeCode(first)).toBeNull()

    const second = await openPage(stack, 'room2')
    await roundTrip(second, 'opened after nginx reload')

    const listed = await connections(stack.node, 'room2')
    expect(listed).toHaveLength(2)
    expect(listed.map(identity)).toContainEqual(identity(before as ConnectionInfo))
    for (const entry of listed) expect(entry.ip).toBe(BROWSER_ADDRESS)
    expect(await closeCode(first)).toBeNull()
  })
})
