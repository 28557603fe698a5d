import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import WebSocket from 'ws'
import type { DirectoryEntry } from '../../src/daemon/cluster/directory-entry.js'
import { withDaemon } from '../../src/ipc/client.js'
import type { ConnectionsListResult, MethodName, ParamsOf, ResultOf, StatusResult } from '../../src/contracts/control-api.js'
import { cleanupProject, cliJson, startDaemon } from './cli.js'
import { mintToken, TestClient } from './client.js'
import { poll, within } from './poll.js'
import { FIXTURE_APP, makeProject, type AppJson, type Project } from './project.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

export { FIXTURE_APP }

/** One node of a test cluster: its own project folder, sharing Redis and a prefix with the others. */
export interface ClusterNode extends Project {
  nodeId: string
}

export interface ClusterOptions {
  redisUrl: string
  /** How many nodes; their ids are node-1, node-2, … */
  nodes: number
  /** app.json for every node (merged as makeProject merges it). */
  app?: AppJson
  /** The store prefix; a fresh one per cluster by default, so clusters sharing one Redis never meet. */
  prefix?: string
}

/** Project folders for a cluster on one Redis: cache.json names the Redis store, app.json a node id. */
export async function makeClusterProjects(options: ClusterOptions): Promise<ClusterNode[]> {
  const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}:`
  const nodes: ClusterNode[] = []
  for (let i = 1; i <= options.nodes; i++) {
    const nodeId = `node-${i}`
    const project = await makeProject({ ...options.app, node_id: nodeId })
    await writeClusterCache(project, options.redisUrl, prefix)
    nodes.push({ ...project, nodeId })
  }
  return nodes
}

export async function writeClusterCache(project: Project, redisUrl: string, prefix: string): Promise<void> {
  await writeFile(path.join(project.configDir, 'cache.json'), JSON.stringify({ driver: 'redis', url: redisUrl, prefix }, null, 2))
}

/** A started node: its project folder and what `mswoole start` reported. */
export interface RunningNode extends ClusterNode {
  status: StatusResult
  /** The outside port clients connect to. */
  port: number
}

export interface RunningCluster {
  redisUrl: string
  prefix: string
  nodes: RunningNode[]
}

/** The token fields a test client connects with; `type` defaults to wechatUser. */
export interface ClientFields {
  id: number | string
  code: string
  type?: string
}

/** How long a single awaited event (a frame, a close, a connect) may take before the test fails. */
export const EVENT_MS = 15_000
/**
 * A hook that starts a cluster: each node is a daemon of ~2.5 CPU-s to start, all
 * started at once, so on a busy 2-core machine three nodes can take minutes of wall time.
 * The tests themselves keep the default timeout.
 */
export const CLUSTER_START_MS = 180_000
const CLOSE_MS = 5000

/**
 * The clusters, extra projects and clients of one test file, so every one of
 * them is stopped and removed afterwards whatever the test did: call
 * closeClients() and cleanup() from afterEach / afterAll.
 */
export class ClusterHarness {
  readonly #projects: Project[] = []
  readonly #clients: TestClient[] = []

  /** Project folders for the nodes, then every node started at once; a node that fails to start fails the call. */
  async start(options: ClusterOptions): Promise<RunningCluster> {
    const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}:`
    const projects = await makeClusterProjects({ ...options, prefix })
    this.#projects.push(...projects)
    const started = await Promise.all(projects.map((project) => startDaemon(project)))
    const nodes = projects.map((project, i) => {
      const status = started[i] as StatusResult
      return { ...project, status, port: status.outside.port }
    })
    return { redisUrl: options.redisUrl, prefix, nodes }
  }

  /** Another project on the cluster's Redis and prefix (one that is not started here). */
  async extraProject(cluster: RunningCluster, app: AppJson): Promise<Project> {
    const project = await makeProject(app)
    this.#projects.push(project)
    await writeClusterCache(project, cluster.redisUrl, cluster.prefix)
    return project
  }

  /** A client of `node`'s outside port with a token of these fields. */
  async connect(node: RunningNode, fields: ClientFields): Promise<TestClient> {
    const token = await mintToken({ type: 'wechatUser', ...fields })
    const client = await within(TestClient.connect(`ws://127.0.0.1:${node.port}/?auth=${token}`), EVENT_MS, `connect to ${node.nodeId}`)
    this.#clients.push(client)
    return client
  }

  async closeClients(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map(closeClient))
  }

  async cleanup(): Promise<void> {
    await this.closeClients()
    await Promise.all(this.#projects.splice(0).map(cleanupProject))
  }
}

