/**
 * Request/reply: closed-loop connections each send {"method":"index.index.index"}
 * and wait for its `success` reply (the `receiveMessage` ack on the way is skipped).
 * mswoole — started through its CLI, controllers in worker threads — against the
 * plain single-process `ws` floor, and beside Socket.IO 4 with its Redis adapter (what
 * users pick instead), same load client, same machine, same run.
 *
 * Target: mswoole does at least the floor's requests/s. Socket.IO is compared, with no target.
 */
import { CpuMeter, waitForQuiet } from '../lib/cpu.js'
import { LoadClient, type LoadOptions, type LoadPhase, type LoadSnapshot, type WireProtocol } from '../load-client.js'
import { startMswoole, type MswooleTarget } from '../lib/mswoole-target.js'
import { REPO_ROOT } from '../lib/paths.js'
import { SOCKETIO_LABEL, startPlainWs, startSocketIo, type PlainWsTarget } from '../lib/plain-ws-target.js'
import {
  medianRound,
  type Comparison,
  type Round,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  type Subject,
} from '../lib/scenario.js'

export interface RequestReplyOptions {
  connections: number
  /** Measured seconds per round. */
  duration: number
  warmup: number
  /** Rounds per target, rotating which target goes first. */
  rounds: number
  frame?: string
  replyEvent?: string
  /** Extra keys for mswoole's `setting` block (worker_num, ack, …). */
  mswooleSetting?: Record<string, unknown>
  /** Milliseconds to wait for the replies in flight after the window, to count lost requests (the load client's `drain`). */
  drain?: number
  /** Seconds a round may wait for a quiet machine before it starts anyway. Default QUIET_MAX_WAIT. */
  quietMaxWait?: number
}

export const FULL: RequestReplyOptions = { connections: 1000, duration: 15, warmup: 3, rounds: 3 }
// Quick waits less for a quiet machine: on a machine shared with test runs the full wait could eat the two minutes.
export const QUICK: RequestReplyOptions = { connections: 200, duration: 5, warmup: 1, rounds: 1, quietMaxWait: 5 }
/** This scenario's quick mode: three targets to load, so shorter windows than QUICK (which reload-under-load shares) keep the quick run under two minutes. */
const QUICK_THREE_TARGETS: RequestReplyOptions = { ...QUICK, duration: 3, quietMaxWait: 3 }

/** Both targets up at once, stopped whatever happens; a reload scenario reuses this. */
export async function withTargets<T>(
  tokens: number,
  mswooleSetting: Record<string, unknown> | undefined,
  fn: (mswoole: MswooleTarget, floor: PlainWsTarget) => Promise<T>,
): Promise<T> {
  const floor = await startPlainWs()
  let mswoole: MswooleTarget | undefined
  try {
    mswoole = await startMswoole({ tokens, ...(mswooleSetting === undefined ? {} : { setting: mswooleSetting }) })
    return await fn(mswoole, floor)
  } finally {
    await Promise.allSettled([floor.stop(), mswoole?.stop()])
  }
}

/** A server to load: where to connect, and which process to charge the CPU to. */
export interface LoadTarget {
  pid: number
  url: LoadOptions['url']
  /** What the load client speaks to it. Default 'ws'. */
  protocol?: WireProtocol
}

/** What a scenario may watch during a round: live counters, and the phases (the window opens at 'measuring'). */
export interface RoundHooks {
  onProgress?: (s: LoadSnapshot) => void
  onPhase?: (phase: LoadPhase, s: LoadSnapshot) => void
}

/**
 * One closed-loop round against one target: waits (bounded) for a quiet machine,
 * then loads it, metering the server's CPU over exactly the measured window.
 */
export async function measureRound(
  target: LoadTarget,
  o: RequestReplyOptions,
  quietPids: number[],
  hooks: RoundHooks = {},
): Promise<Round> {
  const { onProgress, onPhase } = hooks
  const otherCoresBefore = await waitForQuiet(QUIET_OTHER_CORES, o.quietMaxWait ?? QUIET_MAX_WAIT, quietPids)
  const meter = new CpuMeter(target.pid)
  let cpu: Round['cpu'] = null
  const load = await new LoadClient({
    url: target.url,
    connections: o.connections,
    duration: o.duration,
    warmup: o.warmup,
    ...(o.frame === undefined ? {} : { frame: o.frame }),
    ...(o.replyEvent === undefined ? {} : { replyEvent: o.replyEvent }),
    ...(target.protocol === undefined ? {} : { protocol: target.protocol }),
    ...(o.drain === undefined ? {} : { drain: o.drain }),
    ...(onProgress === undefined ? {} : { onProgress }),
    onPhase: (phase, snap) => {
      if (phase === 'measuring') meter.start()
      else if ((phase === 'draining' || phase === 'closing') && cpu === null) cpu = meter.stop(snap.replies)
      onPhase?.(phase, snap)
    },
  }).run()
  return { load, cpu, otherCoresBefore }
}

