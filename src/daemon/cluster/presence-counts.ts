/** A uid whose count in a room left zero (its first connection there) or came back to it (its last one went). */
export interface PresenceChange {
  uid: string
  joined: boolean
}

/**
 * How many of a presence room's connections each uid holds, and which change
 * took a uid's count from zero or back to it: the one place that decides a
 * first join and a last leave, so two connections of a uid that enter at once
 * make one join whichever nodes they are on.
 */
export interface PresenceCounts {
  /** Adds `delta` (a connection entering: 1, leaving: -1) to each uid's count in the room. */
  add(room: string, uids: readonly string[], delta: 1 | -1): Promise<PresenceChange[]>
}

/** A room → uid → count tally: what a node holds in each room, or what a change does. */
export type RoomShares = Map<string, Map<string, number>>

/**
 * The counts of a cluster, where each node's share is kept apart from the
 * total, so a node's share can be set again from its connections (after an
 * outage) or removed (when it dies) without counting anything twice.
 */
export interface ClusterPresenceCounts extends PresenceCounts {
  /** The rooms where `node` may hold a share. */
  rooms(node: string): Promise<string[]>
  /**
   * Sets `node`'s share in each room of `shares` to exactly what it holds
   * there (an empty map: nothing). Every write is sent before this returns,
   * so a later `add` reaches Redis after them. Answers the changes per room.
   */
  restate(node: string, shares: RoomShares): Promise<Array<[room: string, changes: PresenceChange[]]>>
}

/** On one node: the counts in the daemon's memory. */
export class MemoryPresenceCounts implements PresenceCounts {
  readonly #rooms: RoomShares = new Map()

  add(room: string, uids: readonly string[], delta: 1 | -1): Promise<PresenceChange[]> {
    let counts = this.#rooms.get(room)
    const changes: PresenceChange[] = []
    for (const uid of uids) {
      const before = counts?.get(uid) ?? 0
      const after = Math.max(0, before + delta)
      if (after > 0) {
        if (counts === undefined) {
          counts = new Map()
          this.#rooms.set(room, counts)
        }
        counts.set(uid, after)
      } else {
        counts?.delete(uid)
      }
      if (before > 0 !== after > 0) changes.push({ uid, joined: after > 0 })
    }
    if (counts?.size === 0) this.#rooms.delete(room)
    return Promise.resolve(changes)
  }
}

/** Adds `n` to a uid's tally in a room. */
export function addShare(shares: RoomShares, room: string, uid: string, n = 1): void {
  let counts = shares.get(room)
  if (counts === undefined) {
    counts = new Map()
    shares.set(room, counts)
  }
  counts.set(uid, (counts.get(uid) ?? 0) + n)
}
