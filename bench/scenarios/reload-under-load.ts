/**
 * Reload under load: the request/reply load on mswoole while `mswoole reload -c <dir> --json`
 * runs again and again (sequentially, a bounded count) inside the measured window, against
 * the same load on the same daemon without reloads, in the same run. The plain `ws` floor
 * gets one round for reference.
 *
 * Target: no request dropped (sent minus replies, after a drain) and no connection closed.
 * Also reported: each reload's durationMs (the command's JSON), and the throughput dip, the
 * lowest per-second throughput during a reload against the median per-second throughput.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ReloadResult } from '../../src/contracts/control-api.js'
import type { LoadSnapshot } from '../load-client.js'
import type { MswooleTarget } from '../lib/mswoole-target.js'
import { REPO_ROOT } from '../lib/paths.js'
import {
  medianRound,
  type Check,
  type Comparison,
  type Round,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  type Subject,
} from '../lib/scenario.js'
import {
  brief,
  FULL,
  measureRound,
  QUICK,
  QUIET_OTHER_CORES,
  withTargets,
  type LoadTarget,
  type RequestReplyOptions,
} from './request-reply.js'

export interface ReloadUnderLoadOptions extends RequestReplyOptions {
  /** Seconds into the measured window of the first reload, and between reload starts. */
  firstReloadAt: number
  reloadInterval: number
  /** No reload starts later than this many seconds before the window ends, so each finishes inside it. */
  reloadEndMargin: number
  /** Rounds of the plain ws floor, for reference. */
  floorRounds: number
  /** Reloads of the idle daemon before any load, `idleReloadGap` s apart (each gets its standby generation ready first). */
  idleReloads: number
  idleReloadGap: number
}

/** The reload targets: the daemon's durationMs, idle (median) and under load (slowest). */
const IDLE_RELOAD_MS = 400
const LOADED_RELOAD_MS = 800

/** The request/reply load as it is (connections, seconds, rounds), plus a drain to count what was lost. */
const RELOADS = { drain: 5000, firstReloadAt: 1, reloadInterval: 3, reloadEndMargin: 3, floorRounds: 1, idleReloads: 5, idleReloadGap: 2 }
export const FULL_RELOAD: ReloadUnderLoadOptions = { ...FULL, ...RELOADS }
export const QUICK_RELOAD: ReloadUnderLoadOptions = { ...QUICK, ...RELOADS }

/** Reloads one round may start: one every `reloadInterval` s from `firstReloadAt`, none in the last `reloadEndMargin` s. */
export function maxReloads(o: ReloadUnderLoadOptions): number {
  return Math.max(1, Math.floor((o.duration - o.reloadEndMargin - o.firstReloadAt) / o.reloadInterval) + 1)
}

export interface ReloadRecord {
  round: number
  index: number
  /** Seconds into the measured window: the command's start and end (its whole wall time, process start-up included). */
  startedAt: number
  endedAt: number
  /** The daemon's own figure from the command's JSON; null when the command failed. */
  durationMs: number | null
  generation: number | null
  error?: string
}

/** Replies per second over one interval of the measured window (about a second: the load client's progress ticks). */
export interface RateSample {
  from: number
  to: number
  perSecond: number
}

type SubjectId = 'reloading' | 'steady' | 'floor'

interface RoundRecord {
  subject: SubjectId
  round: number
  result: Round
  samples: RateSample[]
  reloads: ReloadRecord[]
}

