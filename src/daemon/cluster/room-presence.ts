import type { RoomPresence, UidPresence } from '../../app-api/types.js'
import { parseConnectionId } from '../../protocol/connection-id.js'
import type { Connection } from '../clients/connection.js'
import type { RedisStore } from '../store/redis-store.js'
import { parseDirectoryEntry } from './directory-entry.js'
import { clusterKeys } from './keys.js'

/** Members read from a room's set per SSCAN, and directory entries per HMGET: no command holds Redis long. */
const BATCH = 1000

/** A room's connections counted by uid, as they are found. */
export class PresenceTally {
  connections = 0
  anonymous = 0
  readonly #uids = new Map<string, number>()

  /** One connection, with the uids bound to it. */
  add(uids: readonly string[]): void {
    this.connections++
    if (uids.length === 0) this.anonymous++
    for (const uid of uids) this.#uids.set(uid, (this.#uids.get(uid) ?? 0) + 1)
  }

  /** The uids by uid: numbers in numeric order, before other names. */
  uids(): UidPresence[] {
    return [...this.#uids].map(([uid, connections]) => ({ uid, connections })).sort((a, b) => compareUids(a.uid, b.uid))
  }

  result(room: string): RoomPresence {
    return { room, connections: this.connections, anonymous: this.anonymous, uids: this.uids() }
  }
}

const INTEGER = /^-?\d{1,15}$/

function compareUids(a: string, b: string): number {
  const an = INTEGER.test(a)
  const bn = INTEGER.test(b)
  if (an && bn) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)
  if (an !== bn) return an ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** This node's part of a room: its connections there, from the local index (as `members` and `rooms` count them). */
export function tallyLocal(tally: PresenceTally, members: Iterable<Connection>): void {
  for (const connection of members) tally.add(connection.uids)
}

/**
 * The other nodes' part of a room: its set's connection ids, read a batch at
 * a time, and for each the uids its node's directory entry names. This node's
 * ids are skipped (the local index is fresher), and so is an id with no entry
 * or whose entry no longer lists the room (it closed or left meanwhile). The
 * cost follows the room's size, never the cluster's.
 */
export async function tallyRemote(tally: PresenceTally, store: RedisStore, node: string, room: string): Promise<void> {
  const { client } = store
  const key = store.k(room)
  // SSCAN may answer an id twice (the set grew while it was read).
  const seen = new Set<string>()
  let cursor = '0'
  do {
    const [next, ids] = await store.run(room, () => client.sscan(key, cursor, 'COUNT', BATCH))
    cursor = next
    const byNode = new Map<string, string[]>()
    for (const id of ids) {
      if (seen.has(id)) continue
      seen.add(id)
      const ref = parseConnectionId(id)
      if (ref === undefined || ref.node === node) continue
      const fds = byNode.get(ref.node)
      if (fds === undefined) byNode.set(ref.node, [String(ref.fd)])
      else fds.push(String(ref.fd))
    }
    await Promise.all(
      [...byNode].map(async ([other, fds]) => {
        const directory = store.k(clusterKeys.connections(other))
        const texts = await store.run(undefined, () => client.hmget(directory, ...fds))
        for (const text of texts) {
          const entry = text === null ? undefined : parseDirectoryEntry(text)
          if (entry?.rooms.includes(room)) tally.add(entry.uids)
        }
      }),
    )
  } while (cursor !== '0')
}
