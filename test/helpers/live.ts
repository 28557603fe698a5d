import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, type Selectable } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import WebSocket from 'ws'
import type { LiveDB, WallMessageTable } from '../../app/Live/Model/schema.js'
import { cleanupProject, cli, startDaemon } from './cli.js'
import { mintToken, TestClient, type Envelope } from './client.js'
import { writeClusterCache } from './cluster.js'
import { within } from './poll.js'
import { startPostgres, type PostgresServer } from './postgres.js'
import { makeProject, type AppJson, type Project } from './project.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

/**
 * The Live module (app/Live) end to end: a daemon started through the CLI on
 * the sample app, real clients, and a direct look at the database. Every Live
 * suite runs in both modes: the embedded defaults, and Redis + PostgreSQL.
 */

export interface LiveMode {
  name: string
  /** Redis store and PostgreSQL; otherwise the memory store and SQLite (the defaults). */
  external: boolean
}

export const LIVE_MODES: LiveMode[] = [
  { name: 'memory store + SQLite', external: false },
  { name: 'Redis store + PostgreSQL', external: true },
]

/** How long one awaited frame may take before the test fails. */
export const EVENT_MS = 15_000
const CLOSE_MS = 5000

/** A redis-server and a PostgreSQL server for one test file, started once and shared by its suites. */
export interface LiveServers {
  redis(): RedisServer
  postgres(): PostgresServer
}

export function useLiveServers(): LiveServers {
  let redis: RedisServer | undefined
  let postgres: PostgresServer | undefined
  beforeAll(async () => {
    ;[redis, postgres] = await Promise.all([startRedisServer(), startPostgres()])
  }, 120_000)
  afterAll(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()])
  })
  return {
    redis: () => started(redis, 'redis-server'),
    postgres: () => started(postgres, 'PostgreSQL'),
  }
}

function started<T>(server: T | undefined, what: string): T {
  if (server === undefined) throw new Error(`${what} did not start`)
  return server
}

/** One suite's daemon: started before its tests, clients closed after each, stopped after all. */
export function useLiveEvent(servers: LiveServers, mode: LiveMode, app: AppJson = {}, env: Record<string, string> = {}): () => LiveEvent {
  let event: LiveEvent | undefined
  beforeAll(async () => {
    event = await LiveEvent.start(servers, mode, app, 1, env)
  }, 120_000)
  afterEach(async () => {
    await event?.closeClients()
  })
  afterAll(async () => {
    await event?.stop()
  })
  return () => started(event, 'the daemon')
}

/** The seed's join replies: no param. */
export const USER_JOINED = { status: 200, event: 'userJoinSuccess', info: '加入房间成功' }
export const WALL_JOINED = { status: 200, event: 'wallJoinSuccess', info: '加入房间成功' }

/** What nextOrMarker answers when the marker it waits for arrives. */
export const MARKED = Symbol('marked')
const MARKER_PREFIX = 'live-test-marker '

/** The number of a marker envelope (Index.say's "said" with our text), or undefined for any other. */
function markerOf(envelope: Envelope): number | undefined {
  if (envelope.event !== 'said' || !envelope.info.startsWith(MARKER_PREFIX)) return undefined
  return Number(envelope.info.slice(MARKER_PREFIX.length))
}

let nextCode = 1
let nextUser = 100

/** A fresh event code, so tests sharing a daemon never meet. */
export function newCode(name = 'event'): string {
  return `${name}-${nextCode++}-${randomBytes(3).toString('hex')}`
}

export function newUserId(): number {
  return nextUser++
}

export interface ClientFields {
  id?: number | string
  type: string
  code: string
  nickname?: string
}

/** One daemon of a LiveEvent: its project folder and the outside port clients connect to. */
export interface LiveNode {
  project: Project
  port: number
}

/** Daemons (one, or the nodes of a cluster) running the sample app in one mode, their clients, and their database. */
export class LiveEvent {
  readonly #clients: LiveClient[] = []
  readonly #markers = new Map<string, LiveClient>()
  #db: Kysely<LiveDB> | undefined
  #markerCount = 1

  private constructor(
    readonly mode: LiveMode,
    readonly nodes: LiveNode[],
    /** Where the database is: the SQLite file or the PostgreSQL URL. */
    readonly database: { sqlite: string } | { postgres: string },
  ) {}

