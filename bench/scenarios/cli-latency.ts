/**
 * CLI latency: the wall time of `mswoole status` and `mswoole conn ls --json` against a daemon
 * holding N idle connections, spawned as an operator runs them, measured by bench/cli-latency.ts;
 * with Node's own start and oclif's, so the figures say what part is whose.
 *
 * Targets: `status` under 300 ms and `conn ls --json` under 1 s (the median of the runs).
 */
import { FULL, measureCliLatency, QUICK, type CliLatencyResults, type CommandId, type CommandTiming } from '../cli-latency.js'
import { REPO_ROOT } from '../lib/paths.js'
import type { Check, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'

const STATUS_TARGET_MS = 300
const CONN_LS_TARGET_MS = 1000

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ms = (v: number) => Math.round(v * 10) / 10

export function cliLatencyResult(r: CliLatencyResults): ScenarioResult {
  const o = r.options
  const by = new Map<CommandId, CommandTiming>(r.commands.map((c) => [c.id, c]))
  const get = (id: CommandId) => {
    const c = by.get(id)
    if (c === undefined) throw new Error(`cli-latency: no timing for ${id}`)
    return c
  }
  const node = get('node').median
  const version = get('version').median
  const status = get('status')
  const connLs = get('connLs')
  const daemonStatus = r.daemon.find((d) => d.method === 'status')
  const daemonList = r.daemon.find((d) => d.method === 'connections.list')
  const n = int.format(r.connections.held)

  const checks: Check[] = [
    {
      metric: '`mswoole status` median',
      value: Math.round(status.median),
      unit: 'ms',
      target: `< ${int.format(STATUS_TARGET_MS)} ms`,
      met: status.median < STATUS_TARGET_MS,
    },
    {
      metric: '`mswoole conn ls --json` median',
      value: Math.round(connLs.median),
      unit: 'ms',
      target: `< ${int.format(CONN_LS_TARGET_MS)} ms`,
      met: connLs.median < CONN_LS_TARGET_MS,
    },
  ]
  const met = checks.every((c) => c.met)
  const oclifStart = version - node
  const verdict =
    `Target ${met ? 'met' : 'missed'}: with ${n} idle connections open, \`mswoole status\` takes ${int.format(status.median)} ms (median of ${o.runs}, max ${int.format(status.max)} ms; target < ${int.format(STATUS_TARGET_MS)} ms) ` +
    `and \`mswoole conn ls --json\` ${int.format(connLs.median)} ms (max ${int.format(connLs.max)} ms; target < ${int.format(CONN_LS_TARGET_MS)} ms). ` +
    `Of that, Node's own start is ${int.format(node)} ms and oclif's start (up to \`--version\`) ${int.format(oclifStart)} ms more; the daemon answers \`status\` in ${daemonStatus === undefined ? '—' : ms(daemonStatus.median)} ms.`

  const commandRows = r.commands.map((c) => [
    `\`${c.command}\``,
    ms(c.median),
    ms(c.min),
    ms(c.max),
    c.samples.map((v) => int.format(v)).join(', '),
    c.stdoutBytes,
  ])
  const mods = get('commandsImport')
  const breakdown: Array<[string, number | string, string]> = [
    ["Node's start", ms(node), "`node -e ''`"],
    ['loading @oclif/core', ms(get('oclifImport').median - node), "its import, less Node's start"],
    [
      'importing every command module',
      ms(mods.median - node),
      "all of dist/commands/ (with @oclif/core and each command's dependencies), less Node's start",
    ],
    [
      "oclif's start",
      ms(oclifStart),
      "`--version`, less Node's start: @oclif/core, the config and plugins, and the command list, which with no oclif.manifest.json in the package means importing every command module",
    ],
    [
      "`status` past oclif's start",
      ms(status.median - version),
      "the command's own import, loading and checking the config, one control-socket call, the table",
    ],
    [
      "the daemon's side of `status`",
      daemonStatus === undefined ? '—' : ms(daemonStatus.median),
      'connect, `status`, close over the control socket, from the bench process',
    ],
    [
      "`conn ls --json` past oclif's start",
      ms(connLs.median - version),
      'the same for `connections.list` (100 rows by default) and the JSON',
    ],
    [
      "the daemon's side of `connections.list`",
      daemonList === undefined ? '—' : ms(daemonList.median),
      `connect, \`connections.list\` (${int.format(r.listing.rows)} of ${int.format(r.listing.total)} rows), close`,
    ],
  ]
  const tables: Table[] = [
    {
      caption: `Wall time of each command, spawned from the bench process and timed to the end of its output (ms), ${o.runs} runs each, the commands in turn round after round${o.warmup ? ', after one untimed run of each' : ''}. The daemon holds ${n} idle connections.`,
      columns: ['command', 'median', 'min', 'max', 'every run', 'stdout bytes'],
      numeric: [false, true, true, true, false, true],
      rows: commandRows,
    },
    {
      caption: "What the time is made of (medians, ms): differences between the rows above, and the daemon's side measured on its own.",
      columns: ['part', 'ms', 'how'],
      numeric: [false, true, false],
      rows: breakdown,
    },
  ]

  const notes: string[] = []
  if (r.listing.total !== r.connections.held)
    notes.push(`\`conn ls --json\` reported ${int.format(r.listing.total)} connections in total while the daemon held ${n}.`)
  if (r.connections.connect.failed > 0)
    notes.push(
      `${r.connections.connect.failed} of ${int.format(r.connections.asked)} connects failed (${r.connections.connect.failures.slice(0, 2).join('; ')}).`,
    )
  if (r.otherCoresBefore !== null && r.otherCoresBefore > o.quietCores) {
    notes.push(
      `Other work on the machine took ${r.otherCoresBefore} cores when the runs began (load average ${r.loadAverageBefore.toFixed(2)}): wall times here are that much less certain.`,
    )
  }
  notes.push(
    `The idle clients run in child processes (bench/lib/idle-clients.ts) and answer the daemon's heartbeat pings, so the daemon is a live one: every 10 s it pings all ${n} sockets while the commands run. ` +
      `mswoole runs its defaults; its config/app.json: \`${JSON.stringify(r.appJson).replaceAll(REPO_ROOT, '<repo>')}\`.`,
  )

  return {
    name: 'cli-latency',
    title: 'CLI latency with idle connections open',
    description:
      `The wall time an operator waits for \`mswoole status\` and \`mswoole conn ls --json\` while the daemon holds ${n} idle, authenticated connections: each command spawned as an operator runs it (\`node bin/run.js … -c <config>\`), ${o.runs} runs each, the median and the slowest run reported. ` +
      "Beside them, for what the time is made of: `node -e ''` (Node's own start on this machine), importing @oclif/core, importing every command module, `node bin/run.js --version` (oclif's start with no command to run), `conn ls --json --limit 1000` (a full page), and the daemon's side of each call, timed over the control socket from the bench process. " +
      `Targets: \`status\` under ${int.format(STATUS_TARGET_MS)} ms and \`conn ls --json\` under ${int.format(CONN_LS_TARGET_MS)} ms, median of the runs.`,
    params: { ...o, connections: r.connections, mswooleAppJson: r.appJson, commands: r.commands, daemon: r.daemon },
    subjects: [],
    comparisons: [],
    checks,
    tables,
    verdict,
    notes,
  }
}

export const cliLatency: Scenario = {
  name: 'cli-latency',
  title: 'CLI latency with idle connections open',
  run: async (ctx: ScenarioContext) => cliLatencyResult(await measureCliLatency(ctx.quick ? QUICK : FULL, ctx.log)),
}
