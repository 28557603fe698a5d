/**
 * Memory per idle connection: RSS and JavaScript heap per idle, authenticated connection of
 * mswoole, against the plain `ws` server and Socket.IO 4, measured by bench/memory.ts. Here:
 * the comparisons with their target, the table, and the notes.
 *
 * Target: mswoole's RSS per connection at most 1.30× the plain ws server's.
 */
import { REPO_ROOT } from '../lib/paths.js'
import type { Comparison, Scenario, ScenarioContext, ScenarioResult, Table } from '../lib/scenario.js'
import { FULL, LABELS, measureMemory, perConnection, QUICK, type MemoryResults, type SubjectId, type SubjectMemory } from '../memory.js'

/** The target: mswoole's RSS per connection against the plain ws server's. */
const TARGET_RATIO = 1.3

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const kib = (bytes: number) => Math.round((bytes / 1024) * 100) / 100
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10
const dash = (v: number | null) => (v === null ? '—' : v)
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
const x = (v: number) => `${v.toFixed(2)}×`

/** Table order, whatever order they were measured in. */
const ORDER: readonly SubjectId[] = ['mswoole', 'plain', 'socketio']

function row(s: SubjectMemory, i: number): Array<string | number> {
  const p = s.points[i]!
  const per = perConnection(s.empty, p)
  const added = i === 0 ? null : perConnection(s.points[i - 1]!, p)
  const before = s.empty.collected ?? s.empty.settled
  const after = p.collected ?? p.settled
  return [
    s.label,
    p.held,
    mib(before.rss),
    mib(after.rss),
    kib(per.rss),
    per.heap === null ? '—' : kib(per.heap),
    kib(per.settledRss),
    per.settledHeap === null ? '—' : kib(per.settledHeap),
    added === null ? '—' : kib(added.rss),
    added?.heap == null ? '—' : kib(added.heap),
    before.heapUsed === null ? '—' : mib(before.heapUsed),
    after.heapUsed === null ? '—' : mib(after.heapUsed),
    p.connectSeconds,
  ]
}

