/**
 * Broadcast fan-out across two cluster nodes: one room split over two mswoole nodes on one
 * Redis, against the same room on one node on the same Redis, measured by
 * bench/cluster-fan-out.ts. Here: the comparisons with their target, the tables, and the notes
 * on what bounds the figures on this machine.
 *
 * Target: the two nodes' burst deliveries/s at least 0.8× the one node's.
 */
import { CLUSTER_LABELS, measureClusterFanOut, NODE_IDS, type ClusterFanOutResults } from '../cluster-fan-out.js'
import { FULL, MSWOOLE_SETTING, QUICK, type FanOutOptions, type NodeShare, type PhaseResult, type SubjectResult } from '../fan-out.js'
import { REPO_ROOT } from '../lib/paths.js'
import type { Check, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'
import { comparer, phases, phaseTables, troubleNotes } from './fan-out.js'

/** The target: the two nodes' burst deliveries/s against the one node's. */
const TARGET_RATIO = 0.8

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
const x = (v: number) => `${v.toFixed(2)}×`
const dash = (v: number | null | undefined) => v ?? '—'
const ms = (v: number) => v.toFixed(1)
const r2 = (v: number) => Math.round(v * 100) / 100

const compare = comparer('cluster')

/** Each node's share of a phase; a one-node subject's share is the whole phase. */
function shares(p: PhaseResult, nodeIds: readonly string[]): NodeShare[] {
  const c = p.cpu
  return (
    p.nodes ?? [
      {
        label: nodeIds[0]!,
        sockets: p.sockets,
        received: p.received,
        missing: p.missing,
        cores: c?.serverCores ?? null,
        microsPerDelivery: p.serverMicrosPerDelivery,
        deliveriesPerWrite: p.deliveriesPerWrite,
      },
    ]
  )
}

function processRows(phase: string, s: SubjectResult, p: PhaseResult, nodeIds: readonly string[]): Array<Array<string | number>> {
  return [
    ...shares(p, nodeIds).map((n) => [
      phase,
      s.label,
      n.label,
      n.sockets,
      n.received,
      n.missing,
      dash(n.cores),
      dash(n.microsPerDelivery),
      dash(n.deliveriesPerWrite),
    ]),
    [phase, s.label, 'redis-server', '—', '—', '—', dash(p.cpu?.sideCores), '—', '—'],
  ]
}

/** Cores busy over a phase, whoever used them; and the machine's CPU per delivery at that. */
function machineUse(p: PhaseResult): { busy: number; micros: number } | undefined {
  const c = p.cpu
  if (c === null || p.received === 0) return undefined
  const busy = c.serverCores + c.clientCores + c.irqCores + (c.sideCores ?? 0) + c.otherCores
  return { busy: r2(busy), micros: Math.round((busy * c.wallSeconds * 1e7) / p.received) / 10 }
}

const eachNode = (p: PhaseResult, nodeIds: readonly string[], cell: (n: NodeShare) => string) =>
  shares(p, nodeIds)
    .map((n) => `${n.label} ${cell(n)}`)
    .join(', ')

export function clusterFanOutResult(o: FanOutOptions, { subjects: r, appJson, cacheJson, cpuCount }: ClusterFanOutResults): ScenarioResult {
  const two = r.cluster.median
  const one = r.single.median
  const split = ratio(two.deliveriesPerSecond, one.deliveriesPerSecond)
  const met = split >= TARGET_RATIO
  const needed = TARGET_RATIO * one.deliveriesPerSecond
  const n = int.format(o.connections)
  const perNode = int.format(Math.ceil(o.connections / NODE_IDS.cluster.length))

  const comparisons = [
    compare('burst deliveries/s', 'deliveries/s', true, 'single', two.deliveriesPerSecond, one.deliveriesPerSecond, {
      text: `≥ ${TARGET_RATIO.toFixed(2)}× one node`,
      met,
    }),
  ]
  if (two.serverMicrosPerDelivery !== null && one.serverMicrosPerDelivery !== null) {
    comparisons.push(
      compare('burst server CPU per delivery', 'µs', false, 'single', two.serverMicrosPerDelivery, one.serverMicrosPerDelivery),
    )
  }
  comparisons.push(compare(`p99 latency at ${o.rate}/s`, 'ms', false, 'single', r.cluster.steady.latency.p99, r.single.steady.latency.p99))

  const lost = (s: SubjectResult) => phases(s).reduce((k, ph) => k + ph.missing, 0)
  const owed = (s: SubjectResult) => phases(s).reduce((k, ph) => k + ph.expected, 0)
  const checks: Check[] = [
    {
      metric: 'deliveries lost, two nodes',
      value: lost(r.cluster),
      unit: `of ${int.format(owed(r.cluster))}`,
      target: '= 0',
      met: lost(r.cluster) === 0,
    },
    {
      metric: 'deliveries lost, one node',
      value: lost(r.single),
      unit: `of ${int.format(owed(r.single))}`,
      target: '= 0',
      met: lost(r.single) === 0,
    },
    {
      metric: 'clients disconnected',
      value: r.cluster.disconnected + r.single.disconnected,
      unit: `of ${int.format(r.cluster.connect.opened + r.single.connect.opened)}`,
      target: '= 0',
      met: r.cluster.disconnected + r.single.disconnected === 0,
    },
  ]

  const latencies = (s: SubjectResult) => `${ms(s.steady.latency.p50)} / ${ms(s.steady.latency.p99)} / ${ms(s.steady.latency.max)} ms`
  const verdict =
    (met
      ? `Target met: two nodes make ${int.format(two.deliveriesPerSecond)} deliveries/s at the clients across ${n} sockets (${perNode} on each), ${x(split)} one node's ${int.format(one.deliveriesPerSecond)}/s on the same Redis; the target is ≥ ${x(TARGET_RATIO)}.`
      : `Target missed: two nodes make ${int.format(two.deliveriesPerSecond)} deliveries/s at the clients across ${n} sockets (${perNode} on each), ${x(split)} one node's ${int.format(one.deliveriesPerSecond)}/s on the same Redis; the target is ≥ ${x(TARGET_RATIO)} (${int.format(needed)}/s), ${int.format(needed - two.deliveriesPerSecond)}/s short.`) +
    ` At a steady ${o.rate} broadcasts/s, p50 / p99 / max delivery latency: two nodes ${latencies(r.cluster)}, one node ${latencies(r.single)}.`

  const notes: string[] = []
  const m2 = machineUse(two)
  const m1 = machineUse(one)
  if (two.cpu !== null && one.cpu !== null && m2 !== undefined && m1 !== undefined) {
    const full = m2.busy >= 0.9 * cpuCount && m1.busy >= 0.9 * cpuCount
    notes.push(
      `What bounds these figures: one ${cpuCount}-core machine runs both nodes, the client (${n} sockets in the driver's process), redis-server and the loopback TCP between them, as it ran the one node, so the two nodes share the same ${cpuCount} cores the single node had: the split cannot add cores here. ` +
        `In the median burst the two nodes used ${eachNode(two, NODE_IDS.cluster, (s) => `${dash(s.cores)}`)} cores (${two.cpu.serverCores} together; one node ${one.cpu.serverCores}), the client ${two.cpu.clientCores} (${one.cpu.clientCores}), interrupts ${two.cpu.irqCores} (${one.cpu.irqCores}), redis-server ${dash(two.cpu.sideCores)} (${dash(one.cpu.sideCores)}) and other work ${two.cpu.otherCores} (${one.cpu.otherCores}): ${m2.busy} of ${cpuCount} cores busy with two nodes, ${m1.busy} with one. ` +
        `Each delivery cost the machine ${m2.micros} µs of CPU in all with two nodes against ${m1.micros} µs with one (the mswoole processes' share: ${dash(two.serverMicrosPerDelivery)} µs against ${dash(one.serverMicrosPerDelivery)} µs)` +
        (full
          ? `; with the cores full, deliveries/s follows the inverse of that cost: ${x(m1.micros / m2.micros)} expected from it, ${x(split)} measured.`
          : `; the cores were not all busy, so CPU alone did not set the rate (${x(m1.micros / m2.micros)} expected from the cost, ${x(split)} measured).`),
    )
  }
  notes.push(
    `Deliveries per write system call in the median burst: ${eachNode(two, NODE_IDS.cluster, (s) => `${dash(s.deliveriesPerWrite)}`)}; one node ${dash(one.deliveriesPerWrite)}. ` +
      `node-1 gets the ${o.burst} requests on its control socket and writes the frames a socket gets in one event-loop turn in one writev; node-2 gets the broadcasts as Redis messages, in as many turns as its reads split them into. ` +
      `CPU per delivery at each node's own sockets: ${eachNode(two, NODE_IDS.cluster, (s) => `${dash(s.microsPerDelivery)} µs`)}; one node ${dash(one.serverMicrosPerDelivery)} µs.`,
  )
  const demanded = o.rate * o.connections
  const steadyCores = (s: SubjectResult, ids: readonly string[]) =>
    eachNode(s.steady, ids, (share) => `${dash(share.microsPerDelivery)} µs (${dash(share.cores)} cores)`)
  notes.push(
    `At ${o.rate} broadcasts/s to ${n} sockets the room needs ${int.format(demanded)} deliveries/s: ${int.format(demanded / NODE_IDS.cluster.length)} on each of the two nodes, all ${int.format(demanded)} on the one. ` +
      `Steady-phase CPU per delivery: ${steadyCores(r.cluster, NODE_IDS.cluster)}; ${steadyCores(r.single, NODE_IDS.single)}; redis-server ${dash(r.cluster.steady.cpu?.sideCores)} cores with two nodes, ${dash(r.single.steady.cpu?.sideCores)} with one. ` +
      `Deliveries per write: two nodes ${dash(r.cluster.steady.deliveriesPerWrite)}, one node ${dash(r.single.steady.deliveriesPerWrite)}.`,
  )
  notes.push(
    "Redis: node-1 publishes each broadcast once (the envelope in one bus message on the cluster's channel), node-2 delivers it to its members, and each node reads its own publish back and drops it. " +
      'The one node runs on the same Redis store (a prefix of its own, so it forms a cluster of one): it publishes and reads back every broadcast too, with no other node to hear it, so the comparison isolates the split, not Redis. ' +
      'redis-server\'s CPU is in the "redis-server" rows below, neither in the server columns (the mswoole processes only) nor in "other cores".',
  )
  notes.push(...troubleNotes([r.cluster, r.single]))
  notes.push(
    `Every node runs with setting.heartbeat_idle_time raised to ${MSWOOLE_SETTING.heartbeat_idle_time} s (the bench clients never send; the default 60 s idle guard would close them mid-run); everything else is the default. ` +
      `Socket i goes to node i mod 2, each with a token of its own (distinct users); the one node gets all ${n}. ` +
      (appJson === undefined ? '' : `node-1's config/app.json: \`${JSON.stringify(appJson).replaceAll(REPO_ROOT, '<repo>')}\`; `) +
      (cacheJson === undefined
        ? ''
        : `its cache.json: \`${JSON.stringify(cacheJson)}\` (node-2's app.json differs in node_id only; the one node's is node_id "single" on another fresh prefix).`),
  )
  notes.push(`Started as: two nodes \`${r.cluster.command}\`; one node \`${r.single.command}\` (the same redis-server).`)

  const processTable: Table = {
    caption:
      "Each process's share of the median burst and of the steady phase: the sockets connected to each node when the phase began, the deliveries they got, and the CPU of each mswoole node (per delivery at its own sockets) and of redis-server.",
    columns: ['phase', 'subject', 'process', 'sockets', 'deliveries', 'missing', 'cores', 'µs CPU/delivery', 'deliveries/write'],
    numeric: [false, false, false, true, true, true, true, true, true],
    rows: (['median burst', 'steady'] as const).flatMap((phase) =>
      (['cluster', 'single'] as const).flatMap((id) =>
        processRows(phase, r[id], phase === 'steady' ? r[id].steady : r[id].median, NODE_IDS[id]),
      ),
    ),
  }
  const subjects = [r.cluster, r.single]

  return {
    name: 'cluster-fan-out',
    title: 'Broadcast fan-out across two cluster nodes',
    description:
      `${n} idle WebSocket clients in one room, split evenly over two mswoole nodes that form one cluster on one Redis (cache.json \`{"driver":"redis","url":…,"prefix":…}\` with the same url and prefix, app.json \`node_id\` node-1 and node-2), ` +
      `against the same ${n} on one node on the same Redis store (a prefix of its own), so the comparison isolates the split. ` +
      "Broadcasts go to node-1's control socket (the `broadcast` method, several requests in flight on one connection): node-1 writes each to its members and publishes it once over Redis pub/sub, and node-2 writes it to its own. " +
      "Both subjects are up side by side; each round opens one subject's sockets, measures and closes them, in an order that turns every round. " +
      `Burst: ${o.burst} broadcasts sent at once; deliveries/s is ${o.burst} × sockets over the time from the first send to the last delivery at any client, on either node. ` +
      `Steady: ${o.rate} broadcasts/s for ${o.seconds} s; every delivery carries its send time, read back by the client. ` +
      "The client is the fan-out scenario's (bench/fan-out-client.ts), in the driver's process, over loopback, its sockets spread over both nodes' ports. " +
      `Server CPU is the mswoole processes (both nodes together, and each), redis-server's apart, from /proc. Target: the two nodes' burst deliveries/s at least ${x(TARGET_RATIO)} the one node's.`,
    params: { ...o, nodes: NODE_IDS, appJson, cacheJson, cpuCount, subjects },
    subjects: [],
    labels: { ...CLUSTER_LABELS },
    comparisons,
    checks,
    tables: [...phaseTables(o, subjects), processTable],
    verdict,
    notes,
  }
}

export const clusterFanOut: Scenario = {
  name: 'cluster-fan-out',
  title: 'Broadcast fan-out across two cluster nodes',
  run: async (ctx: ScenarioContext) => {
    const o = ctx.quick ? QUICK : FULL
    return clusterFanOutResult(o, await measureClusterFanOut(o, ctx.log))
  },
}
