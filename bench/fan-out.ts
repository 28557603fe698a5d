/**
 * The fan-out measurement (bench/scenarios/fan-out.ts reports it): N idle WebSocket clients
 * in one room, and broadcasts to that room. Four servers, up side by side, measured with the
 * same client (bench/fan-out-client.ts, in this process, so the send and receive clocks are
 * one) and the same number of sockets, one server's sockets open at a time:
 *
 *   mswoole          its `broadcast` control method over the control socket: the envelope framed
 *                    once, and a socket's frames of one event-loop turn written in one writev.
 *   plain ws loop    `JSON.stringify` once, then `ws.send(text)` per socket (bench/baselines/plain-ws-broadcast.ts).
 *   raw-frame floor  the same server with --raw-frame: the frame built once, one write per socket per broadcast.
 *   Socket.IO        Socket.IO 4 with its Redis adapter, `io.to(room).emit(…)` (bench/baselines/socketio.ts),
 *                    its clients speaking Socket.IO over the same raw WebSocket client.
 *
 * Burst: B broadcasts all in flight at once; deliveries/s = B × N / (first send → last delivery).
 * Steady: R broadcasts/s for S seconds; p50/p99/max delivery latency, and what never arrived.
 *
 * A subject may be served by several nodes (bench/cluster-fan-out.ts: mswoole nodes on one
 * Redis): the client's sockets are spread over their ports, broadcasts go to the first node,
 * and each phase also reports every node's share.
 */
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { FanOutClient, nowMs, type ConnectFigures } from './fan-out-client.js'
import { baselineTrigger, mswooleTrigger, type BroadcastTrigger } from './lib/broadcast-trigger.js'
import { CpuMeter, processCpuSeconds, processWriteCalls, waitForQuiet, type CpuFigures } from './lib/cpu.js'
import type { LatencySummary } from './lib/histogram.js'
import { startMswoole } from './lib/mswoole-target.js'
import { REPO_ROOT } from './lib/paths.js'
import { SOCKETIO_LABEL, startBaseline, startSocketIo } from './lib/plain-ws-target.js'
import type { WireProtocol } from './load-client.js'
import { QUIET_OTHER_CORES } from './scenarios/request-reply.js'

export interface FanOutOptions {
  connections: number
  /** Broadcasts per burst round, all in flight at once. */
  burst: number
  /** Burst rounds per subject, after one warmup burst; the median by deliveries/s is reported. */
  rounds: number
  /** The steady phase: broadcasts per second, for this many seconds. */
  rate: number
  seconds: number
  /** Seconds to wait after the last steady broadcast for deliveries still on their way. */
  drainSeconds: number
  /** Seconds a phase may wait for a quiet machine before it starts anyway. */
  quietMaxWait: number
}

export const FULL: FanOutOptions = { connections: 10_000, burst: 30, rounds: 3, rate: 10, seconds: 10, drainSeconds: 30, quietMaxWait: 20 }
// Four subjects, each in a session per phase: quick keeps every session short, for a quick run under two minutes.
export const QUICK: FanOutOptions = { connections: 1_000, burst: 20, rounds: 1, rate: 10, seconds: 2, drainSeconds: 10, quietMaxWait: 2 }

export type SubjectId = 'mswoole' | 'plain' | 'floor' | 'socketio'
export const LABELS: Record<SubjectId, string> = {
  mswoole: 'mswoole',
  plain: 'plain ws loop',
  floor: 'raw-frame floor',
  socketio: SOCKETIO_LABEL,
}

/** mswoole's settings for this scenario: the bench clients send nothing, which the 60 s idle guard would cut. */
export const MSWOOLE_SETTING = { heartbeat_idle_time: 3600 }

/** One node's share of a phase, for a subject served by several nodes. */
export interface NodeShare {
  label: string
  /** Its sockets open when the phase began. */
  sockets: number
  received: number
  missing: number
  /** Its process's average cores over the phase, and its CPU per delivery at its own sockets. */
  cores: number | null
  microsPerDelivery: number | null
  deliveriesPerWrite: number | null
}

