import type { Kysely } from 'kysely'
import type { App, AppLogger, KeyValueStore, RoomPresence, SendOptions, Target } from '../app-api/types.js'
import type { DbConfig } from '../config/schema.js'
import { openDatabase } from '../db/open-database.js'
import { MswError } from '../errors.js'
import type { LogLevelName } from '../config/log-levels.js'
import { STORE_METHODS } from '../app-api/store-methods.js'
import { envelope, STATUS } from '../protocol/envelope.js'
import type { AppCallName, AppCalls, FromWorker, ToWorker } from '../contracts/thread-channel.js'

/**
 * The App controllers call, inside a worker. Nothing here touches a socket:
 * sends become `send` messages carrying the finished frame, everything else
 * becomes a `call` the master carries out (answered by a `result` when the
 * caller waits for it).
 */

export type PostToMaster = (message: FromWorker) => void
export type CallResult = Extract<ToWorker, { t: 'result' }>

export interface WorkerAppOptions {
  /** Calls awaiting a result at once; past this, new calls fail at once instead of growing a queue without end. */
  maxPendingCalls?: number
  /** A call with no result after this long is rejected (0: wait forever). */
  callTimeoutMs?: number
  /** config/db.json, resolved: what `db()` opens. */
  db?: DbConfig
}

export const DEFAULT_MAX_PENDING_CALLS = 10_000
export const DEFAULT_CALL_TIMEOUT_MS = 30_000

/** A call the master refused or never answered. `code` is the master's (MSW_ERR_…) or the worker's own. */
export class AppCallError extends Error {
  readonly code: string
  readonly call: AppCallName

  constructor(code: string, message: string, call: AppCallName) {
    super(message)
    this.name = 'AppCallError'
    this.code = code
    this.call = call
  }
}

interface PendingCall {
  name: AppCallName
  resolve: (value: unknown) => void
  reject: (reason: AppCallError) => void
  timer: NodeJS.Timeout | undefined
}

export class WorkerApp implements App {
  readonly session: App['session']
  readonly store: KeyValueStore
  readonly log: AppLogger

  readonly #post: PostToMaster
  readonly #pending = new Map<number, PendingCall>()
  readonly #maxPending: number
  readonly #timeoutMs: number
  readonly #dbConfig: DbConfig | undefined
  #db: Kysely<unknown> | undefined
  #nextId = 1

  constructor(post: PostToMaster, options: WorkerAppOptions = {}) {
    this.#post = post
    this.#maxPending = options.maxPendingCalls ?? DEFAULT_MAX_PENDING_CALLS
    this.#timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    this.#dbConfig = options.db
    this.session = {
      get: async (fd) => {
        const value = await this.#call('sessionGet', [fd])
        return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
      },
      set: async (fd, values) => {
        await this.#call('sessionSet', [fd, values])
      },
    }
    this.store = this.#makeStore()
    this.log = this.#makeLogger()
  }

