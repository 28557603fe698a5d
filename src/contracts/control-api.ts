import { z } from 'zod'
import type { UidPresence } from '../app-api/types.js'
import { CONNECTION_ID, parseConnectionId } from '../protocol/connection-id.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../protocol/json-depth.js'
import { LOG_LEVELS } from '../config/log-levels.js'
import { CLOSE_CODES, isSendableCloseCode } from '../protocol/close-codes.js'

/**
 * The control API's method table: params (validated with zod) and results.
 * The daemon's handlers and the CLI's client are typed from this one module,
 * so the two sides cannot drift apart.
 */

export const MAX_TAIL_LINES = 10_000
export const MAX_PAGE = 1000
/** The longest drain a stop may ask for, in seconds (an hour). */
export const MAX_DRAIN_SECONDS = 3600

/** A close code a server may send: 1000 (normal) or one of the application range 3000–4999. */
const closeCode = z.number().int().refine(isSendableCloseCode, 'close code must be 1000 or 3000–4999')

/** A close frame carries at most 123 bytes of reason. */
const closeReason = z.string().refine((reason) => Buffer.byteLength(reason) <= 123, 'reason must be at most 123 bytes of UTF-8')

const fd = z.number().int().positive()

/**
 * A connection: an fd of the node that takes the request, or a connection id
 * "<node>:<fd>" of any node in the cluster.
 */
const connectionId = z.string().regex(CONNECTION_ID, 'expected an fd or a connection id "<node>:<fd>"')
const connectionRef = z.union([
  fd.transform((value) => ({ node: undefined as string | undefined, fd: value })),
  connectionId.transform((id) => parseConnectionId(id) as { node: string | undefined; fd: number }),
])
const exceptItem = z.union([fd, connectionId])
const paging = {
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(MAX_PAGE).default(100),
}

/** The seed's envelope fields a backend sends: `{status, event, info, param}`. */
const message = {
  status: z.number().int().min(100).max(599).default(200),
  info: z.string().default(''),
  param: z
    .unknown()
    .refine((value) => !nestsDeeperThan(value, MAX_JSON_DEPTH), `param nests deeper than ${MAX_JSON_DEPTH} levels`)
    .optional(),
}

/** A uid as backends have it: the token's `id`, a string or a number. */
const uid = z.union([z.string().min(1).max(256), z.number().int()]).transform(String)

export const paramSchemas = {
  status: z.object({}).strict(),
  reload: z.object({}).strict(),
  stop: z
    .object({
      /** Seconds to wait for clients to close before forcing. */
      timeout: z.number().positive().max(3600).optional(),
      /**
       * Seconds over which to close the clients with 1012 before the stop
       * proper, the port no longer listening; 0 or absent: no drain.
       */
      drain: z
        .number()
        .int('drain must be a whole number of seconds')
        .min(0, 'drain must be 0 or more seconds')
        .max(MAX_DRAIN_SECONDS, `drain must be at most ${MAX_DRAIN_SECONDS} seconds`)
        .optional(),
    })
    .strict(),
  'logs.tail': z
    .object({
      lines: z.number().int().min(0).max(MAX_TAIL_LINES).default(50),
      follow: z.boolean().default(false),
      level: z.enum(LOG_LEVELS).optional(),
    })
    .strict(),
  'connections.list': z
    .object({
      room: z.string().min(1).optional(),
      type: z.string().min(1).optional(),
      uid: uid.optional(),
      ip: z.string().min(1).optional(),
      node: z.string().min(1).optional(),
      ...paging,
    })
    .strict(),
  /** One connection's details: its uids and the names of its session keys besides what the list shows. */
  'connections.get': z.object({ fd: connectionRef }).strict(),
  'connections.kick': z
    .object({
      fd: connectionRef,
      code: closeCode.default(CLOSE_CODES.KICKED),
      reason: closeReason.default('kicked'),
    })
    .strict(),
  broadcast: z
    .object({
      room: z.string().min(1).optional(),
      all: z.literal(true).optional(),
      event: z.string().min(1).max(256).default('serverBroadcast'),
      ...message,
      except: z.array(exceptItem).max(10_000).default([]),
    })
    .strict()
    .refine((p) => (p.room === undefined) !== (p.all === undefined), 'give exactly one of room and all'),
  push: z
    .object({
      fd: connectionRef.optional(),
      uid: uid.optional(),
      event: z.string().min(1).max(256).default('serverPush'),
      ...message,
    })
    .strict()
    .refine((p) => (p.fd === undefined) !== (p.uid === undefined), 'give exactly one of fd and uid'),
  'rooms.list': z
    .object({
      prefix: z.string().optional(),
      /** Also each room's uids, with their connections there (as app.presence answers). */
      presence: z.boolean().optional(),
      ...paging,
    })
    .strict(),
  /** A full garbage collection of the master; only in a daemon started with --expose-gc (benchmarks). */
  'debug.gc': z.object({}).strict(),
} as const

export type MethodName = keyof typeof paramSchemas
export type ParamsOf<M extends MethodName> = z.input<(typeof paramSchemas)[M]>
export type ParsedParamsOf<M extends MethodName> = z.output<(typeof paramSchemas)[M]>

export interface Address {
  host: string
  port: number
}

export interface WorkerStatus {
  id: number
  /** Workers are threads of the daemon: its pid, and the thread's id. */
  pid: number
  threadId: number
  generation: number
  handled: number
  inFlight: number
  memory: number
}

