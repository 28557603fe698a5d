import type { Socket } from 'node:net'
import WebSocket from 'ws'

/**
 * The TCP socket under an open ws WebSocket, to write prepared frames to.
 * ws has no public API for a frame built once for many sockets; its own
 * sender writes synchronously to this socket whenever nothing is queued, and
 * nothing ever is here (no permessage-deflate, no Blob sends), so frames
 * written here keep their order with ws's pings and close frames.
 * Undefined when the socket is not open for data, or when ws stops having one.
 */
export function rawSocket(ws: WebSocket): Socket | undefined {
  if (ws.readyState !== WebSocket.OPEN) return undefined
  const socket = (ws as unknown as { _socket?: unknown })._socket
  return isWritableSocket(socket) ? socket : undefined
}

function isWritableSocket(value: unknown): value is Socket {
  return typeof value === 'object' && value !== null && typeof (value as Socket).cork === 'function' && (value as Socket).writable
}
