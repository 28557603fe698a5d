/**
 * Room history, measured by bench/history.ts on the memory store: what history on adds to a
 * broadcast (the fan-out measurement with history off and on), and what a recovery costs
 * (C clients that drop off, miss M messages, come back and send @recover). Here: the
 * comparisons with their target, the checks, the tables and the notes.
 *
 * Target: with history on, the daemon's CPU per delivery in the burst at most 1.2× history off's.
 * The recovery's time and CPU are reported with no target; every replay is checked.
 */
import {
  FULL,
  HISTORY_LABELS,
  HISTORY_ON,
  measureHistory,
  QUICK,
  type HistoryOptions,
  type HistoryResults,
  type ReconnectRound,
  type RecoveryResult,
  type RecoveryRound,
} from '../history.js'
import { MSWOOLE_SETTING, type PhaseResult, type SubjectResult } from '../fan-out.js'
import { REPO_ROOT } from '../lib/paths.js'
import type { Check, Comparison, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'
import { comparer, phases, phaseTables, troubleNotes } from './fan-out.js'

/** The target: history on's burst CPU per delivery against history off's, at most. */
const TARGET_RATIO = 1.2

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
const x = (v: number) => `${v.toFixed(2)}×`
const dash = (v: number | null | undefined) => v ?? '—'
const ms = (v: number) => v.toFixed(1)
const r2 = (v: number) => Math.round(v * 100) / 100
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

const compare = comparer('on')

/** Server CPU per delivery over every burst round together: /proc counts CPU in 10 ms ticks, which one short round feels. */
function burstCost(s: SubjectResult): { micros: number; deliveries: number; cpuMs: number } | null {
  let deliveries = 0
  let micros = 0
  for (const p of s.rounds) {
    if (p.serverMicrosPerDelivery === null) return null
    deliveries += p.received
    micros += p.serverMicrosPerDelivery * p.received
  }
  return deliveries === 0 ? null : { micros: r2(micros / deliveries), deliveries, cpuMs: Math.round(micros / 1000) }
}

function costRow(s: SubjectResult): Array<string | number> {
  const c = burstCost(s)
  return [
    s.label,
    s.rounds.length,
    c === null ? '—' : c.deliveries,
    c === null ? '—' : c.cpuMs,
    c === null ? '—' : c.micros,
    s.rounds.map((p: PhaseResult) => dash(p.serverMicrosPerDelivery)).join(', '),
    dash(s.steady.serverMicrosPerDelivery),
  ]
}

/** Every recovery round's checks, the warmup's included. */
function allRecoveries(r: RecoveryResult): RecoveryRound[] {
  return r.warmup === undefined ? r.recovery : [r.warmup, ...r.recovery]
}

function recoveryRow(label: string, kind: string, round: ReconnectRound): Array<string | number> {
  const f = round.figures
  const recovered = kind === '@recover'
  const c = round.cpu
  return [
    label,
    kind,
    `${int.format(f.opened)} of ${int.format(f.clients)}`,
    f.connectSeconds,
    recovered ? f.seconds : '—',
    recovered ? ms(f.latency.p50) : '—',
    recovered ? ms(f.latency.p99) : '—',
    recovered ? ms(f.latency.max) : '—',
    dash(round.serverCpuMs),
    dash(c?.serverCores),
    dash(c?.clientCores),
    dash(c?.otherCores),
    recovered ? f.complete : '—',
    recovered ? f.missingMessages : '—',
    recovered ? f.wrongMessages : '—',
  ]
}

/**
 * The replay's own share of a recovery: in each round, the recovery's CPU less that of the
 * reconnect-only round just before it; the median of those.
 */
function replayShare(r: RecoveryResult, messages: number): { each: number[]; cpuMs: number; microsPerMessage: number } | undefined {
  const each: number[] = []
  for (const [i, x] of r.recovery.entries()) {
    const only = r.reconnectOnly[i]?.serverCpuMs
    if (x.serverCpuMs === null || only === undefined || only === null) return undefined
    each.push(x.serverCpuMs - only)
  }
  if (each.length === 0) return undefined
  const cpuMs = median(each)
  return { each, cpuMs, microsPerMessage: r2((cpuMs * 1000) / messages) }
}

export function historyResult(o: HistoryOptions, { subjects: s, appJson, recovery: rec }: HistoryResults): ScenarioResult {
  const f = o.fanOut
  const ro = o.recovery
  const off = s.off
  const on = s.on
  const n = int.format(f.connections)
  const costOff = burstCost(off)
  const costOn = burstCost(on)
  const cost = costOff === null || costOn === null ? undefined : ratio(costOn.micros, costOff.micros)
  const met = cost !== undefined && cost <= TARGET_RATIO

  const comparisons: Comparison[] = []
  if (costOff !== null && costOn !== null) {
    comparisons.push(
      compare('burst server CPU per delivery', 'µs', false, 'off', costOn.micros, costOff.micros, {
        text: `≤ ${TARGET_RATIO.toFixed(2)}× history off`,
        met,
      }),
    )
  }
  comparisons.push(
    compare('burst deliveries/s', 'deliveries/s', true, 'off', on.median.deliveriesPerSecond, off.median.deliveriesPerSecond),
  )
  if (on.steady.serverMicrosPerDelivery !== null && off.steady.serverMicrosPerDelivery !== null) {
    comparisons.push(
      compare(
        `server CPU per delivery at ${f.rate}/s`,
        'µs',
        false,
        'off',
        on.steady.serverMicrosPerDelivery,
        off.steady.serverMicrosPerDelivery,
      ),
    )
  }
  comparisons.push(compare(`p99 latency at ${f.rate}/s`, 'ms', false, 'off', on.steady.latency.p99, off.steady.latency.p99))

  const lost = (x: SubjectResult) => phases(x).reduce((k, ph) => k + ph.missing, 0)
  const owed = (x: SubjectResult) => phases(x).reduce((k, ph) => k + ph.expected, 0)
  const recoveries = allRecoveries(rec)
  const asked = recoveries.length * ro.clients
  const incomplete = recoveries.reduce((k, r) => k + r.figures.incomplete, 0)
  const missing = recoveries.reduce((k, r) => k + r.figures.missingMessages, 0)
  const wrong = recoveries.reduce((k, r) => k + r.figures.wrongMessages, 0)
  const disconnected = off.disconnected + on.disconnected + rec.disconnected
  const checks: Check[] = [
    { metric: 'deliveries lost, history off', value: lost(off), unit: `of ${int.format(owed(off))}`, target: '= 0', met: lost(off) === 0 },
    { metric: 'deliveries lost, history on', value: lost(on), unit: `of ${int.format(owed(on))}`, target: '= 0', met: lost(on) === 0 },
    {
      metric: `recoveries without exactly the ${ro.messages} messages in order`,
      value: incomplete,
      unit: `of ${int.format(asked)}`,
      target: '= 0',
      met: incomplete === 0,
    },
    {
      metric: 'recovered messages missing',
      value: missing,
      unit: `of ${int.format(asked * ro.messages)}`,
      target: '= 0',
      met: missing === 0,
    },
    {
      metric: 'replayed messages out of order, repeated or not the ones missed',
      value: wrong,
      unit: `of ${int.format(recoveries.reduce((k, r) => k + r.figures.replayed + r.figures.wrongMessages, 0))}`,
      target: '= 0',
      met: wrong === 0,
    },
    {
      metric: 'clients disconnected by the server',
      value: disconnected,
      unit: `of ${int.format(off.connect.opened + on.connect.opened + ro.clients)}`,
      target: '= 0',
      met: disconnected === 0,
    },
  ]

  const m = rec.median
  const mf = m.figures
  const recoveredAll = incomplete === 0
  const costWords =
    costOff === null || costOn === null || cost === undefined
      ? 'server CPU could not be read (no /proc), so the target is not judged.'
      : `with history on, a broadcast costs the daemon ${costOn.micros} µs of CPU per delivery in the burst against ${costOff.micros} µs with history off, ${x(cost)}; the target is ≤ ${x(TARGET_RATIO)}` +
        (met ? '.' : ` (${r2(TARGET_RATIO * costOff.micros)} µs), ${r2(costOn.micros - TARGET_RATIO * costOff.micros)} µs over.`)
  const verdict =
    `${cost === undefined ? 'Target not judged' : met ? 'Target met' : 'Target missed'}: ${costWords} ` +
    `Burst deliveries/s across ${n} sockets: history on ${int.format(on.median.deliveriesPerSecond)}, off ${int.format(off.median.deliveriesPerSecond)}; at a steady ${f.rate} broadcasts/s, p99 delivery latency ${ms(on.steady.latency.p99)} ms on, ${ms(off.steady.latency.p99)} ms off. ` +
    `Recovery: ${int.format(ro.clients)} clients that missed ${ro.messages} messages came back and recovered them in ${mf.seconds} s from the first reconnect to the last \`recovered\` (median of ${rec.recovery.length} round(s)), ` +
    `@recover → recovered p50 ${ms(mf.latency.p50)} ms, p99 ${ms(mf.latency.p99)} ms, ${dash(m.serverCpuMs)} ms of daemon CPU; ` +
    (recoveredAll
      ? `every client got exactly the ${ro.messages} messages, in order, in every round.`
      : `${int.format(incomplete)} of ${int.format(asked)} recoveries did not get exactly the ${ro.messages} messages in order (${int.format(missing)} messages missing, ${int.format(wrong)} wrong).`)

  const notes: string[] = []
  if (costOff !== null && costOn !== null) {
    notes.push(
      `Server CPU per delivery is taken over all ${f.rounds} burst round(s) together (${int.format(costOn.deliveries)} deliveries with history on, ${int.format(costOff.deliveries)} off): /proc counts CPU in 10 ms ticks, and one round's figure moves by a tick. ` +
        `In the median burst the daemon made ${dash(on.median.deliveriesPerWrite)} deliveries per write system call with history on and ${dash(off.median.deliveriesPerWrite)} off. ` +
        "What history on adds, per broadcast: the envelope's `seq` appended and the frame built once, and the message kept in the room's history (one array push; the oldest dropped past `size`); per delivery: the connection's position in the room checked and recorded, so a replay and a live send never deliver a message twice.",
    )
    const fewest = Math.min(costOff.cpuMs, costOn.cpuMs)
    if (fewest < 500) {
      notes.push(
        `The burst figures rest on ${costOff.cpuMs} ms (history off) and ${costOn.cpuMs} ms (on) of daemon CPU, ${Math.round(costOff.cpuMs / 10)} and ${Math.round(costOn.cpuMs / 10)} ticks of 10 ms: too few for the ratio to say much. The full run's bursts are larger.`,
      )
    }
  }
  notes.push(
    `At a steady ${f.rate} broadcasts/s, server CPU per delivery: ${dash(on.steady.serverMicrosPerDelivery)} µs with history on, ${dash(off.steady.serverMicrosPerDelivery)} µs off, at ${dash(on.steady.deliveriesPerWrite)} and ${dash(off.steady.deliveriesPerWrite)} deliveries per write. A daemon that keeps up writes each broadcast on its own (1 per write); one that falls behind finds several waiting and writes them to a socket in one writev, which costs less per delivery: compare the two at the same deliveries per write.`,
  )
  const share = replayShare(rec, ro.clients * ro.messages)
  const onlyMedian = median(rec.reconnectOnly.map((r) => r.figures.connectSeconds))
  const onlyCpu = rec.reconnectOnly.every((r) => r.serverCpuMs !== null)
    ? median(rec.reconnectOnly.map((r) => r.serverCpuMs as number))
    : undefined
  notes.push(
    `The recovery's clients (bench/history-client.ts: plain TCP sockets, as the fan-out client, each text frame parsed so its position and content can be checked) run in the driver's process and reconnect ${ro.connectConcurrency} upgrades at a time; each sends @recover the moment its upgrade is answered, so the first clients recover while the last ones connect. ` +
      `Reconnecting the same ${int.format(ro.clients)} clients with nothing missed and no @recover took ${onlyMedian} s and ${dash(onlyCpu)} ms of daemon CPU (median of ${rec.reconnectOnly.length}), against ${mf.seconds} s and ${dash(m.serverCpuMs)} ms for the median recovery: the reconnects (TCP, upgrade, token check, room join) are part of every recovery's figures. ` +
      (share === undefined
        ? ''
        : share.cpuMs > 0
          ? `The replay's own share, each round's recovery CPU less that of the reconnect before it (${share.each.join(', ')} ms): about ${int.format(share.cpuMs)} ms for ${int.format(ro.clients * ro.messages)} messages (median), ${share.microsPerMessage} µs per message recovered, a rough figure made of 10 ms-tick readings. `
          : `Each round's recovery CPU less that of the reconnect before it (${share.each.join(', ')} ms) is no more than the noise of these readings. `) +
      "The daemon answers @recover itself (it never reaches a worker): it reads the room's history after the client's offset and writes each message with its seq, building each message's frame for that client, then `recovered`; a client's replay leaves in one writev.",
  )
  const wu = rec.warmup
  notes.push(
    (wu === undefined
      ? 'No warmup round (a quick run): the measured round runs cold. '
      : `Before the measured rounds, a warmup round of each kind, left out of the medians (its figures in the table, its checks counted): ${wu.figures.seconds} s to the last \`recovered\`, ${dash(wu.serverCpuMs)} ms of daemon CPU. `) +
      `Every round starts with every client at one position (offset ${rec.recovery.map((r) => r.fromOffset).join(', ')}); the ${ro.messages} broadcasts of a round go out once the daemon holds no client connection` +
      (recoveries.every((r) => r.deliveredWhileAway === 0)
        ? ', and were written to no socket.'
        : `, yet were written to ${recoveries.map((r) => r.deliveredWhileAway).join(', ')} sockets (a client still in the room as they went).`),
  )
  notes.push(...troubleNotes([off, on]))
  if (rec.disconnected > 0 || rec.otherFrames > 0 || rec.liveDuringRecovery > 0) {
    notes.push(
      `Recovery clients: ${rec.disconnected} disconnected by the server, ${rec.otherFrames} frames that were neither a room message nor a \`recovered\` answer, ${rec.liveDuringRecovery} room messages that arrived outside a replay while a recovery ran.`,
    )
  }
  const faults = recoveries.flatMap((r) => r.figures.faults).slice(0, 3)
  if (faults.length > 0) notes.push(`First faults seen in the replays: ${faults.join('; ')}.`)
  const noisy = Math.max(0, ...recoveries.map((r) => r.cpu?.otherCores ?? 0), ...rec.reconnectOnly.map((r) => r.cpu?.otherCores ?? 0))
  if (noisy > 0.3) {
    notes.push(
      `In the recovery, other work took up to ${noisy} cores during a round (column "other cores"): its times are disturbed, the daemon's CPU much less so.`,
    )
  }
  const config = (id: 'off' | 'on') => {
    const json = appJson[id]
    return json === undefined ? '' : ` ${HISTORY_LABELS[id]}: \`${JSON.stringify(json).replaceAll(REPO_ROOT, '<repo>')}\`.`
  }
  notes.push(
    `Every daemon runs with setting.heartbeat_idle_time raised to ${MSWOOLE_SETTING.heartbeat_idle_time} s (the bench clients never send; the default 60 s idle guard would close them mid-run); history off has no \`history\` key (the default, size 0); history on has \`"history":${JSON.stringify(HISTORY_ON)}\`, and so has the recovery's daemon (its size at least the messages a round misses). The broadcast daemons' config/app.json:` +
      config('off') +
      config('on') +
      ` Started as \`${rec.command}\`, each in a folder of its own.`,
  )

  const costTable: Table = {
    caption: `Server CPU per delivery over every burst round together (the target's figure), each round's, and the steady phase's.`,
    columns: [
      'subject',
      'burst rounds',
      'deliveries',
      'server CPU ms',
      'µs/delivery',
      'each round µs/delivery',
      `steady ${f.rate}/s µs/delivery`,
    ],
    numeric: [false, true, true, true, true, false, true],
    rows: [off, on].map(costRow),
  }
  const recoveryTable: Table = {
    caption:
      `Recovery: ${int.format(ro.clients)} clients of one room (history on, size ${Math.max(HISTORY_ON.size, ro.messages)}) drop off at once; ${ro.messages} messages are broadcast to the room; the clients come back, each sending @recover with the position it had. ` +
      'Per round, first a reconnect with nothing missed and no @recover ("reconnect only"), then the recovery. "reconnect s": the first connect to the last upgrade; "to last recovered s": the first connect to the last `recovered` answer; latency: a client\'s @recover to its `recovered`; "in full": clients that got exactly the missed messages, in order, then `recovered: true`.',
    columns: [
      'round',
      'clients send',
      'reconnected',
      'reconnect s',
      'to last recovered s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'server CPU ms',
      'server cores',
      'client cores',
      'other cores',
      'in full',
      'missing',
      'wrong',
    ],
    numeric: [false, false, true, true, true, true, true, true, true, true, true, true, true, true, true],
    rows: [
      ...(rec.warmupReconnectOnly === undefined ? [] : [recoveryRow('warmup', 'reconnect only', rec.warmupReconnectOnly)]),
      ...(rec.warmup === undefined ? [] : [recoveryRow('warmup', '@recover', rec.warmup)]),
      ...rec.recovery.flatMap((r, i) => [
        ...(rec.reconnectOnly[i] === undefined ? [] : [recoveryRow(`${i + 1}`, 'reconnect only', rec.reconnectOnly[i]!)]),
        recoveryRow(`${i + 1}`, '@recover', r),
      ]),
    ],
  }

  return {
    name: 'history',
    title: 'Room history: broadcast cost and recovery',
    description:
      `Room history (app.json \`history\`, docs/history.md) on the memory store, in two parts. ` +
      `Broadcast: ${n} idle WebSocket clients in one room and broadcasts to that room, measured exactly as the fan-out scenario measures mswoole (its \`broadcast\` control method over the control socket; the same client in the driver's process; a burst of ${f.burst} broadcasts at once, ${f.rounds} round(s) after a warmup, then ${f.rate} broadcasts/s for ${f.seconds} s), ` +
      `for two daemons up side by side: history off (the default) and history on (\`${JSON.stringify(HISTORY_ON)}\`), where every room envelope carries \`"seq":{"room","epoch","offset"}\` as its last key and the daemon keeps the room's last ${HISTORY_ON.size} messages; each round opens one daemon's sockets, measures and closes them, in an order that turns every round. ` +
      `Recovery: a third daemon with history on and ${int.format(ro.clients)} clients in one room, each holding the position of the last message it got; all drop off, ${ro.messages} messages are broadcast to the room, and all come back, each sending \`{"method":"@recover","room","epoch","offset"}\` with its position; measured from the first reconnect to the last \`recovered\` answer and from each client's @recover to its answer, with the daemon's CPU, and every replay checked: exactly the ${ro.messages} messages, in order, at consecutive offsets. ${rec.recovery.length} round(s)${rec.warmup === undefined ? '' : ' after a warmup'}, each after a round that reconnects the same clients with nothing missed, for the reconnects' own cost. ` +
      `Server CPU is the daemon process over each phase, from /proc. Target: with history on, the burst's server CPU per delivery at most ${x(TARGET_RATIO)} history off's; the recovery has no target, its checks must hold.`,
    params: { ...o, historyOn: HISTORY_ON, appJson, subjects: [off, on], recovery: rec },
    subjects: [],
    labels: { ...HISTORY_LABELS },
    comparisons,
    checks,
    tables: [...phaseTables(f, [off, on]), costTable, recoveryTable],
    verdict,
    notes,
  }
}

export const history: Scenario = {
  name: 'history',
  title: 'Room history: broadcast cost and recovery',
  run: async (ctx: ScenarioContext) => {
    const o = ctx.quick ? QUICK : FULL
    return historyResult(o, await measureHistory(o, ctx.log))
  },
}
