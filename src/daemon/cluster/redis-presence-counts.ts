import type { RedisStore } from '../store/redis-store.js'
import { clusterKeys } from './keys.js'
import type { ClusterPresenceCounts, PresenceChange, RoomShares } from './presence-counts.js'

/**
 * Adds a delta to uids' counts in one step: this node's share first (never
 * below zero, so a leave that was never counted changes nothing), then the
 * room's total by what the share changed.
 *
 * KEYS: the room's totals, this node's share. ARGV: delta, uid, uid, …
 * Answers { total before, total after } per uid.
 */
const ADD = `
local delta = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local uid = ARGV[i]
  local was = tonumber(redis.call('HGET', KEYS[2], uid) or 0)
  local now = was + delta
  if now < 0 then now = 0 end
  local before = tonumber(redis.call('HGET', KEYS[1], uid) or 0)
  local after = before + now - was
  if after < 0 then after = 0 end
  if now > 0 then redis.call('HSET', KEYS[2], uid, now) else redis.call('HDEL', KEYS[2], uid) end
  if after > 0 then redis.call('HSET', KEYS[1], uid, after) else redis.call('HDEL', KEYS[1], uid) end
  out[#out + 1] = before
  out[#out + 1] = after
end
return out
`

/**
 * Sets a node's share in a room to what it holds, in one step, and moves the
 * room's totals by the difference: the uids the share no longer names go to 0.
 *
 * KEYS: the room's totals, the node's share. ARGV: uid, count, uid, count, …
 * Answers { uid, total after } for each uid whose total left zero or came back to it.
 */
const RESTATE = `
local want = {}
for i = 1, #ARGV, 2 do want[ARGV[i]] = tonumber(ARGV[i + 1]) end
local held = redis.call('HGETALL', KEYS[2])
local had = {}
for i = 1, #held, 2 do
  had[held[i]] = tonumber(held[i + 1])
  if want[held[i]] == nil then want[held[i]] = 0 end
end
local out = {}
for uid, now in pairs(want) do
  local was = had[uid] or 0
  if now ~= was then
    if now > 0 then redis.call('HSET', KEYS[2], uid, now) else redis.call('HDEL', KEYS[2], uid) end
    local before = tonumber(redis.call('HGET', KEYS[1], uid) or 0)
    local after = before + now - was
    if after < 0 then after = 0 end
    if after > 0 then redis.call('HSET', KEYS[1], uid, after) else redis.call('HDEL', KEYS[1], uid) end
    if (before > 0) ~= (after > 0) then
      out[#out + 1] = uid
      out[#out + 1] = after
    end
  end
end
return out
`

type Call = (...args: Array<string | number>) => Promise<unknown>

/**
 * Presence counts in Redis, shared by the nodes of a cluster. Per room, a hash
 * of uid → connections on every node, and one per node of its own share; a
 * set per node names the rooms where it holds one. That set is kept from this
 * node's own tally, written in the order the counts are, so it names every
 * room whose share is not empty.
 */
export class RedisPresenceCounts implements ClusterPresenceCounts {
  readonly #add: Call
  readonly #restate: Call
  /** This node's (connection, uid) pairs per room, as sent to Redis: a room enters the node's set at its first, leaves it at its last. */
  readonly #held = new Map<string, number>()

  constructor(
    private readonly store: RedisStore,
    private readonly node: string,
  ) {
    const { client } = store
    // defineCommand runs EVALSHA, and loads the script again on a server that lost it.
    client.defineCommand('mswPresenceAdd', { numberOfKeys: 2, lua: ADD })
    client.defineCommand('mswPresenceRestate', { numberOfKeys: 2, lua: RESTATE })
    const commands = client as unknown as Record<'mswPresenceAdd' | 'mswPresenceRestate', Call>
    this.#add = commands.mswPresenceAdd.bind(client)
    this.#restate = commands.mswPresenceRestate.bind(client)
  }

  async add(room: string, uids: readonly string[], delta: 1 | -1): Promise<PresenceChange[]> {
    if (uids.length === 0) return []
    const { store, node } = this
    const rooms = store.k(clusterKeys.presenceRooms(node))
    const held = this.#held.get(room) ?? 0
    const now = Math.max(0, held + delta * uids.length)
    if (held === 0 && now > 0) void store.run(undefined, () => store.client.sadd(rooms, room)).catch(() => {})
    const answer = store.run(room, () => this.#add(...this.#keys(room, node), delta, ...uids))
    if (now > 0) this.#held.set(room, now)
    else if (held > 0) {
      this.#held.delete(room)
      void store.run(undefined, () => store.client.srem(rooms, room)).catch(() => {})
    }
    const counts = (await answer) as number[]
    const changes: PresenceChange[] = []
    for (const [i, uid] of uids.entries()) {
      const before = Number(counts[2 * i])
      const after = Number(counts[2 * i + 1])
      if (before > 0 !== after > 0) changes.push({ uid, joined: after > 0 })
    }
    return changes
  }

  rooms(node: string): Promise<string[]> {
    const { store } = this
    return store.run(undefined, () => store.client.smembers(store.k(clusterKeys.presenceRooms(node))))
  }

  restate(node: string, shares: RoomShares): Promise<Array<[room: string, changes: PresenceChange[]]>> {
    const { store } = this
    const rooms = store.k(clusterKeys.presenceRooms(node))
    const writes: Array<Promise<[string, PresenceChange[]]>> = []
    const holding: string[] = []
    if (node === this.node) this.#held.clear()
    for (const [room, counts] of shares) {
      const args: Array<string | number> = []
      let total = 0
      for (const [uid, n] of counts) {
        if (n <= 0) continue
        args.push(uid, n)
        total += n
      }
      if (total > 0) holding.push(room)
      if (node === this.node && total > 0) this.#held.set(room, total)
      const answer = store.run(room, () => this.#restate(...this.#keys(room, node), ...args))
      writes.push(answer.then((value) => [room, changesOf(value as Array<string | number>)]))
    }
    // The set names what the node holds now; a node that holds nothing (or is gone) has none.
    const replace = (): Promise<unknown> =>
      holding.length === 0
        ? store.client.del(rooms)
        : store.client
            .multi()
            .del(rooms)
            .sadd(rooms, ...holding)
            .exec()
    const set = store.run(undefined, replace)
    return Promise.all([Promise.all(writes), set]).then(([changes]) => changes)
  }

  #keys(room: string, node: string): [string, string] {
    return [this.store.k(clusterKeys.presence(room)), this.store.k(clusterKeys.nodePresence(room, node))]
  }
}

function changesOf(answer: Array<string | number>): PresenceChange[] {
  const changes: PresenceChange[] = []
  for (let i = 0; i + 1 < answer.length; i += 2) changes.push({ uid: String(answer[i]), joined: Number(answer[i + 1]) > 0 })
  return changes
}