export interface StatusResult {
  running: true
  state: 'starting' | 'running' | 'stopping'
  pid: number
  version: string
  nodeId: string
  node: string
  startedAt: string
  uptime: number
  outside: Address
  manager: Address
  /** The file holding the generated manager key (absent when the config sets manager.key). */
  managerKeyFile?: string
  connections: number
  generation: number
  workers: WorkerStatus[]
  /** The last reloads since the start (at most 10), newest first. */
  reloads: ReloadRecord[]
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number }
  configDir: string
  logFile: string
  socket: string
  cluster: ClusterStatus
  /** While a stop drains its clients (`stop --drain`): present only then. */
  draining?: DrainStatus
}

/** A drain under way: clients closed with 1012 a few at a time until `closeBy`. */
export interface DrainStatus {
  /** When the drain began (ISO 8601); the outside port stopped listening then. */
  since: string
  /** When the last client is to be closed (ISO 8601): a later stop may bring it forward. */
  closeBy: string
  /** Clients the drain has closed so far. */
  closed: number
  /** Clients still open, to be closed by `closeBy`. */
  remaining: number
}

export interface ClusterStatus {
  /** cache.json's driver: one node on "memory", a cluster on "redis". */
  store: 'memory' | 'redis'
  /** "degraded" while Redis is away: this node serves its own connections, cross-node sends wait for it. */
  state: 'ok' | 'degraded'
  /** The nodes of the cluster at the last heartbeat (this one alone on the memory store). */
  nodes: string[]
  /** What each node reported at its last heartbeat (this one: now), in `nodes` order; a node not heard from yet is left out. */
  members: NodeSummary[]
}

/** One node of a cluster as it describes itself. */
export interface NodeSummary {
  node: string
  version: string
  /** When its daemon started (ISO 8601). */
  startedAt: string
  /** Its workers' generation: 1 at start, one more per reload. */
  generation: number
  connections: number
}

export interface StopResult {
  stopped: true
  pid: number
  closedConnections: number
  forced: number
  /** Messages and hooks still running in the workers at the timeout, ended unfinished. */
  abortedInFlight: number
  durationMs: number
  /** The drain that came first (`stop --drain`); absent for a stop without one. */
  drain?: DrainResult
}

export interface DrainResult {
  /** The drain asked for, in seconds. */
  seconds: number
  /** Clients closed with 1012 during the drain (included in the stop's closedConnections). */
  closedConnections: number
  /** From the port closing to the last of those closes. */
  durationMs: number
  /** A later stop or a signal ended it early (or brought its end forward); what was left was closed then. */
  cutShort: boolean
}

/** One reload as `status` remembers it. */
export interface ReloadRecord {
  /** When it ended (ISO 8601). */
  at: string
  generation: number
  previous: number
  durationMs: number
}

export interface ReloadResult {
  generation: number
  previous: number
  durationMs: number
  workers: WorkerStatus[]
}

export interface LogsTailResult {
  lines: string[]
  file: string
}

/** One client connection as operators and backends see it. */
export interface ConnectionInfo {
  fd: number
  /** The node that holds it. */
  node: string
  /** Its id across the cluster: "<node>:<fd>". */
  cid: string
  /** The token's `id` (the uid), null for an anonymous client. */
  id: string | number | null
  type: string | null
  /** The room code from the token, "" without one. */
  code: string
  nickname: string | null
  ip: string
  /** Rooms the connection is in (it leaves them when it closes). */
  rooms: string[]
  connectedAt: string
  /** Activity is known to the node that holds the connection; null when another node lists it. */
  lastActiveAt: string | null
  messagesIn: number | null
  messagesOut: number | null
}

/** `connections.get`: one connection, with what the list leaves out. */
export interface ConnectionDetail {
  connection: ConnectionInfo
  /** Every uid it is bound to: its token's and those a controller bound. */
  uids: string[]
  /** The names of its session keys (`app.session`), never their values; null for another node's connection. */
  sessionKeys: string[] | null
}

export interface Page {
  /** Entries that matched the filters, before paging. */
  total: number
  offset: number
  limit: number
}

export interface ConnectionsListResult extends Page {
  connections: ConnectionInfo[]
}

export interface KickResult {
  fd: number
  node: string
  cid: string
  code: number
  reason: string
}

export interface DeliveryResult {
  /** Sockets the message was written to on this node. */
  delivered: number
  /** Other nodes it was sent to, which deliver to their own connections; 0 on one node. */
  nodes: number
}

export interface RoomInfo {
  name: string
  members: number
  /** With `presence`: its connections bound to no uid. */
  anonymous?: number
  /** With `presence`: each uid bound to at least one of its connections, and how many, by uid. */
  uids?: UidPresence[]
}

export interface RoomsListResult extends Page {
  rooms: RoomInfo[]
}

export interface GcResult {
  /** The master's heap in use before and after the collection, in bytes. */
  heapUsedBefore: number
  heapUsed: number
  /** Bytes V8 holds for the master's young generation after it (new space). */
  youngGeneration: number
  durationMs: number
}

export interface MethodResults {
  status: StatusResult
  stop: StopResult
  reload: ReloadResult
  'logs.tail': LogsTailResult
  'connections.list': ConnectionsListResult
  'connections.get': ConnectionDetail
  'connections.kick': KickResult
  broadcast: DeliveryResult
  push: DeliveryResult
  'rooms.list': RoomsListResult
  'debug.gc': GcResult
}

export type ResultOf<M extends MethodName> = MethodResults[M]

/** Notifications the daemon pushes on a connection (e.g. while following logs). */
export interface Notifications {
  'logs.line': { line: string }
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(paramSchemas, name)
}
