import type { ConnectionRegistry } from './connections/registry.js'

export interface HeartbeatOptions {
  idleSeconds: number
  checkSeconds: number
}

/** Close code for a connection dropped for silence (4000–4999 is the application's range; 408 as in HTTP). */
export const IDLE_CLOSE_CODE = 4408

/**
 * Every check interval: close connections silent for longer than the idle
 * time, and ping the rest so proxies keep the socket open. A pong counts as
 * activity, so a live browser tab is never dropped for being quiet; a dead
 * peer sends no pong and is.
 */
export function startHeartbeat(registry: ConnectionRegistry, options: HeartbeatOptions): () => void {
  const idleMs = options.idleSeconds * 1000
  const timer = setInterval(() => {
    const now = Date.now()
    for (const connection of registry.values()) {
      if (connection.state !== 'open') continue
      if (now - connection.lastActiveAt > idleMs) registry.close(connection, IDLE_CLOSE_CODE, 'idle timeout')
      else connection.ws.ping()
    }
  }, options.checkSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
