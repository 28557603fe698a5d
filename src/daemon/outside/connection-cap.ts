/**
 * outside.max_connections_per_ip: how many sockets one client address may hold
 * open at once, counting connections still sending their request and upgrades
 * still being authenticated. An address is in
 * the table only while it holds at least one socket, so the table is never
 * larger than the number of open sockets.
 */
export class ConnectionCap {
  readonly #max: number
  readonly #open = new Map<string, number>()

  /** `max` sockets per address; 0 = no limit (nothing is counted). */
  constructor(max: number) {
    this.#max = max
  }

  get enabled(): boolean {
    return this.#max > 0
  }

  /** Addresses that hold at least one socket. */
  get size(): number {
    return this.#open.size
  }

  count(ip: string): number {
    return this.#open.get(ip) ?? 0
  }

  /**
   * Takes a slot for `ip`: a release function to call exactly once when the
   * socket closes, or undefined when the address is at its cap.
   */
  acquire(ip: string): (() => void) | undefined {
    if (this.#max <= 0) return noop
    const open = this.#open.get(ip) ?? 0
    if (open >= this.#max) return undefined
    this.#open.set(ip, open + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const now = (this.#open.get(ip) ?? 1) - 1
      if (now <= 0) this.#open.delete(ip)
      else this.#open.set(ip, now)
    }
  }
}

function noop(): void {}
