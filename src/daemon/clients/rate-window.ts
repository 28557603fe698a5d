/** A connection's one-second rate window, kept as two numbers on the connection itself. */
export interface RateWindow {
  /** When the current window began (ms, on the daemon's clock: clock.ts). */
  rateWindowStart: number
  /** Frames counted in it. */
  rateCount: number
}

/**
 * Counts one frame in a fixed one-second window: past `limit` messages a client
 * is refused (429); past twice the limit it is flooding and is disconnected.
 */
export function takeRate(window: RateWindow, now: number, limit: number): 'ok' | 'limited' | 'flood' {
  if (now - window.rateWindowStart >= 1000) {
    window.rateWindowStart = now
    window.rateCount = 0
  }
  const count = ++window.rateCount
  if (count <= limit) return 'ok'
  return count > limit * 2 ? 'flood' : 'limited'
}
