/**
 * The dashboard measurement (bench/scenarios/dashboard.ts reports it): how soon the web
 * dashboard's connections table is usable while the daemon holds N idle connections.
 *
 *   1. start mswoole with a manager key (so the page has full access and its rows a Kick
 *      button), and open N idle authenticated connections (bench/lib/idle-clients.ts);
 *   2. in headless Chromium (Debian's /usr/bin/chromium through playwright-core), each run in a
 *      fresh browser context:
 *      - login: from the click on "Log in" to the first row's Kick button present and enabled;
 *      - navigation: a new page of the logged-in context loads /dashboard/; from the navigation's
 *        start (performance.now() = 0 in the new document) to the same, and from the page's
 *        Resource Timing where that time went: DOMContentLoaded (its modules loaded and run),
 *        the answer to /dashboard/session, the last manager API answer before the table;
 *      - filter: a uid typed in the connections filter; from the click on "Filter" to the table
 *        showing that one connection.
 *      Every time is read in the page (performance.now()), checked on each animation frame.
 *   3. the size of `connections.list` as the page asks for it (its first page of 25 rows) and of
 *      the largest page the manager gives (1,000 rows), fetched from the page with its session.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../test/helpers/chromium.js'
import { IpcClient } from '../src/ipc/client.js'
import type { ConnectFigures } from './fan-out-client.js'
import { waitForQuiet } from './lib/cpu.js'
import { openIdleClients, type IdleClients } from './lib/idle-clients.js'
import { startMswoole } from './lib/mswoole-target.js'
import { openFilesLimit } from './load-client.js'

export interface DashboardOptions {
  /** Idle connections the daemon holds while the page is measured. */
  connections: number
  /** Timed runs of each measurement (one untimed run of each comes first). */
  runs: number
  /** Other work on the machine (cores) under which the runs may start, and the seconds to wait for it. */
  quietCores: number
  quietMaxWait: number
}

export const FULL: DashboardOptions = { connections: 19_000, runs: 5, quietCores: 0.3, quietMaxWait: 20 }
export const QUICK: DashboardOptions = { connections: 2_000, runs: 3, quietCores: 0.3, quietMaxWait: 2 }

export const VIEWPORT = { width: 1280, height: 800 }
const MANAGER_KEY = 'mswoole-bench-dashboard-key'
/** The page's own page size (dashboard/app.js PAGE_SIZE). */
export const PAGE_ROWS = 25
/** The largest page `connections.list` gives (MAX_PAGE). */
export const MAX_ROWS = 1000
/** Source addresses 127.0.0.<FIRST_SOURCE>…: memory uses 150…, cli-latency 210…. */
const FIRST_SOURCE = 230
const FD_MARGIN = 500
const WAIT_MS = 60_000

export type MeasureId = 'login' | 'navigation' | 'navDomContentLoaded' | 'navSession' | 'navLastApi' | 'filter'

export interface Timing {
  id: MeasureId
  /** Milliseconds of every timed run, in order. */
  samples: number[]
  median: number
  max: number
}

export interface DashboardResults {
  options: DashboardOptions
  connections: { asked: number; held: number; connect: ConnectFigures }
  timings: Timing[]
  /** Bytes of the `connections.list` answers (the JSON-RPC body), at the page's size and the largest. */
  response: { pageRows: number; pageBytes: number; maxRows: number; maxBytes: number; total: number }
  chromium: string
  /** Other work on the machine (cores, the daemon's own left out) when the runs began. */
  otherCoresBefore: number | null
  appJson: Record<string, unknown>
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)] ?? 0
}
const round1 = (v: number) => Math.round(v * 10) / 10

/**
 * What the page is waited for, checked in it on each animation frame: `kick`, the first row's
 * Kick button present and enabled; `one`, a single row whose uid is `uid`; `many`, more than one row.
 */
type Condition = { kind: 'kick' } | { kind: 'one'; uid: string } | { kind: 'many' }

/** The little of the DOM the in-page functions use (this project compiles without the DOM library). */
interface PageElement {
  disabled?: boolean
  textContent: string | null
  children: ArrayLike<PageElement>
  querySelector(selector: string): PageElement | null
  closest(selector: string): PageElement | null
}
interface PageGlobal {
  document: {
    querySelectorAll(selector: string): ArrayLike<PageElement>
    addEventListener(type: string, listener: (event: { target: PageElement | null }) => void, options: object): void
  }
  __benchClickAt?: number
}

