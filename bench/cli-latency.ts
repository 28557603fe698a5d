/**
 * The CLI latency measurement (bench/scenarios/cli-latency.ts reports it): the wall time of
 * operator commands against a daemon that holds N idle connections, each spawned as an operator
 * runs it (`node bin/run.js … -c <config>`), from the spawn to the end of its output. Beside
 * them, what the time is made of: Node's own start, loading @oclif/core, oclif's start up to
 * `--version`, importing every command module, and the daemon's side of the call (the same
 * JSON-RPC request over the control socket, from this process).
 *
 * The commands run in turn, round after round, so noise on the machine falls on all alike.
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { IpcClient } from '../src/ipc/client.js'
import type { ConnectionsListResult } from '../src/contracts/control-api.js'
import type { ConnectFigures } from './fan-out-client.js'
import { waitForQuiet } from './lib/cpu.js'
import { openIdleClients, type IdleClients } from './lib/idle-clients.js'
import { CLI, startMswoole } from './lib/mswoole-target.js'
import { REPO_ROOT } from './lib/paths.js'
import { openFilesLimit } from './load-client.js'

export interface CliLatencyOptions {
  /** Idle connections the daemon holds while the commands run. */
  connections: number
  /** Runs of each command. */
  runs: number
  /** Other work on the machine (cores) under which the runs may start, and the seconds to wait for it. */
  quietCores: number
  quietMaxWait: number
  /** One untimed run of each command first (the first start of a command reads its files from disk). */
  warmup: boolean
}

export const FULL: CliLatencyOptions = { connections: 10_000, runs: 10, quietCores: 0.3, quietMaxWait: 20, warmup: true }
export const QUICK: CliLatencyOptions = { connections: 2_000, runs: 3, quietCores: 0.3, quietMaxWait: 2, warmup: false }

/** Source addresses 127.0.0.<FIRST_SOURCE>… for this scenario's clients (bench/memory.ts uses 150…). */
const FIRST_SOURCE = 210
/** Seconds one command may take before it is killed and the run fails. */
const COMMAND_TIMEOUT_MS = 20_000

export type CommandId = 'node' | 'oclifImport' | 'commandsImport' | 'version' | 'status' | 'connLs' | 'connLsPage'

export interface CommandTiming {
  id: CommandId
  /** As an operator types it. */
  command: string
  /** Wall milliseconds of every run, in order. */
  samples: number[]
  median: number
  min: number
  max: number
  /** Bytes the last run wrote to stdout. */
  stdoutBytes: number
}

export interface DaemonTiming {
  method: 'status' | 'connections.list'
  /** Connect, call, close: what the CLI's own round trip costs at the daemon's end. */
  samples: number[]
  median: number
  max: number
}

export interface CliLatencyResults {
  options: CliLatencyOptions
  connections: { asked: number; held: number; connect: ConnectFigures }
  commands: CommandTiming[]
  daemon: DaemonTiming[]
  /** `conn ls --json` as parsed once: the total it reported and the rows it printed. */
  listing: { total: number; rows: number }
  /** Other work on the machine (cores) when the runs began. */
  otherCoresBefore: number | null
  loadAverageBefore: number
  appJson: Record<string, unknown>
}

interface CommandSpec {
  id: CommandId
  command: string
  argv: string[]
  cwd: string
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)] ?? 0
}
const round1 = (v: number) => Math.round(v * 10) / 10