/** Other work on the machine (cores) under which a round may start, and how long to wait for it. */
export const QUIET_OTHER_CORES = 0.3
const QUIET_MAX_WAIT = 20 // seconds

/** One line on a round, for the run's log. */
export function brief(r: Round): string {
  const l = r.load
  const cpu =
    r.cpu === null
      ? ''
      : `, server ${r.cpu.serverMicrosPerReply} µs CPU/reply (${r.cpu.serverCores} cores), other work ${r.cpu.otherCores} cores`
  return `${l.requestsPerSecond} req/s, p50 ${l.latency.p50} ms, p99 ${l.latency.p99} ms, ${l.errors.total} errors, ${l.unexpectedCloses} unexpected closes${cpu}`
}

type SubjectId = 'mswoole' | 'floor' | 'socketio'
/** The order of round 1; each round after turns it by one, so every subject takes every place. */
const ORDER: readonly SubjectId[] = ['floor', 'mswoole', 'socketio']
const LABELS: Record<SubjectId, string> = { mswoole: 'mswoole', floor: 'plain ws floor', socketio: SOCKETIO_LABEL }

export async function runRequestReply(o: RequestReplyOptions, log: (m: string) => void = () => undefined): Promise<ScenarioResult> {
  // Started beside the other two; a failure to start is handled where it is awaited.
  const socketioStarted = startSocketIo()
  socketioStarted.catch(() => undefined)
  try {
    return await withTargets(o.connections, o.mswooleSetting, async (mswoole, floor) => {
      const socketio = await socketioStarted
      const runs: Record<SubjectId, Round[]> = { mswoole: [], floor: [], socketio: [] }
      const targets: Record<SubjectId, LoadTarget> = {
        mswoole,
        floor,
        socketio: { pid: socketio.pid, url: socketio.url, protocol: 'socketio' },
      }
      const ownPids = [mswoole.pid, floor.pid, socketio.pid, socketio.redisPid]
      for (let round = 0; round < o.rounds; round++) {
        // Rotate the order so no target always runs on a cooler (or warmer) machine.
        for (const id of ORDER.map((_, i) => ORDER[(i + round) % ORDER.length]!)) {
          log(`round ${round + 1}/${o.rounds}: ${id}, ${o.connections} connections, ${o.warmup}+${o.duration}s`)
          const result = await measureRound(targets[id], o, ownPids)
          runs[id].push(result)
          if (result.otherCoresBefore !== null && result.otherCoresBefore > QUIET_OTHER_CORES)
            log(`  (machine busy: ${result.otherCoresBefore} cores of other work when it started)`)
          log(`  ${brief(result)}`)
        }
      }
      const commands: Record<SubjectId, string> = { mswoole: mswoole.command(['start']), floor: floor.command, socketio: socketio.command }
      const subjects: Subject[] = (['mswoole', 'floor', 'socketio'] as const).map((id) => ({
        id,
        label: LABELS[id],
        median: medianRound(runs[id]),
        rounds: runs[id],
        command: commands[id],
      }))
      return requestReplyResult(o, subjects, mswoole.appJson)
    })
  } finally {
    await socketioStarted.then(
      (t) => t.stop(),
      () => undefined,
    )
  }
}