/** Closes a client and waits for the close to finish (at once for one whose server went away). */
export async function closeClient(client: TestClient): Promise<void> {
  if (client.ws.readyState === WebSocket.CLOSED) return
  client.close()
  try {
    await within(client.closed(), CLOSE_MS, 'client close')
  } catch {
    client.ws.terminate()
  }
}

/** The node's fd for this client, as the server sees it (the fixture app's Index.echo answers it). */
export async function fdOf(client: TestClient): Promise<number> {
  const answer = await within(client.ask({ method: 'index.index.echo' }, 'echo'), EVENT_MS, 'echo')
  return (answer.param as { fd: number }).fd
}

/** The client's connection id "<node>:<fd>". */
export async function cidOf(node: ClusterNode, client: TestClient): Promise<string> {
  return `${node.nodeId}:${await fdOf(client)}`
}

/**
 * One call on the node's control socket: the answer `mswoole <command> --json`
 * prints for it, without starting a CLI process (most of a CPU-second each, and
 * the polls below make many). The tests run the CLI itself for the commands
 * they are about (broadcast, push, kick, start, a listing per file).
 */
export function control<M extends MethodName>(project: Project, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  return withDaemon(project.socket, (client) => client.call(method, params, { timeoutMs: EVENT_MS }))
}

export const nodeStatus = (project: Project): Promise<StatusResult> => control(project, 'status', {})

/** The filters of `conn ls`, as the control API takes them. */
export interface ConnectionFilters {
  room?: string
  type?: string
  uid?: string | number
  node?: string
}

/** `conn ls` as the node answers it, with any filters. */
export const listConnections = (project: Project, filters: ConnectionFilters = {}): Promise<ConnectionsListResult> =>
  control(project, 'connections.list', { ...filters, limit: 1000 })

/** `mswoole conn ls --json` itself, with these flags (`--room r`, `--node n`…). */
export async function cliListConnections(project: Project, flags: string[] = []): Promise<ConnectionsListResult> {
  const args = ['conn', 'ls', '--limit', '1000', ...flags]
  const { exitCode, json, stderr } = await cliJson<ConnectionsListResult>(project, args)
  if (exitCode !== 0) throw new Error(`mswoole ${args.join(' ')} failed (${exitCode}): ${stderr}`)
  return json
}

/** `rooms` as the node answers it: room name → members. */
export async function roomCounts(project: Project): Promise<Record<string, number>> {
  const { rooms } = await control(project, 'rooms.list', { limit: 1000 })
  return Object.fromEntries(rooms.map((room) => [room.name, room.members]))
}

/** The connection ids a node lists, sorted. */
export async function listedCids(project: Project, filters: ConnectionFilters = {}): Promise<string[]> {
  return (await listConnections(project, filters)).connections.map((c) => c.cid).sort()
}

