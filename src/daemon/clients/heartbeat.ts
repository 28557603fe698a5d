import type { Connection } from './connection.js'
import type { ConnectionRegistry } from './registry.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'
import { clockNow } from './clock.js'

export interface HeartbeatOptions {
  idleSeconds: number
  checkSeconds: number
  /** Connections looked at per turn of the event loop (default SLICE). */
  slice?: number
}

/**
 * Connections a sweep looks at in one turn of the event loop. A node of 20,000 that
 * pinged them all in one turn would hold its clients' messages for that whole turn,
 * and every ping's frame and write alive at once.
 */
export const SLICE = 500

/**
 * Every check interval: close connections silent for longer than the idle
 * time, and ping the rest so proxies keep the socket open, a slice of them
 * per turn. A pong counts as activity, so a live browser tab is never dropped
 * for being quiet; a dead peer sends no pong and is.
 */
export function startHeartbeat(registry: ConnectionRegistry, options: HeartbeatOptions): () => void {
  const idleMs = options.idleSeconds * 1000
  const slice = options.slice ?? SLICE
  // The sweep under way: a Map's iterator skips what closes and reaches what opens meanwhile.
  let sweep: Iterator<Connection> | undefined
  let next: NodeJS.Immediate | undefined
  const step = () => {
    next = undefined
    if (sweep === undefined) return
    const now = clockNow()
    for (let n = 0; n < slice; n++) {
      const item = sweep.next()
      if (item.done) {
        sweep = undefined
        return
      }
      const connection = item.value
      if (connection.state !== 'open') continue
      if (now - connection.lastActiveAt > idleMs) registry.close(connection, CLOSE_CODES.IDLE_TIMEOUT, 'idle timeout')
      else connection.ws.ping()
    }
    next = setImmediate(step)
  }
  const timer = setInterval(() => {
    // A sweep still under way (a very large node) goes on rather than starting over.
    if (sweep !== undefined) return
    sweep = registry.values()
    step()
  }, options.checkSeconds * 1000)
  timer.unref()
  return () => {
    clearInterval(timer)
    if (next !== undefined) clearImmediate(next)
    sweep = undefined
  }
}