/** Resolves with performance.now() in the page once `condition` holds. */
async function pageTimeWhen(page: Page, condition: Condition): Promise<number> {
  const handle = await page.waitForFunction(
    (c: Condition) => {
      const rows = (globalThis as unknown as PageGlobal).document.querySelectorAll('table[aria-label="Connections"] tbody tr')
      let ok: boolean
      if (c.kind === 'kick') {
        const b = rows[0]?.querySelector('button.danger')
        ok = b !== null && b !== undefined && b.disabled === false
      } else if (c.kind === 'one') ok = rows.length === 1 && rows[0]?.children[1]?.textContent === c.uid
      else ok = rows.length > 1
      return ok ? performance.now() : false
    },
    condition,
    { polling: 'raf', timeout: WAIT_MS },
  )
  return (await handle.jsonValue()) as number
}

/** Records performance.now() of the next click on the element matching `selector` as window.__benchClickAt. */
async function armClick(page: Page, selector: string): Promise<void> {
  await page.evaluate((sel: string) => {
    const w = globalThis as unknown as PageGlobal
    w.__benchClickAt = undefined
    w.document.addEventListener(
      'click',
      (event) => {
        if (event.target?.closest(sel) != null) w.__benchClickAt = performance.now()
      },
      { capture: true, once: true },
    )
  }, selector)
}

const clickedAt = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobal).__benchClickAt ?? Number.NaN)

async function login(browser: Browser, base: string): Promise<{ context: BrowserContext; page: Page; ms: number }> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  const page = await context.newPage()
  await page.goto(`${base}/dashboard/`)
  await page.getByLabel('Manager key').fill(MANAGER_KEY)
  await armClick(page, 'button[type="submit"]')
  await page.getByRole('button', { name: 'Log in' }).click()
  const ready = await pageTimeWhen(page, { kind: 'kick' })
  return { context, page, ms: ready - (await clickedAt(page)) }
}

interface NavigationTiming {
  /** The first row's Kick button present and enabled. */
  ready: number
  /** DOMContentLoaded ended: the page's modules are loaded and have run. */
  domContentLoaded: number
  /** The answer of GET /dashboard/session ended. */
  session: number
  /** The last answer of the manager API (/rpc, /metrics) that ended before `ready`. */
  lastApi: number
}

async function navigation(context: BrowserContext, base: string): Promise<NavigationTiming> {
  const page = await context.newPage()
  try {
    await page.goto(`${base}/dashboard/`, { waitUntil: 'commit' })
    // The new document's performance.now() counts from the navigation's start.
    const ready = await pageTimeWhen(page, { kind: 'kick' })
    const entries = await page.evaluate(() => {
      type Entry = { name: string; responseEnd: number; domContentLoadedEventEnd?: number }
      const perf = performance as unknown as { getEntriesByType(type: string): Entry[] }
      return {
        navigation: perf.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? Number.NaN,
        resources: perf.getEntriesByType('resource').map((e) => ({ name: e.name, end: e.responseEnd })),
      }
    })
    const path = (name: string) => new URL(name).pathname
    const session = entries.resources.find((e) => path(e.name) === '/dashboard/session')?.end ?? Number.NaN
    const api = entries.resources.filter((e) => ['/rpc', '/metrics'].includes(path(e.name)) && e.end <= ready).map((e) => e.end)
    return { ready, domContentLoaded: entries.navigation, session, lastApi: api.length > 0 ? Math.max(...api) : Number.NaN }
  } finally {
    await page.close()
  }
}

async function filter(page: Page, uid: string): Promise<number> {
  const form = page.getByRole('form', { name: 'Filter connections' })
  await form.getByLabel('Uid').fill(uid)
  await armClick(page, 'form[aria-label="Filter connections"] button[type="submit"]')
  await form.getByRole('button', { name: 'Filter' }).click()
  const done = await pageTimeWhen(page, { kind: 'one', uid })
  const ms = done - (await clickedAt(page))
  // Back to every connection for the next run.
  await form.getByLabel('Uid').fill('')
  await form.getByRole('button', { name: 'Filter' }).click()
  await pageTimeWhen(page, { kind: 'many' })
  return ms
}

/** The body size of `connections.list` with `limit` rows, fetched by the page with its session. */
function listBytes(page: Page, limit: number): Promise<{ bytes: number; total: number; rows: number }> {
  return page.evaluate(async (n: number) => {
    const res = await fetch('/rpc', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mswoole-dashboard': '1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'connections.list', params: { offset: 0, limit: n } }),
    })
    const text = await res.text()
    const answer = JSON.parse(text) as { result: { total: number; connections: unknown[] } }
    return { bytes: new TextEncoder().encode(text).length, total: answer.result.total, rows: answer.result.connections.length }
  }, limit)
}