/** One measured phase of one subject. */
export interface PhaseResult {
  broadcasts: number
  /** Sockets open when the phase began: each broadcast owes each one a delivery. */
  sockets: number
  expected: number
  received: number
  /** expected − received once the phase's wait ended. */
  missing: number
  /** Sockets written, as the server answered each broadcast, summed (a cluster: the first node's own sockets). */
  written: number
  /** Broadcast requests that failed (their error in `errors`). */
  failedRequests: number
  /** From the first send to the last delivery. */
  seconds: number
  deliveriesPerSecond: number
  /** Milliseconds from the send to the socket read that carried it. */
  latency: LatencySummary
  cpu: CpuFigures | null
  serverMicrosPerDelivery: number | null
  clientMicrosPerDelivery: number | null
  /** Deliveries per write system call of the server process (/proc/<pid>/io syscw). */
  deliveriesPerWrite: number | null
  /** Deliveries of an earlier phase that arrived in this one (not counted in it). */
  late: number
  errors: string[]
  /** A subject of several nodes: each node's share. */
  nodes?: NodeShare[]
}

export interface SteadyResult extends PhaseResult {
  rate: number
  /** Broadcasts sent per second, as the schedule was kept. */
  achievedRate: number
  /** The latest a broadcast left after its scheduled time, in ms. */
  maxSendLagMs: number
}

export interface SubjectResult {
  id: string
  label: string
  command: string
  /** Over every session: the fewest sockets opened, every failure, the slowest connect. */
  connect: ConnectFigures & { sessions: number }
  warmup: PhaseResult
  rounds: PhaseResult[]
  median: PhaseResult
  steady: SteadyResult
  /** Sockets the server closed while the client held them. */
  disconnected: number
  /** Frames that were not a bench delivery. */
  otherFrames: number
  /** Other work on the machine (cores) just before each measured phase. */
  otherCoresBefore: Array<number | null>
  /** Socket.IO only: CPU seconds of its redis-server over the whole scenario (not in the server CPU figures). */
  redisCpuSeconds?: number
}

/** One server process of a subject, and what asks it to broadcast. */
export interface ServerNode {
  label: string
  pid: number
  /** The port its clients connect to: the client's sockets to this port are its share of the room. */
  port: number
  trigger: BroadcastTrigger
}

/** A server up and ready to measure. */
export interface LiveSubject {
  id: string
  label: string
  command: string
  /** Socket i's URL; a subject of several nodes spreads its sockets over their ports. */
  url(index: number): string
  protocol: WireProtocol
  /** The server's processes, one but for a cluster; broadcasts go to the first. */
  nodes: ServerNode[]
  /** Processes the server needs beside its own (a cluster's redis-server): their CPU is counted apart, not as other work. */
  sidePids?: number[]
  /** Socket.IO only: CPU seconds its redis-server has used since the subject started. */
  redisCpuSeconds?: () => number | undefined
  stop(): Promise<void>
}

const BASELINE_SCRIPT = path.join(REPO_ROOT, 'bench', 'baselines', 'plain-ws-broadcast.ts')
/** Source addresses per subject, a different range each, so no session waits on another's TIME_WAIT ports. */
const SOURCES_PER_SUBJECT = 8
const SUBJECT_ORDER: readonly SubjectId[] = ['plain', 'mswoole', 'floor', 'socketio']

