/**
 * The memory measurement (bench/scenarios/memory.ts reports it): what a server holds per idle
 * connection. One server at a time: mswoole (started through its CLI, every connection with a
 * token of its own), the plain `ws` server (bench/baselines/plain-ws.ts) and Socket.IO 4
 * (bench/baselines/socketio.ts). For each:
 *
 *   1. start it (mswoole with --expose-gc, the baselines with it and an IPC channel) and open
 *      its heap probe (bench/lib/heap-probe.ts) to force full collections;
 *   2. with no connection, after a settle: RSS (/proc/<pid>/status VmRSS, every thread) and heap,
 *      then the same after a forced collection;
 *   3. open that size's idle connections (bench/lib/idle-clients.ts: child processes, bounded
 *      batches, several 127.0.0.x source addresses), wait until the server holds them all
 *      (mswoole: `status`; the baselines: the kernel's established sockets on its port), and
 *      read again.
 *
 * Each size gets a fresh server. Per connection = (reading at N − the same server's reading at 0) / N.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { IpcClient } from '../src/ipc/client.js'
import type { StatusResult } from '../src/contracts/control-api.js'
import type { ConnectFigures } from './fan-out-client.js'
import { openControlHeapProbe, type HeapProbe } from './lib/heap-probe.js'
import { openIdleClients, type IdleClients } from './lib/idle-clients.js'
import { startMswoole } from './lib/mswoole-target.js'
import { startPlainWs, startSocketIo } from './lib/plain-ws-target.js'
import { establishedOn, rssBytes } from './lib/proc-memory.js'
import { openFilesLimit, type WireProtocol } from './load-client.js'

export interface MemoryOptions {
  /** Idle connections at each reading, ascending: the server keeps those it holds and gets more. */
  sizes: number[]
  /** Seconds a server is left alone before each reading. */
  settleSeconds: number
  /**
   * Seconds from mswoole's start before its reading with no connections: its worker threads
   * shed their start-up garbage in their own collections (which the probe, on the main
   * thread, does not force) some seconds after the start, and that must not count as a saving.
   */
  mswooleMinAgeSeconds: number
  subjects: SubjectId[]
  /** Rounds, each with fresh servers; each figure is the median round's. */
  rounds: number
}

// mswoole last: its daemon takes longest to stop.
export const FULL: MemoryOptions = {
  sizes: [10_000, 19_000],
  settleSeconds: 5,
  mswooleMinAgeSeconds: 20,
  subjects: ['plain', 'socketio', 'mswoole'],
  rounds: 3,
}
export const QUICK: MemoryOptions = {
  sizes: [2_000],
  settleSeconds: 0.5,
  mswooleMinAgeSeconds: 12,
  subjects: ['plain', 'socketio', 'mswoole'],
  rounds: 1,
}

export type SubjectId = 'mswoole' | 'plain' | 'socketio'
export const LABELS: Record<SubjectId, string> = { mswoole: 'mswoole', plain: 'plain ws server', socketio: 'Socket.IO 4' }

/** Descriptors a server needs beside one per connection (listeners, pipes, logs, workers). */
const FD_MARGIN = 500
/** Source addresses 127.0.0.<FIRST_SOURCE>… for this scenario's clients; each set of connections takes its own. */
const FIRST_SOURCE = 150
const SOURCES_PER_HOLDER = 4
const COUNT_TIMEOUT_MS = 30_000
/** A young generation this small has been given back: V8's floor is two semi-spaces of 1 MiB or less. */
const YOUNG_GIVEN_BACK = 2 * 1024 * 1024
const MAX_COLLECTIONS = 20
/** From the last collection to the reading: freed pages go back to the kernel from V8's background threads, some after a second or more. */
const RELEASE_MS = 3000
/** Where bench/lib/plain-ws-target.ts makes the baselines listen. */
const SERVER_HOST = '127.0.0.1'

export interface Reading {
  rss: number
  /** The main thread's JavaScript heap in use; null where it cannot be read. */
  heapUsed: number | null
}

