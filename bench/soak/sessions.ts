/**
 * What the soak client remembers of each connection it opened (a session: one slot's socket from
 * its open to its close), enough to say afterwards which broadcasts that socket was owed.
 */

export type CloseKind = 'clean' | 'abrupt' | 'timeout' | 'final' | 'unexpected'

export interface Session {
  id: number
  slot: number
  /** performance.now() of the client's `open`. */
  openedAt: number
  /** When the reply to this socket's first request arrived: the daemon had registered it (and joined its room) before. */
  firstReplyAt: number | null
  /**
   * When the latest request whose reply came back on this socket was sent. Anything the daemon
   * wrote to the socket before it read that request arrived before that reply: TCP keeps one
   * socket's bytes in order, and so does the daemon's write queue.
   */
  lastProofSentAt: number | null
  closedAt: number | null
  closeKind: CloseKind | null
  /** Broadcast sequence numbers received on this socket. */
  received: Set<number>
  /** Broadcasts received more than once on this socket. */
  duplicates: number
}

export function newSession(id: number, slot: number, openedAt: number): Session {
  return {
    id,
    slot,
    openedAt,
    firstReplyAt: null,
    lastProofSentAt: null,
    closedAt: null,
    closeKind: null,
    received: new Set(),
    duplicates: 0,
  }
}