/** Without ambient MSWOOLE_* variables, which would override the bench config. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MSWOOLE_')))
}

/** Runs one command to its end; resolves with its wall milliseconds and stdout, rejects on a non-zero exit or the timeout. */
function timeCommand(spec: CommandSpec): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, spec.argv, { cwd: spec.cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    // 'close': the process exited and its output is all read, as an operator's terminal sees it.
    child.once('close', (code, signal) => {
      const ms = performance.now() - started
      clearTimeout(timer)
      if (code === 0) resolve({ ms, stdout: Buffer.concat(out).toString('utf8') })
      else
        reject(
          new Error(
            `${spec.command} exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${COMMAND_TIMEOUT_MS / 1000} s)` : ''}: ${Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? ''}`,
          ),
        )
    })
  })
}

/** Every compiled command module, as oclif imports them to list the commands when no oclif.manifest.json ships. */
function commandModules(): string[] {
  const dir = path.join(REPO_ROOT, 'dist', 'commands')
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => pathToFileURL(path.join(dir, f)).href)
}

function specs(root: string, configDir: string): CommandSpec[] {
  const cli = path.relative(root, CLI)
  const mods = commandModules()
  return [
    { id: 'node', command: "node -e ''", argv: ['-e', ''], cwd: root },
    {
      id: 'oclifImport',
      command: 'node --input-type=module -e "await import(\'@oclif/core\')"',
      argv: ['--input-type=module', '-e', "await import('@oclif/core')"],
      cwd: REPO_ROOT,
    },
    {
      id: 'commandsImport',
      command: `node --input-type=module -e "<import the ${mods.length} modules of dist/commands/>"`,
      argv: ['--input-type=module', '-e', `await Promise.all(${JSON.stringify(mods)}.map((m) => import(m)))`],
      cwd: REPO_ROOT,
    },
    { id: 'version', command: 'node bin/run.js --version', argv: [cli, '--version'], cwd: root },
    { id: 'status', command: 'node bin/run.js status -c <config>', argv: [cli, 'status', '-c', configDir], cwd: root },
    {
      id: 'connLs',
      command: 'node bin/run.js conn ls --json -c <config>',
      argv: [cli, 'conn', 'ls', '--json', '-c', configDir],
      cwd: root,
    },
    {
      id: 'connLsPage',
      command: 'node bin/run.js conn ls --json --limit 1000 -c <config>',
      argv: [cli, 'conn', 'ls', '--json', '--limit', '1000', '-c', configDir],
      cwd: root,
    },
  ]
}

async function timeDaemon(socket: string, method: DaemonTiming['method'], runs: number): Promise<DaemonTiming> {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const client = await IpcClient.connect(socket, 5000)
    try {
      if (method === 'status') await client.call('status', {}, { timeoutMs: 10_000 })
      else await client.call('connections.list', {}, { timeoutMs: 10_000 })
    } finally {
      client.close()
    }
    samples.push(round1(performance.now() - started))
  }
  return { method, samples, median: median(samples), max: Math.max(...samples) }
}

export async function measureCliLatency(o: CliLatencyOptions, log: (m: string) => void): Promise<CliLatencyResults> {
  const limit = openFilesLimit()
  if (limit !== undefined && limit < o.connections + 500) {
    throw new Error(
      `cli-latency: ${o.connections} connections need an open-files limit of at least ${o.connections + 500} (the daemon holds one descriptor per connection), and ulimit -n is ${limit}`,
    )
  }
  const target = await startMswoole({ tokens: o.connections })
  let clients: IdleClients | undefined
  try {
    clients = await openIdleClients({ url: target.url, connections: o.connections, firstSource: FIRST_SOURCE })
    const ipc = await IpcClient.connect(target.socket, 5000)
    let held = 0
    try {
      const deadline = performance.now() + 30_000
      for (;;) {
        held = (await ipc.call('status', {})).connections
        if (held >= clients.connect.opened || performance.now() >= deadline) break
        await new Promise((r) => setTimeout(r, 200))
      }
    } finally {
      ipc.close()
    }
    log(`the daemon holds ${held} idle connections (opened in ${clients.connect.seconds} s)`)
    if (held < o.connections)
      log(
        `  fewer than the ${o.connections} asked: ${clients.connect.failed} connects failed (${clients.connect.failures.slice(0, 2).join('; ')})`,
      )

    const all = specs(target.root, target.configDir)
    const samples = new Map<CommandId, number[]>(all.map((s) => [s.id, []]))
    const lastOut = new Map<CommandId, string>()
    if (o.warmup) for (const spec of all) await timeCommand(spec)
    const loadAverageBefore = loadavg()[0] ?? 0
    const otherCoresBefore = await waitForQuiet(o.quietCores, o.quietMaxWait, [target.pid])
    if (otherCoresBefore !== null && otherCoresBefore > o.quietCores)
      log(`  (machine busy: ${otherCoresBefore} cores of other work when the runs began)`)
    for (let r = 0; r < o.runs; r++) {
      for (const spec of all) {
        const { ms, stdout } = await timeCommand(spec)
        samples.get(spec.id)!.push(round1(ms))
        lastOut.set(spec.id, stdout)
      }
    }
    const commands: CommandTiming[] = all.map((spec) => {
      const xs = samples.get(spec.id)!
      return {
        id: spec.id,
        command: spec.command,
        samples: xs,
        median: median(xs),
        min: Math.min(...xs),
        max: Math.max(...xs),
        stdoutBytes: Buffer.byteLength(lastOut.get(spec.id) ?? ''),
      }
    })
    for (const c of commands) log(`${c.command}: median ${c.median} ms, max ${c.max} ms`)
    const listed = JSON.parse(lastOut.get('connLs') ?? '{}') as Partial<ConnectionsListResult>
    const daemon = [await timeDaemon(target.socket, 'status', o.runs), await timeDaemon(target.socket, 'connections.list', o.runs)]
    return {
      options: o,
      connections: { asked: o.connections, held, connect: clients.connect },
      commands,
      daemon,
      listing: { total: listed.total ?? 0, rows: listed.connections?.length ?? 0 },
      otherCoresBefore,
      loadAverageBefore,
      appJson: target.appJson,
    }
  } finally {
    await clients?.close()
    await target.stop()
  }
}
