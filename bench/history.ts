/**
 * Room history (bench/scenarios/history.ts reports it), in two parts, on the memory store.
 *
 *   Broadcast    the fan-out measurement of bench/fan-out.ts (one room of N idle clients, a
 *                burst and a steady phase of `broadcast` over the control socket) for two
 *                mswoole daemons, up side by side: history off (the default) and history on
 *                (app.json `history` {size: 100, ttl: 300}), where every room envelope carries
 *                its `seq` and the daemon keeps the room's last messages.
 *   Recovery     one daemon with history on and C clients of one room (bench/history-client.ts,
 *                in this process): every client drops off, M messages are broadcast to the
 *                room, and every client comes back and sends @recover with the position it
 *                had; measured from the first reconnect to the last `recovered` answer, each
 *                client's @recover to its answer, and the daemon's CPU, with every replay
 *                checked (exactly the M messages, in order). A round that reconnects the same
 *                clients without @recover (and with nothing missed) gives the CPU and time of
 *                the reconnects alone, so the replay's own share can be told apart.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  FULL as FAN_OUT_FULL,
  MSWOOLE_SETTING,
  QUICK as FAN_OUT_QUICK,
  startAndMeasure,
  type FanOutOptions,
  type LiveSubject,
  type SubjectResult,
} from './fan-out.js'
import { HistoryClient, until, type ReconnectFigures } from './history-client.js'
import { BENCH_ROOM, mswooleTrigger, type MswooleTrigger } from './lib/broadcast-trigger.js'
import { CpuMeter, processCpuSeconds, waitForQuiet, type CpuFigures } from './lib/cpu.js'
import { startMswoole, type MswooleTarget } from './lib/mswoole-target.js'
import { QUIET_OTHER_CORES } from './scenarios/request-reply.js'
import { IpcClient } from '../src/ipc/client.js'

export interface RecoveryOptions {
  /** Clients of the room that drop off and come back. */
  clients: number
  /** Messages broadcast to the room while they are away: each client recovers all of them. */
  messages: number
  /** Recovery rounds (each after a reconnect-only round); the median by total time is reported. */
  rounds: number
  /** Upgrades in flight at once while the clients come back. */
  connectConcurrency: number
  /** Seconds to wait after the last upgrade for the last `recovered` answer. */
  answerSeconds: number
  /** A first round of each kind, left out of the medians, so the measured ones run warm. */
  warmup: boolean
}

export interface HistoryOptions {
  fanOut: FanOutOptions
  recovery: RecoveryOptions
}

/** app.json `history` of the daemons with history on: the room's last 100 messages, for 5 minutes. */
export const HISTORY_ON = { size: 100, ttl: 300 }

// The broadcast part is fan-out's, but for its quiet wait: two subjects in eight sessions keep this scenario near two minutes.
export const FULL: HistoryOptions = {
  fanOut: { ...FAN_OUT_FULL, quietMaxWait: 5 },
  recovery: { clients: 1_000, messages: 100, rounds: 3, connectConcurrency: 100, answerSeconds: 30, warmup: true },
}
export const QUICK: HistoryOptions = {
  fanOut: { ...FAN_OUT_QUICK, quietMaxWait: 1 },
  recovery: { clients: 500, messages: 100, rounds: 1, connectConcurrency: 100, answerSeconds: 15, warmup: false },
}

export type HistorySubjectId = 'off' | 'on'
export const HISTORY_LABELS: Record<HistorySubjectId, string> = { off: 'history off', on: 'history on' }

/** One reconnect of every client, with the daemon's CPU over it. */
export interface ReconnectRound {
  figures: ReconnectFigures
  cpu: CpuFigures | null
  /** The daemon's CPU over the round, in ms (/proc counts it in 10 ms ticks). */
  serverCpuMs: number | null
  /** Other work on the machine (cores) just before the round. */
  otherCoresBefore: number | null
}

export interface RecoveryRound extends ReconnectRound {
  round: number
  /** The position every client had when it dropped off: the offset it recovers from. */
  fromOffset: number
  /** Sockets the M broadcasts were written to: 0 once every client is gone. */
  deliveredWhileAway: number
}

export interface RecoveryResult {
  /** The warmup's recovery, and the reconnect-only round before it, when there is a warmup; its checks count. */
  warmup: RecoveryRound | undefined
  warmupReconnectOnly: ReconnectRound | undefined
  recovery: RecoveryRound[]
  /** The same clients reconnected without @recover, nothing missed: what the reconnects alone cost. */
  reconnectOnly: ReconnectRound[]
  /** The recovery round with the median total time. */
  median: RecoveryRound
  /** Connects of the first opening (not measured). */
  opened: number
  disconnected: number
  otherFrames: number
  /** Room messages that came live to a client while it was being recovered (none are sent then). */
  liveDuringRecovery: number
  appJson: Record<string, unknown>
  command: string
}