export interface Point {
  /** Connections asked for. */
  connections: number
  /** Connections the server held when it was read. */
  held: number
  /** After the settle, before any forced collection. */
  settled: Reading
  /** After forced full collections, once V8 had given its young generation back; null without the heap probe. */
  collected: Reading | null
  /** Collections forced before `collected`, and the young generation V8 then held (bytes); null without the heap probe. */
  collections: { count: number; youngGeneration: number } | null
  /** mswoole's own `status` memory figures, read with `collected` (or `settled`). */
  status?: StatusResult['memory']
  /** Seconds to open this point's connections. */
  connectSeconds: number
  /** The reading with none of the server this point was read on (each size has a server of its own). */
  base?: Point
}

export interface SubjectMemory {
  id: SubjectId
  label: string
  command: string
  /** Why no forced collection was possible, when it was not. */
  gcUnavailable: string | null
  empty: Point
  points: Point[]
  /** With more than one round: every round's bytes per connection at each size (`points` holds the median round's readings). */
  rounds?: Array<Array<{ rss: number; heap: number | null }>>
  connect: ConnectFigures
  /** Sockets the server closed while the clients held them. */
  disconnected: number
  /** Frames other than pings the clients got while held (counted, not read). */
  framesReceived: number
  appJson?: Record<string, unknown>
}

export interface MemoryResults {
  options: MemoryOptions
  subjects: SubjectMemory[]
  /** Subjects that could not be measured, and why. */
  skipped: Array<{ id: SubjectId; reason: string }>
}

interface LiveServer {
  pid: number
  /** performance.now() when it was up. */
  startedAt: number
  /** Seconds from the start before the reading with no connections. */
  minAgeSeconds: number
  protocol: WireProtocol
  command: string
  url(index: number): string
  /** Connections the server holds, as it (or the kernel) reports them. */
  held(): Promise<number | undefined>
  status?(): Promise<StatusResult>
  /** Forces and reads the main thread's heap (bench/lib/heap-probe.ts). */
  heapProbe(): Promise<HeapProbe>
  appJson?: Record<string, unknown>
  stop(): Promise<void>
}

async function startServer(id: SubjectId, o: MemoryOptions): Promise<LiveServer> {
  const maxConnections = o.sizes.at(-1) ?? 0
  if (id === 'mswoole') {
    const target = await startMswoole({ tokens: maxConnections, exposeGc: true })
    let ipc: IpcClient
    try {
      ipc = await IpcClient.connect(target.socket, 5000)
    } catch (err) {
      await target.stop()
      throw err
    }
    const status = () => ipc.call('status', {}, { timeoutMs: 10_000 })
    return {
      pid: target.pid,
      startedAt: performance.now(),
      minAgeSeconds: o.mswooleMinAgeSeconds,
      protocol: 'ws',
      command: target.command(['start', '--expose-gc']),
      url: target.url,
      held: async () => (await status()).connections,
      status,
      heapProbe: () => openControlHeapProbe(target.socket),
      appJson: target.appJson,
      stop: async () => {
        ipc.close()
        await target.stop()
      },
    }
  }
  const target = id === 'plain' ? await startPlainWs() : await startSocketIo()
  return {
    pid: target.pid,
    startedAt: performance.now(),
    minAgeSeconds: 0,
    protocol: id === 'socketio' ? 'socketio' : 'ws',
    command: target.command,
    url: target.url,
    held: async () => establishedOn(SERVER_HOST, target.port),
    heapProbe: () => target.heapProbe(),
    stop: () => target.stop(),
  }
}

async function read(server: LiveServer, probe: HeapProbe | undefined): Promise<Reading & { status?: StatusResult['memory'] }> {
  const status = server.status === undefined ? undefined : (await server.status()).memory
  const rss = rssBytes(server.pid)
  if (rss === undefined) throw new Error(`memory: cannot read /proc/${server.pid}/status (this scenario needs Linux)`)
  const heapUsed = probe !== undefined ? await probe.heapUsed() : (status?.heapUsed ?? null)
  return { rss, heapUsed, ...(status === undefined ? {} : { status }) }
}

/** Settles, reads, forces a collection when it can and reads again. */
async function measurePoint(
  server: LiveServer,
  probe: HeapProbe | undefined,
  connections: number,
  held: number,
  settleSeconds: number,
  connectSeconds: number,
): Promise<Point> {
  await sleep(settleSeconds * 1000)
  const settled = await read(server, probe)
  let collected: Awaited<ReturnType<typeof read>> | null = null
  let collections: Point['collections'] = null
  if (probe !== undefined) {
    collections = await collectUntilYoungGiven(probe)
    await sleep(RELEASE_MS)
    collected = await read(server, probe)
  }
  const status = (collected ?? settled).status
  return {
    connections,
    held,
    settled: { rss: settled.rss, heapUsed: settled.heapUsed },
    collected: collected === null ? null : { rss: collected.rss, heapUsed: collected.heapUsed },
    collections,
    ...(status === undefined ? {} : { status }),
    connectSeconds,
  }
}

