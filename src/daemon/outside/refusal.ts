import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { destroySocket } from '../listen.js'

/**
 * A whole HTTP response without a body, as written to a socket the outside
 * port refuses before (or instead of) an upgrade: `HTTP/1.1 403 Forbidden`,
 * the given headers (the seed's clients read `message`), then close.
 */
export function refusal(status: number, headers: Readonly<Record<string, string>> = {}): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines.join('')}connection: close\r\ncontent-length: 0\r\n\r\n`
}

/** Writes a refusal and closes the socket once it is flushed, without waiting for the peer to close its side. */
export function refuse(socket: Duplex, response: string): void {
  if (socket.destroyed) return
  socket.once('finish', destroySocket)
  socket.end(response)
}
