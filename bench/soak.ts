/**
 * The soak: one mswoole daemon held under a mixed load for a bounded time, to find what a short
 * benchmark cannot: leaks, lost messages and crashes. Not part of the test suite.
 *
 *   npm run bench:soak                 full run (180 s, 500 connections)
 *   npm run bench:soak -- --quick      30 s, 200 connections
 *   npm run bench:soak -- --help       every flag
 *
 * While it runs: the connections churn (bench/soak/churn-client.ts), each open one sends
 * requests to the sample app and checks the ack and the reply; broadcasts with a sequence number
 * go through the manager port (bench/soak/broadcaster.ts); `mswoole reload` runs every few
 * seconds (bench/soak/reloader.ts); the master's heap is sampled after forced collections
 * (bench/soak/memory-sampler.ts). Then it accounts for every message, reads the log and the
 * metrics for crashes, writes bench/results/soak-<date>[-quick].json, regenerates BENCHMARKS.md
 * (which shows the newest soak) and exits 1 when anything was lost, crashed or leaked.
 *
 * Needs a build (`npm run build`): mswoole is started through bin/run.js, which runs dist/.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { StatusResult } from '../src/contracts/control-api.js'
import { BENCH_ROOM } from './lib/broadcast-trigger.js'
import { processCpuSeconds } from './lib/cpu.js'
import { runEntry } from './lib/entry.js'
import { startMswoole, stopAllMswoole, type MswooleTarget } from './lib/mswoole-target.js'
import { REPO_ROOT } from './lib/paths.js'
import { accountBroadcasts } from './soak/broadcast-accounting.js'
import { BROADCAST_EVENT, Broadcaster } from './soak/broadcaster.js'
import { ChurnClient } from './soak/churn-client.js'
import { daemonOut, pidAlive, scanLog } from './soak/crash-check.js'
import { judgeLeak } from './soak/leak-verdict.js'
import { managerClient, metricValue } from './soak/manager-client.js'
import { MemorySampler, type MemorySample } from './soak/memory-sampler.js'
import { parseSoakOptions, USAGE, type SoakOptions } from './soak/options.js'
import { Reloader } from './soak/reloader.js'
import { writeSoakResults, type SoakResults } from './soak/results-file.js'
import { gitState, localDate, machine } from './lib/run-info.js'
import { judge, mib } from './soak/verdict.js'

const exec = promisify(execFile)
/** Seconds before the end with no new broadcast: the last ones still get the later replies that prove who spanned them. */
const BROADCAST_END_MARGIN = 2
const DRAIN_MS = 10_000
const CLOSE_MS = 10_000
/** Whatever happens, the run ends this long after its planned end. */
const DEADLINE_MARGIN_MS = 240_000

function log(message: string): void {
  process.stderr.write(`[soak] ${message}\n`)
}