/**
 * Full collections until V8 has given back its young generation. While much is
 * allocated (connections opening) V8 grows it, to 32 MiB by default, and it
 * shrinks it at a collection only once allocation has been low for a while: a
 * reading taken before that carries up to 32 MiB that no connection holds (3 KiB
 * a connection at 10,000), in one server and not in the next, run by run. So
 * every server is collected, a second apart, until its young generation is back
 * at V8's floor or MAX_COLLECTIONS were forced. The first two come at once: the
 * first can leave garbage that only a finalizer or weak callback freed.
 */
async function collectUntilYoungGiven(probe: HeapProbe): Promise<NonNullable<Point['collections']>> {
  await probe.collectGarbage()
  let { youngGeneration } = await probe.collectGarbage()
  let count = 2
  while (youngGeneration > YOUNG_GIVEN_BACK && count < MAX_COLLECTIONS) {
    await sleep(1000)
    youngGeneration = (await probe.collectGarbage()).youngGeneration
    count++
  }
  return { count, youngGeneration }
}

/** Polls until the server holds `expected` connections; returns the last count (lower if the deadline came first). */
async function waitForHeld(server: LiveServer, expected: number): Promise<number> {
  const deadline = performance.now() + COUNT_TIMEOUT_MS
  for (;;) {
    const held = (await server.held()) ?? expected
    if (held >= expected || performance.now() > deadline) return held
    await sleep(200)
  }
}

/** One server's reading with none, then with `size` connections; its clients are gone when this returns, the server is the caller's to stop. */
async function measureRun(
  id: SubjectId,
  server: LiveServer,
  size: number,
  o: MemoryOptions,
  firstSource: number,
  log: (m: string) => void,
): Promise<Run> {
  let set: IdleClients | undefined
  let probe: HeapProbe | undefined
  let gcUnavailable: string | null = null
  try {
    probe = await server.heapProbe().catch((err: unknown) => {
      gcUnavailable = err instanceof Error ? err.message : String(err)
      log(`${id}: no forced collection (${gcUnavailable}); readings after a ${o.settleSeconds} s settle only`)
      return undefined
    })
    const age = (performance.now() - server.startedAt) / 1000
    const empty = await measurePoint(server, probe, 0, 0, Math.max(o.settleSeconds, server.minAgeSeconds - age), 0)
    log(`${id}: no connections, RSS ${mib(empty.collected?.rss ?? empty.settled.rss)} MiB`)
    set = await openIdleClients({
      url: server.url,
      connections: size,
      firstSource,
      sourcesPerProcess: SOURCES_PER_HOLDER,
      protocol: server.protocol,
    })
    if (set.connect.failed > 0)
      log(`${id}: ${set.connect.failed} of ${set.connect.asked} connects failed (${set.connect.failures.slice(0, 2).join('; ')})`)
    const held = await waitForHeld(server, set.connect.opened)
    if (held < set.connect.opened) log(`${id}: the server holds ${held} connections of the ${set.connect.opened} the clients opened`)
    const point = await measurePoint(server, probe, size, held, o.settleSeconds, set.connect.seconds)
    const per = perConnection(empty, point)
    log(
      `${id}: ${held} connections (opened in ${set.connect.seconds} s over ${set.processes} process(es)), RSS ${mib(point.collected?.rss ?? point.settled.rss)} MiB: ${kib(per.rss)} KiB RSS, ${per.heap === null ? '—' : kib(per.heap)} KiB heap per connection`,
    )
    return { point: { ...point, base: empty }, gcUnavailable, connect: set.connect, counts: await set.counts() }
  } finally {
    probe?.close()
    await set?.close()
  }
}

interface Run {
  point: Point
  gcUnavailable: string | null
  connect: ConnectFigures
  counts: { disconnected: number; otherFrames: number }
}

