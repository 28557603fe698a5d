/**
 * Heap snapshots of the daemon and of the plain ws server (bench/baselines/plain-ws.ts), each
 * with no connection and then holding idle connections, to see what an idle connection holds:
 * bytes and objects per connection by kind, written to bench/results/heap-profile-<label>.json,
 * which BENCHMARKS.md shows beside the memory scenario. Each server runs with
 * --heapsnapshot-signal=SIGWINCH, in a folder of its own, where its snapshots land.
 *
 *   node --import tsx bench/heap-profile.ts --label now [--describe TEXT] [--repo DIR] [--connections 5000]
 *
 * --repo takes the daemon from another checkout (built): a change's before and after.
 * Needs a build. A snapshot opens in Chrome DevTools' Memory tab for more.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import { type HeapProfileResults, type HeapSnapshot, type HeapSubjectProfile, kindTotals, perConnection } from './lib/heap-snapshots.js'
import { openIdleClients } from './lib/idle-clients.js'
import { isMain } from './lib/is-main.js'
import { benchProject, benchUrls, cleanEnv } from './lib/mswoole-target.js'
import { RESULTS_DIR } from './lib/paths.js'
import { PLAIN_WS_SCRIPT } from './lib/plain-ws-target.js'
import { establishedOn } from './lib/proc-memory.js'
import { labelledRun, readyPort, requireLabel, RUN_OPTIONS } from './profile.js'

const run = promisify(execFile)
const SIGNAL = 'SIGWINCH'
/** Source addresses 127.0.0.<FIRST_SOURCE>…: the scenarios use lower ones. */
const FIRST_SOURCE = 244
const SETTLE_MS = 3000

interface Server {
  child: ChildProcess
  /** Where its snapshots land. */
  dir: string
  url(index: number): string
  held(): Promise<number>
  stop(): Promise<void>
}

async function startPlain(): Promise<Server> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mswoole-heap-plain-'))
  const child = spawn(
    process.execPath,
    [`--heapsnapshot-signal=${SIGNAL}`, '--import', import.meta.resolve('tsx'), PLAIN_WS_SCRIPT, '--port', '0', '--stdin-lifeline'],
    { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout! })
  const [line] = (await once(lines, 'line')) as [string]
  lines.close()
  child.stdout!.resume()
  const port = Number(line.trim())
  return {
    child,
    dir,
    url: () => `ws://127.0.0.1:${port}/`,
    held: async () => establishedOn('127.0.0.1', port) ?? 0,
    stop: async () => {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function startMswoole(repo: string, tokens: number): Promise<Server> {
  const project = await benchProject({ app: path.join(repo, 'app') })
  const cli = path.join(repo, 'bin', 'run.js')
  const child = spawn(process.execPath, [`--heapsnapshot-signal=${SIGNAL}`, cli, 'start', '--foreground', '-c', project.configDir], {
    cwd: project.root,
    env: cleanEnv(),
    stdio: 'ignore',
  })
  const port = await readyPort(cli, project.configDir, child)
  const urls = await benchUrls(port, tokens)
  return {
    child,
    dir: project.root,
    url: (i) => urls[i % urls.length]!,
    held: async () => {
      const { stdout } = await run(process.execPath, [cli, 'status', '-c', project.configDir, '--json'], { env: cleanEnv() })
      return (JSON.parse(stdout) as { connections: number }).connections
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
      await rm(project.root, { recursive: true, force: true })
    },
  }
}

/** Signals the server and waits until its new snapshot is whole; answers the parsed snapshot. */
async function snapshot(server: Server, seen: Set<string>): Promise<HeapSnapshot> {
  server.child.kill(SIGNAL)
  const deadline = Date.now() + 120_000
  let lastSize = -1
  while (Date.now() < deadline) {
    await delay(500)
    const name = (await readdir(server.dir)).find((n) => n.endsWith('.heapsnapshot') && !seen.has(n))
    if (name === undefined) continue
    const file = path.join(server.dir, name)
    const size = (await stat(file)).size
    if (size > 0 && size === lastSize) {
      const text = await readFile(file, 'utf8')
      try {
        const parsed = JSON.parse(text) as HeapSnapshot
        seen.add(name)
        await rm(file)
        return parsed
      } catch {
        // Still being written: the size held for half a second only by chance.
      }
    }
    lastSize = size
  }
  throw new Error(`pid ${server.child.pid} wrote no heap snapshot within 120 s`)
}

async function profile(
  subject: HeapSubjectProfile['subject'],
  label: string,
  server: Server,
  connections: number,
  firstSource: number,
): Promise<HeapSubjectProfile> {
  const seen = new Set<string>()
  await delay(SETTLE_MS)
  // Taking a snapshot collects the heap first: what is left is what is held.
  const without = kindTotals(await snapshot(server, seen))
  const clients = await openIdleClients({ url: server.url, connections, firstSource })
  try {
    const deadline = Date.now() + 30_000
    while ((await server.held()) < clients.connect.opened && Date.now() < deadline) await delay(200)
    const held = await server.held()
    await delay(SETTLE_MS)
    // Code is what V8 compiled while the connections opened, not what they hold.
    const kinds = perConnection(without, kindTotals(await snapshot(server, seen)), held).filter((k) => k.kind !== '(code)')
    const round = (v: number) => Math.round(v * 100) / 100
    return {
      subject,
      label,
      connections: held,
      bytesPerConnection: round(kinds.reduce((sum, k) => sum + k.bytes, 0)),
      // Kinds under a byte a connection either way are start-up noise (code, caches), not the connection.
      kinds: kinds.filter((k) => Math.abs(k.bytes) >= 1).map((k) => ({ kind: k.kind, bytes: round(k.bytes), count: round(k.count) })),
    }
  } finally {
    await clients.close()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ...RUN_OPTIONS, connections: { type: 'string', default: '5000' } } })
  const label = requireLabel(values.label)
  const repo = path.resolve(values.repo)
  const connections = Number(values.connections)
  const startedAt = new Date().toISOString()
  const subjects: HeapSubjectProfile[] = []
  for (const [k, subject] of (['plain', 'mswoole'] as const).entries()) {
    const server = subject === 'plain' ? await startPlain() : await startMswoole(repo, connections)
    try {
      subjects.push(await profile(subject, subject === 'plain' ? 'plain ws server' : 'mswoole', server, connections, FIRST_SOURCE + k * 4))
    } finally {
      await server.stop()
    }
  }
  const results: HeapProfileResults = {
    kind: 'heap-profile',
    ...(await labelledRun(label, values.describe, repo, startedAt)),
    connections,
    subjects,
  }
  await mkdir(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `heap-profile-${label}.json`)
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${subjects.map((s) => `${s.label} ${Math.round(s.bytesPerConnection)} B/conn`).join(', ')}; ${file}\n`)
}

if (isMain(import.meta.url)) await main()
