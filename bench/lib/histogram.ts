/** Latency figures in fixed memory, however many samples a run records. */

export interface LatencySummary {
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/**
 * Log-linear histogram over microseconds: exact below 1 024 µs, then 512 buckets
 * per power of two (under 0.2 % error). Fixed memory however long the run, unlike
 * keeping every sample.
 */
export class Histogram {
  static readonly SUB = 512
  readonly counts = new Float64Array(1024 + 23 * Histogram.SUB)
  count = 0
  sum = 0
  max = 0

  record(micros: number): void {
    const v = Math.min(Math.max(Math.round(micros), 0), 2 ** 31 - 1)
    this.counts[Histogram.index(v)]! += 1
    this.count += 1
    this.sum += v
    if (v > this.max) this.max = v
  }

  reset(): void {
    this.counts.fill(0)
    this.count = 0
    this.sum = 0
    this.max = 0
  }

  static index(v: number): number {
    if (v < 1024) return v
    const shift = 31 - Math.clz32(v) - 9 // keeps 10 significant bits
    return 1024 + (shift - 1) * Histogram.SUB + ((v >>> shift) - Histogram.SUB)
  }

  /** The middle of bucket `i`, in microseconds. */
  static value(i: number): number {
    if (i < 1024) return i
    const shift = Math.floor((i - 1024) / Histogram.SUB) + 1
    const mantissa = ((i - 1024) % Histogram.SUB) + Histogram.SUB
    return (mantissa << shift) + ((1 << shift) - 1) / 2
  }

  percentile(p: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(Histogram.value(i), this.max)
    }
    return this.max
  }

  summary(): LatencySummary {
    const ms = (micros: number) => Math.round(micros) / 1000
    return {
      p50: ms(this.percentile(0.5)),
      p90: ms(this.percentile(0.9)),
      p99: ms(this.percentile(0.99)),
      max: ms(this.max),
      mean: this.count === 0 ? 0 : ms(this.sum / this.count),
    }
  }
}
