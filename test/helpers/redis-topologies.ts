import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { LineCollector } from './lines.js'
import { poll, within } from './poll.js'
import { freePort } from './redis-server.js'
import { ensureProgram } from './system-package.js'
import { afterAll, beforeAll } from 'vitest'

const REDIS_SERVER = '/usr/bin/redis-server'
const REDIS_CLI = '/usr/bin/redis-cli'
const HOST = '127.0.0.1'
const MASTER_NAME = 'mymaster'

/** A port taken between our probe and redis-server's bind is retried on another free port, this many times. */
const PORT_ATTEMPTS = 5
/** Probes for a Cluster node's port whose bus port (port + 10000) is free too. */
const CLUSTER_PORT_PROBES = 50
/** The highest port whose cluster bus port still exists. */
const MAX_CLUSTER_PORT = 65535 - 10000
const START_TIMEOUT_MS = 15_000
const KILL_AFTER_MS = 5000
/** How long the topology may take to settle (the sentinel seeing its replica, the Cluster's slots agreed). */
const SETTLE_MS = 30_000
/** One redis-cli call; it answers at once from a live server. */
const CLI_TIMEOUT_MS = 10_000

/** One redis-server process of a topology. */
export interface RedisNode {
  readonly port: number
  readonly pid: number
  /** SIGKILL, as a crash would end it, and wait for it to exit. */
  crash(): Promise<void>
}

export interface RedisSentinel {
  /** What ioredis takes as `sentinels`. */
  readonly sentinels: Array<{ host: string; port: number }>
  /** The monitored primary's name, what ioredis takes as `name`. */
  readonly name: string
  readonly primary: RedisNode
  /** With `{ replica: true }`: a replica of the primary that the sentinel knows about, so a failover can promote it. */
  readonly replica: RedisNode | undefined
  readonly sentinel: RedisNode
  /** The primary's address as the sentinel names it now (it changes after a failover); undefined if it answers none. */
  primaryAddress(): Promise<{ host: string; port: number } | undefined>
  /** Stops every process (SIGTERM, then SIGKILL) and removes the folder; harmless when already stopped. */
  stop(): Promise<void>
}

export interface SentinelOptions {
  /** Starts a replica of the primary too, and waits until the sentinel lists it as a healthy replica. */
  replica?: boolean
}

/**
 * A primary redis-server and one Sentinel monitoring it (quorum 1, short
 * timeouts, so a dead primary is failed over within seconds), optionally with
 * a replica. Memory only, loopback only, in a folder removed by stop().
 */