/** Polls the daemon until it holds `expected` connections or fewer, up to `waitMs`. */
async function waitForConnections(status: () => Promise<StatusResult>, expected: number, waitMs: number): Promise<number> {
  const deadline = performance.now() + waitMs
  for (;;) {
    const held = (await status()).connections
    if (held <= expected || performance.now() > deadline) return held
    await sleep(200)
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

function sampleLine(s: MemorySample): string {
  const workers = s.workerHeaps.map((h) => (h / 2 ** 20).toFixed(1)).join('/')
  return `t=${s.t}s heap ${mib(s.heapUsed)}${s.collected ? ' after GC' : ''}, RSS ${s.rss === null ? '—' : mib(s.rss)}, ${s.connections} connections, generation ${s.generation}, workers ${workers} MiB`
}

async function soak(o: SoakOptions): Promise<SoakResults> {
  const started = new Date()
  const git = await gitState()
  const host = machine()
  log(
    `${o.mode} soak: ${o.duration} s, ${o.connections} connections, ${o.rate} req/s, churn ${o.churnRate}/s (≤ ${o.churnFraction * 100}% down), ${o.broadcastRate} broadcasts/s, a reload every ${o.reloadInterval} s`,
  )
  // The default abuse guard (50 messages/s per connection) stays on: the soak's rate per connection is far below it.
  const target: MswooleTarget = await startMswoole({ tokens: o.connections, setting: { max_messages_per_second: 50 }, exposeGc: true })
  const sinceMs = Date.now() - 1000
  let sampler: MemorySampler | undefined
  let client: ChurnClient | undefined
  const reloader = new Reloader()
  try {
    const first = await target.cliJson<StatusResult>(['status'])
    const manager = managerClient(first.manager.host, first.manager.port)
    sampler = new MemorySampler(target.pid, target.socket, manager)
    await sampler.open(log)
    const before = await sampler.sample(0, 'before')
    log(`before any connection: ${sampleLine(before)}`)

    client = new ChurnClient({
      url: target.url,
      connections: o.connections,
      rate: o.rate,
      churnRate: o.churnRate,
      churnFraction: o.churnFraction,
      broadcastEvent: BROADCAST_EVENT,
    })
    const openStart = performance.now()
    await client.openAll()
    log(`${client.openCount()} of ${o.connections} connections open in ${((performance.now() - openStart) / 1000).toFixed(1)} s`)

    const t0 = performance.now()
    const cpu0 = processCpuSeconds(target.pid)
    const at = () => (performance.now() - t0) / 1000
    const broadcaster = new Broadcaster(manager, BENCH_ROOM)
    client.startChurn()
    broadcaster.start(o.broadcastRate)
    reloader.start(target, o.reloadInterval, t0, log)
    let broadcasting = true
    let pidChanged = false
    let sampleFailures = 0

    // Samples at 0, interval, 2 × interval … and one at the end; every wait is bounded by the duration.
    const times: number[] = []
    for (let t = 0; t < o.duration; t += o.sampleInterval) times.push(t)
    times.push(o.duration)
    for (const when of times) {
      while (at() < when) {
        if (broadcasting && at() >= o.duration - BROADCAST_END_MARGIN) {
          broadcasting = false
          await broadcaster.stop()
        }
        await sleep(Math.min(250, Math.max(1, (when - at()) * 1000)))
      }
      const c = client.counts
      try {
        const s = await sampler.sample(at(), 'load')
        if (s.pid !== target.pid) pidChanged = true
        log(
          `${sampleLine(s)}; ${c.requests} requests, ${c.churned} churned, ${broadcaster.records.length} broadcasts, ${reloader.records.length} reloads`,
        )
      } catch (err) {
        // A daemon that stopped answering is a finding, not the end of the report.
        sampleFailures++
        log(`t=${at().toFixed(1)}s: no sample: ${err instanceof Error ? err.message : String(err)}`)
        if (!pidAlive(target.pid)) {
          pidChanged = true
          break
        }
      }
    }
    const loadSeconds = at()
    const cpu1 = processCpuSeconds(target.pid)
    if (broadcasting) await broadcaster.stop()
    await reloader.stop()
    const unansweredAfterDrain = await client.quiesce(DRAIN_MS)
    log(`load ended after ${loadSeconds.toFixed(1)} s; ${unansweredAfterDrain} requests unanswered after the drain`)
    await client.closeAll(CLOSE_MS)
    try {
      const left = await waitForConnections(() => manager.status(), 0, CLOSE_MS)
      const after = await sampler.sample(at(), 'after')
      log(`after closing every connection (${left} left): ${sampleLine(after)}`)
    } catch (err) {
      sampleFailures++
      log(`no sample after the load: ${err instanceof Error ? err.message : String(err)}`)
    }

    const metrics = await manager.metrics().catch(() => '')
    const logFindings = await scanLog(first.logFile, sinceMs)
    const out = await daemonOut(first.logFile)
    const alive = pidAlive(target.pid)
    const samples = sampler.samples
    const gcUnavailable = sampler.gcUnavailable
    sampler.close()
    await target.stop()

    const workerRestartsMetric = metricValue(metrics, 'mswoole_worker_restarts_total') ?? null
    const reloadsMetric = metricValue(metrics, 'mswoole_reloads_total') ?? null
    // Workers replaced after dying or a watchdog kill; a reload's retired workers are not counted.
    const deathsMetric = workerRestartsMetric
    const daemonDied = pidChanged || !alive ? 1 : 0
    // The log and the metrics witness the same worker deaths: the larger count stands.
    const workerDeaths = Math.max(logFindings.workerExits + logFindings.watchdogKills, deathsMetric ?? 0)
    const done = reloader.records.filter((r) => r.durationMs !== null)
    const durations = done.map((r) => r.durationMs!)
    const figures: Omit<SoakResults, 'lost' | 'checks' | 'passed' | 'verdict'> = {
      schema: 1,
      kind: 'soak',
      date: localDate(started),
      mode: o.mode,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: host,
      git,
      command: `npm run bench:soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      options: o,
      appJson: JSON.parse(JSON.stringify(target.appJson).replaceAll(REPO_ROOT, '<repo>')) as Record<string, unknown>,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      client: client.counts,
      unansweredAfterDrain,
      broadcasts: {
        ...accountBroadcasts(broadcaster.records, client.sessions),
        skipped: broadcaster.skipped,
        writtenByDaemon: broadcaster.records.reduce((n, b) => n + (b.delivered ?? 0), 0),
      },
      reloads: {
        done: done.length,
        failed: reloader.records.length - done.length,
        durationMs: durations.length === 0 ? null : { min: Math.min(...durations), median: median(durations), max: Math.max(...durations) },
        records: reloader.records,
      },
      memory: { samples, sampleFailures, gcUnavailable, verdict: judgeLeak(samples, o.warmup, o.leakBoundMib) ?? null },
      crashes: {
        daemonPid: target.pid,
        pidChanged,
        daemonAliveAtEnd: alive,
        workerRestartsMetric,
        reloadsMetric,
        workerDeathsByMetrics: deathsMetric,
        log: logFindings,
        daemonOut: out.slice(-2000),
        total: daemonDied + workerDeaths + logFindings.fatal,
      },
      daemonCores: cpu0 === undefined || cpu1 === undefined ? null : Math.round(((cpu1 - cpu0) / loadSeconds) * 100) / 100,
    }
    return { ...figures, ...judge(figures) }
  } finally {
    sampler?.close()
    await reloader.stop()
    await client?.closeAll(1000)
    await target.stop()
  }
}

/** BENCHMARKS.md is the bench's to write: its own report-only pass renders the newest soak beside its figures. */
async function regenerateBenchmarks(): Promise<void> {
  await exec(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'run.ts'), '--report-only'], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  })
}

function summary(r: SoakResults): string[] {
  const c = r.client
  const b = r.broadcasts
  const v = r.memory.verdict
  return [
    r.verdict,
    `connections ${r.options.connections}, opened ${c.opened}, churned ${c.churned} (${c.cleanCloses} clean, ${c.abruptCloses} cut)`,
    `requests ${c.requests}, replies ${c.replies}, acks ${c.acks}, error replies ${c.errorReplies}, unanswered ${c.unanswered}`,
    `broadcasts ${b.sent} sent, ${b.answered} answered, ${b.owed} deliveries owed, ${b.delivered} delivered, ${b.missing} missing, ${b.duplicates} twice`,
    `reloads ${r.reloads.done} done, ${r.reloads.failed} failed` +
      (r.reloads.durationMs === null
        ? ''
        : ` (${r.reloads.durationMs.min}–${r.reloads.durationMs.max} ms, median ${r.reloads.durationMs.median})`),
    `crashes ${r.crashes.total} (pid changed ${r.crashes.pidChanged}, alive ${r.crashes.daemonAliveAtEnd}, worker exits in the log ${r.crashes.log.workerExits}, by the metrics ${r.crashes.workerDeathsByMetrics ?? '—'}, fatal ${r.crashes.log.fatal})`,
    v === null
      ? 'heap: not judged'
      : `heap after GC ${mib(v.heap.first)} → ${mib(v.heap.last)}, slope ${(v.heap.slopePerMinute / 1024).toFixed(1)} KiB/min over ${v.judged} samples; RSS ${v.rss === null ? '—' : `${mib(v.rss.first)} → ${mib(v.rss.last)}`}`,
  ]
}

async function main(): Promise<number> {
  let o: SoakOptions | undefined
  try {
    o = parseSoakOptions(process.argv.slice(2))
  } catch (err) {
    log(err instanceof Error ? err.message : String(err))
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  if (o === undefined) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'commands', 'start.js'))) {
    log('dist/ is missing: run `npm run build` first (mswoole is started through its built CLI)')
    return 1
  }
  // Whatever hangs, the run ends: the daemon is stopped and the exit says so.
  const deadline = setTimeout(
    () => {
      log('the run passed its deadline; stopping the daemon')
      void stopAllMswoole().finally(() => process.exit(1))
    },
    o.duration * 1000 + DEADLINE_MARGIN_MS,
  )
  try {
    const results = await soak(o)
    const file = await writeSoakResults(results)
    log(`results written to ${path.relative(REPO_ROOT, file)}`)
    await regenerateBenchmarks().then(
      () => log('BENCHMARKS.md regenerated'),
      (err: unknown) => log(`BENCHMARKS.md not regenerated: ${err instanceof Error ? err.message : String(err)}`),
    )
    for (const line of summary(results)) log(line)
    return results.passed ? 0 : 1
  } finally {
    clearTimeout(deadline)
  }
}

runEntry(main, log)
