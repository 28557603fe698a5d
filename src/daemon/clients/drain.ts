import type { DrainResult, DrainStatus } from '../../contracts/control-api.js'
import type { Connection } from './connection.js'
import type { ConnectionRegistry } from './registry.js'

export interface DrainOptions {
  /** The window, in milliseconds: the last client is closed by its end. */
  windowMs: number
  /** The close code and reason each client receives. */
  code: number
  reason: string
  /** The shortest pause between two batches of closes. */
  tickMs?: number
}

/** At most twenty batches a second: a second never sees much more than its share of the closes. */
const TICK_MS = 50

/**
 * The first phase of `stop --drain`: closes the open clients a few at a time,
 * evenly over a window, so they reconnect (elsewhere, behind a balancer)
 * without arriving all at once. The k-th of n clients is closed at
 * (k - ½)/n of the window, oldest first, in batches at least `tickMs` apart; a
 * client that arrives meanwhile (an upgrade that was already past the port's
 * check) joins the plan. The drain ends once no client is open, or at the
 * window's end, when what is left is closed at once.
 *
 * A close goes out through ws's sender, which writes to the same socket as
 * Delivery's TickWriter, behind what is queued or corked there: a frame
 * written to a client before its close (in the same turn too) reaches it
 * before the close frame.
 */
export class Drain {
  readonly #registry: ConnectionRegistry
  readonly #options: DrainOptions
  readonly #tickMs: number
  readonly #since: number
  /** The window's end; a later stop may bring it forward (shorten). */
  #closeBy: number
  /** The plan: `#planned` clients to close between `#planFrom` and `#closeBy`, `#planDone` of them done. */
  #planFrom: number
  #planned: number
  #planDone = 0
  #closed = 0
  /** When the last batch went: the next one waits at least tickMs after it. */
  #lastBatch = Number.NEGATIVE_INFINITY
  #cutShort = false
  #timer: NodeJS.Timeout | undefined
  #cursor: Iterator<Connection>
  #result: DrainResult | undefined
  readonly #finished: Promise<DrainResult>
  #resolve!: (result: DrainResult) => void

  constructor(registry: ConnectionRegistry, options: DrainOptions) {
    this.#registry = registry
    this.#options = options
    this.#tickMs = options.tickMs ?? TICK_MS
    this.#since = Date.now()
    this.#closeBy = this.#since + options.windowMs
    this.#planFrom = this.#since
    this.#planned = registry.openCount
    this.#cursor = registry.values()
    this.#finished = new Promise((resolve) => (this.#resolve = resolve))
    this.#tick()
  }

  /** Resolves once the drain is over: every client it meant to close was closed. */
  get finished(): Promise<DrainResult> {
    return this.#finished
  }

  status(): DrainStatus {
    return {
      since: new Date(this.#since).toISOString(),
      closeBy: new Date(this.#closeBy).toISOString(),
      closed: this.#closed,
      remaining: this.#registry.openCount,
    }
  }

  /**
   * Brings the end forward to `seconds` from now, when that is sooner (a later
   * stop never makes a drain longer); 0 closes what is left at once. True when
   * the end moved.
   */
  shorten(seconds: number): boolean {
    if (this.#result !== undefined) return false
    const now = Date.now()
    const closeBy = now + Math.max(0, seconds) * 1000
    if (closeBy >= this.#closeBy) return false
    this.#cutShort = true
    this.#closeBy = closeBy
    this.#replan(now)
    clearTimeout(this.#timer)
    this.#tick()
    return true
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    const now = Date.now()
    if (now >= this.#closeBy) {
      this.#closeOpen(Number.POSITIVE_INFINITY)
      this.#finish(now)
      return
    }
    const open = this.#registry.openCount
    // Clients that arrived since the plan was made join it.
    if (open > this.#planned - this.#planDone) this.#replan(now)
    const span = this.#closeBy - this.#planFrom
    const due = Math.min(this.#planned, Math.floor((this.#planned * (now - this.#planFrom)) / span + 0.5))
    if (due > this.#planDone) {
      this.#closeOpen(due - this.#planDone)
      this.#planDone = due
      this.#lastBatch = now
    }
    if (this.#registry.openCount === 0) {
      this.#finish(now)
      return
    }
    // The next close is due when the plan reaches #planDone + 1.
    const nextDue = this.#planFrom + ((this.#planDone + 0.5) * span) / Math.max(1, this.#planned)
    const wait = Math.min(Math.max(nextDue, this.#lastBatch + this.#tickMs), this.#closeBy) - now
    this.#timer = setTimeout(this.#tick, Math.max(1, Math.ceil(wait)))
  }

  #replan(now: number): void {
    this.#planFrom = now
    this.#planned = this.#registry.openCount
    this.#planDone = 0
  }

  /** Closes up to `count` open clients, oldest first. */
  #closeOpen(count: number): void {
    let left = count
    let restarted = false
    while (left > 0) {
      const next = this.#cursor.next()
      if (next.done) {
        // A Map's iterator that has ended stays ended: clients added after that need a new one.
        if (restarted || this.#registry.openCount === 0) return
        this.#cursor = this.#registry.values()
        restarted = true
        continue
      }
      const connection = next.value
      if (connection.state !== 'open') continue
      this.#registry.close(connection, this.#options.code, this.#options.reason)
      this.#closed++
      left--
    }
  }

  #finish(now: number): void {
    this.#result = {
      seconds: this.#options.windowMs / 1000,
      closedConnections: this.#closed,
      durationMs: now - this.#since,
      cutShort: this.#cutShort,
    }
    this.#resolve(this.#result)
  }
}
