/**
 * The WebSocket close codes mswoole sends or records (RFC 6455 §7.4.1, and
 * 4000–4999, the application's range), each named once.
 */
export const CLOSE_CODES = {
  /** A normal close; `kick` may send it. */
  NORMAL: 1000,
  /** The server is stopping: a graceful stop, and the manager port's sockets. */
  GOING_AWAY: 1001,
  /** Never sent: recorded for a connection that ended without a close handshake. */
  ABNORMAL: 1006,
  /** A text frame that is not UTF-8 (ws closes with it on its own). */
  INVALID_PAYLOAD: 1007,
  /** A client over max_messages_per_second. */
  POLICY_VIOLATION: 1008,
  /** A frame over max_message_size (ws closes with it on its own). */
  MESSAGE_TOO_BIG: 1009,
  /** Service restart: a drained stop (`stop --drain`), so clients reconnect, to another node behind a balancer. */
  SERVICE_RESTART: 1012,
  /** `kick`'s default. */
  KICKED: 4000,
  /** Dropped for silence by the heartbeat; 408 as in HTTP. */
  IDLE_TIMEOUT: 4408,
} as const

/** A close code a server may send on request (kick): 1000, or one of the application range 3000–4999. */
export function isSendableCloseCode(code: number): boolean {
  return code === CLOSE_CODES.NORMAL || (code >= 3000 && code <= 4999)
}
