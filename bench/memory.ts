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
 *   3. open idle connections up to each size in turn (bench/lib/idle-clients.ts: child
 *      processes, bounded batches, several 127.0.0.x source addresses), wait until the server
 *      holds them all (mswoole: `status`; the baselines: the kernel's established sockets on
 *      its port), and read again.
 *
 * Per connection = (reading at N − reading at 0) / N.
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
}

// mswoole last: its daemon takes longest to stop.
export const FULL: MemoryOptions = {
  sizes: [10_000, 19_000],
  settleSeconds: 5,
  mswooleMinAgeSeconds: 20,
  subjects: ['plain', 'socketio', 'mswoole'],
}
export const QUICK: MemoryOptions = {
  sizes: [2_000],
  settleSeconds: 0.5,
  mswooleMinAgeSeconds: 12,
  subjects: ['plain', 'socketio', 'mswoole'],
}

export type SubjectId = 'mswoole' | 'plain' | 'socketio'
export const LABELS: Record<SubjectId, string> = { mswoole: 'mswoole', plain: 'plain ws server', socketio: 'Socket.IO 4' }

/** Descriptors a server needs beside one per connection (listeners, pipes, logs, workers). */
const FD_MARGIN = 500
/** Source addresses 127.0.0.<FIRST_SOURCE>… for this scenario's clients; each set of connections takes its own. */
const FIRST_SOURCE = 150
const SOURCES_PER_HOLDER = 4
const COUNT_TIMEOUT_MS = 30_000
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
  /** After a forced full collection; null without the heap probe. */
  collected: Reading | null
  /** mswoole's own `status` memory figures, read with `collected` (or `settled`). */
  status?: StatusResult['memory']
  /** Seconds to open this point's new connections. */
  connectSeconds: number
}

export interface SubjectMemory {
  id: SubjectId
  label: string
  command: string
  /** Why no forced collection was possible, when it was not. */
  gcUnavailable: string | null
  empty: Point
  points: Point[]
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
  if (probe !== undefined) {
    // Twice: the first can leave garbage that only a finalizer or weak callback freed.
    await probe.collectGarbage()
    await probe.collectGarbage()
    await sleep(500) // freed pages go back to the kernel from V8's background threads
    collected = await read(server, probe)
  }
  const status = (collected ?? settled).status
  return {
    connections,
    held,
    settled: { rss: settled.rss, heapUsed: settled.heapUsed },
    collected: collected === null ? null : { rss: collected.rss, heapUsed: collected.heapUsed },
    ...(status === undefined ? {} : { status }),
    connectSeconds,
  }
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

/** Measures a started server; its clients are gone when this returns, the server is the caller's to stop. */
async function measureSubject(
  id: SubjectId,
  server: LiveServer,
  o: MemoryOptions,
  firstSource: number,
  log: (m: string) => void,
): Promise<SubjectMemory> {
  const max = o.sizes.at(-1) ?? 0
  const sets: IdleClients[] = []
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
    const points: Point[] = []
    let asked = 0
    let opened = 0
    for (const [k, size] of o.sizes.entries()) {
      const set = await openIdleClients({
        url: server.url,
        from: asked,
        connections: size - asked,
        firstSource: firstSource + k * SOURCES_PER_HOLDER * Math.ceil(max / 10_000),
        sourcesPerProcess: SOURCES_PER_HOLDER,
        protocol: server.protocol,
      })
      sets.push(set)
      asked = size
      opened += set.connect.opened
      if (set.connect.failed > 0)
        log(`${id}: ${set.connect.failed} of ${set.connect.asked} connects failed (${set.connect.failures.slice(0, 2).join('; ')})`)
      const held = await waitForHeld(server, opened)
      if (held < opened) log(`${id}: the server holds ${held} connections of the ${opened} the clients opened`)
      const point = await measurePoint(server, probe, size, held, o.settleSeconds, set.connect.seconds)
      points.push(point)
      const per = perConnection(empty, point)
      log(
        `${id}: ${held} connections (opened in ${set.connect.seconds} s over ${set.processes} process(es)), RSS ${mib(point.collected?.rss ?? point.settled.rss)} MiB: ${kib(per.rss)} KiB RSS, ${per.heap === null ? '—' : kib(per.heap)} KiB heap per connection`,
      )
    }
    const counts = await Promise.all(sets.map((s) => s.counts()))
    return {
      id,
      label: LABELS[id],
      command: server.command,
      gcUnavailable,
      empty,
      points,
      connect: sets.reduce<ConnectFigures>(
        (sum, s) => ({
          asked: sum.asked + s.connect.asked,
          opened: sum.opened + s.connect.opened,
          failed: sum.failed + s.connect.failed,
          seconds: sum.seconds + s.connect.seconds,
          sourceAddresses: sum.sourceAddresses + s.connect.sourceAddresses,
          failures: [...sum.failures, ...s.connect.failures].slice(0, 5),
        }),
        { asked: 0, opened: 0, failed: 0, seconds: 0, sourceAddresses: 0, failures: [] },
      ),
      disconnected: counts.reduce((n, c) => n + c.disconnected, 0),
      framesReceived: counts.reduce((n, c) => n + c.otherFrames, 0),
      ...(server.appJson === undefined ? {} : { appJson: server.appJson }),
    }
  } finally {
    probe?.close()
    await Promise.allSettled(sets.map((s) => s.close()))
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
  type Started = { ok: true; server: LiveServer } | { ok: false; error: unknown }
  const starts = o.subjects.map((id) =>
    startServer(id, o).then(
      (server): Started => ({ ok: true, server }),
      (error: unknown): Started => ({ ok: false, error }),
    ),
  )
  const stopping: Array<Promise<void> | undefined> = []
  // Once per server, and never throwing: a stop that fails is logged (the target's stop kills by pid then).
  const stop = (k: number) =>
    (stopping[k] ??= starts[k]!.then(async (started) => {
      if (!started.ok) return
      await started.server
        .stop()
        .catch((err: unknown) => log(`${o.subjects[k]}: stop failed: ${err instanceof Error ? err.message : String(err)}`))
    }))
  const subjects: SubjectMemory[] = []
  const skipped: MemoryResults['skipped'] = []
  try {
    for (const [k, id] of o.subjects.entries()) {
      // Every subject's clients from source addresses of their own: no wait on another's TIME_WAIT ports.
      const firstSource = FIRST_SOURCE + k * o.sizes.length * SOURCES_PER_HOLDER * Math.ceil(max / 10_000)
      const started = await starts[k]!
      try {
        if (!started.ok) throw started.error
        subjects.push(await measureSubject(id, started.server, o, firstSource, log))
      } catch (err) {
        if (id !== 'socketio') throw err
        const reason = err instanceof Error ? err.message : String(err)
        log(`${id}: not measured: ${reason}`)
        skipped.push({ id, reason })
      } finally {
        // In the background: the next subject does not wait for it.
        void stop(k)
      }
    }
  } finally {
    // Every server started, measured or not.
    await Promise.all(o.subjects.map((_, k) => stop(k)))
  }
  return { options: o, subjects, skipped }
}