const r3 = (v: number) => Math.round(v * 1000) / 1000
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function median(values: number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Runs `mswoole reload` one after the other, on schedule, while the window is open. Never throws. */
async function reloadLoop(
  mswoole: MswooleTarget,
  o: ReloadUnderLoadOptions,
  round: number,
  windowStart: number,
  measuring: () => boolean,
  out: ReloadRecord[],
  log: (m: string) => void,
): Promise<void> {
  const at = () => (performance.now() - windowStart) / 1000
  for (let i = 0; i < maxReloads(o); i++) {
    const wait = windowStart + (o.firstReloadAt + i * o.reloadInterval) * 1000 - performance.now()
    if (wait > 0) await sleep(wait)
    const startedAt = at()
    // A reload still running from the previous one pushes this one later: skip it if too late.
    if (!measuring() || startedAt > o.duration - o.reloadEndMargin) break
    out.push(await timedReload(mswoole, round, i + 1, startedAt, at, log))
  }
}

/** One `mswoole reload`, its times on the caller's clock (`at`); a failure is recorded and logged, never thrown. */
async function timedReload(
  mswoole: MswooleTarget,
  round: number,
  index: number,
  startedAt: number,
  at: () => number,
  log: (m: string) => void,
): Promise<ReloadRecord> {
  try {
    const r = await mswoole.cliJson<ReloadResult>(['reload'])
    return { round, index, startedAt: r3(startedAt), endedAt: r3(at()), durationMs: r.durationMs, generation: r.generation }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err)
    log(`  ${round === 0 ? 'idle ' : ''}reload ${index} failed: ${error}`)
    return { round, index, startedAt: r3(startedAt), endedAt: r3(at()), durationMs: null, generation: null, error }
  }
}

/** Reloads the daemon before any load, one after the other, `idleReloadGap` s apart. Never throws. */
async function idleReloads(mswoole: MswooleTarget, o: ReloadUnderLoadOptions, log: (m: string) => void): Promise<ReloadRecord[]> {
  const out: ReloadRecord[] = []
  const start = performance.now()
  const at = () => (performance.now() - start) / 1000
  for (let i = 0; i < o.idleReloads; i++) {
    // A reload right after the start, or right after another, would find no standby generation ready.
    await sleep(o.idleReloadGap * 1000)
    out.push(await timedReload(mswoole, 0, i + 1, at(), at, log))
  }
  return out
}

/** One round on one target, sampling replies per second; with `reloads`, the reload loop runs in its window. */
async function sampledRound(
  subject: SubjectId,
  round: number,
  target: LoadTarget,
  o: ReloadUnderLoadOptions,
  quietPids: number[],
  reloads: { mswoole: MswooleTarget; log: (m: string) => void } | null,
): Promise<RoundRecord> {
  const samples: RateSample[] = []
  const records: ReloadRecord[] = []
  let windowStart = 0
  let measuring = false
  let last: { t: number; replies: number } | undefined
  let loop: Promise<void> = Promise.resolve()
  // One sample per progress tick; a sliver under half a second (the window's edges) is folded into the next or dropped.
  const take = (snap: LoadSnapshot) => {
    if (last === undefined) return
    const t = (performance.now() - windowStart) / 1000
    if (t - last.t < 0.5) return
    samples.push({ from: r3(last.t), to: r3(t), perSecond: Math.round((snap.totalReplies - last.replies) / (t - last.t)) })
    last = { t, replies: snap.totalReplies }
  }
  const result = await measureRound(target, o, quietPids, {
    onPhase: (phase, snap) => {
      if (phase === 'measuring') {
        windowStart = performance.now()
        measuring = true
        last = { t: 0, replies: snap.totalReplies }
        if (reloads !== null) loop = reloadLoop(reloads.mswoole, o, round, windowStart, () => measuring, records, reloads.log)
      } else if (measuring && (phase === 'draining' || phase === 'closing')) {
        take(snap)
        measuring = false
        last = undefined
      }
    },
    onProgress: (snap) => {
      if (measuring && snap.phase === 'measuring') take(snap)
    },
  })
  // A reload that began inside the window may end after it; the command's own timeout bounds this.
  await loop
  return { subject, round, result, samples, reloads: records }
}

interface Dip {
  medianPerSecond: number
  /** Lowest sample that overlaps a reload's command; null without reloads. */
  lowestDuringReload: number | null
  lowestOutsideReload: number | null
  samples: number
}

function dipOf(r: RoundRecord): Dip {
  const during = (s: RateSample) => r.reloads.some((x) => s.from < x.endedAt && s.to > x.startedAt)
  const inReload = r.samples.filter(during).map((s) => s.perSecond)
  const outside = r.samples.filter((s) => !during(s)).map((s) => s.perSecond)
  return {
    medianPerSecond: Math.round(median(r.samples.map((s) => s.perSecond))),
    lowestDuringReload: inReload.length === 0 ? null : Math.min(...inReload),
    lowestOutsideReload: outside.length === 0 ? null : Math.min(...outside),
    samples: r.samples.length,
  }
}

