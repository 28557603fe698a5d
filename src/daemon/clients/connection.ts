import type { WebSocket } from 'ws'
import type { AuthPayload } from '../../auth/payload.js'
import type { ConnectionPositions } from './positions.js'
import type { RateWindow } from './rate-window.js'

/** open → closing → closed; each transition happens in ConnectionRegistry only. */
export type ConnectionState = 'open' | 'closing' | 'closed'

/** Who connected, as the upgrade established it. */
export interface ConnectionIdentity {
  ip: string
  /** The decoded token; undefined for an anonymous client (auth disabled). */
  auth: AuthPayload | undefined
  /** The room code from the token, "" without one. */
  code: string
}

export interface Connection extends ConnectionIdentity, RateWindow {
  readonly fd: number
  readonly ws: WebSocket
  /** On the daemon's clock (clock.ts), as `lastActiveAt` and the rate window are. */
  readonly connectedAt: number
  lastActiveAt: number
  messagesIn: number
  messagesOut: number
  state: ConnectionState
  /** Why the server closed it (kick, heartbeat, shutdown…); undefined when the client did. */
  closeReason: string | undefined
  /**
   * The rooms it is in, left when it closes: its token's code, the rooms a
   * controller joined it to, and the seed's close keys (fdAddCloseKey), which are rooms too.
   * A connection has few, so an array (one room: 56 bytes, where a Set takes about 200);
   * LocalIndex replaces it, never changes it, so a reader may hold on to it.
   */
  rooms: readonly string[]
  /** Controllers ("Module.Controller") whose onClose runs when it closes; made at the first one (most connections have none). */
  controllers: Set<string> | undefined
  /** The uids bound to it, as `rooms` are kept. */
  uids: readonly string[]
  /** The controllers' per-connection data; made at the first write. */
  session: Record<string, unknown> | undefined
  /** `[auth or null, code]` as JSON, for the worker that reads its frames; made at its first frame. */
  sender: string | undefined
  /** Its place in the rooms' histories (app.json `history`); made at its first message with a seq. */
  positions: ConnectionPositions | undefined
}

/**
 * A client's WebSocket carrying its connection: ws calls a listener with the
 * socket as `this`, so one listener function serves every socket, where a
 * closure per socket and event would cost some 100 bytes a connection.
 */
export type ClientSocket = WebSocket & { connection?: Connection }

/** The connection a socket was registered with (ConnectionRegistry.add). */
export function connectionOf(ws: WebSocket): Connection {
  const { connection } = ws as ClientSocket
  if (connection === undefined) throw new Error('a client socket was used before it was registered')
  return connection
}

export interface ClosedConnection {
  connection: Connection
  code: number
  reason: string
}
