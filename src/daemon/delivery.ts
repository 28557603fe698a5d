import type { Logger } from 'pino'
import type { Connection } from './connections/connection.js'
import type { ConnectionRegistry } from './connections/registry.js'
import type { Store } from './store/store.js'

/** The store key of a uid's set of fds; keys starting with "@" are mswoole's own. */
export const uidKey = (uid: string): string => `@uid:${uid}`

/**
 * Writes frames to sockets. Frames arrive as finished strings; a client whose
 * unread output passes the buffer limit is cut, so memory stays bounded.
 */
export class Delivery {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly store: Store,
    private readonly maxBufferedBytes: number,
    private readonly logger: Logger,
  ) {}

  write(connection: Connection, frame: string): void {
    if (connection.state !== 'open') return
    if (connection.ws.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn({ fd: connection.fd, buffered: connection.ws.bufferedAmount }, 'client too slow, disconnected')
      this.registry.drop(connection, 'too slow: output buffer full')
      return
    }
    connection.messagesOut++
    connection.ws.send(frame)
  }

  toFd(fd: number, frame: string): void {
    const connection = this.registry.get(fd)
    if (connection) this.write(connection, frame)
  }

  async toRoom(room: string, frame: string, except?: readonly number[]): Promise<void> {
    const skip = except && except.length > 0 ? new Set(except) : undefined
    for (const member of await this.store.smembers(room)) {
      const fd = Number(member)
      if (!skip?.has(fd)) this.toFd(fd, frame)
    }
  }

  async toUid(uid: string, frame: string): Promise<void> {
    for (const member of await this.store.smembers(uidKey(uid))) this.toFd(Number(member), frame)
  }
}
