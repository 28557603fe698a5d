/**
 * Dashboard with idle connections open: how soon the web dashboard's connections table is
 * usable in headless Chromium while the daemon holds N idle connections, measured by
 * bench/dashboard.ts. Here: the comparison with its target, the tables, and the notes.
 *
 * Target: the connections table interactive (its first row's Kick button present and enabled)
 * under 1 s from the navigation's start, the median of the runs.
 */
import { FULL, measureDashboard, QUICK, VIEWPORT, type DashboardResults, type MeasureId } from '../dashboard.js'
import { REPO_ROOT } from '../lib/paths.js'
import type { Comparison, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'

const TARGET_MS = 1000

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ms1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10

const WHAT: Record<MeasureId, [string, string]> = {
  navigation: [
    'navigation → connections table interactive',
    'a new page of a logged-in session loads /dashboard/; from the navigation start to the first row’s Kick button present and enabled',
  ],
  navDomContentLoaded: [
    'navigation → DOMContentLoaded',
    'from the same navigation start: the page and its modules (Preact, htm, uPlot, app.js) loaded and run',
  ],
  navSession: ['navigation → session answered', 'from the same navigation start: the end of the answer to GET /dashboard/session'],
  navLastApi: [
    'navigation → last API answer',
    'from the same navigation start: the end of the last manager API answer (/rpc, /metrics) before the table was interactive',
  ],
  login: [
    'login → connections table interactive',
    'from the click on “Log in” (the key typed) to the first row’s Kick button present and enabled',
  ],
  filter: [
    'uid filter applied',
    'a uid typed in the connections filter; from the click on “Filter” to the table showing that one connection',
  ],
}

export function dashboardResult(r: DashboardResults): ScenarioResult {
  const o = r.options
  const n = int.format(r.connections.held)
  const by = new Map(r.timings.map((t) => [t.id, t]))
  const get = (id: MeasureId) => {
    const t = by.get(id)
    if (t === undefined) throw new Error(`dashboard: no timing for ${id}`)
    return t
  }
  const nav = get('navigation')
  const login = get('login')
  const filter = get('filter')
  const met = nav.median < TARGET_MS
  const comparisons: Comparison[] = [
    {
      metric: `navigation → connections table interactive at ${n} connections (median)`,
      unit: 'ms',
      higherIsBetter: false,
      subject: 'dashboard',
      baseline: 'target',
      value: nav.median,
      baselineValue: TARGET_MS,
      ratio: nav.median / TARGET_MS,
      target: `< ${int.format(TARGET_MS)} ms`,
      met,
    },
  ]
  const verdict =
    `Target ${met ? 'met' : 'missed'}: with ${n} idle connections open, the dashboard's connections table is interactive ${ms1.format(nav.median)} ms after the navigation starts (median of ${o.runs}, max ${ms1.format(nav.max)} ms; target < ${int.format(TARGET_MS)} ms), ` +
    `${ms1.format(login.median)} ms after the click on "Log in" (max ${ms1.format(login.max)} ms); a uid filter applies in ${ms1.format(filter.median)} ms (max ${ms1.format(filter.max)} ms). ` +
    `The page's \`connections.list\` answer (${r.response.pageRows} rows) is ${int.format(r.response.pageBytes)} bytes; a full page of ${int.format(r.response.maxRows)} rows is ${kib(r.response.maxBytes)} KiB.`

  const tables: Table[] = [
    {
      caption: `Times in the page (ms, performance.now() checked on each animation frame), ${o.runs} timed runs, each in a fresh browser context after one untimed run; the daemon holds ${n} idle connections.`,
      columns: ['measure', 'median', 'max', 'every run', 'what'],
      numeric: [false, true, true, false, false],
      rows: r.timings.map((t) => [WHAT[t.id][0], t.median, t.max, t.samples.map((v) => ms1.format(v)).join(', '), WHAT[t.id][1]]),
    },
    {
      caption:
        "The manager's `connections.list` answer (the JSON-RPC body over /rpc, uncompressed), fetched from the page with its session.",
      columns: ['rows', 'of', 'bytes', 'KiB', 'bytes per row'],
      numeric: [true, true, true, true, true],
      rows: [
        [
          r.response.pageRows,
          r.response.total,
          r.response.pageBytes,
          kib(r.response.pageBytes),
          Math.round(r.response.pageBytes / Math.max(1, r.response.pageRows)),
        ],
        [
          r.response.maxRows,
          r.response.total,
          r.response.maxBytes,
          kib(r.response.maxBytes),
          Math.round(r.response.maxBytes / Math.max(1, r.response.maxRows)),
        ],
      ],
    },
  ]

  const notes: string[] = []
  if (r.connections.connect.failed > 0)
    notes.push(
      `${r.connections.connect.failed} of ${int.format(r.connections.asked)} connects failed (${r.connections.connect.failures.slice(0, 2).join('; ')}).`,
    )
  if (r.otherCoresBefore !== null && r.otherCoresBefore > o.quietCores)
    notes.push(`Other work on the machine took ${r.otherCoresBefore} cores when the runs began: the times here are that much less certain.`)
  if (r.response.total !== r.connections.held)
    notes.push(`\`connections.list\` reported ${int.format(r.response.total)} connections while the daemon held ${n}.`)
  notes.push(
    `Chromium ${r.chromium} (Debian's /usr/bin/chromium, headless, through playwright-core), a ${VIEWPORT.width}×${VIEWPORT.height} viewport, on the same machine as the daemon and the idle clients. ` +
      'The page asks `connections.list` for 25 rows at a time and polls it (with `status`, `/metrics`, `rooms.list` and `logs.tail`) every 2 s; the timed calls race those polls as an operator’s would. ' +
      `The idle clients run in child processes (bench/lib/idle-clients.ts) and answer the daemon's heartbeat pings. mswoole runs its defaults with a manager key, so the page has full access; its config/app.json: \`${JSON.stringify(r.appJson).replaceAll(REPO_ROOT, '<repo>')}\`.`,
  )

  return {
    name: 'dashboard',
    title: 'Dashboard with idle connections open',
    description:
      `The web dashboard on the manager port, in headless Chromium, while the daemon holds ${n} idle, authenticated connections: the time until its connections table is interactive (the first row's Kick button present and enabled) from a navigation to /dashboard/ with a session and from the click on "Log in", the time a server-side uid filter takes to show its one row, and the size of the manager's \`connections.list\` answer. ` +
      `${o.runs} timed runs of each, the median and the slowest reported. Target: the connections table interactive under ${int.format(TARGET_MS)} ms from the navigation, median of the runs.`,
    params: {
      ...o,
      connections: r.connections,
      mswooleAppJson: r.appJson,
      timings: r.timings,
      response: r.response,
      chromium: r.chromium,
      otherCoresBefore: r.otherCoresBefore,
    },
    subjects: [],
    labels: { dashboard: 'dashboard', target: 'the target' },
    comparisons,
    tables,
    verdict,
    notes,
  }
}

export const dashboard: Scenario = {
  name: 'dashboard',
  title: 'Dashboard with idle connections open',
  run: async (ctx: ScenarioContext) => dashboardResult(await measureDashboard(ctx.quick ? QUICK : FULL, ctx.log)),
}