  sendMessage(target: Target, status: number, event: string, info: string, param?: unknown, options?: SendOptions): void {
    const frame = envelope(status, event, info, param)
    const fd = asFd(target)
    if (fd !== undefined) {
      this.#post({ t: 'send', to: 'fd', target: fd, frame })
      return
    }
    const except = options?.except
    this.#post(
      except && except.length > 0
        ? { t: 'send', to: 'room', target: String(target), frame, except: [...except] }
        : { t: 'send', to: 'room', target: String(target), frame },
    )
  }

  sendSuccessMessage(target: Target, event: string, info: string, param?: unknown, options?: SendOptions): void {
    this.sendMessage(target, STATUS.ok, event, info, param, options)
  }

  sendToUid(uid: string | number, status: number, event: string, info: string, param?: unknown): void {
    this.#post({ t: 'send', to: 'uid', target: String(uid), frame: envelope(status, event, info, param) })
  }

  fdAddCloseKey(fd: number, key: string): void {
    this.#notify('closeKeyAdd', [fd, key])
  }

  fdRemoveCloseKey(fd: number, key: string): void {
    this.#notify('closeKeyRemove', [fd, key])
  }

  fdAddController(fd: number, controller: string): void {
    this.#notify('controllerAdd', [fd, controller])
  }

  fdRemoveController(fd: number, controller: string): void {
    this.#notify('controllerRemove', [fd, controller])
  }

  async join(fd: number, room: string): Promise<void> {
    await this.#call('join', [fd, room])
  }

  async leave(fd: number, room: string): Promise<void> {
    await this.#call('leave', [fd, room])
  }

  async members(room: string): Promise<number[]> {
    return numbers(await this.#call('members', [room]), 'members')
  }

  async count(room: string): Promise<number> {
    return Number(await this.#call('count', [room]))
  }

  async presence(room: string): Promise<RoomPresence> {
    const value = await this.#call('presence', [String(room)])
    if (value === null || typeof value !== 'object' || !Array.isArray((value as RoomPresence).uids)) {
      throw new AppCallError('MSW_ERR_INTERNAL', `presence: the master answered ${typeof value}, not a room's presence`, 'presence')
    }
    return value as RoomPresence
  }

  async bindUid(fd: number, uid: string | number): Promise<void> {
    await this.#call('bindUid', [fd, String(uid)])
  }

  async unbindUid(fd: number, uid: string | number): Promise<void> {
    await this.#call('unbindUid', [fd, String(uid)])
  }

  async uidFds(uid: string | number): Promise<number[]> {
    return numbers(await this.#call('uidFds', [String(uid)]), 'uidFds')
  }

  db<DB = unknown>(): Kysely<DB> {
    if (this.#db === undefined) {
      if (this.#dbConfig === undefined) throw new MswError('MSW_ERR_DB_UNAVAILABLE', 'no database is configured for this worker')
      this.#db = openDatabase(this.#dbConfig, {
        onIdleError: (err) => this.log.warn('an idle database connection failed; the next query opens another', { error: err.message }),
      })
    }
    // One instance whatever DB the caller names: the type parameter only describes the tables.
    return this.#db as unknown as Kysely<DB>
  }

  /** Closes the database if `db()` opened it (the worker is ending); a later `db()` would open it again. */
  async destroyDb(): Promise<void> {
    const db = this.#db
    this.#db = undefined
    await db?.destroy()
  }

  /** Settles the call a `result` answers; false when no call waits for it (it timed out, or the id is unknown). */
  settle(result: CallResult): boolean {
    const pending = this.#pending.get(result.id)
    if (pending === undefined) return false
    this.#pending.delete(result.id)
    if (pending.timer !== undefined) clearTimeout(pending.timer)
    if ('error' in result) pending.reject(new AppCallError(result.error.code, result.error.message, pending.name))
    else pending.resolve(result.value)
    return true
  }

  get pendingCalls(): number {
    return this.#pending.size
  }

  #call<K extends AppCallName>(name: K, args: AppCalls[K]): Promise<unknown> {
    if (this.#pending.size >= this.#maxPending) {
      return Promise.reject(
        new AppCallError('MSW_ERR_INTERNAL', `${name}: ${this.#pending.size} app calls already wait for the master`, name),
      )
    }
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { name, resolve, reject, timer: undefined }
      if (this.#timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          this.#pending.delete(id)
          reject(new AppCallError('MSW_ERR_IPC_TIMEOUT', `${name}: no answer from the master in ${this.#timeoutMs} ms`, name))
        }, this.#timeoutMs)
        pending.timer.unref()
      }
      this.#pending.set(id, pending)
      try {
        this.#post({ t: 'call', id, name, args } as FromWorker)
      } catch (err) {
        // postMessage throws DataCloneError for values it cannot copy (functions, class instances with private state…).
        this.#pending.delete(id)
        if (pending.timer !== undefined) clearTimeout(pending.timer)
        reject(
          new AppCallError(
            'MSW_ERR_INVALID_ARGUMENT',
            `${name}: its arguments cannot be sent to the master (${(err as Error).message})`,
            name,
          ),
        )
      }
    })
  }

  #notify<K extends AppCallName>(name: K, args: AppCalls[K]): void {
    this.#post({ t: 'call', name, args } as FromWorker)
  }

  #makeStore(): KeyValueStore {
    const store: Record<string, (...args: unknown[]) => Promise<unknown>> = {}
    for (const method of STORE_METHODS) {
      store[method] = (...args) => this.#call('store', [method, withoutTrailingUndefined(args)])
    }
    // Each entry forwards to the master's store, which returns what KeyValueStore declares.
    return store as unknown as KeyValueStore
  }

  #makeLogger(): AppLogger {
    const at = (level: LogLevelName) => (msg: string, fields?: Record<string, unknown>) => this.#log(level, msg, fields)
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  }

  #log(level: LogLevelName, msg: string, fields: Record<string, unknown> | undefined): void {
    if (fields === undefined) {
      this.#post({ t: 'log', level, msg: String(msg) })
      return
    }
    try {
      this.#post({ t: 'log', level, msg: String(msg), fields })
    } catch {
      // A field postMessage cannot copy (a function, a socket…) must not lose the line: send what JSON can say.
      this.#post({ t: 'log', level, msg: String(msg), fields: jsonSafe(fields) })
    }
  }
}

/** A number, or a string of digits, is an fd; anything else names a room. */
export function asFd(target: Target): number | undefined {
  if (typeof target === 'number') return target
  return typeof target === 'string' && /^\d+$/.test(target) ? Number(target) : undefined
}

function numbers(value: unknown, name: AppCallName): number[] {
  if (!Array.isArray(value)) throw new AppCallError('MSW_ERR_INTERNAL', `${name}: the master answered ${typeof value}, not a list`, name)
  return value.map(Number)
}

/** `set(key, value)` and `set(key, value, undefined)` are the same call to the master. */
function withoutTrailingUndefined(args: unknown[]): unknown[] {
  let end = args.length
  while (end > 0 && args[end - 1] === undefined) end--
  return args.slice(0, end)
}

function jsonSafe(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(
      JSON.stringify(fields, (_key, value: unknown) => {
        if (typeof value === 'bigint') return value.toString()
        if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack }
        return value
      }),
    ) as Record<string, unknown>
  } catch (err) {
    return { fieldsDropped: (err as Error).message }
  }
}