export async function measureDashboard(o: DashboardOptions, log: (m: string) => void): Promise<DashboardResults> {
  const limit = openFilesLimit()
  if (limit !== undefined && limit < o.connections + FD_MARGIN) {
    throw new Error(
      `dashboard: ${o.connections} connections need an open-files limit of at least ${o.connections + FD_MARGIN}, and ulimit -n is ${limit}; raise it or measure fewer connections`,
    )
  }
  const target = await startMswoole({
    tokens: o.connections,
    extra: { manager: { host: '127.0.0.1', port: 0, key: MANAGER_KEY } },
  })
  let clients: IdleClients | undefined
  let browser: Browser | undefined
  try {
    const status = await target.cliJson<{ manager: { port: number } }>(['status'])
    const base = `http://127.0.0.1:${status.manager.port}`
    clients = await openIdleClients({ url: target.url, connections: o.connections, firstSource: FIRST_SOURCE })
    if (clients.connect.failed > 0)
      log(
        `dashboard: ${clients.connect.failed} of ${clients.connect.asked} connects failed (${clients.connect.failures.slice(0, 2).join('; ')})`,
      )
    let held = 0
    const ipc = await IpcClient.connect(target.socket, 5000)
    try {
      const deadline = performance.now() + 30_000
      for (;;) {
        held = (await ipc.call('status', {})).connections
        if (held >= clients.connect.opened || performance.now() >= deadline) break
        await sleep(200)
      }
    } finally {
      ipc.close()
    }
    log(`dashboard: ${held} connections held (opened in ${clients.connect.seconds} s)`)

    const otherCoresBefore = await waitForQuiet(o.quietCores, o.quietMaxWait, [target.pid])
    if (otherCoresBefore !== null && otherCoresBefore > o.quietCores)
      log(`dashboard: machine busy: ${otherCoresBefore} cores of other work when the runs began`)
    browser = await launchChromium()
    const version = browser.version()
    const samples: Record<MeasureId, number[]> = {
      login: [],
      navigation: [],
      navDomContentLoaded: [],
      navSession: [],
      navLastApi: [],
      filter: [],
    }
    let response: DashboardResults['response'] | undefined
    for (let run = 0; run <= o.runs; run++) {
      const timed = run > 0
      const { context, page, ms: loginMs } = await login(browser, base)
      try {
        const nav = await navigation(context, base)
        const navMs = nav.ready
        // A uid of one of the idle connections (token ids start at 1), a different one each run.
        const uid = String(1 + ((run * 7919) % Math.max(1, held)))
        const filterMs = await filter(page, uid)
        if (timed) {
          samples.login.push(round1(loginMs))
          samples.navigation.push(round1(navMs))
          samples.navDomContentLoaded.push(round1(nav.domContentLoaded))
          samples.navSession.push(round1(nav.session))
          samples.navLastApi.push(round1(nav.lastApi))
          samples.filter.push(round1(filterMs))
        }
        log(
          `dashboard: run ${run}${timed ? '' : ' (untimed)'}: login → table ${round1(loginMs)} ms, navigation → table ${round1(navMs)} ms (DOMContentLoaded ${round1(nav.domContentLoaded)} ms, session ${round1(nav.session)} ms, last API answer ${round1(nav.lastApi)} ms), filter ${round1(filterMs)} ms`,
        )
        if (response === undefined) {
          const small = await listBytes(page, PAGE_ROWS)
          const large = await listBytes(page, MAX_ROWS)
          response = { pageRows: small.rows, pageBytes: small.bytes, maxRows: large.rows, maxBytes: large.bytes, total: small.total }
        }
      } finally {
        await context.close()
      }
    }
    const timings = (['navigation', 'navDomContentLoaded', 'navSession', 'navLastApi', 'login', 'filter'] as const).map((id): Timing => {
      const xs = samples[id]
      return { id, samples: xs, median: median(xs), max: Math.max(...xs) }
    })
    return {
      options: o,
      connections: { asked: o.connections, held, connect: clients.connect },
      timings,
      response: response!,
      chromium: version,
      otherCoresBefore,
      appJson: target.appJson,
    }
  } finally {
    await browser?.close()
    await clients?.close()
    await target.stop()
  }
}
