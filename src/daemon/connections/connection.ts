import type { WebSocket } from 'ws'

/** open → closing → closed; each transition happens in ConnectionRegistry only. */
export type ConnectionState = 'open' | 'closing' | 'closed'

export interface Connection {
  readonly fd: number
  readonly ws: WebSocket
  readonly ip: string
  readonly connectedAt: number
  lastActiveAt: number
  messagesIn: number
  messagesOut: number
  state: ConnectionState
  /** Why the server closed it (kick, heartbeat, shutdown…); undefined when the client did. */
  closeReason: string | undefined
}

export interface ClosedConnection {
  connection: Connection
  code: number
  reason: string
}
