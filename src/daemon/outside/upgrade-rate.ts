/**
 * outside.connections_per_second_per_ip: a token bucket per client address,
 * holding `rate` tokens (the burst) and refilled at `rate` per second; each
 * upgrade takes one.
 *
 * Memory stays bounded under a flood from many addresses: a bucket that has
 * refilled to the brim is the same as no bucket, so a sweep drops those (after
 * at most one second of quiet plus the sweep interval), and the table never
 * holds more than `maxTracked` addresses; past that the oldest entry is dropped,
 * which only forgives that address its recent upgrades.
 */

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number }

interface Bucket {
  tokens: number
  /** ms timestamp the tokens were counted at. */
  at: number
}

export interface UpgradeRateOptions {
  /** Upgrades per second per address, also the burst; 0 = no limit. */
  rate: number
  /** Most addresses tracked at once. */
  maxTracked?: number
  /** How often full buckets are dropped, ms. */
  sweepMs?: number
}

const OK: RateVerdict = { ok: true }
const MIN_SWEEP_GAP_MS = 100

export class UpgradeRate {
  readonly #rate: number
  readonly #maxTracked: number
  readonly #sweepMs: number
  readonly #buckets = new Map<string, Bucket>()
  #lastSweep = 0

  constructor(options: UpgradeRateOptions) {
    this.#rate = options.rate
    this.#maxTracked = options.maxTracked ?? 100_000
    this.#sweepMs = options.sweepMs ?? 5_000
  }

  get enabled(): boolean {
    return this.#rate > 0
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.#buckets.size
  }

  /** Takes a token for one upgrade from `ip` at `now` (ms). */
  take(ip: string, now: number): RateVerdict {
    if (this.#rate <= 0) return OK
    if (now - this.#lastSweep >= this.#sweepMs) this.sweep(now)
    let bucket = this.#buckets.get(ip)
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxTracked) this.#makeRoom(now)
      bucket = { tokens: this.#rate, at: now }
      this.#buckets.set(ip, bucket)
    } else {
      bucket.tokens = this.#refilled(bucket, now)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return OK
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate)) }
  }

  /** Drops every bucket that has refilled completely. */
  sweep(now: number): void {
    this.#lastSweep = now
    for (const [ip, bucket] of this.#buckets) {
      if (this.#refilled(bucket, now) >= this.#rate) this.#buckets.delete(ip)
    }
  }

  #refilled(bucket: Bucket, now: number): number {
    return Math.min(this.#rate, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.#rate)
  }

  #makeRoom(now: number): void {
    // A flood of new addresses would otherwise sweep the whole table on each one.
    if (now - this.#lastSweep >= MIN_SWEEP_GAP_MS) this.sweep(now)
    if (this.#buckets.size < this.#maxTracked) return
    // Still full: every tracked address is mid-burst. Forget the one tracked longest.
    const oldest = this.#buckets.keys().next()
    if (!oldest.done) this.#buckets.delete(oldest.value)
  }
}