export async function startRedisSentinel(options: SentinelOptions = {}): Promise<RedisSentinel> {
  const program = await ensureProgram(REDIS_SERVER, 'redis-server')
  const cli = await ensureProgram(REDIS_CLI, 'redis-tools')
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-sentinel-'))
  const started: Running[] = []
  const stop = async (): Promise<void> => {
    // The sentinel first, so it does not fail over while the others stop; then the replica, so the primary has none to wait for.
    for (const running of started.splice(0).reverse()) await terminate(running)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    // No delay before a full sync: the replica is in sync as soon as it has connected.
    const primary = await launchOnFreePort('primary', (port) => ({
      program,
      args: [...serverArgs(port, dir), '--repl-diskless-sync-delay', '0'],
      ready: READY,
    }))
    started.push(primary)
    let replica: Running | undefined
    if (options.replica === true) {
      replica = await launchOnFreePort('replica', (port) => ({
        program,
        args: [...serverArgs(port, dir), '--replicaof', HOST, String(primary.port)],
        // In sync with the primary: the sentinel's first look at the primary then lists it.
        ready: (line) => line.includes('MASTER <-> REPLICA sync: Finished with success'),
      }))
      started.push(replica)
    }
    const sentinel = await launchOnFreePort('sentinel', (port) => ({
      program,
      // Sentinel rewrites its configuration file: it lives in our folder, one per attempt.
      args: [path.join(dir, `sentinel-${port}.conf`), '--sentinel'],
      ready: (line) => line.includes(`+monitor master ${MASTER_NAME} `),
      prepare: () => writeFile(path.join(dir, `sentinel-${port}.conf`), sentinelConfig(port, primary.port, dir)),
    }))
    started.push(sentinel)

    const primaryAddress = async (): Promise<{ host: string; port: number } | undefined> => {
      const { stdout, exitCode } = await redisCli(cli, sentinel.port, ['sentinel', 'get-master-addr-by-name', MASTER_NAME])
      const [host, port] = stdout.split('\n').map((line) => line.trim())
      return exitCode === 0 && host !== undefined && host !== '' && port !== undefined && /^\d+$/.test(port)
        ? { host, port: Number(port) }
        : undefined
    }
    const known = await poll(primaryAddress, (address) => address?.port === primary.port, SETTLE_MS)
    if (known?.port !== primary.port)
      throw new Error(`the sentinel on port ${sentinel.port} names ${JSON.stringify(known)} as ${MASTER_NAME}, not port ${primary.port}`)
    if (replica !== undefined) {
      const port = replica.port
      const replicas = await poll(
        () => sentinelReplicas(cli, sentinel.port),
        (list) => list.some((r) => r.port === String(port) && r.flags === 'slave' && r['master-link-status'] === 'ok'),
        SETTLE_MS,
      )
      if (!replicas.some((r) => r.port === String(port) && r.flags === 'slave')) {
        throw new Error(`the sentinel on port ${sentinel.port} does not list the replica on port ${port}: ${JSON.stringify(replicas)}`)
      }
    }
    return {
      sentinels: [{ host: HOST, port: sentinel.port }],
      name: MASTER_NAME,
      primary: node(primary),
      replica: replica === undefined ? undefined : node(replica),
      sentinel: node(sentinel),
      primaryAddress,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

export interface RedisClusterTopology {
  /** The startup nodes, what cache.json's `cluster` and ioredis' Cluster take. */
  readonly nodes: string[]
  readonly masters: RedisNode[]
  /** Stops every node (SIGTERM, then SIGKILL) and removes the folder; harmless when already stopped. */
  stop(): Promise<void>
}

/**
 * A Redis Cluster of `masters` primaries (no replicas) made by
 * `redis-cli --cluster create`, resolved once every node reports
 * cluster_state:ok. Memory only, loopback only, in a folder removed by stop().
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterTopology> {
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters, not ${masters}`)
  const program = await ensureProgram(REDIS_SERVER, 'redis-server')
  const cli = await ensureProgram(REDIS_CLI, 'redis-tools')
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-redis-cluster-'))
  const started: Running[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(started.splice(0).map(terminate))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < masters; i++) {
      const running = await launchOnFreePort(
        `cluster node ${i + 1}`,
        (port) => ({
          program,
          args: [
            ...serverArgs(port, dir),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '2000',
          ],
          ready: READY,
        }),
        freeClusterPort,
      )
      started.push(running)
    }
    const addresses = started.map((running) => `${HOST}:${running.port}`)
    const create = await execa(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      reject: false,
      stdin: 'ignore',
      timeout: SETTLE_MS,
    })
    if (create.exitCode !== 0)
      throw new Error(`redis-cli --cluster create failed (${create.exitCode ?? 'timeout'}):\n${create.stdout}\n${create.stderr}`)

    // Every node, since a client may ask any of them for the slots.
    for (const running of started) {
      const info = await poll(
        async () => (await redisCli(cli, running.port, ['cluster', 'info'])).stdout,
        (text) => text.includes('cluster_state:ok') && text.includes(`cluster_known_nodes:${masters}`),
        SETTLE_MS,
      )
      if (!info.includes('cluster_state:ok')) throw new Error(`cluster node on port ${running.port} is not ok:\n${info}`)
    }
    return { nodes: started.map((running) => `redis://${HOST}:${running.port}`), masters: started.map(node), stop }
  } catch (err) {
    await stop()
    throw err
  }
}

interface Running {
  child: ChildProcess
  port: number
  output: LineCollector
  errors: LineCollector
}

interface Launch {
  program: string
  args: string[]
  /** The line that says the process is listening (and whatever else it waits for). */
  ready: (line: string) => boolean
  /** Runs before the spawn (writes a configuration file for this port). */
  prepare?: () => Promise<void>
}

const READY = (line: string): boolean => line.includes('Ready to accept connections')

/** Thrown when redis-server exits because its port was taken, so it can be tried on another. */
class PortInUseError extends Error {}

/** No persistence: nothing to load at start, nothing to write at stop. */
function serverArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no']
}

function sentinelConfig(port: number, primaryPort: number, dir: string): string {
  return [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${dir}`,
    'daemonize no',
    `sentinel monitor ${MASTER_NAME} ${HOST} ${primaryPort} 1`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
    `sentinel failover-timeout ${MASTER_NAME} 5000`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n')
}

async function launchOnFreePort(
  what: string,
  launch: (port: number) => Launch,
  pickPort: () => Promise<number> = freePort,
): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort()
    try {
      return await start(what, port, launch(port))
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw err
    }
  }
}

/** Starts one process and resolves once it prints its ready line. */
async function start(what: string, port: number, { program, args, ready, prepare }: Launch): Promise<Running> {
  await prepare?.()
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new LineCollector(child.stdout, `${what} on port ${port}`)
  // Errors before logging (a bad argument, a bad configuration file) go to stderr.
  const errors = new LineCollector(child.stderr, `${what} stderr`)
  const running: Running = { child, port, output, errors }
  try {
    await once(child, 'spawn')
    await within(output.waitFor(ready), START_TIMEOUT_MS, `${what} on port ${port} starting`)
    return running
  } catch (err) {
    await terminate(running)
    const printed = [...output.lines, ...errors.lines]
    if (printed.some((line) => line.includes('Address already in use'))) throw new PortInUseError(`port ${port} is in use`)
    throw new Error(`${what} did not start on port ${port}:\n${printed.join('\n')}`, { cause: err })
  }
}

function node(running: Running): RedisNode {
  return {
    port: running.port,
    pid: running.child.pid as number,
    async crash() {
      await kill(running.child, 'SIGKILL')
    },
  }
}

async function terminate({ child }: Running): Promise<void> {
  await kill(child, 'SIGTERM')
}

/** Sends `signal` (SIGKILL after a while if it is still running) and waits for the exit; harmless when it has exited. */
async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}

/** A free port low enough to have a cluster bus port (port + 10000), which is free too. */
async function freeClusterPort(): Promise<number> {
  for (let probe = 0; probe < CLUSTER_PORT_PROBES; probe++) {
    const port = await freePort()
    if (port <= MAX_CLUSTER_PORT && (await canBind(port + 10000))) return port
  }
  throw new Error(`no free port with a free cluster bus port in ${CLUSTER_PORT_PROBES} probes`)
}

async function canBind(port: number): Promise<boolean> {
  const server = createServer()
  server.listen(port, HOST)
  try {
    await once(server, 'listening')
  } catch {
    return false
  }
  server.close()
  await once(server, 'close')
  return true
}

async function redisCli(cli: string, port: number, args: string[]): Promise<{ exitCode: number; stdout: string }> {
  const result = await execa(cli, ['-h', HOST, '-p', String(port), ...args], { reject: false, stdin: 'ignore', timeout: CLI_TIMEOUT_MS })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout) }
}

/** `SENTINEL REPLICAS`, one record of field → value per replica (redis-cli prints the nested arrays flat). */
async function sentinelReplicas(cli: string, port: number): Promise<Array<Record<string, string>>> {
  const { stdout, exitCode } = await redisCli(cli, port, ['sentinel', 'replicas', MASTER_NAME])
  if (exitCode !== 0) return []
  const lines = stdout.split('\n').map((line) => line.trim())
  const replicas: Array<Record<string, string>> = []
  let current: Record<string, string> | undefined
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const key = lines[i] as string
    const value = lines[i + 1] as string
    if (key === 'name' || current === undefined) {
      current = {}
      replicas.push(current)
    }
    current[key] = value
  }
  return replicas
}

/** Starting a topology (several redis-servers, a cluster create) on a busy machine. */
const SETUP_MS = 60_000

/** A topology for one describe block: started before its tests, stopped after them; the getter throws if the start failed. */
export function useTopology<T extends { stop(): Promise<void> }>(start: () => Promise<T>): () => T {
  let topology: T | undefined
  beforeAll(async () => {
    topology = await start()
  }, SETUP_MS)
  afterAll(async () => {
    await topology?.stop()
  })
  return () => {
    if (topology === undefined) throw new Error('the Redis topology did not start')
    return topology
  }
}