export interface HistoryResults {
  subjects: Record<HistorySubjectId, SubjectResult>
  appJson: Record<HistorySubjectId, Record<string, unknown> | undefined>
  recovery: RecoveryResult
}

async function startSubject(id: HistorySubjectId, o: FanOutOptions): Promise<LiveSubject & { appJson: Record<string, unknown> }> {
  // History off is the default: its app.json has no `history` key at all.
  const target = await startMswoole({
    tokens: o.connections,
    setting: MSWOOLE_SETTING,
    ...(id === 'on' ? { extra: { history: HISTORY_ON } } : {}),
  })
  try {
    const trigger = await mswooleTrigger(target.socket)
    const label = HISTORY_LABELS[id]
    return {
      id,
      label,
      command: target.command(['start']),
      url: target.url,
      protocol: 'ws',
      nodes: [{ label, pid: target.pid, port: target.port, trigger }],
      appJson: target.appJson,
      stop: () => target.stop(),
    }
  } catch (err) {
    await target.stop()
    throw err
  }
}

/** Until the daemon holds no client connection, at most 10 s. */
async function waitForNoConnections(ipc: IpcClient): Promise<void> {
  let left = -1
  const gone = await until(async () => {
    left = (await ipc.call('status', {})).connections
    return left === 0
  }, 10_000)
  if (!gone) throw new Error(`the daemon still holds ${left} connections 10 s after the clients dropped off`)
}

/** Every client in the room and at one position: probes broadcast until each reaches them all, and the last one read by all. */
async function settle(client: HistoryClient, trigger: MswooleTrigger, clients: number): Promise<void> {
  const deadline = performance.now() + 10_000
  for (let probe = 1; ; probe++) {
    const written = await trigger.broadcast({ probe })
    if (written >= clients) {
      if (!(await until(() => client.allGot((p) => (p as { probe?: unknown } | undefined)?.probe === probe), 10_000)))
        throw new Error(`a client did not get probe ${probe} within 10 s`)
      return
    }
    if (performance.now() > deadline) throw new Error(`the room holds ${written} of the ${clients} clients connected`)
    await sleep(200)
  }
}

async function measured(pid: number, quietMaxWait: number, run: () => Promise<ReconnectFigures>, replies: (f: ReconnectFigures) => number) {
  const otherCoresBefore = await waitForQuiet(QUIET_OTHER_CORES, quietMaxWait, [pid])
  const meter = new CpuMeter(pid)
  const before = processCpuSeconds(pid)
  meter.start()
  const figures = await run()
  const cpu = meter.stop(replies(figures))
  const after = processCpuSeconds(pid)
  return {
    figures,
    cpu,
    otherCoresBefore,
    serverCpuMs: before === undefined || after === undefined ? null : Math.round((after - before) * 1000),
  }
}

function briefRound(r: ReconnectRound): string {
  const f = r.figures
  const cpu =
    r.cpu === null
      ? ''
      : `, server ${r.serverCpuMs} ms CPU (${r.cpu.serverCores} cores), client ${r.cpu.clientCores} cores, other work ${r.cpu.otherCores} cores`
  return `${f.opened}/${f.clients} reconnected in ${f.connectSeconds}s, done in ${f.seconds}s${cpu}`
}

/** The recovery's daemon: history on, keeping at least the messages a round misses. */
export function startRecoveryTarget(o: RecoveryOptions): Promise<MswooleTarget> {
  const history = { ...HISTORY_ON, size: Math.max(HISTORY_ON.size, o.messages) }
  return startMswoole({ tokens: o.clients, setting: MSWOOLE_SETTING, extra: { history } })
}

/**
 * The recovery part, on a daemon of startRecoveryTarget (the caller stops it): `clients` clients
 * in its room; per round, every client drops off and comes back without @recover (nothing
 * missed), then drops off again, `messages` messages go to the room, and every client comes
 * back and recovers them.
 */
