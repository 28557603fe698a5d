import type { ConnectionRegistry } from './registry.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'
import { clockNow } from './clock.js'

export interface HeartbeatOptions {
  idleSeconds: number
  checkSeconds: number
}

/**
 * Every check interval: close connections silent for longer than the idle
 * time, and ping the rest so proxies keep the socket open. A pong counts as
 * activity, so a live browser tab is never dropped for being quiet; a dead
 * peer sends no pong and is.
 */
export function startHeartbeat(registry: ConnectionRegistry, options: HeartbeatOptions): () => void {
  const idleMs = options.idleSeconds * 1000
  const timer = setInterval(() => {
    const now = clockNow()
    for (const connection of registry.values()) {
      if (connection.state !== 'open') continue
      if (now - connection.lastActiveAt > idleMs) registry.close(connection, CLOSE_CODES.IDLE_TIMEOUT, 'idle timeout')
      else connection.ws.ping()
    }
  }, options.checkSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