/** Waits until every node lists exactly these connection ids (their entries reach Redis just after the open). */
export async function waitForListing(nodes: readonly Project[], cids: readonly string[]): Promise<void> {
  const expected = [...cids].sort()
  const seen = await Promise.all(
    nodes.map((node) =>
      poll(
        () => listedCids(node),
        (listed) => sameList(listed, expected),
      ),
    ),
  )
  for (const [i, listed] of seen.entries()) {
    if (!sameList(listed, expected))
      throw new Error(`${nodes[i]?.configDir} lists ${JSON.stringify(listed)}, expected ${JSON.stringify(expected)}`)
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}

/** The daemon's log as JSON lines, as `mswoole logs --json` prints them (the daemon flushes its log before it answers). */
export async function daemonLog(project: Project): Promise<Array<Record<string, unknown>>> {
  const { lines } = await control(project, 'logs.tail', { lines: 10_000 })
  return lines.filter((line) => line.trim().length > 0).map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** The log lines whose message starts with `text`. */
export async function logLinesStarting(project: Project, text: string): Promise<Array<Record<string, unknown>>> {
  return (await daemonLog(project)).filter((line) => typeof line.msg === 'string' && line.msg.startsWith(text))
}

/** A direct look at the cluster's keys in Redis (all under its prefix), to check what nodes wrote and removed. */
export class RedisView {
  readonly client: Redis

  constructor(
    url: string,
    readonly prefix: string,
  ) {
    // Fails at once while Redis is away instead of queueing; reconnects by itself.
    this.client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true })
    this.client.on('error', () => {})
  }

  static async open(cluster: Pick<RunningCluster, 'redisUrl' | 'prefix'>): Promise<RedisView> {
    const view = new RedisView(cluster.redisUrl, cluster.prefix)
    await view.client.connect()
    return view
  }

  /** Resolves once the client is connected again (after Redis restarted, it reconnects on its own). */
  async reconnected(): Promise<void> {
    if (this.client.status !== 'ready') await within(once(this.client, 'ready'), EVENT_MS, 'the Redis view reconnecting')
  }

  /** A set's members (a room by its name, `@uid:<uid>`, `@nodes`), sorted. */
  async members(key: string): Promise<string[]> {
    return (await this.client.smembers(this.prefix + key)).sort()
  }

  /** A node's directory: fd → entry. */
  async directory(node: string): Promise<Record<string, DirectoryEntry>> {
    const raw = await this.client.hgetall(this.prefix + `@conns:${node}`)
    return Object.fromEntries(Object.entries(raw).map(([fd, text]) => [fd, JSON.parse(text) as DirectoryEntry]))
  }

  async exists(key: string): Promise<boolean> {
    return (await this.client.exists(this.prefix + key)) === 1
  }

  close(): void {
    this.client.disconnect()
  }
}

/** One test file's cluster setup: a redis-server for the file; nodes, clients and Redis views cleaned after each test. */
export interface ClusterSuite {
  harness: ClusterHarness
  /** Starts nodes on the file's Redis with the fixture app and this `setting`, and a view of their keys. */
  start(nodes: number, setting: Record<string, unknown>): Promise<{ cluster: RunningCluster; view: RedisView }>
  /**
   * start() in a beforeEach of the enclosing describe: a fresh cluster for each of its tests
   * (for tests that kill, restart or cut Redis), started outside the test's own time.
   */
  fresh(nodes: number, setting: Record<string, unknown>): () => { cluster: RunningCluster; view: RedisView }
  redis(): RedisServer
}

export function useClusterSuite(): ClusterSuite {
  let redis: RedisServer | undefined
  const harness = new ClusterHarness()
  const views: RedisView[] = []
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })
  afterEach(async () => {
    for (const view of views.splice(0)) view.close()
    await harness.cleanup()
  })
  const server = (): RedisServer => {
    if (redis === undefined) throw new Error('redis-server did not start')
    return redis
  }
  const start = async (nodes: number, setting: Record<string, unknown>): Promise<{ cluster: RunningCluster; view: RedisView }> => {
    const cluster = await harness.start({ redisUrl: server().url, nodes, app: { app: FIXTURE_APP, setting: { ack: false, ...setting } } })
    const view = await RedisView.open(cluster)
    views.push(view)
    return { cluster, view }
  }
  return {
    harness,
    redis: server,
    start,
    fresh(nodes, setting) {
      let started: { cluster: RunningCluster; view: RedisView } | undefined
      beforeEach(async () => {
        started = undefined
        started = await start(nodes, setting)
      }, CLUSTER_START_MS)
      return () => {
        if (started === undefined) throw new Error('the cluster did not start')
        return started
      }
    },
  }
}
