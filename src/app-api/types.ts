import type { Kysely } from 'kysely'
import type { AuthPayload } from '../auth/payload.js'

/**
 * What controllers see. The names follow MSwoole-ws's App so a ported PHP
 * controller reads almost line for line; everything here runs in a worker
 * and reaches the master as messages.
 */

/** A connection id (fd) on this node, or a room key. A number, or a string of digits, is an fd. */
export type Target = number | string

/** The fields a client sent, HTML-escaped, plus who sent them. */
export interface Message {
  /** The client's `method`, as sent (e.g. "live.user.join"). */
  method?: string
  /** The connection that sent it. */
  fd: number
  /**
   * The decoded auth token. With auth disabled and no token, the `auth` object
   * the client sent in this frame, as the seed passed it on (unchecked: the
   * client names itself), or empty.
   */
  auth: AuthPayload | Record<string, never>
  /**
   * The room code from the token (`auth.code`), or "" without one. With auth
   * disabled and no token, the `code` the client sent in this frame (a number as text), or "".
   */
  code: string
  [field: string]: unknown
}

/** What `onClose` receives: the connection that went away. It has already left its rooms. */
export interface CloseEvent {
  fd: number
  auth: AuthPayload | Record<string, never>
  code: string
  /** WebSocket close code and reason. */
  closeCode: number
  reason: string
}

export interface SendOptions {
  /** fds that must not receive a room send (e.g. the sender). */
  except?: number[]
}

/** A uid in a room: how many of the room's connections it is bound to. */
export interface UidPresence {
  uid: string
  connections: number
}

/** Who is in a room (`app.presence`), across the cluster. */
export interface RoomPresence {
  room: string
  /** The room's connections, anonymous ones included. */
  connections: number
  /** Its connections bound to no uid. */
  anonymous: number
  /** Each uid bound to at least one of its connections, by uid; a connection bound to two uids counts for both. */
  uids: UidPresence[]
}

export interface AppLogger {
  trace(msg: string, fields?: Record<string, unknown>): void
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

/** A Redis-like key-value store; on the embedded default it lives in the master's memory. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string, options?: { ttl?: number }): Promise<void>
  del(...keys: string[]): Promise<number>
  expire(key: string, ttlSeconds: number): Promise<boolean>
  ttl(key: string): Promise<number>
  incr(key: string, by?: number): Promise<number>
  hget(key: string, field: string): Promise<string | null>
  hset(key: string, field: string, value: string): Promise<number>
  hdel(key: string, ...fields: string[]): Promise<number>
  hgetall(key: string): Promise<Record<string, string>>
  hlen(key: string): Promise<number>
  sadd(key: string, ...members: string[]): Promise<number>
  srem(key: string, ...members: string[]): Promise<number>
  smembers(key: string): Promise<string[]>
  sismember(key: string, member: string): Promise<boolean>
  scard(key: string): Promise<number>
  lpush(key: string, ...values: string[]): Promise<number>
  rpush(key: string, ...values: string[]): Promise<number>
  lpop(key: string): Promise<string | null>
  rpop(key: string): Promise<string | null>
  lrange(key: string, start: number, stop: number): Promise<string[]>
  llen(key: string): Promise<number>
  ltrim(key: string, start: number, stop: number): Promise<void>
}

export interface App {
  /** Sends the envelope {status, event, info, param?} to an fd or to every member of a room. */
  sendMessage(target: Target, status: number, event: string, info: string, param?: unknown, options?: SendOptions): void
  /** sendMessage with status 200. */
  sendSuccessMessage(target: Target, event: string, info: string, param?: unknown, options?: SendOptions): void
  /** On close, remove the fd from the room (set) `key`. */
  fdAddCloseKey(fd: number, key: string): void
  fdRemoveCloseKey(fd: number, key: string): void
  /** On close, call `onClose(app, event)` of this controller ("Module.Controller"). */
  fdAddController(fd: number, controller: string): void
  fdRemoveController(fd: number, controller: string): void

  /** Adds the fd to a room; it leaves every room it joined when it closes. */
  join(fd: number, room: string): Promise<void>
  leave(fd: number, room: string): Promise<void>
  members(room: string): Promise<number[]>
  count(room: string): Promise<number>
  /** The uids in a room and how many connections each has there, on every node of a cluster. */
  presence(room: string): Promise<RoomPresence>

  /** Per-connection data, kept by the master for the life of the connection. */
  session: {
    get(fd: number): Promise<Record<string, unknown>>
    set(fd: number, values: Record<string, unknown>): Promise<void>
  }

  /** Binds a user id to a connection; a user may hold several connections. */
  bindUid(fd: number, uid: string | number): Promise<void>
  unbindUid(fd: number, uid: string | number): Promise<void>
  uidFds(uid: string | number): Promise<number[]>
  sendToUid(uid: string | number, status: number, event: string, info: string, param?: unknown): void

  store: KeyValueStore
  log: AppLogger

  /**
   * The database of config/db.json (SQLite or PostgreSQL) as a Kysely query
   * builder, typed by the tables you name: `app.db<Database>()`. Opened in
   * this worker on first use, the same instance on every call, closed when
   * the worker ends. Its schema is what the application's migrations
   * (`<Module>/Migration/`) made, applied before any worker serves.
   */
  db<DB = unknown>(): Kysely<DB>
}

/** A controller: a class whose methods are actions `(app, data)`. */
export interface ControllerHooks {
  onMessage?(app: App, data: Message): unknown
  onClose?(app: App, data: CloseEvent): unknown
  onReload?(app: App): unknown
}