async function startSubject(id: SubjectId, o: FanOutOptions): Promise<LiveSubject & { appJson?: Record<string, unknown> }> {
  const label = LABELS[id]
  if (id === 'mswoole') {
    const target = await startMswoole({ tokens: o.connections, setting: MSWOOLE_SETTING })
    try {
      const trigger = await mswooleTrigger(target.socket)
      const nodes = [{ label, pid: target.pid, port: target.port, trigger }]
      return {
        id,
        label,
        command: target.command(['start']),
        url: target.url,
        protocol: 'ws',
        nodes,
        appJson: target.appJson,
        stop: () => target.stop(),
      }
    } catch (err) {
      await target.stop()
      throw err
    }
  }
  // Socket.IO takes broadcast requests on a control WebSocket of the same shape as the plain floors'.
  const socketio = id === 'socketio' ? await startSocketIo() : undefined
  const target = socketio ?? (await startBaseline(BASELINE_SCRIPT, id === 'floor' ? ['--raw-frame'] : []))
  try {
    const trigger = await baselineTrigger(target.port)
    const nodes = [{ label, pid: target.pid, port: target.port, trigger }]
    const live: LiveSubject = {
      id,
      label,
      command: target.command,
      url: target.url,
      protocol: id === 'socketio' ? 'socketio' : 'ws',
      nodes,
      stop: () => target.stop(),
    }
    if (socketio !== undefined) {
      const { redisPid } = socketio
      const before = processCpuSeconds(redisPid) ?? 0
      live.redisCpuSeconds = () => {
        const now = processCpuSeconds(redisPid)
        return now === undefined ? undefined : round(now - before, 2)
      }
    }
    return live
  } catch (err) {
    await target.stop()
    throw err
  }
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * One phase: `schedule` fires the broadcasts (each stamped with its send time); then waits,
 * at most `waitMs` after the last send, until every open socket got every one of them.
 */
async function measurePhase(
  client: FanOutClient,
  subject: LiveSubject,
  schedule: (fire: () => void) => Promise<void>,
  waitMs: (expected: number) => number,
): Promise<PhaseResult> {
  const sockets = client.open
  const pids = subject.nodes.map((n) => n.pid)
  // Each node's sockets, for its share of the phase.
  const portsBefore = subject.nodes.length > 1 ? client.byPort() : undefined
  const meter = new CpuMeter(pids, subject.sidePids)
  const writesBefore = pids.map(processWriteCalls)
  const trigger = subject.nodes[0]!.trigger
  const calls: Array<Promise<number>> = []
  const started = nowMs()
  client.beginPhase(started)
  meter.start()
  await schedule(() => calls.push(trigger.broadcast({ sentAt: nowMs() })))
  const expected = calls.length * sockets
  await client.waitFor(expected, waitMs(expected))
  const figures = client.endPhase()
  const cpu = meter.stop(figures.received)
  const writesEach = pids.map((pid, i) => {
    const before = writesBefore[i]
    const after = processWriteCalls(pid)
    return before === undefined || after === undefined ? undefined : after - before
  })
  // Bounded by the trigger's own call timeout.
  const answers = await Promise.allSettled(calls)
  const errors = answers.flatMap((a) => (a.status === 'rejected' ? [errorText(a.reason)] : []))
  const seconds = figures.lastAt === 0 ? 0 : (figures.lastAt - started) / 1000
  const writes = writesEach.some((w) => w === undefined) ? undefined : writesEach.reduce((n: number, w) => n + w!, 0)
  const nodes = portsBefore === undefined ? undefined : nodeShares(subject, portsBefore, client.byPort(), calls.length, cpu, writesEach)
  return {
    broadcasts: calls.length,
    sockets,
    expected,
    received: figures.received,
    missing: expected - figures.received,
    written: answers.reduce((n, a) => n + (a.status === 'fulfilled' ? a.value : 0), 0),
    failedRequests: errors.length,
    seconds: round(seconds, 3),
    deliveriesPerSecond: seconds === 0 ? 0 : Math.round(figures.received / seconds),
    latency: figures.latency,
    cpu,
    serverMicrosPerDelivery: cpu === null || figures.received === 0 ? null : cpu.serverMicrosPerReply,
    clientMicrosPerDelivery:
      cpu === null || figures.received === 0 ? null : round((cpu.clientCores * cpu.wallSeconds * 1e6) / figures.received, 1),
    deliveriesPerWrite: writes === undefined || writes === 0 ? null : round(figures.received / writes, 2),
    late: figures.late,
    errors: [...new Set(errors)].slice(0, 3),
    ...(nodes === undefined ? {} : { nodes }),
  }
}

type PortCounts = ReturnType<FanOutClient['byPort']>

/** Each node's share of a phase: its sockets (as the phase began), what they received, and its process's CPU. */
function nodeShares(
  subject: LiveSubject,
  before: PortCounts,
  after: PortCounts,
  broadcasts: number,
  cpu: CpuFigures | null,
  writes: Array<number | undefined>,
): NodeShare[] {
  return subject.nodes.map((node, i) => {
    const sockets = before.get(node.port)?.open ?? 0
    const received = after.get(node.port)?.received ?? 0
    const cores = cpu?.serverCoresEach?.[i] ?? null
    const w = writes[i]
    return {
      label: node.label,
      sockets,
      received,
      missing: broadcasts * sockets - received,
      cores,
      microsPerDelivery: cores === null || cpu === null || received === 0 ? null : round((cores * cpu.wallSeconds * 1e6) / received, 1),
      deliveriesPerWrite: w === undefined || w === 0 ? null : round(received / w, 2),
    }
  })
}

/** B broadcasts at once: deliveries/s as fast as the server (and the client) go. */
function burst(client: FanOutClient, subject: LiveSubject, broadcasts: number): Promise<PhaseResult> {
  return measurePhase(
    client,
    subject,
    async (fire) => {
      for (let i = 0; i < broadcasts; i++) fire()
    },
    // At least 5 000 deliveries/s, and 10 s more: a stalled server ends the phase, not the bench.
    (expected) => 10_000 + expected / 5,
  )
}

/** `rate` broadcasts a second for `seconds`, on a schedule that does not wait for deliveries. */
async function steady(client: FanOutClient, subject: LiveSubject, o: FanOutOptions): Promise<SteadyResult> {
  const count = Math.max(1, Math.round(o.rate * o.seconds))
  let lag = 0
  let sendSeconds = 0
  const phase = await measurePhase(
    client,
    subject,
    async (fire) => {
      const t0 = performance.now()
      for (let i = 0; i < count; i++) {
        const due = t0 + (i * 1000) / o.rate
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
        lag = Math.max(lag, performance.now() - due)
        fire()
      }
      sendSeconds = (performance.now() - t0) / 1000
    },
    () => o.drainSeconds * 1000,
  )
  // n broadcasts span n − 1 intervals.
  const achievedRate = count > 1 && sendSeconds > 0 ? round((count - 1) / sendSeconds, 2) : o.rate
  return { ...phase, rate: o.rate, achievedRate, maxSendLagMs: round(lag, 1) }
}

/**
 * Broadcasts to nobody in particular (sentAt 0: the client files them as late) from each node
 * until each says it wrote to every socket the client holds on it, at most 10 s: the last joins
 * may lag the upgrade.
 */
async function waitForRoom(client: FanOutClient, subject: LiveSubject): Promise<void> {
  const deadline = performance.now() + 10_000
  for (;;) {
    let short: string | undefined
    for (const node of subject.nodes) {
      const written = await node.trigger.broadcast({ sentAt: 0 })
      const open = client.byPort().get(node.port)?.open ?? 0
      if (written < open)
        short = `${subject.nodes.length > 1 ? `${node.label} of ` : ''}${subject.label} writes to ${written} of the ${open} sockets connected`
    }
    if (short === undefined) return
    if (performance.now() > deadline) throw new Error(short)
    await sleep(200)
  }
}

function brief(p: PhaseResult): string {
  const cpu =
    p.cpu === null
      ? ''
      : `, server ${p.serverMicrosPerDelivery} µs CPU/delivery (${p.cpu.serverCores} cores), client ${p.clientMicrosPerDelivery} µs (${p.cpu.clientCores} cores), other work ${p.cpu.otherCores} cores`
  const writes = p.deliveriesPerWrite === null ? '' : `, ${p.deliveriesPerWrite} deliveries/write`
  return `${p.deliveriesPerSecond} deliveries/s over ${p.seconds}s, p50 ${p.latency.p50} ms, p99 ${p.latency.p99} ms, ${p.missing} missing${cpu}${writes}`
}

/** The round with the median deliveries/s. */
function medianPhase(rounds: PhaseResult[]): PhaseResult {
  const sorted = [...rounds].sort((a, b) => a.deliveriesPerSecond - b.deliveriesPerSecond)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** What one subject gathers over its sessions (a session: its sockets opened, used, and closed). */
interface Tally {
  subject: LiveSubject
  /** Which range of source addresses its sessions connect from. */
  index: number
  connects: ConnectFigures[]
  warmup: PhaseResult | undefined
  rounds: PhaseResult[]
  steady: SteadyResult | undefined
  disconnected: number
  otherFrames: number
  otherCoresBefore: Array<number | null>
}

/**
 * Opens the subject's sockets, waits until its room holds them all, runs `fn`, and closes
 * them, whatever happens: one subject's sockets at a time, so the client never holds more.
 */
async function session<T>(t: Tally, o: FanOutOptions, log: (m: string) => void, fn: (client: FanOutClient) => Promise<T>): Promise<T> {
  const { label, nodes } = t.subject
  const client = await FanOutClient.open({
    url: t.subject.url,
    connections: o.connections,
    sourceAddresses: SOURCES_PER_SUBJECT,
    firstSource: 10 + t.index * SOURCES_PER_SUBJECT,
    protocol: t.subject.protocol,
  })
  try {
    const c = client.connect
    t.connects.push(c)
    const ports = client.byPort()
    const each = nodes.length > 1 ? ` (${nodes.map((n) => `${n.label} ${ports.get(n.port)?.open ?? 0}`).join(', ')})` : ''
    log(
      `${label}: ${c.opened}/${c.asked} sockets open${each} in ${c.seconds}s${c.failed > 0 ? ` (${c.failed} failed: ${c.failures.join('; ')})` : ''}`,
    )
    if (c.opened === 0) throw new Error(`${label}: no socket opened (${c.failures.join('; ')})`)
    await waitForRoom(client, t.subject)
    return await fn(client)
  } finally {
    t.disconnected += client.disconnected
    t.otherFrames += client.otherFrames
    client.close()
  }
}

/** Every session's connect figures as one: the fewest opened, every failure, the slowest. */
function connectSummary(all: ConnectFigures[]): ConnectFigures & { sessions: number } {
  return {
    asked: all[0]?.asked ?? 0,
    opened: Math.min(...all.map((c) => c.opened)),
    failed: all.reduce((n, c) => n + c.failed, 0),
    seconds: Math.max(...all.map((c) => c.seconds)),
    sourceAddresses: all[0]?.sourceAddresses ?? 0,
    failures: all.flatMap((c) => c.failures).slice(0, 5),
    sessions: all.length,
  }
}

function redisCpu(subject: LiveSubject): { redisCpuSeconds?: number } {
  const seconds = subject.redisCpuSeconds?.()
  return seconds === undefined ? {} : { redisCpuSeconds: seconds }
}

/** `order` turned left by `by`: each round starts with another subject. */
const rotate = <T>(order: readonly T[], by: number): T[] => order.map((_, i) => order[(i + by) % order.length]!)

export interface FanOutResults {
  subjects: Record<SubjectId, SubjectResult>
  /** The app.json mswoole ran with. */
  mswooleAppJson: Record<string, unknown> | undefined
}

/**
 * Measures subjects that are up, one subject's sockets at a time: each round opens one
 * subject's sockets, bursts, and closes them, subject after subject in an order that turns
 * every round, so work from elsewhere on the machine falls on all of them alike. Then the
 * steady phase, the same way. The results come in the subjects' order.
 */
export async function measureSubjects(
  subjects: readonly LiveSubject[],
  o: FanOutOptions,
  log: (m: string) => void,
): Promise<SubjectResult[]> {
  const tallies = new Map<string, Tally>()
  for (const [index, subject] of subjects.entries()) {
    // The method answers before any client connects: a build without it fails here, clearly.
    for (const node of subject.nodes) {
      await node.trigger.broadcast({ sentAt: 0 }).catch((err: unknown) => {
        throw new Error(
          `${subject.nodes.length > 1 ? `${node.label} of ` : ''}${subject.label}: broadcast is not available: ${errorText(err)}`,
          { cause: err },
        )
      })
    }
    tallies.set(subject.id, {
      subject,
      index,
      connects: [],
      warmup: undefined,
      rounds: [],
      steady: undefined,
      disconnected: 0,
      otherFrames: 0,
      otherCoresBefore: [],
    })
  }
  const order = subjects.map((s) => s.id)
  const quiet = async (t: Tally) =>
    t.otherCoresBefore.push(
      await waitForQuiet(QUIET_OTHER_CORES, o.quietMaxWait, [...t.subject.nodes.map((n) => n.pid), ...(t.subject.sidePids ?? [])]),
    )
  for (let r = 1; r <= o.rounds; r++) {
    for (const id of rotate(order, r - 1)) {
      const t = tallies.get(id)!
      log(`round ${r}/${o.rounds}: ${t.subject.label}, ${o.connections} sockets, a burst of ${o.burst}`)
      await session(t, o, log, async (client) => {
        if (t.warmup === undefined) {
          t.warmup = await burst(client, t.subject, o.burst)
          log(`  warmup burst: ${brief(t.warmup)}`)
        }
        await quiet(t)
        const result = await burst(client, t.subject, o.burst)
        t.rounds.push(result)
        log(`  burst: ${brief(result)}`)
      })
    }
  }
  for (const id of rotate(order, o.rounds)) {
    const t = tallies.get(id)!
    log(`steady: ${t.subject.label}, ${o.connections} sockets, ${o.rate}/s for ${o.seconds}s`)
    await session(t, o, log, async (client) => {
      await quiet(t)
      t.steady = await steady(client, t.subject, o)
      log(`  steady (${t.steady.achievedRate}/s kept): ${brief(t.steady)}`)
    })
  }
  return subjects.map((subject): SubjectResult => {
    const t = tallies.get(subject.id)!
    return {
      id: subject.id,
      label: subject.label,
      command: subject.command,
      connect: connectSummary(t.connects),
      warmup: t.warmup!,
      rounds: t.rounds,
      median: medianPhase(t.rounds),
      steady: t.steady!,
      disconnected: t.disconnected,
      otherFrames: t.otherFrames,
      otherCoresBefore: t.otherCoresBefore,
      ...redisCpu(subject),
    }
  })
}

/**
 * Starts every subject at once, measures them (measureSubjects) and stops whichever started,
 * whatever failed. Hands back the subjects as started too, for what they ran with.
 */
export async function startAndMeasure<S extends LiveSubject>(
  starts: ReadonlyArray<() => Promise<S>>,
  o: FanOutOptions,
  log: (m: string) => void,
): Promise<{ started: S[]; results: SubjectResult[] }> {
  const started: S[] = []
  try {
    const settled = await Promise.allSettled(starts.map((start) => start()))
    for (const s of settled) if (s.status === 'fulfilled') started.push(s.value)
    const failed = settled.find((s) => s.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    return { started, results: await measureSubjects(started, o, log) }
  } finally {
    for (const s of started) for (const node of s.nodes) node.trigger.close()
    await Promise.allSettled(started.map((s) => s.stop()))
  }
}

/** All four servers up at once, measured by measureSubjects. */
export async function measureFanOut(o: FanOutOptions, log: (m: string) => void = () => undefined): Promise<FanOutResults> {
  const { started, results } = await startAndMeasure(
    SUBJECT_ORDER.map((id) => () => startSubject(id, o)),
    o,
    log,
  )
  const result = (id: SubjectId) => results.find((r) => r.id === id)!
  return {
    subjects: { mswoole: result('mswoole'), plain: result('plain'), floor: result('floor'), socketio: result('socketio') },
    mswooleAppJson: started.find((s) => s.appJson !== undefined)?.appJson,
  }
}