/** Connects summed; the first few failures kept. */
function sumConnects(all: ConnectFigures[]): ConnectFigures {
  const sum = (f: (c: ConnectFigures) => number) => all.reduce((n, c) => n + f(c), 0)
  return {
    asked: sum((c) => c.asked),
    opened: sum((c) => c.opened),
    failed: sum((c) => c.failed),
    seconds: sum((c) => c.seconds),
    sourceAddresses: sum((c) => c.sourceAddresses),
    failures: all.flatMap((c) => c.failures).slice(0, 5),
  }
}

function subjectOf(id: SubjectId, server: LiveServer, runs: Run[]): SubjectMemory {
  const sum = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0)
  return {
    id,
    label: LABELS[id],
    command: server.command,
    gcUnavailable: runs.find((r) => r.gcUnavailable !== null)?.gcUnavailable ?? null,
    empty: runs[0]!.point.base!,
    points: runs.map((r) => r.point),
    connect: sumConnects(runs.map((r) => r.connect)),
    disconnected: sum((r) => r.counts.disconnected),
    framesReceived: sum((r) => r.counts.otherFrames),
    ...(server.appJson === undefined ? {} : { appJson: server.appJson }),
  }
}

export interface PerConnection {
  /** Bytes per connection: from the collected readings where both exist, else the settled ones. */
  rss: number
  heap: number | null
  /** From the settled readings, whatever `rss` used. */
  settledRss: number
  settledHeap: number | null
  /** Whether `rss` and `heap` come from forced collections. */
  collected: boolean
}

/** Per connection at a size: against the reading with none of the same server. */
export function atSize(s: SubjectMemory, i: number): PerConnection {
  const point = s.points[i]!
  return perConnection(point.base ?? s.empty, point)
}

/** Per connection added from the size before: each size's growth over its own server's reading with none, the difference over the connections added. */
export function addedPerConnection(s: SubjectMemory, i: number): PerConnection {
  const a = s.points[i - 1]!
  const b = s.points[i]!
  if (a.base === undefined || b.base === undefined) return perConnection(a, b)
  const x = perConnection(a.base, a)
  const y = perConnection(b.base, b)
  const n = Math.max(1, b.held - a.held)
  const mix = (u: number, v: number) => (v * b.held - u * a.held) / n
  const mixNull = (u: number | null, v: number | null) => (u === null || v === null ? null : mix(u, v))
  return {
    rss: mix(x.rss, y.rss),
    heap: mixNull(x.heap, y.heap),
    settledRss: mix(x.settledRss, y.settledRss),
    settledHeap: mixNull(x.settledHeap, y.settledHeap),
    collected: x.collected && y.collected,
  }
}

