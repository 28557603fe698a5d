/**
 * Broadcast fan-out: broadcasts to one room of N idle WebSocket clients, from mswoole, from a
 * plain `ws` loop, from the raw-frame floor and from Socket.IO 4 with its Redis adapter,
 * measured by bench/fan-out.ts: deliveries/s for a burst of broadcasts at once, and delivery
 * latency at a steady rate. Here: the comparisons with their target, the tables, and the notes
 * on what limits the figures on this machine.
 *
 * Target: mswoole's burst deliveries/s at least twice the plain loop's. Socket.IO is compared, with no target.
 */
import { REPO_ROOT } from '../lib/paths.js'
import {
  FULL,
  LABELS,
  measureFanOut,
  MSWOOLE_SETTING,
  QUICK,
  type FanOutOptions,
  type FanOutResults,
  type PhaseResult,
  type SubjectId,
  type SubjectResult,
} from '../fan-out.js'
import type { Check, Comparison, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'

/** The target: mswoole's burst deliveries/s against the plain ws loop's. */
const TARGET_RATIO = 2

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
const x = (v: number) => `${v.toFixed(2)}×`
const dash = (v: number | null | undefined) => v ?? '—'
const perCore = (micros: number | null) => (micros === null || micros === 0 ? '—' : int.format(1e6 / micros))
const ms = (v: number) => v.toFixed(1)

/** Comparisons of `subject` with the other subjects. */
export function comparer(subject: string) {
  return (
    metric: string,
    unit: string,
    higherIsBetter: boolean,
    baseline: string,
    value: number,
    baselineValue: number,
    target?: { text: string; met: boolean },
  ): Comparison => ({
    metric,
    unit,
    higherIsBetter,
    subject,
    baseline,
    value,
    baselineValue,
    ratio: ratio(value, baselineValue),
    ...(target === undefined ? {} : { target: target.text, met: target.met }),
  })
}

const compare = comparer('mswoole')

export function phases(s: SubjectResult): PhaseResult[] {
  return [s.warmup, ...s.rounds, s.steady]
}

/** Columns both phase tables have, with their cells. */
const LATENCY_COLUMNS = ['p50 ms', 'p99 ms', 'max ms']
const CPU_COLUMNS = [
  'server µs/delivery',
  'deliveries/write',
  'server cores',
  'client µs/delivery',
  'client cores',
  'irq cores',
  'other cores',
]

function phaseCells(p: PhaseResult): Array<string | number> {
  const c = p.cpu
  return [
    ms(p.latency.p50),
    ms(p.latency.p99),
    ms(p.latency.max),
    dash(p.serverMicrosPerDelivery),
    dash(p.deliveriesPerWrite),
    dash(c?.serverCores),
    dash(p.clientMicrosPerDelivery),
    dash(c?.clientCores),
    dash(c?.irqCores),
    dash(c?.otherCores),
  ]
}

function burstRow(s: SubjectResult): Array<string | number> {
  const p = s.median
  return [
    s.label,
    p.deliveriesPerSecond,
    p.seconds,
    p.missing,
    ...phaseCells(p),
    s.rounds.map((r) => int.format(r.deliveriesPerSecond)).join(', '),
  ]
}

function steadyRow(s: SubjectResult): Array<string | number> {
  const p = s.steady
  return [s.label, p.broadcasts, p.achievedRate, p.received, p.missing, ...phaseCells(p)]
}

function lossRow(s: SubjectResult): Array<string | number> {
  const all = phases(s)
  return [
    s.label,
    s.connect.asked,
    s.connect.sessions,
    s.connect.opened,
    s.connect.failed,
    s.connect.seconds,
    s.disconnected,
    all.reduce((n, p) => n + p.missing, 0),
    all.reduce((n, p) => n + p.failedRequests, 0),
    s.otherFrames,
  ]
}

/** The burst table (median round of each subject), the steady table, and the table of connections and losses. */
export function phaseTables(o: FanOutOptions, subjects: SubjectResult[]): Table[] {
  const n = int.format(o.connections)
  return [
    {
      caption: `Burst: ${o.burst} broadcasts sent at once to ${n} sockets; the median of ${o.rounds} round(s) by deliveries/s (after one warmup burst). "deliveries/write": deliveries per write system call of the server process.`,
      columns: ['subject', 'deliveries/s', 'seconds', 'missing', ...LATENCY_COLUMNS, ...CPU_COLUMNS, 'every round (deliveries/s)'],
      numeric: [false, ...Array<boolean>(13).fill(true), false],
      rows: subjects.map(burstRow),
    },
    {
      caption: `Steady: ${o.rate} broadcasts/s for ${o.seconds} s to ${n} sockets, then up to ${o.drainSeconds} s for the last deliveries. Latency is from the send (the driver's clock) to the client's read of the socket, over every delivery.`,
      columns: ['subject', 'broadcasts', 'sent per s', 'deliveries', 'missing', ...LATENCY_COLUMNS, ...CPU_COLUMNS],
      numeric: [false, ...Array<boolean>(14).fill(true)],
      rows: subjects.map(steadyRow),
    },
    {
      caption:
        'Connections and losses over every session and phase (warmup included): "opened" is the fewest a session opened, "connect s" the slowest session\'s connect, "missing" the deliveries owed to an open socket that had not arrived when the phase\'s wait ended.',
      columns: [
        'subject',
        'sockets asked',
        'sessions',
        'opened',
        'failed',
        'connect s',
        'disconnected by server',
        'missing',
        'failed requests',
        'other frames',
      ],
      numeric: [false, true, true, true, true, true, true, true, true, true],
      rows: subjects.map(lossRow),
    },
  ]
}

/** Notes on a subject's losses and errors, and on other work that disturbed a phase; none when there are none. */
export function troubleNotes(subjects: SubjectResult[]): string[] {
  const notes: string[] = []
  for (const s of subjects) {
    const missing = phases(s).reduce((k, ph) => k + ph.missing, 0)
    const errors = phases(s).flatMap((ph) => ph.errors)
    if (missing > 0 || s.disconnected > 0 || s.connect.failed > 0 || errors.length > 0) {
      notes.push(
        `${s.label}: ${missing} deliveries missing, ${s.disconnected} clients disconnected by the server, ${s.connect.failed} connects failed${errors.length > 0 ? `; errors: ${errors.slice(0, 3).join('; ')}` : ''}${s.connect.failures.length > 0 ? `; connect failures: ${s.connect.failures.slice(0, 3).join('; ')}` : ''}.`,
      )
    }
  }
  const noisiest = Math.max(...subjects.flatMap((s) => phases(s).map((ph) => ph.cpu?.otherCores ?? 0)))
  if (noisiest > 0.3) {
    notes.push(
      `Other work on the machine took up to ${noisiest} cores during a measured phase (column "other cores"); deliveries/s and latency of that phase are disturbed, CPU per delivery much less so.`,
    )
  }
  return notes
}

export function fanOutResult(o: FanOutOptions, { subjects: r, mswooleAppJson }: FanOutResults): ScenarioResult {
  const m = r.mswoole.median
  const p = r.plain.median
  const f = r.floor.median
  const sio = r.socketio.median
  const vsPlain = ratio(m.deliveriesPerSecond, p.deliveriesPerSecond)
  const met = vsPlain >= TARGET_RATIO
  const needed = TARGET_RATIO * p.deliveriesPerSecond
  const n = int.format(o.connections)

  const comparisons: Comparison[] = [
    compare('burst deliveries/s', 'deliveries/s', true, 'plain', m.deliveriesPerSecond, p.deliveriesPerSecond, {
      text: `≥ ${TARGET_RATIO.toFixed(2)}× the plain ws loop`,
      met,
    }),
    compare('burst deliveries/s', 'deliveries/s', true, 'floor', m.deliveriesPerSecond, f.deliveriesPerSecond),
  ]
  for (const baseline of ['plain', 'floor'] as const) {
    const b = r[baseline].median
    if (m.serverMicrosPerDelivery !== null && b.serverMicrosPerDelivery !== null) {
      comparisons.push(
        compare('burst server CPU per delivery', 'µs', false, baseline, m.serverMicrosPerDelivery, b.serverMicrosPerDelivery),
      )
    }
  }
  for (const baseline of ['plain', 'floor'] as const) {
    comparisons.push(
      compare(`p99 latency at ${o.rate}/s`, 'ms', false, baseline, r.mswoole.steady.latency.p99, r[baseline].steady.latency.p99),
    )
  }
  // What users pick instead: compared, no target.
  comparisons.push(compare('burst deliveries/s', 'deliveries/s', true, 'socketio', m.deliveriesPerSecond, sio.deliveriesPerSecond))
  if (m.serverMicrosPerDelivery !== null && sio.serverMicrosPerDelivery !== null) {
    comparisons.push(
      compare('burst server CPU per delivery', 'µs', false, 'socketio', m.serverMicrosPerDelivery, sio.serverMicrosPerDelivery),
    )
  }
  comparisons.push(
    compare(`p99 latency at ${o.rate}/s`, 'ms', false, 'socketio', r.mswoole.steady.latency.p99, r.socketio.steady.latency.p99),
  )

  const mswooleMissing = phases(r.mswoole).reduce((k, ph) => k + ph.missing, 0)
  const mswooleExpected = phases(r.mswoole).reduce((k, ph) => k + ph.expected, 0)
  const checks: Check[] = [
    {
      metric: 'mswoole deliveries lost',
      value: mswooleMissing,
      unit: `of ${int.format(mswooleExpected)}`,
      target: '= 0',
      met: mswooleMissing === 0,
    },
    {
      metric: 'mswoole clients disconnected',
      value: r.mswoole.disconnected,
      unit: `of ${int.format(r.mswoole.connect.opened)}`,
      target: '= 0',
      met: r.mswoole.disconnected === 0,
    },
  ]

  const p99s = (['mswoole', 'plain', 'floor', 'socketio'] as const)
    .map((id) => `${LABELS[id]} ${ms(r[id].steady.latency.p99)} ms`)
    .join(', ')
  const verdict =
    (met
      ? `Target met: mswoole makes ${int.format(m.deliveriesPerSecond)} deliveries/s at the clients across ${n} sockets, ${x(vsPlain)} the plain ws loop (${int.format(p.deliveriesPerSecond)}/s); the target is ≥ ${x(TARGET_RATIO)}.`
      : `Target missed: mswoole makes ${int.format(m.deliveriesPerSecond)} deliveries/s at the clients across ${n} sockets, ${x(vsPlain)} the plain ws loop (${int.format(p.deliveriesPerSecond)}/s); the target is ≥ ${x(TARGET_RATIO)} (${int.format(needed)}/s), ${int.format(needed - m.deliveriesPerSecond)}/s short.`) +
    ` The raw-frame floor does ${int.format(f.deliveriesPerSecond)}/s (mswoole ${x(ratio(m.deliveriesPerSecond, f.deliveriesPerSecond))}), ${LABELS.socketio} ${int.format(sio.deliveriesPerSecond)}/s (mswoole ${x(ratio(m.deliveriesPerSecond, sio.deliveriesPerSecond))}). At a steady ${o.rate} broadcasts/s, p99 delivery latency: ${p99s}.`

  const notes: string[] = []
  // What one core can do at each subject's CPU cost, and what the target asks of it.
  const cost = (id: SubjectId) => r[id].median.serverMicrosPerDelivery
  const floorCeiling = f.serverMicrosPerDelivery === null ? null : 1e6 / f.serverMicrosPerDelivery
  if (m.serverMicrosPerDelivery !== null && p.serverMicrosPerDelivery !== null && floorCeiling !== null) {
    notes.push(
      `Server CPU per delivery in the burst: mswoole ${cost('mswoole')} µs, plain ws loop ${cost('plain')} µs, raw-frame floor ${cost('floor')} µs; one core at those costs tops out near ${perCore(cost('mswoole'))}, ${perCore(cost('plain'))} and ${perCore(cost('floor'))} deliveries/s. ` +
        `Twice the plain loop is ${int.format(needed)}/s` +
        (needed > floorCeiling
          ? `, past what one core can write one delivery at a time even at the floor's cost (${int.format(floorCeiling)}/s): no loop that makes a write per socket per broadcast can meet the target in one process here; only writing several messages to a socket in one write (or more processes) can.`
          : `, within what one core can write one delivery at a time at the floor's cost (${int.format(floorCeiling)}/s).`) +
        ` mswoole made ${dash(m.deliveriesPerWrite)} deliveries per write system call in the burst (plain loop ${dash(p.deliveriesPerWrite)}, floor ${dash(f.deliveriesPerWrite)}): the broadcasts that reach it in one event-loop turn leave each socket in one writev.`,
    )
  }
  if (m.cpu !== null) {
    notes.push(
      `The clients share the machine's cores: in mswoole's median burst they took ${m.cpu.clientCores} cores at ${dash(m.clientMicrosPerDelivery)} µs of CPU per delivery, loopback TCP ${m.cpu.irqCores} cores of interrupts and the server ${m.cpu.serverCores}; ` +
        `with the plain loop the clients took ${dash(p.cpu?.clientCores)} cores at ${dash(p.clientMicrosPerDelivery)} µs per delivery. ` +
        'Where server, client and interrupts together fill the cores, deliveries/s at the clients says what this machine does, not what the server alone could.',
    )
  }
  const demanded = o.rate * o.connections
  const steadyCost = (['mswoole', 'plain', 'floor', 'socketio'] as const).map((id) => {
    const ph = r[id].steady
    const c = ph.serverMicrosPerDelivery
    return `${LABELS[id]} ${c === null ? '—' : `${c} µs, ${((demanded * c) / 1e6).toFixed(2)} cores at that rate`} (${dash(ph.deliveriesPerWrite)} deliveries/write, p99 ${ms(ph.latency.p99)} ms)`
  })
  notes.push(
    `At ${o.rate} broadcasts/s to ${n} sockets a server must make ${int.format(demanded)} deliveries/s. Each broadcast is sent on its own: a server that keeps up writes every delivery on its own, and one that falls behind finds several broadcasts waiting, which mswoole then writes to each socket in one writev and a per-socket loop cannot. ` +
      `Server CPU per delivery in the steady phase: ${steadyCost.join('; ')}. A server that needs more than one core falls behind for good: broadcasts queue and latency grows through the run (the schedule does not wait for deliveries).`,
  )
  const single = r.mswoole.steady
  if (
    single.deliveriesPerWrite !== null &&
    single.deliveriesPerWrite < 1.2 &&
    single.serverMicrosPerDelivery !== null &&
    r.floor.steady.serverMicrosPerDelivery !== null
  ) {
    notes.push(
      `Written one delivery at a time (the steady phase, where it kept up), mswoole costs ${single.serverMicrosPerDelivery} µs of CPU per delivery against the raw-frame floor's ${r.floor.steady.serverMicrosPerDelivery} µs and the plain loop's ${dash(r.plain.steady.serverMicrosPerDelivery)} µs: ` +
        'its lead comes from writing several messages to a socket in one write, not from a cheaper single write.',
    )
  }
  notes.push(
    `${LABELS.socketio}: \`io.to('bench').emit('message', envelope)\`, the envelope as the event's one argument, so its clients get \`42["message",<the same envelope>]\`. ` +
      'On one node the Redis adapter still publishes every broadcast to Redis (the packet msgpack-encoded, one PUBLISH to `socket.io#/#bench#`) and reads it back on its own pattern subscription, where it drops it by its own uid; then it writes the room locally: ' +
      "the packet encoded once and, with the WebSocket the only transport and compression off, the WebSocket frame built once and handed to each socket's `ws` sender. " +
      `Server CPU per delivery in the burst: ${dash(sio.serverMicrosPerDelivery)} µs (${dash(sio.deliveriesPerWrite)} deliveries/write), so one core tops out near ${perCore(sio.serverMicrosPerDelivery)} deliveries/s; ` +
      `redis-server used ${dash(r.socketio.redisCpuSeconds)} s of CPU over the whole scenario, which the server figures leave out. ` +
      "Its clients are the same raw WebSocket client speaking Engine.IO 4 / Socket.IO 5 (the connect, and `3` to the ping the server sends each socket every 25 s, Socket.IO's default).",
  )
  const subjects = [r.mswoole, r.plain, r.floor, r.socketio]
  notes.push(...troubleNotes(subjects))
  notes.push(
    `mswoole runs with setting.heartbeat_idle_time raised to ${MSWOOLE_SETTING.heartbeat_idle_time} s: the bench clients never send, and the default 60 s idle guard would close them mid-run. setting.max_buffered_bytes stays at its default (4 MiB; a burst is ${o.burst} frames of about 90 bytes per socket). ` +
      (mswooleAppJson === undefined ? '' : `Its config/app.json: \`${JSON.stringify(mswooleAppJson).replaceAll(REPO_ROOT, '<repo>')}\`.`),
  )

  const tables = phaseTables(o, subjects)

  return {
    name: 'fan-out',
    title: 'Broadcast fan-out to one room',
    description:
      `${n} idle WebSocket clients, all in one room, and broadcasts to that room. Four servers, up side by side, with the same client and the same number of sockets; each round opens one server's sockets, measures and closes them, server after server in an order that turns every round, so other work on the machine falls on all four alike: ` +
      'mswoole (its `broadcast` control method over the control socket, several requests in flight on one connection: the envelope framed once, and the frames a socket gets in one event-loop turn written in one writev); ' +
      'the plain `ws` loop (`JSON.stringify` once, then `ws.send(text)` per socket, a control WebSocket taking the same requests); ' +
      'the raw-frame floor (the same server, the frame built once and written straight to each socket, one write per socket per broadcast); ' +
      "and Socket.IO 4 with its Redis adapter for rooms, which is what users pick instead (WebSocket transport only, no compression, `io.to(room).emit(…)` for each request on a control WebSocket like the plain loop's; a redis-server of its own on this machine). " +
      `Burst: ${o.burst} broadcasts sent at once; deliveries/s is ${o.burst} × sockets over the time from the first send to the last delivery at any client. ` +
      `Steady: ${o.rate} broadcasts/s for ${o.seconds} s; every delivery carries its send time, read back by the client. ` +
      "The clients (bench/fan-out-client.ts: plain TCP sockets that do the upgrade and read server frames, and per frame only the send time at the end of the payload; for Socket.IO the same client speaking its protocol) run in the driver's process, on the same machine, over loopback. " +
      `Server CPU is the server process over each phase, from /proc. Target: mswoole's burst deliveries/s at least ${x(TARGET_RATIO)} the plain loop's; Socket.IO is compared with no target.`,
    params: { ...o, mswooleAppJson, subjects },
    subjects: [],
    labels: { ...LABELS },
    comparisons,
    checks,
    tables,
    verdict,
    notes,
  }
}

export const fanOut: Scenario = {
  name: 'fan-out',
  title: 'Broadcast fan-out to one room',
  run: async (ctx: ScenarioContext) => {
    const o = ctx.quick ? QUICK : FULL
    return fanOutResult(o, await measureFanOut(o, ctx.log))
  },
}
