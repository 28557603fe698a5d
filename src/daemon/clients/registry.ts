import type { WebSocket } from 'ws'
import { type ClientSocket, type ClosedConnection, type Connection, type ConnectionIdentity, connectionOf } from './connection.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'
import { clockNow } from './clock.js'

export type CloseHook = (closed: ClosedConnection) => void

export interface RegistryOptions {
  /** How long a closing socket may take to finish the close handshake before it is destroyed. */
  closeTimeoutMs: number
  onHookError: (err: unknown, closed: ClosedConnection) => void
}

/**
 * Every open connection, by fd. All closes (client, heartbeat, kick, stop)
 * end in #finalize, the one place that removes the connection and runs the
 * close hooks, so each hook runs exactly once per connection.
 */
export class ConnectionRegistry {
  readonly #byFd = new Map<number, Connection>()
  readonly #hooks: CloseHook[] = []
  readonly #drained = new Set<() => void>()
  #nextFd = 1
  /** Connections in 'closing': sent their close frame, waiting for the handshake to end. */
  #closing = 0
  /** Every socket's 'close' listener: one function, the socket as `this`. */
  readonly #onSocketClose: (this: WebSocket, code: number, reason: Buffer) => void

  constructor(private readonly options: RegistryOptions) {
    const registry = this
    this.#onSocketClose = function (code, reason) {
      registry.#finalize(connectionOf(this), code, reason.toString('utf8'))
    }
  }

  get size(): number {
    return this.#byFd.size
  }

  /** Connections still open: neither closed nor closing (a stop's drain has this many left to close). */
  get openCount(): number {
    return this.#byFd.size - this.#closing
  }

  get(fd: number): Connection | undefined {
    return this.#byFd.get(fd)
  }

  values(): IterableIterator<Connection> {
    return this.#byFd.values()
  }

  onClose(hook: CloseHook): void {
    this.#hooks.push(hook)
  }

  /** Registers an upgraded socket; it must drop its errors rather than throw them (OutsideSocket does). */
  add(ws: WebSocket, identity: ConnectionIdentity): Connection {
    const now = clockNow()
    // Written out field by field, in one order, so every connection shares one
    // hidden class; a spread of `identity` would give most of them their own.
    const connection: Connection = {
      ip: identity.ip,
      auth: identity.auth,
      code: identity.code,
      fd: this.#nextFd++,
      ws,
      connectedAt: now,
      lastActiveAt: now,
      messagesIn: 0,
      messagesOut: 0,
      state: 'open',
      closeReason: undefined,
      rooms: NONE,
      controllers: undefined,
      uids: NONE,
      session: undefined,
      rateWindowStart: 0,
      rateCount: 0,
      sender: undefined,
      positions: undefined,
    }
    this.#byFd.set(connection.fd, connection)
    ;(ws as ClientSocket).connection = connection
    // A socket error is followed by 'close'; OutsideSocket drops the error itself.
    ws.on('close', this.#onSocketClose)
    return connection
  }

  /** Starts a server-side close; a peer that never answers is destroyed after closeTimeoutMs. */
  close(connection: Connection, code: number, reason: string): void {
    if (connection.state !== 'open') return
    connection.state = 'closing'
    this.#closing++
    connection.closeReason = reason
    connection.ws.close(code, reason)
    const timer = setTimeout(() => connection.ws.terminate(), this.options.closeTimeoutMs)
    timer.unref()
    connection.ws.once('close', () => clearTimeout(timer))
  }

  /** Cuts a connection at once, without a close handshake: for peers that stopped reading. */
  drop(connection: Connection, reason: string): void {
    if (connection.state === 'closed') return
    connection.closeReason = reason
    connection.ws.terminate()
    this.#finalize(connection, CLOSE_CODES.ABNORMAL, reason)
  }

  /** Closes every connection and resolves once all are gone; what is left at the deadline is destroyed. */
  async closeAll(code: number, reason: string, timeoutMs: number): Promise<{ closed: number; forced: number }> {
    const total = this.#byFd.size
    for (const connection of this.#byFd.values()) this.close(connection, code, reason)
    if (this.#byFd.size === 0) return { closed: total, forced: 0 }
    const drained = new Promise<void>((resolve) => this.#drained.add(resolve))
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
    const outcome = await Promise.race([drained, timedOut])
    clearTimeout(timer)
    if (outcome !== 'timeout') return { closed: total, forced: 0 }
    const forced = this.#byFd.size
    for (const connection of [...this.#byFd.values()]) {
      connection.ws.terminate()
      // terminate() emits 'close' on a later tick; finalize now so hooks run before we report.
      this.#finalize(connection, CLOSE_CODES.ABNORMAL, connection.closeReason ?? 'forced')
    }
    return { closed: total, forced }
  }

  #finalize(connection: Connection, code: number, reason: string): void {
    if (connection.state === 'closed') return
    if (connection.state === 'closing') this.#closing--
    connection.state = 'closed'
    this.#byFd.delete(connection.fd)
    const closed: ClosedConnection = { connection, code, reason: connection.closeReason ?? reason }
    for (const hook of this.#hooks) {
      try {
        hook(closed)
      } catch (err) {
        this.options.onHookError(err, closed)
      }
    }
    if (this.#byFd.size === 0) {
      for (const resolve of this.#drained) resolve()
      this.#drained.clear()
    }
  }
}

/** The rooms and uids of a connection in none: one array for all of them (LocalIndex replaces, never changes it). */
const NONE: readonly string[] = Object.freeze([])
