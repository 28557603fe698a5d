import type { Logger } from 'pino'
import { HttpError } from './http-error.js'

export interface KeyFailuresOptions {
  /** Wrong keys from one address within the window before it is refused; 0 = no limit. */
  limit: number
  windowMs?: number
  /** Addresses tracked at most; past it the oldest is forgotten. */
  maxTracked?: number
  /** Log lines about wrong keys are at least this far apart. */
  logIntervalMs?: number
  logger: Logger
  now?: () => number
}

interface Entry {
  /** When the address's first failure of this window came. */
  since: number
  count: number
  /** Refused until then (0 = not refused). */
  blockedUntil: number
}

export const KEY_FAILURE_WINDOW_MS = 10_000
const MAX_TRACKED = 10_000
const LOG_INTERVAL_MS = 1000
const LOGGED_ADDRESSES = 5

/**
 * Wrong manager keys, counted per client address. An address that sends
 * `limit` wrong keys within the window is answered 429 until the window has
 * passed, whatever key it sends (so a guess cannot be told right or wrong
 * meanwhile). Failures are logged in aggregate, one warn line a second at most.
 */
export class KeyFailures {
  readonly #entries = new Map<string, Entry>()
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxTracked: number
  readonly #logIntervalMs: number
  readonly #logger: Logger
  readonly #now: () => number
  #pending = 0
  readonly #pendingAddresses = new Set<string>()
  readonly #blocked = new Set<string>()
  #lastLog = Number.NEGATIVE_INFINITY
  #timer: NodeJS.Timeout | undefined

  constructor(options: KeyFailuresOptions) {
    this.#limit = options.limit
    this.#windowMs = options.windowMs ?? KEY_FAILURE_WINDOW_MS
    this.#maxTracked = options.maxTracked ?? MAX_TRACKED
    this.#logIntervalMs = options.logIntervalMs ?? LOG_INTERVAL_MS
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
  }

  /** How many addresses are tracked (bounded by maxTracked). */
  get size(): number {
    return this.#entries.size
  }

  /** Throws a 429 (with Retry-After) while `address` is refused. */
  check(address: string): void {
    const entry = this.#entries.get(address)
    if (!entry) return
    const now = this.#now()
    if (entry.blockedUntil > now) {
      const seconds = String(Math.max(1, Math.ceil((entry.blockedUntil - now) / 1000)))
      throw new HttpError(429, 'MSW_ERR_MANAGER_RATE_LIMITED', `too many wrong manager keys from this address: retry in ${seconds} s`, {
        'retry-after': seconds,
      })
    }
    if (now - entry.since >= this.#windowMs) this.#entries.delete(address)
  }

  /** Counts a wrong key from `address`. */
  fail(address: string): void {
    const now = this.#now()
    if (this.#limit > 0) {
      let entry = this.#entries.get(address)
      if (!entry || now - entry.since >= this.#windowMs) entry = { since: now, count: 0, blockedUntil: 0 }
      entry.count++
      if (entry.count >= this.#limit && entry.blockedUntil === 0) {
        entry.blockedUntil = now + this.#windowMs
        if (this.#blocked.size < LOGGED_ADDRESSES) this.#blocked.add(address)
      }
      // Re-inserted so the map's order is oldest-touched first.
      this.#entries.delete(address)
      this.#entries.set(address, entry)
      if (this.#entries.size > this.#maxTracked) this.#entries.delete(this.#entries.keys().next().value!)
    }
    this.#pending++
    if (this.#pendingAddresses.size < LOGGED_ADDRESSES) this.#pendingAddresses.add(address)
    if (this.#timer) return
    const wait = this.#lastLog + this.#logIntervalMs - now
    if (wait <= 0) this.#flush()
    else this.#timer = setTimeout(() => this.#flush(), wait).unref()
  }

  /** Logs what is still pending and stops the timer. */
  close(): void {
    if (this.#pending > 0) this.#flush()
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #flush(): void {
    this.#timer = undefined
    if (this.#pending === 0) return
    this.#logger.warn(
      {
        failures: this.#pending,
        addresses: [...this.#pendingAddresses],
        ...(this.#blocked.size > 0 ? { refused: [...this.#blocked] } : {}),
      },
      'wrong manager keys',
    )
    this.#lastLog = this.#now()
    this.#pending = 0
    this.#pendingAddresses.clear()
    this.#blocked.clear()
  }
}
