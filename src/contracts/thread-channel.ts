import type { LogLevelName } from '../config/log-levels.js'
import type { CloseEvent, Message } from '../app-api/types.js'
import type { DbConfig } from '../config/schema.js'
import type { ErrorCode } from '../errors.js'
import type { WireFormat } from '../protocol/wire-format.js'

/**
 * The messages between the master and its workers. The master never runs
 * application code: it hands each client message to the worker that owns the
 * fd, and carries out what the worker's App asks for (sends, rooms, store).
 * Frames are built in the worker as strings, so the master writes them as they are.
 */

export interface WorkerData {
  /** Absolute path of the application folder. */
  appDir: string
  workerId: number
  generation: number
  /** config/db.json, resolved (a SQLite file is absolute); without it `app.db()` throws. */
  db?: DbConfig
  /** Run the application's migrations before saying ready: the first worker of each generation does. */
  migrate?: boolean
  /** setting.wire_format: how the App's sends are encoded; "seed" when absent. */
  wire?: WireFormat
  /** How client frames are taken: setting.ack (answer each with receiveMessage first) and setting.escape_html. */
  client?: { ack: boolean; escapeHtml: boolean }
  /**
   * Started ahead of a reload: boot (and set up TypeScript) now, load the
   * application only at `load`, so a reload pays for the application alone.
   */
  standby?: boolean
}

/**
 * A client's text frame as the master read it, for the worker to parse,
 * check, escape and hand to a controller: the master moves text, never objects.
 */
export interface ClientFrame {
  fd: number
  text: string
  /** Who sent it, as the JSON of `[token payload or null (anonymous), room code]`, made once per connection. */
  sender: string
}

export type ToWorker =
  /** A standby worker's signal to load the application as it is on disk now. */
  | { t: 'load' }
  /** A client frame: answered with an `ack` (setting.ack) or a refusal, then handled like a message. */
  | ({ t: 'frame'; seq: number } & ClientFrame)
  /** A message already read (a client's, from a test harness or a future server-side source). */
  | { t: 'message'; seq: number; data: Message }
  /** Run onClose of these controllers; answered with `done` for `seq` like a message. */
  | { t: 'close'; seq: number; controllers: string[]; event: CloseEvent }
  /** The generation is being retired: run every controller's onReload, then `done` for `seq`. */
  | { t: 'retire'; seq: number }
  /** The worker is being ended: close what it holds open (the database) and exit. */
  | { t: 'end' }
  | { t: 'result'; id: number; value: unknown }
  | { t: 'result'; id: number; error: { code: string; message: string } }

/** Operations the App asks of the master. Those with an `id` are answered with a `result`. */
export interface AppCalls {
  join: [fd: number, room: string]
  leave: [fd: number, room: string]
  members: [room: string]
  count: [room: string]
  presence: [room: string]
  closeKeyAdd: [fd: number, key: string]
  closeKeyRemove: [fd: number, key: string]
  controllerAdd: [fd: number, controller: string]
  controllerRemove: [fd: number, controller: string]
  sessionGet: [fd: number]
  sessionSet: [fd: number, values: Record<string, unknown>]
  bindUid: [fd: number, uid: string]
  unbindUid: [fd: number, uid: string]
  uidFds: [uid: string]
  /** A KeyValueStore method by name, with its arguments. */
  store: [method: string, args: unknown[]]
}

export type AppCallName = keyof AppCalls

/** The worker cannot serve; `code` is MSW_ERR_APP_LOAD when absent (a controller that does not load). */
export interface LoadErrorMessage {
  t: 'loadError'
  message: string
  code?: ErrorCode
  file?: string
  line?: number
  stack?: string
  details?: Record<string, unknown>
}

/** A frame for an fd, a room's members (minus `except`), or a uid's connections. */
export interface SendMessage {
  t: 'send'
  to: 'fd' | 'room' | 'uid'
  target: string | number
  frame: string
  except?: number[]
}

export type CallMessage = { [K in AppCallName]: { t: 'call'; id?: number; name: K; args: AppCalls[K] } }[AppCallName]

export interface LogMessage {
  t: 'log'
  level: LogLevelName
  msg: string
  fields?: Record<string, unknown>
}

/** How the master settles a call: its value, or an error with a code. */
export type CallOutcome = { value: unknown } | { error: { code: string; message: string } }

export type FromWorker =
  /** A standby worker has booted (and set up TypeScript) and waits for `load`. */
  | { t: 'standby' }
  | { t: 'ready'; controllers: string[] }
  | LoadErrorMessage
  | SendMessage
  | CallMessage
  /** The master's prebuilt receiveMessage for the fd, sent before anything a controller sends for that frame. */
  | { t: 'ack'; fd: number }
  /** The message `seq` is finished (for in-flight accounting and ordering). */
  | { t: 'done'; seq: number }
  | LogMessage
  /** Sent every few seconds: the worker's own heap, for `status`. */
  | { t: 'stats'; heapUsed: number }
  /** An ending worker has closed its database and runs nothing more: what is left is its thread's teardown. */
  | { t: 'ended' }
