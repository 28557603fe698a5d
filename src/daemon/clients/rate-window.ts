/**
 * A fixed one-second window per connection: past `limit` messages a client is
 * refused (429); past twice the limit it is flooding and is disconnected.
 */
export class RateWindow {
  #windowStart = 0
  #count = 0

  constructor(private readonly limit: number) {}

  take(now: number): 'ok' | 'limited' | 'flood' {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now
      this.#count = 0
    }
    this.#count++
    if (this.#count <= this.limit) return 'ok'
    return this.#count > this.limit * 2 ? 'flood' : 'limited'
  }
}
