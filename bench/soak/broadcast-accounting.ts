/**
 * Which broadcasts each socket was owed, and which it got. Churned sockets come and go while
 * broadcasts flow, so a socket is owed broadcast n only when it provably spanned it:
 *
 *   - registered before: the reply to the socket's first request arrived before broadcast n was
 *     sent, so the daemon had the socket in its room before it read the broadcast;
 *   - still there after: a request sent after the daemon answered broadcast n (which it does once
 *     it has written n to its sockets) was answered on the same socket, and one socket's frames
 *     arrive in the order the daemon wrote them.
 *
 * Sockets that opened or closed in between are neither owed nor blamed. A broadcast the daemon
 * never answered (an error, a timeout) owes nobody: it counts as a failed broadcast instead.
 */
import type { BroadcastRecord } from './broadcaster.js'
import type { Session } from './sessions.js'

export interface BroadcastAccount {
  sent: number
  /** Answered by the daemon: these are the ones the accounting holds sockets to. */
  answered: number
  failed: number
  /** (socket, broadcast) pairs where the socket spanned the broadcast. */
  owed: number
  delivered: number
  /** owed − delivered: lost messages. */
  missing: number
  /** Broadcasts received twice on one socket. */
  duplicates: number
  /** Sockets that spanned at least one broadcast. */
  socketsAccounted: number
  /** Every broadcast frame received, owed or not. */
  received: number
  /** The first few misses, to find them in the daemon's log. */
  missingSamples: Array<{ seq: number; session: number; slot: number }>
  failedSamples: string[]
}

export function accountBroadcasts(broadcasts: readonly BroadcastRecord[], sessions: readonly Session[]): BroadcastAccount {
  const answered = broadcasts.filter((b): b is BroadcastRecord & { answeredAt: number } => b.answeredAt !== null)
  const failed = broadcasts.filter((b) => b.answeredAt === null)
  const account: BroadcastAccount = {
    sent: broadcasts.length,
    answered: answered.length,
    failed: failed.length,
    owed: 0,
    delivered: 0,
    missing: 0,
    duplicates: 0,
    socketsAccounted: 0,
    received: 0,
    missingSamples: [],
    failedSamples: failed.slice(0, 5).map((b) => `#${b.seq}: ${b.error ?? 'no answer'}`),
  }
  for (const s of sessions) {
    account.duplicates += s.duplicates
    account.received += s.received.size + s.duplicates
    if (s.firstReplyAt === null || s.lastProofSentAt === null) continue
    let spanned = 0
    for (const b of answered) {
      if (!(s.firstReplyAt < b.sentAt && b.answeredAt < s.lastProofSentAt)) continue
      spanned++
      if (s.received.has(b.seq)) account.delivered++
      else if (account.missingSamples.length < 10) account.missingSamples.push({ seq: b.seq, session: s.id, slot: s.slot })
    }
    account.owed += spanned
    if (spanned > 0) account.socketsAccounted++
  }
  account.missing = account.owed - account.delivered
  return account
}