export function memoryResult({ options: o, subjects: measured, skipped }: MemoryResults): ScenarioResult {
  const subjects = [...measured].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id))
  const by = new Map(subjects.map((s) => [s.id, s]))
  const m = by.get('mswoole')
  const p = by.get('plain')
  const sio = by.get('socketio')
  if (m === undefined || p === undefined) throw new Error('memory: mswoole and the plain ws server must both be measured')
  const sizes = o.sizes.map((_, i) => i)
  const comparisons: Comparison[] = []
  const verdictParts: string[] = []
  let met = true
  for (const i of sizes) {
    const n = int.format(o.sizes[i]!)
    const mp = perConnection(m.empty, m.points[i]!)
    const pp = perConnection(p.empty, p.points[i]!)
    const r = ratio(mp.rss, pp.rss)
    const ok = r <= TARGET_RATIO
    met &&= ok
    comparisons.push({
      metric: `RSS per idle connection at ${n}`,
      unit: 'KiB',
      higherIsBetter: false,
      subject: 'mswoole',
      baseline: 'plain',
      value: kib(mp.rss),
      baselineValue: kib(pp.rss),
      ratio: r,
      target: `≤ ${TARGET_RATIO.toFixed(2)}× the plain ws server`,
      met: ok,
    })
    if (mp.heap !== null && pp.heap !== null) {
      comparisons.push({
        metric: `heap per idle connection at ${n}`,
        unit: 'KiB',
        higherIsBetter: false,
        subject: 'mswoole',
        baseline: 'plain',
        value: kib(mp.heap),
        baselineValue: kib(pp.heap),
        ratio: ratio(mp.heap, pp.heap),
      })
    }
    if (sio !== undefined) {
      const sp = perConnection(sio.empty, sio.points[i]!)
      comparisons.push({
        metric: `RSS per idle connection at ${n}`,
        unit: 'KiB',
        higherIsBetter: false,
        subject: 'mswoole',
        baseline: 'socketio',
        value: kib(mp.rss),
        baselineValue: kib(sp.rss),
        ratio: ratio(mp.rss, sp.rss),
      })
    }
    if (i > 0) {
      const ma = perConnection(m.points[i - 1]!, m.points[i]!)
      const pa = perConnection(p.points[i - 1]!, p.points[i]!)
      comparisons.push({
        metric: `RSS per connection added, ${int.format(o.sizes[i - 1]!)} → ${n}`,
        unit: 'KiB',
        higherIsBetter: false,
        subject: 'mswoole',
        baseline: 'plain',
        value: kib(ma.rss),
        baselineValue: kib(pa.rss),
        ratio: ratio(ma.rss, pa.rss),
      })
    }
    verdictParts.push(
      `${kib(mp.rss)} KiB of RSS (${mp.heap === null ? '—' : kib(mp.heap)} KiB of heap) at ${n} connections, ${x(r)} the plain ws server's ${kib(pp.rss)} KiB`,
    )
  }
  const sioPart =
    sio === undefined
      ? ' Socket.IO 4 was not measured.'
      : ` Socket.IO 4 costs ${sizes.map((i) => `${kib(perConnection(sio.empty, sio.points[i]!).rss)} KiB`).join(' and ')}.`
  const verdict = `Target ${met ? 'met' : 'missed'}: an idle authenticated connection costs mswoole ${verdictParts.join('; ')}; the target is ≤ ${x(TARGET_RATIO)}.${sioPart}`

  const collectedAll = subjects.every((s) => s.gcUnavailable === null)
  const tables: Table[] = [
    {
      caption:
        `Per idle connection: (reading with N connections − reading with none) / N, N the connections the server held. "RSS" and "heap" are ${collectedAll ? 'after a forced full collection in the server' : 'after a forced full collection where the server allowed one, else after the settle'}; ` +
        `"settled" columns are after ${o.settleSeconds} s left alone, no collection forced (garbage included); "added conn" columns are per connection added since the row above (the slope, free of what the first connections cost once); "connect s" is the time to open the row's new connections. 1 KiB = 1024 bytes.`,
      columns: [
        'subject',
        'connections',
        'RSS with none MiB',
        'RSS with N MiB',
        'RSS KiB/conn',
        'heap KiB/conn',
        'settled RSS KiB/conn',
        'settled heap KiB/conn',
        'RSS KiB/added conn',
        'heap KiB/added conn',
        'heap with none MiB',
        'heap with N MiB',
        'connect s',
      ],
      numeric: [false, ...Array<boolean>(12).fill(true)],
      rows: sizes.flatMap((i) => subjects.map((s) => row(s, i))),
    },
  ]

  const notes: string[] = []
  const ms = m.points.at(-1)?.status
  if (ms !== undefined) {
    const empty = m.empty.status
    const ext = empty === undefined ? null : (ms.external - empty.external) / Math.max(1, m.points.at(-1)!.held)
    notes.push(
      `mswoole's own \`status\` at ${int.format(m.points.at(-1)!.held)} connections: rss ${mib(ms.rss)} MiB, heapUsed ${mib(ms.heapUsed)} MiB, heapTotal ${mib(ms.heapTotal)} MiB, external ${mib(ms.external)} MiB` +
        (ext === null ? '.' : ` (${dash(kib(ext))} KiB of external memory per connection).`),
    )
  }
  for (const s of subjects) {
    if (s.gcUnavailable !== null)
      notes.push(`${s.label}: no forced collection (${s.gcUnavailable}); its figures are after the settle only, garbage included.`)
    if (s.disconnected > 0 || s.connect.failed > 0) {
      notes.push(
        `${s.label}: ${s.connect.failed} of ${int.format(s.connect.asked)} connects failed${s.connect.failures.length > 0 ? ` (${s.connect.failures.slice(0, 2).join('; ')})` : ''}, ${s.disconnected} connections closed by the server while held.`,
      )
    }
  }
  for (const s of skipped) notes.push(`${LABELS[s.id]} was not measured: ${s.reason}`)
  notes.push(
    "Forced collections are node's global gc() (a full collection of the main thread's heap), each server started with --expose-gc: mswoole runs it on `debug.gc` over its control socket (`mswoole start --expose-gc`; the method answers an error in a daemon started without the flag), the baselines on a request over an IPC channel from the runner. The heap read is process.memoryUsage().heapUsed (the main thread's). One collection is forced before the reading with no connections, so what the probe costs is in both readings and out of the difference.",
    `RSS is the whole process, every thread (mswoole's worker threads and the memory allocator's free lists included); socket buffers live in the kernel and are in no process's RSS. It is the noisier figure: pages a server touched before its first reading and reuses later do not show, so repeated runs differ by about half a KiB per connection at 10,000; the heap figures repeat within a few percent. mswoole is read with no connections at least ${o.mswooleMinAgeSeconds} s after its start, once its worker threads have shed their start-up garbage (in their own collections, which the probe does not force): read earlier, that shedding would be taken off the connections' cost.`,
    "mswoole runs its defaults but for the bench's message-rate guard, which idle clients never reach (2 worker threads, the memory store, heartbeat pings every 10 s, which the clients answer); each of its connections joins the room of its token's code and is bound to its uid in the store, as every real connection is." +
      (m.appJson === undefined ? '' : ` Its config/app.json: \`${JSON.stringify(m.appJson).replaceAll(REPO_ROOT, '<repo>')}\`.`),
  )

  return {
    name: 'memory',
    title: 'Memory per idle connection',
    description:
      `Idle WebSocket connections held open against one server at a time: mswoole (started through its CLI; every connection authenticated with a token of its own), the plain \`ws\` server (bench/baselines/plain-ws.ts) and Socket.IO 4 (bench/baselines/socketio.ts, WebSocket transport). ` +
      `Each server is read with no connection, then with ${o.sizes.map((n) => int.format(n)).join(' and then ')} connections: RSS from /proc/<pid>/status (VmRSS), JavaScript heap from the server itself (process.memoryUsage().heapUsed), each after ${o.settleSeconds} s left alone and again after a forced full collection. ` +
      'The clients (bench/fan-out-client.ts, raw TCP sockets that do the upgrade and answer pings) run in child processes of at most 10,000 sockets each, from several 127.0.0.x source addresses, opening in batches of 200; ' +
      `the server is read once it holds every connection (mswoole: its \`status\`; the baselines: the kernel's established sockets on their port). Target: mswoole's RSS per connection at most ${x(TARGET_RATIO)} the plain ws server's.`,
    params: { ...o, mswooleAppJson: m.appJson, subjects },
    subjects: [],
    labels: { ...LABELS },
    comparisons,
    tables,
    verdict,
    notes,
  }
}

export const memory: Scenario = {
  name: 'memory',
  title: 'Memory per idle connection',
  run: async (ctx: ScenarioContext) => memoryResult(await measureMemory(ctx.quick ? QUICK : FULL, ctx.log)),
}