export async function measureRecovery(
  target: MswooleTarget,
  o: RecoveryOptions,
  quietMaxWait: number,
  log: (m: string) => void,
): Promise<RecoveryResult> {
  let trigger: MswooleTrigger | undefined
  let ipc: IpcClient | undefined
  let client: HistoryClient | undefined
  try {
    trigger = await mswooleTrigger(target.socket)
    ipc = await IpcClient.connect(target.socket, 5000)
    const opened = await HistoryClient.open({
      url: target.url,
      connections: o.clients,
      room: BENCH_ROOM,
      connectConcurrency: o.connectConcurrency,
      sourceAddresses: 4,
      firstSource: 40,
    })
    client = opened.client
    const first = opened.figures
    log(
      `recovery: ${first.opened}/${first.clients} clients open in ${first.connectSeconds}s${first.failed > 0 ? ` (${first.failed} failed: ${first.failures.join('; ')})` : ''}`,
    )
    if (first.opened < o.clients) throw new Error(`only ${first.opened} of ${o.clients} clients connected: ${first.failures.join('; ')}`)
    await settle(client, trigger, o.clients)
    let warmup: RecoveryRound | undefined
    let warmupReconnectOnly: ReconnectRound | undefined
    const recovery: RecoveryRound[] = []
    const reconnectOnly: ReconnectRound[] = []
    const answerMs = o.answerSeconds * 1000
    // Round 0 is the warmup: measured as the others, reported apart.
    for (let r = o.warmup ? 0 : 1; r <= o.rounds; r++) {
      const name = r === 0 ? 'warmup' : `round ${r}/${o.rounds}`
      // The reconnects alone: nothing missed, no @recover.
      client.disconnect()
      await waitForNoConnections(ipc)
      const c = client
      const quiet = r === 0 ? 0 : quietMaxWait
      const only = await measured(
        target.pid,
        quiet,
        () => c.reconnect(undefined, answerMs),
        (f) => f.opened,
      )
      if (r === 0) warmupReconnectOnly = only
      else reconnectOnly.push(only)
      log(`  ${name}, reconnect only: ${briefRound(only)}`)
      if (only.figures.opened < o.clients)
        throw new Error(`only ${only.figures.opened} of ${o.clients} clients reconnected: ${only.figures.failures.join('; ')}`)
      const positions = client.positions()
      if (positions.size !== 1) throw new Error(`the clients hold ${positions.size} positions before round ${r}, not one`)
      const fromOffset = Number([...positions.keys()][0]!.split(':').at(-1))
      // Away: every client gone, then the messages they will miss.
      client.disconnect()
      await waitForNoConnections(ipc)
      const t = trigger
      const written = await Promise.all(Array.from({ length: o.messages }, (_, i) => t.broadcast({ round: r, n: i + 1 })))
      const deliveredWhileAway = written.reduce((n, w) => n + w, 0)
      const back = await measured(
        target.pid,
        quiet,
        () => c.reconnect({ round: r, count: o.messages }, answerMs),
        (f) => f.replayed,
      )
      const result: RecoveryRound = { ...back, round: r, fromOffset, deliveredWhileAway }
      if (r === 0) warmup = result
      else recovery.push(result)
      const f = back.figures
      log(
        `  ${name}, recovery of ${o.messages} from offset ${fromOffset}: ${briefRound(back)}; @recover → recovered p50 ${f.latency.p50} ms, p99 ${f.latency.p99} ms; ${f.complete}/${f.clients} complete, ${f.missingMessages} missing, ${f.wrongMessages} wrong${f.faults.length > 0 ? ` (${f.faults.slice(0, 2).join('; ')})` : ''}`,
      )
    }
    const sorted = [...recovery].sort((a, b) => a.figures.seconds - b.figures.seconds)
    return {
      warmup,
      warmupReconnectOnly,
      recovery,
      reconnectOnly,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      opened: first.opened,
      disconnected: client.disconnected,
      otherFrames: client.otherFrames,
      liveDuringRecovery: client.liveDuringRecovery,
      appJson: target.appJson,
      command: target.command(['start']),
    }
  } finally {
    client?.disconnect()
    trigger?.close()
    ipc?.close()
  }
}

/** Both parts: the broadcast with history off and on, then the recovery. */
export async function measureHistory(o: HistoryOptions, log: (m: string) => void = () => undefined): Promise<HistoryResults> {
  const ids: HistorySubjectId[] = ['off', 'on']
  // The recovery's daemon starts beside the other two (it idles, holding no client, until its part).
  const starting = startRecoveryTarget(o.recovery)
  let target: MswooleTarget | undefined
  try {
    const [measuredSubjects, started] = await Promise.allSettled([
      startAndMeasure(
        ids.map((id) => () => startSubject(id, o.fanOut)),
        o.fanOut,
        log,
      ),
      starting,
    ])
    if (started.status === 'fulfilled') target = started.value
    if (measuredSubjects.status === 'rejected') throw measuredSubjects.reason
    if (started.status === 'rejected') throw started.reason
    const { started: subjects, results } = measuredSubjects.value
    const result = (id: HistorySubjectId) => results.find((r) => r.id === id)!
    const appJson = (id: HistorySubjectId) => subjects.find((s) => s.id === id)?.appJson
    const recovery = await measureRecovery(started.value, o.recovery, o.fanOut.quietMaxWait, log)
    return {
      subjects: { off: result('off'), on: result('on') },
      appJson: { off: appJson('off'), on: appJson('on') },
      recovery,
    }
  } finally {
    await target?.stop()
  }
}