  /** Starts the daemon; with `nodes` > 1 (Redis + PostgreSQL only), a cluster of that many on one prefix and one database. */
  /** `env` reaches the daemons and so the app's workers (LIVE_MAX_PENDING, say). */
  static async start(
    servers: LiveServers,
    mode: LiveMode,
    app: AppJson = {},
    nodes = 1,
    env: Record<string, string> = {},
  ): Promise<LiveEvent> {
    if (nodes > 1 && !mode.external) throw new Error('a cluster needs the Redis store')
    const projects: Project[] = []
    try {
      let database: { sqlite: string } | { postgres: string }
      if (mode.external) {
        const prefix = `live${randomBytes(4).toString('hex')}:`
        const url = await servers.postgres().createDatabase()
        database = { postgres: url }
        for (let i = 1; i <= nodes; i++) {
          const project = await makeProject({ ...app, node_id: `node-${i}` })
          projects.push(project)
          await writeClusterCache(project, servers.redis().url, prefix)
          await writeFile(path.join(project.configDir, 'db.json'), JSON.stringify({ driver: 'postgres', url }, null, 2))
        }
      } else {
        const project = await makeProject(app)
        projects.push(project)
        // No db.json: the default, SQLite in the runtime folder.
        database = { sqlite: path.join(project.runtime, 'mswoole.db') }
      }
      const started: LiveNode[] = []
      // One after the other: the first runs the migrations, the others find them done.
      for (const project of projects) started.push({ project, port: (await startDaemon(project, { env })).outside.port })
      return new LiveEvent(mode, started, database)
    } catch (err) {
      await Promise.all(projects.map(cleanupProject))
      throw err
    }
  }

  /** A client of node `node` (0: the first) with a token of these fields (nickname defaults to "User <id>"). */
  async connect(fields: ClientFields, node = 0): Promise<LiveClient> {
    const id = fields.id ?? newUserId()
    const token = await mintToken({ nickname: `User ${id}`, ...fields, id })
    const { port } = this.nodes[node] as LiveNode
    const raw = await within(TestClient.connect(`ws://127.0.0.1:${port}/?auth=${encodeURIComponent(token)}`), EVENT_MS, 'connect')
    const client = new LiveClient(raw, `${fields.type} ${id} of ${fields.code}${node > 0 ? ` on node ${node + 1}` : ''}`)
    this.#clients.push(client)
    return client
  }

  /** A phone that has joined event `code` (the walls' userCount is left to the test to read). */
  async user(code: string, fields: Partial<ClientFields> = {}, node = 0): Promise<LiveClient> {
    const client = await this.connect({ type: 'wechatUser', code, ...fields }, node)
    expect(await client.call('live.user.join', {}, 'userJoinSuccess')).toEqual(USER_JOINED)
    return client
  }

  /**
   * A big screen that has joined event `code`. With extras (the default) it also
   * gets the port's own updates, and the user count it is given on joining is read;
   * without, it sees exactly the seed's frames.
   */
  async wall(code: string, fields: Partial<ClientFields> = {}, node = 0, extras = true): Promise<LiveClient> {
    const client = await this.connect({ type: 'wall', code, ...fields }, node)
    expect(await client.call('live.wall.join', extras ? { extras: true } : {}, 'wallJoinSuccess')).toEqual(WALL_JOINED)
    if (extras) expect((await client.receive('userCount')).param).toMatchObject({ code })
    return client
  }

  /**
   * Asserts that none of `clients` has anything left to receive from what
   * happened so far: a marker sent to event `code`'s room after it must be
   * the next thing each of them gets. (Index.say sends to the room every
   * connection of a code is in; the earlier sends were written before the
   * replies the test awaited, so the marker comes after them.)
   */
  async expectNothingMore(code: string, clients: LiveClient[]): Promise<void> {
    const marker = await this.#sendMarker(code)
    for (const client of clients) {
      const next = await client.nextOrMarker(marker)
      expect(next, `${client.label} got ${JSON.stringify(next)} before the marker`).toBe(MARKED)
    }
  }

  /** Every envelope `client` gets before a marker sent now to event `code`'s room, in order. */
  async receivedBeforeMarker(code: string, client: LiveClient): Promise<Envelope[]> {
    const marker = await this.#sendMarker(code)
    const got: Envelope[] = []
    for (;;) {
      const next = await client.nextOrMarker(marker)
      if (next === MARKED) return got
      got.push(next)
    }
  }