/** What each connection held at `to` and not at `from` costs: (to − from) / (connections at to − at from). */
export function perConnection(from: Point, to: Point): PerConnection {
  const n = Math.max(1, to.held - from.held)
  const heap = (a: Reading, b: Reading) => (a.heapUsed === null || b.heapUsed === null ? null : (b.heapUsed - a.heapUsed) / n)
  const settledRss = (to.settled.rss - from.settled.rss) / n
  const settledHeap = heap(from.settled, to.settled)
  if (from.collected === null || to.collected === null)
    return { rss: settledRss, heap: settledHeap, settledRss, settledHeap, collected: false }
  return {
    rss: (to.collected.rss - from.collected.rss) / n,
    heap: heap(from.collected, to.collected),
    settledRss,
    settledHeap,
    collected: true,
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
const kib = (bytes: number) => (bytes / 1024).toFixed(2)

/**
 * Every subject in turn, in the order given; all are started at once (an idle server costs the
 * others nothing here), and each is stopped once measured. A Socket.IO baseline that fails is
 * skipped with its reason, so mswoole and the plain ws server still count.
 */
export async function measureMemory(o: MemoryOptions, log: (m: string) => void): Promise<MemoryResults> {
  const max = o.sizes.at(-1) ?? 0
  const limit = openFilesLimit()
  if (limit !== undefined && limit < max + FD_MARGIN) {
    throw new Error(
      `memory: ${max} connections need an open-files limit of at least ${max + FD_MARGIN} (the server holds one descriptor per connection), and ulimit -n is ${limit}; raise it or measure fewer connections`,
    )
  }
  const rounds: Array<Pick<MemoryResults, 'subjects' | 'skipped'>> = []
  for (let r = 0; r < o.rounds; r++) {
    if (o.rounds > 1) log(`round ${r + 1} of ${o.rounds}`)
    rounds.push(await measureRound(o, log))
  }
  const skipped = rounds.flatMap((round) => round.skipped).filter((s, i, all) => all.findIndex((t) => t.id === s.id) === i)
  const subjects = o.subjects.flatMap((id) => {
    const measured = rounds.flatMap((round) => round.subjects.filter((s) => s.id === id))
    return measured.length === 0 || skipped.some((s) => s.id === id) ? [] : [medianOf(measured)]
  })
  return { options: o, subjects, skipped }
}

/**
 * A subject over its rounds: at each size, the round whose RSS per connection is the median
 * (with its own reading with none); every round's figure is kept beside it.
 */
function medianOf(rounds: SubjectMemory[]): SubjectMemory {
  const first = rounds[0]!
  const points = first.points.map((_, i) => {
    const sorted = [...rounds].sort((a, b) => atSize(a, i).rss - atSize(b, i).rss)
    return sorted[Math.floor((sorted.length - 1) / 2)]!.points[i]!
  })
  const sum = (f: (s: SubjectMemory) => number) => rounds.reduce((n, s) => n + f(s), 0)
  return {
    ...first,
    gcUnavailable: rounds.find((s) => s.gcUnavailable !== null)?.gcUnavailable ?? null,
    empty: points[0]!.base ?? first.empty,
    points,
    rounds: first.points.map((_, i) => rounds.map((s) => ({ rss: atSize(s, i).rss, heap: atSize(s, i).heap }))),
    connect: sumConnects(rounds.map((s) => s.connect)),
    disconnected: sum((s) => s.disconnected),
    framesReceived: sum((s) => s.framesReceived),
  }
}

/** Every subject once, a fresh server for each size. */
async function measureRound(o: MemoryOptions, log: (m: string) => void): Promise<Pick<MemoryResults, 'subjects' | 'skipped'>> {
  const max = o.sizes.at(-1) ?? 0
  type Started = { ok: true; server: LiveServer } | { ok: false; error: unknown }
  // A server per subject and size: what a server held for the first size (its heap's free
  // holes, the allocator's free lists) must not be counted as free room for the next.
  const jobs = o.subjects.flatMap((id, k) => o.sizes.map((size, j) => ({ id, k, size, j })))
  const starts = jobs.map(({ id }) =>
    startServer(id, o).then(
      (server): Started => ({ ok: true, server }),
      (error: unknown): Started => ({ ok: false, error }),
    ),
  )
  const stopping: Array<Promise<void> | undefined> = []
  // Once per server, and never throwing: a stop that fails is logged (the target's stop kills by pid then).
  const stop = (n: number) =>
    (stopping[n] ??= starts[n]!.then(async (started) => {
      if (!started.ok) return
      await started.server
        .stop()
        .catch((err: unknown) => log(`${jobs[n]!.id}: stop failed: ${err instanceof Error ? err.message : String(err)}`))
    }))
  const subjects: SubjectMemory[] = []
  const skipped: MemoryResults['skipped'] = []
  try {
    for (const [k, id] of o.subjects.entries()) {
      const runs: Run[] = []
      let server: LiveServer | undefined
      try {
        for (const [j, size] of o.sizes.entries()) {
          const n = jobs.findIndex((job) => job.k === k && job.j === j)
          try {
            const started = await starts[n]!
            if (!started.ok) throw started.error
            server = started.server
            // Every run's clients from source addresses of their own: no wait on another's TIME_WAIT ports.
            const firstSource = FIRST_SOURCE + n * SOURCES_PER_HOLDER * Math.ceil(max / 10_000)
            runs.push(await measureRun(id, server, size, o, firstSource, log))
          } finally {
            // In the background: the next run does not wait for it.
            void stop(n)
          }
        }
        subjects.push(subjectOf(id, server!, runs))
      } catch (err) {
        if (id !== 'socketio') throw err
        const reason = err instanceof Error ? err.message : String(err)
        log(`${id}: not measured: ${reason}`)
        skipped.push({ id, reason })
      }
    }
  } finally {
    // Every server started, measured or not.
    await Promise.all(jobs.map((_, n) => stop(n)))
  }
  return { subjects, skipped }
}
