import type { Socket } from 'node:net'

/**
 * Writes to sockets corked until the end of the event-loop turn, so every
 * frame one socket gets in a turn (a burst of broadcasts, an ack and its
 * reply) leaves in one writev instead of one system call each.
 */
export class TickWriter {
  #corked: Socket[] = []
  #scheduled = false

  write(socket: Socket, bytes: Buffer): void {
    if (socket.writableCorked === 0) {
      socket.cork()
      this.#corked.push(socket)
      if (!this.#scheduled) {
        this.#scheduled = true
        // setImmediate, not nextTick: it runs after every I/O callback of this
        // turn and the promise jobs they started, so a turn's writes share one flush.
        setImmediate(this.#flush)
      }
    }
    socket.write(bytes)
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const corked = this.#corked
    this.#corked = []
    for (const socket of corked) socket.uncork()
  }
}