  async #sendMarker(code: string): Promise<number> {
    let sender = this.#markers.get(code)
    if (sender === undefined) {
      sender = await this.connect({ type: 'marker', code })
      this.#markers.set(code, sender)
    }
    const marker = this.#markerCount++
    sender.send('index.index.say', { room: code, text: `${MARKER_PREFIX}${marker}` })
    return marker
  }

  /** A row of live_wall_message as the database holds it. */
  async row(id: number): Promise<Selectable<WallMessageTable> | undefined> {
    return this.#database().selectFrom('live_wall_message').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** Renames a table of the event's database, on a connection of its own (to make the daemon's writes fail, and to undo that). */
  async renameTable(from: string, to: string): Promise<void> {
    const statement = `ALTER TABLE ${from} RENAME TO ${to}`
    if ('sqlite' in this.database) {
      const db = new Database(this.database.sqlite, { fileMustExist: true })
      try {
        db.exec(statement)
      } finally {
        db.close()
      }
      return
    }
    const client = new pg.Client({ connectionString: this.database.postgres })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }

  #database(): Kysely<LiveDB> {
    if (this.#db !== undefined) return this.#db
    const dialect =
      'sqlite' in this.database
        ? new SqliteDialect({ database: new Database(this.database.sqlite, { readonly: true, fileMustExist: true }) })
        : new PostgresDialect({ pool: new pg.Pool({ connectionString: this.database.postgres, max: 1 }) })
    this.#db = new Kysely<LiveDB>({ dialect })
    return this.#db
  }

  /** `mswoole stop`, then `mswoole start` on the same projects (clients must connect again: the ports are new). */
  async restart(): Promise<void> {
    await this.closeClients()
    for (const node of this.nodes) {
      const stopped = await cli(node.project, ['stop'])
      expect(stopped.exitCode, stopped.stderr).toBe(0)
      node.port = (await startDaemon(node.project)).outside.port
    }
  }

  async closeClients(): Promise<void> {
    this.#markers.clear()
    await Promise.all(this.#clients.splice(0).map((client) => client.close()))
  }

  async stop(): Promise<void> {
    await this.closeClients()
    await this.#db?.destroy()
    this.#db = undefined
    await Promise.all(this.nodes.map((node) => cleanupProject(node.project)))
  }
}

/** A client of the Live module: sends `method` calls and reads envelopes, the acks left out. */
export class LiveClient {
  constructor(
    readonly raw: TestClient,
    readonly label: string,
  ) {}

  send(method: string, fields: Record<string, unknown> = {}): void {
    this.raw.send({ ...fields, method })
  }

  /** The next envelope, leaving out the `receiveMessage` ack each routed message gets first and the markers. */
  async next(): Promise<Envelope> {
    for (;;) {
      const envelope = await this.#nextEnvelope()
      if (markerOf(envelope) === undefined) return envelope
    }
  }

  /** The next envelope, or MARKED once marker `marker` arrives (older markers, which nobody waited for, are left out). */
  async nextOrMarker(marker: number): Promise<Envelope | typeof MARKED> {
    for (;;) {
      const envelope = await this.#nextEnvelope()
      const seen = markerOf(envelope)
      if (seen === undefined) return envelope
      if (seen === marker) return MARKED
    }
  }

  async #nextEnvelope(): Promise<Envelope> {
    for (;;) {
      const frame = await within(this.raw.nextFrame(), EVENT_MS, `${this.label}: the next frame`)
      const envelope = JSON.parse(frame) as Envelope
      if (envelope.event !== 'receiveMessage') return envelope
    }
  }

  /** The next envelope, which must be `event` with `status`. */
  async receive(event: string, status = 200): Promise<Envelope> {
    const next = await this.next()
    expect(next, `${this.label} expected ${status} ${event}`).toMatchObject({ status, event })
    return next
  }

  /** Sends a call and returns its reply, which must be the next envelope. */
  async call(method: string, fields: Record<string, unknown>, event: string, status = 200): Promise<Envelope> {
    this.send(method, fields)
    return this.receive(event, status)
  }

  /** Closes and waits until the server has answered the close. */
  async close(): Promise<void> {
    const ws = this.raw.ws
    if (ws.readyState === WebSocket.CLOSED) return
    this.raw.close()
    try {
      await within(this.raw.closed(), CLOSE_MS, `${this.label}: close`)
    } catch {
      ws.terminate()
    }
  }
}