function dropsOf(r: Round): {
  sent: number
  replies: number
  errorReplies: number
  dropped: number
  unanswered: number | null
  closes: number
} {
  const t = r.load.totals
  return {
    sent: t.requests,
    replies: t.replies,
    errorReplies: t.errorReplies,
    dropped: t.requests - t.replies,
    unanswered: r.load.drained?.unanswered ?? null,
    closes: r.load.unexpectedCloses,
  }
}

const pct = (a: number, b: number) => (b === 0 ? '—' : `${Math.round((a / b) * 100)}%`)

export async function runReloadUnderLoad(o: ReloadUnderLoadOptions, log: (m: string) => void = () => undefined): Promise<ScenarioResult> {
  return withTargets(o.connections, o.mswooleSetting, async (mswoole, floor) => {
    const ownPids = [mswoole.pid, floor.pid]
    log(`idle: ${o.idleReloads} reloads of the daemon before any load, ${o.idleReloadGap} s apart`)
    const idle = await idleReloads(mswoole, o, log)
    log(`  reloads (ms): ${idle.map((x) => x.durationMs ?? 'failed').join(', ')}`)
    const records: RoundRecord[] = []
    for (let round = 1; round <= o.rounds; round++) {
      // Alternate the order so neither kind of round always runs on a cooler (or warmer) machine.
      const order: Array<'steady' | 'reloading'> = round % 2 === 1 ? ['steady', 'reloading'] : ['reloading', 'steady']
      for (const id of order) {
        log(
          `round ${round}/${o.rounds}: mswoole ${id === 'reloading' ? `reloading every ${o.reloadInterval}s (up to ${maxReloads(o)})` : 'without reloads'}, ${o.connections} connections, ${o.warmup}+${o.duration}s`,
        )
        const rec = await sampledRound(id, round, mswoole, o, ownPids, id === 'reloading' ? { mswoole, log } : null)
        records.push(rec)
        if (rec.result.otherCoresBefore !== null && rec.result.otherCoresBefore > QUIET_OTHER_CORES)
          log(`  (machine busy: ${rec.result.otherCoresBefore} cores of other work when it started)`)
        log(`  ${brief(rec.result)}`)
        const d = dropsOf(rec.result)
        log(
          `  ${d.sent} sent, ${d.replies} replies, ${d.dropped} dropped, ${d.closes} unexpected closes` +
            (rec.reloads.length > 0 ? `; reloads (ms): ${rec.reloads.map((x) => x.durationMs ?? 'failed').join(', ')}` : ''),
        )
      }
    }
    for (let round = 1; round <= o.floorRounds; round++) {
      log(`floor round ${round}/${o.floorRounds}: plain ws floor, ${o.connections} connections, ${o.warmup}+${o.duration}s`)
      const rec = await sampledRound('floor', round, floor, o, ownPids, null)
      records.push(rec)
      log(`  ${brief(rec.result)}`)
    }

    const of = (id: SubjectId) => records.filter((r) => r.subject === id)
    const rounds = (id: SubjectId) => of(id).map((r) => r.result)
    const reloadCmd = `${mswoole.command(['reload'])} --json`
    const subjects: Subject[] = [
      {
        id: 'reloading',
        label: `mswoole, reloading every ${o.reloadInterval} s`,
        median: medianRound(rounds('reloading')),
        rounds: rounds('reloading'),
        command: `${mswoole.command(['start'])}; ${reloadCmd} (every ${o.reloadInterval} s of the window)`,
      },
      {
        id: 'steady',
        label: 'mswoole, no reload',
        median: medianRound(rounds('steady')),
        rounds: rounds('steady'),
        command: mswoole.command(['start']),
      },
    ]
    if (o.floorRounds > 0)
      subjects.push({
        id: 'floor',
        label: 'plain ws floor',
        median: medianRound(rounds('floor')),
        rounds: rounds('floor'),
        command: floor.command,
      })
    const m = subjects[0]!.median
    const s = subjects[1]!.median
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
    const comparisons: Comparison[] = [
      {
        metric: 'throughput',
        unit: 'req/s',
        higherIsBetter: true,
        subject: 'reloading',
        baseline: 'steady',
        value: m.load.requestsPerSecond,
        baselineValue: s.load.requestsPerSecond,
        ratio: ratio(m.load.requestsPerSecond, s.load.requestsPerSecond),
      },
      {
        metric: 'p50 latency',
        unit: 'ms',
        higherIsBetter: false,
        subject: 'reloading',
        baseline: 'steady',
        value: m.load.latency.p50,
        baselineValue: s.load.latency.p50,
        ratio: ratio(m.load.latency.p50, s.load.latency.p50),
      },
      {
        metric: 'p99 latency',
        unit: 'ms',
        higherIsBetter: false,
        subject: 'reloading',
        baseline: 'steady',
        value: m.load.latency.p99,
        baselineValue: s.load.latency.p99,
        ratio: ratio(m.load.latency.p99, s.load.latency.p99),
      },
    ]
    if (m.cpu !== null && s.cpu !== null) {
      comparisons.push({
        metric: 'server CPU per reply',
        unit: 'µs',
        higherIsBetter: false,
        subject: 'reloading',
        baseline: 'steady',
        value: m.cpu.serverMicrosPerReply,
        baselineValue: s.cpu.serverMicrosPerReply,
        ratio: ratio(m.cpu.serverMicrosPerReply, s.cpu.serverMicrosPerReply),
      })
    }

    // The target: over every reloading round, nothing dropped and no connection closed.
    const reloading = of('reloading')
    const allReloads = reloading.flatMap((r) => r.reloads)
    const failed = allReloads.filter((x) => x.durationMs === null)
    const durations = allReloads.flatMap((x) => (x.durationMs === null ? [] : [x.durationMs]))
    const idleDurations = idle.flatMap((x) => (x.durationMs === null ? [] : [x.durationMs]))
    const idleFailed = idle.filter((x) => x.durationMs === null)
    const idleMedian = idleDurations.length === 0 ? null : Math.round(median(idleDurations))
    const slowestLoaded = durations.length === 0 ? null : Math.max(...durations)
    const dropped = reloading.reduce((n, r) => n + dropsOf(r.result).dropped, 0)
    const closes = reloading.reduce((n, r) => n + r.result.load.unexpectedCloses, 0)
    const sent = reloading.reduce((n, r) => n + r.result.load.totals.requests, 0)
    const checks: Check[] = [
      { metric: 'dropped requests', value: dropped, unit: `of ${int.format(sent)} sent`, target: '= 0', met: dropped === 0 },
      {
        metric: 'unexpected closes',
        value: closes,
        unit: `of ${int.format(o.connections * reloading.length)} connections`,
        target: '= 0',
        met: closes === 0,
      },
      {
        metric: 'failed reloads',
        value: failed.length,
        unit: `of ${allReloads.length}`,
        target: '= 0',
        met: failed.length === 0 && allReloads.length > 0,
      },
      {
        metric: 'idle reload, median durationMs',
        value: idleMedian ?? 0,
        unit: `ms, of ${idle.length}${idleFailed.length > 0 ? ` (${idleFailed.length} failed)` : ''}${idleMedian === null ? ', none finished' : ''}`,
        target: `≤ ${IDLE_RELOAD_MS} ms`,
        met: idleMedian !== null && idleMedian <= IDLE_RELOAD_MS && idleFailed.length === 0,
      },
      {
        metric: 'reload under load, slowest durationMs',
        value: slowestLoaded ?? 0,
        unit: `ms, of ${durations.length}${slowestLoaded === null ? ', none finished' : ''}`,
        target: `≤ ${LOADED_RELOAD_MS} ms`,
        met: slowestLoaded !== null && slowestLoaded <= LOADED_RELOAD_MS,
      },
    ]
    const met = checks.every((c) => c.met)

    const dips = reloading.map((r) => ({ r, d: dipOf(r) }))
    const withDip = dips.filter((x) => x.d.lowestDuringReload !== null)
    const worst =
      withDip.length === 0
        ? undefined
        : withDip.reduce((a, b) =>
            ratio(b.d.lowestDuringReload!, b.d.medianPerSecond) < ratio(a.d.lowestDuringReload!, a.d.medianPerSecond) ? b : a,
          )
    const steadyDips = of('steady').map(dipOf)
    const steadyWorst =
      steadyDips.length === 0
        ? undefined
        : steadyDips.reduce((a, b) =>
            ratio(b.lowestOutsideReload ?? 0, b.medianPerSecond) < ratio(a.lowestOutsideReload ?? 0, a.medianPerSecond) ? b : a,
          )
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
    const durationText =
      durations.length === 0
        ? 'no reload finished'
        : durations.length === 1
          ? `the reload took ${durations[0]} ms (the daemon's durationMs)`
          : `reloads took ${Math.min(...durations)}–${Math.max(...durations)} ms (median ${Math.round(median(durations))} ms, the daemon's durationMs)`
    const dipText =
      worst === undefined
        ? 'no per-second sample overlapped a reload'
        : `the lowest second during a reload was ${int.format(worst.d.lowestDuringReload!)} req/s, ${pct(worst.d.lowestDuringReload!, worst.d.medianPerSecond)} of that round's median second (${int.format(worst.d.medianPerSecond)} req/s)` +
          (steadyWorst?.lowestOutsideReload != null
            ? `; without reloads the lowest second was ${pct(steadyWorst.lowestOutsideReload, steadyWorst.medianPerSecond)} of the median`
            : '')
    const timing = `an idle reload took ${idleMedian === null ? 'no finished reload' : `${idleMedian} ms (median of ${idleDurations.length})`} and the slowest under load ${slowestLoaded === null ? 'none' : `${slowestLoaded} ms`} (targets ≤ ${IDLE_RELOAD_MS} ms and ≤ ${LOADED_RELOAD_MS} ms)`
    const head = met
      ? `Target met: 0 requests dropped (of ${int.format(sent)} sent) and 0 unexpected closes over ${plural(allReloads.length, 'reload')} in ${plural(reloading.length, 'round')}; ${timing}.`
      : `Target missed: ${dropped} requests dropped (of ${int.format(sent)} sent), ${closes} unexpected closes and ${failed.length} failed reloads over ${plural(allReloads.length, 'reload')} in ${plural(reloading.length, 'round')}; ${timing}; the target is 0 dropped and 0 closed, and both durations within theirs.`
    const verdict =
      `${head} With reloads mswoole does ${int.format(m.load.requestsPerSecond)} req/s (p99 ${m.load.latency.p99.toFixed(1)} ms) against ${int.format(s.load.requestsPerSecond)} req/s (p99 ${s.load.latency.p99.toFixed(1)} ms) without; ` +
      `${durationText}; ${dipText}.`

    const kind = (id: SubjectId) => (id === 'reloading' ? 'reloading' : id === 'steady' ? 'no reload' : 'plain ws floor')
    const reloadRows = [...idle, ...allReloads].map((x) => [
      x.round === 0 ? 'idle' : x.round,
      x.index,
      x.startedAt.toFixed(2),
      (x.endedAt - x.startedAt).toFixed(2),
      x.durationMs ?? `failed: ${x.error ?? ''}`.slice(0, 120),
      x.generation ?? '—',
    ])
    const dipRows = records.map((r) => {
      const d = dipOf(r)
      return [
        r.round,
        kind(r.subject),
        d.samples,
        d.medianPerSecond,
        d.lowestDuringReload ?? '—',
        d.lowestDuringReload === null ? '—' : pct(d.lowestDuringReload, d.medianPerSecond),
        d.lowestOutsideReload ?? '—',
        d.lowestOutsideReload === null ? '—' : pct(d.lowestOutsideReload, d.medianPerSecond),
      ]
    })
    const dropRows = records.map((r) => {
      const d = dropsOf(r.result)
      return [r.round, kind(r.subject), d.sent, d.replies, d.errorReplies, d.dropped, d.unanswered ?? '—', d.closes]
    })

    const notes: string[] = []
    for (const sub of subjects) {
      const errs = sub.rounds.reduce((n, r) => n + r.load.errors.total + r.load.unexpectedCloses, 0)
      if (errs > 0)
        notes.push(
          `${sub.label}: ${errs} errors or unexpected closes over its rounds (${sub.rounds
            .flatMap((r) => r.load.errors.samples)
            .slice(0, 3)
            .join('; ')}).`,
        )
    }
    if (failed.length > 0)
      notes.push(
        `Failed reloads: ${failed
          .map((x) => `round ${x.round} #${x.index}: ${x.error ?? '?'}`)
          .slice(0, 3)
          .join('; ')}.`,
      )
    const noisiest = Math.max(...records.map((r) => r.result.cpu?.otherCores ?? 0))
    if (noisiest > QUIET_OTHER_CORES) {
      notes.push(
        `Other work on the machine (it is shared with test runs) took up to ${noisiest} cores during a measured window (column "other cores"); wall-clock figures of that round, and its per-second samples, are disturbed, CPU per reply much less so.`,
      )
    }
    notes.push(
      `A reload's window is the whole \`mswoole reload\` command, from its process start to its JSON (column "command s"): the Node start-up of the CLI runs on the same cores as the load, the daemon and its new workers, so the dip includes it. durationMs is the daemon's own figure: the new generation loaded (TypeScript compiled on load), dispatch switched, the old generation drained and ended.`,
      `After each window the load client sends nothing new and waits up to ${(o.drain ?? 0) / 1000} s for the replies in flight, so "dropped" (requests sent minus success replies, over the whole round) counts what the server never answered rather than what the close cut off.`,
      'The CPU of the reload commands is not in "server CPU"; the new workers\' is (they are threads of the daemon).',
      'mswoole runs with setting.max_messages_per_second raised to 1000000, as in request/reply; everything else is the default (2 worker threads, ack on, HTML escaping on, max_wait_time 30 s). ' +
        `Its config/app.json: \`${JSON.stringify(mswoole.appJson).replaceAll(REPO_ROOT, '<repo>')}\`.`,
    )

    return {
      name: 'reload-under-load',
      title: 'Reload under load',
      description:
        `The request/reply load (${o.connections} closed-loop connections, {"method":"index.index.index"}, ${o.warmup} s warmup, ${o.duration} s measured) on one mswoole daemon, ${o.rounds} round(s) with and ${o.rounds} without reloads, alternating which goes first, ` +
        `then ${o.floorRounds} round(s) of the plain ws floor for reference. In a reloading round \`${reloadCmd}\` runs ${o.firstReloadAt} s into the window and every ${o.reloadInterval} s after, one at a time, none in the last ${o.reloadEndMargin} s (at most ${maxReloads(o)} per round). ` +
        "Replies per second are sampled from the load client's live counters about every second; the dip is the lowest sample that overlaps a reload against the median sample of that round. " +
        `Before any load, the idle daemon is reloaded ${o.idleReloads} times, ${o.idleReloadGap} s apart. Targets: no request dropped and no connection closed; the daemon's durationMs at most ${IDLE_RELOAD_MS} ms for an idle reload (median) and ${LOADED_RELOAD_MS} ms for every reload under load.`,
      params: {
        ...o,
        mswooleAppJson: mswoole.appJson,
        reloads: allReloads,
        idleReloads: idle,
        perSecond: records.map((r) => ({ subject: r.subject, round: r.round, samples: r.samples })),
      },
      subjects,
      comparisons,
      checks,
      tables: [
        {
          caption:
            'Every reload, the idle ones first (seconds into the measured window, or since the idle reloads began; "command s" is the command\'s wall time, durationMs the daemon\'s):',
          columns: ['round', 'reload', 'started at s', 'command s', 'durationMs', 'generation'],
          numeric: [false, true, true, true, true, true],
          rows: reloadRows,
        },
        {
          caption: 'Replies per second, sampled about every second of each measured window:',
          columns: [
            'round',
            'mode',
            'samples',
            'median req/s',
            'lowest during a reload',
            'of median',
            'lowest outside reloads',
            'of median',
          ],
          numeric: [true, false, true, true, true, true, true, true],
          rows: dipRows,
        },
        {
          caption: 'Requests per round, warmup and drain included (dropped = sent − success replies):',
          columns: ['round', 'mode', 'sent', 'replies', 'error replies', 'dropped', 'unanswered after drain', 'unexpected closes'],
          numeric: [true, false, true, true, true, true, true, true],
          rows: dropRows,
        },
      ],
      verdict,
      notes,
    }
  })
}

export const reloadUnderLoad: Scenario = {
  name: 'reload-under-load',
  title: 'Reload under load',
  run: (ctx: ScenarioContext) => runReloadUnderLoad(ctx.quick ? QUICK_RELOAD : FULL_RELOAD, ctx.log),
}