/** The report of one run: mswoole against the floor (the target), and against Socket.IO (a ratio, no target). */
function requestReplyResult(o: RequestReplyOptions, subjects: Subject[], mswooleAppJson: Record<string, unknown>): ScenarioResult {
  const median = (id: SubjectId) => subjects.find((x) => x.id === id)!.median
  const m = median('mswoole')
  const f = median('floor')
  const sio = median('socketio')
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
  const throughput = ratio(m.load.requestsPerSecond, f.load.requestsPerSecond)
  const met = throughput >= 1
  const pct = Math.round(throughput * 100)
  const vsSocketIo = `${LABELS.socketio} does ${sio.load.requestsPerSecond} req/s (mswoole ${ratio(m.load.requestsPerSecond, sio.load.requestsPerSecond).toFixed(2)}×).`
  const verdict = met
    ? `Target met: mswoole does ${m.load.requestsPerSecond} req/s, ${pct}% of the plain ws floor (${f.load.requestsPerSecond} req/s). ${vsSocketIo}`
    : `Target missed: mswoole does ${m.load.requestsPerSecond} req/s, ${pct}% of the plain ws floor (${f.load.requestsPerSecond} req/s); the target is at least 100%. ${vsSocketIo}`
  const against = (baseline: SubjectId, b: Round): Comparison[] => [
    {
      metric: 'p50 latency',
      unit: 'ms',
      higherIsBetter: false,
      subject: 'mswoole',
      baseline,
      value: m.load.latency.p50,
      baselineValue: b.load.latency.p50,
      ratio: ratio(m.load.latency.p50, b.load.latency.p50),
    },
    {
      metric: 'p99 latency',
      unit: 'ms',
      higherIsBetter: false,
      subject: 'mswoole',
      baseline,
      value: m.load.latency.p99,
      baselineValue: b.load.latency.p99,
      ratio: ratio(m.load.latency.p99, b.load.latency.p99),
    },
    ...(m.cpu !== null && b.cpu !== null
      ? [
          {
            metric: 'server CPU per reply',
            unit: 'µs',
            higherIsBetter: false,
            subject: 'mswoole',
            baseline,
            value: m.cpu.serverMicrosPerReply,
            baselineValue: b.cpu.serverMicrosPerReply,
            ratio: ratio(m.cpu.serverMicrosPerReply, b.cpu.serverMicrosPerReply),
          },
        ]
      : []),
  ]
  const comparisons: Comparison[] = [
    {
      metric: 'throughput',
      unit: 'req/s',
      higherIsBetter: true,
      subject: 'mswoole',
      baseline: 'floor',
      value: m.load.requestsPerSecond,
      baselineValue: f.load.requestsPerSecond,
      ratio: throughput,
      target: '≥ 1.00× the floor',
      met,
    },
    ...against('floor', f),
    {
      metric: 'throughput',
      unit: 'req/s',
      higherIsBetter: true,
      subject: 'mswoole',
      baseline: 'socketio',
      value: m.load.requestsPerSecond,
      baselineValue: sio.load.requestsPerSecond,
      ratio: ratio(m.load.requestsPerSecond, sio.load.requestsPerSecond),
    },
    ...against('socketio', sio),
  ]
  const notes: string[] = []
  for (const s of subjects) {
    const errs = s.rounds.reduce((n, r) => n + r.load.errors.total + r.load.unexpectedCloses, 0)
    if (errs > 0)
      notes.push(
        `${s.label}: ${errs} errors or unexpected closes over its rounds (${s.rounds
          .flatMap((r) => r.load.errors.samples)
          .slice(0, 3)
          .join('; ')}).`,
      )
  }
  const noisiest = Math.max(...subjects.flatMap((s) => s.rounds).map((r) => r.cpu?.otherCores ?? 0))
  if (noisiest > QUIET_OTHER_CORES) {
    notes.push(
      `Other work on the machine took up to ${noisiest} cores during a measured window (column "other cores"); wall-clock figures of that round are disturbed, CPU per reply much less so.`,
    )
  }
  notes.push(
    'mswoole runs with setting.max_messages_per_second raised to 1000000: the default 50 msg/s per connection is an abuse guard a closed-loop client trips; everything else is the default (2 worker threads, ack on, HTML escaping on). ' +
      `Its config/app.json: \`${JSON.stringify(mswooleAppJson).replaceAll(REPO_ROOT, '<repo>')}\`.`,
  )
  notes.push(
    `${LABELS.socketio}: one process, WebSocket transport only, no compression, the Redis adapter on ioredis with a redis-server of its own on this machine. ` +
      'Each request is the event `42["message",{"method":"index.index.index"}]` and is answered as the floor answers it, by two `socket.emit(\'message\', envelope)`: the ack, then the reply. ' +
      'An emit to one socket does not go through Redis, so here the adapter costs nothing; it is there because it is what a deployment that broadcasts to rooms runs (the fan-out scenario measures that). ' +
      'The load client speaks Engine.IO 4 / Socket.IO 5 over the same WebSocket client (the connect, and `3` to the ping the server sends each socket every 25 s); its server CPU is the Socket.IO process alone.',
  )
  return {
    name: 'request-reply',
    title: 'Request/reply (index.index.index)',
    description:
      `${o.connections} closed-loop connections each send {"method":"index.index.index"} and wait for the "success" reply before sending the next (the "receiveMessage" ack is skipped). ` +
      `${o.warmup} s warmup, then ${o.duration} s measured, ${o.rounds} round(s) per target rotating which goes first; the median round by throughput is reported. ` +
      `Targets: mswoole, the plain ws floor, and ${LABELS.socketio}, which is what users pick instead (compared, no target). ` +
      'Load client, mswoole daemon, floor and Socket.IO all run on this one machine over loopback. Server CPU is the target process (all threads) over the measured window, from /proc.',
    params: { ...o, mswooleAppJson },
    subjects,
    comparisons,
    verdict,
    notes,
  }
}

export const requestReply: Scenario = {
  name: 'request-reply',
  title: 'Request/reply (index.index.index)',
  run: (ctx: ScenarioContext) => runRequestReply(ctx.quick ? QUICK_THREE_TARGETS : FULL, ctx.log),
}
