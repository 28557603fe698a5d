import type { Position } from '../../protocol/seq.js'
import type { RedisStore } from '../store/redis-store.js'
import { newEpoch, POSITION_TTL_SECONDS, sinceAnswer, type HistoryEntry, type HistorySettings, type Since } from './position.js'

/**
 * How both scripts begin (KEYS: position hash, stream; ARGV[1]: a new epoch):
 * `e` is the room's epoch; a room without one starts a new epoch at offset 0
 * with no stream left over, and `fresh` says so.
 */
const EPOCH = `
local e = redis.call('HGET', KEYS[1], 'e')
local fresh = not e
if fresh then
  e = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', e, 'o', 0)
end`

/**
 * Appends in one step, so no two nodes ever give two messages one offset and
 * every node hears the messages of a room in offset order: the offset is
 * incremented, the message added to the room's stream (its id is the offset)
 * and published to the bus, all inside the script. A room whose position is
 * gone (flushed, expired) starts a new epoch and drops whatever stream is left.
 *
 * KEYS: position hash, stream. ARGV: new epoch, size, ttl, position ttl,
 * now (ms), text, bus channel, bus text up to its position.
 * Answers { epoch, offset, subscribers that heard it }.
 */
const APPEND = `${EPOCH}
local o = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], o .. '-0', 'm', ARGV[6], 't', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local heard = redis.call('PUBLISH', ARGV[7], ARGV[8] .. '"e":"' .. e .. '","o":' .. o .. '}')
return { e, o, heard }
`

/**
 * Reads a room's position and the entries after an offset in one step, so the
 * entries and the position agree. Entries older than the ttl count as gone.
 *
 * KEYS: position hash, stream. ARGV: new epoch (used when there is no
 * position yet), position ttl, asked offset, oldest time kept (ms).
 * Answers { epoch, offset, id1, text1, id2, text2, … } (no entries when the
 * asked offset is the last or past it).
 */
const SINCE = `${EPOCH}
if fresh then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local o = tonumber(redis.call('HGET', KEYS[1], 'o'))
local asked = tonumber(ARGV[3])
local out = { e, o }
if asked >= o then return out end
local entries = redis.call('XRANGE', KEYS[2], (asked + 1) .. '-0', '+')
local oldest = tonumber(ARGV[4])
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local text, at = nil, 0
  for i = 1, #fields, 2 do
    if fields[i] == 'm' then text = fields[i + 1] elseif fields[i] == 't' then at = tonumber(fields[i + 1]) end
  end
  if at >= oldest and text then
    out[#out + 1] = entry[1]
    out[#out + 1] = text
  end
end
return out
`

type Call = (...args: Array<string | number>) => Promise<unknown>

/**
 * Room history in Redis, shared by every node of the cluster: a hash with
 * the room's epoch and last offset, and a stream of its last `size` messages.
 */
export class RedisHistory {
  readonly #append: Call
  readonly #since: Call

  constructor(
    private readonly store: RedisStore,
    private readonly settings: HistorySettings,
    private readonly now: () => number = Date.now,
  ) {
    const { client } = store
    // defineCommand runs EVALSHA, and loads the script again on a server that lost it.
    client.defineCommand('mswHistoryAppend', { numberOfKeys: 2, lua: APPEND })
    client.defineCommand('mswHistorySince', { numberOfKeys: 2, lua: SINCE })
    const commands = client as unknown as Record<'mswHistoryAppend' | 'mswHistorySince', Call>
    this.#append = commands.mswHistoryAppend.bind(client)
    this.#since = commands.mswHistorySince.bind(client)
  }

  /**
   * Gives the message the room's next offset, keeps it and publishes it on
   * `channel` as `busHead` + `"e":…,"o":…}`: `busHead` is the bus message's
   * JSON without its closing brace and with a trailing comma.
   */
  async append(room: string, text: string, channel: string, busHead: string): Promise<Position & { heard: number }> {
    const [position, stream] = this.#keys(room)
    const { size, ttlSeconds } = this.settings
    const ttl = Math.max(ttlSeconds, 1)
    const positionTtl = Math.max(ttl, POSITION_TTL_SECONDS)
    const call = () => this.#append(position, stream, newEpoch(), size, ttl, positionTtl, this.now(), text, channel, busHead)
    const answer = (await this.store.run(room, call)) as [string, number, number]
    return { epoch: answer[0], offset: Number(answer[1]), heard: Number(answer[2]) }
  }

  async since(room: string, asked: Position): Promise<Since> {
    const [position, stream] = this.#keys(room)
    const oldest = this.now() - this.settings.ttlSeconds * 1000
    const call = () => this.#since(position, stream, newEpoch(), POSITION_TTL_SECONDS, asked.offset, oldest)
    const answer = (await this.store.run(room, call)) as Array<string | number>
    const current: Position = { epoch: String(answer[0]), offset: Number(answer[1]) }
    return sinceAnswer(current, asked, () => {
      const entries: HistoryEntry[] = []
      for (let i = 2; i + 1 < answer.length; i += 2) {
        entries.push({ offset: Number.parseInt(String(answer[i]), 10), text: String(answer[i + 1]) })
      }
      return entries
    })
  }

  /** Nothing of its own to release: it runs on the store's connection. */
  close(): void {}

  /** A room's keys; the braces keep both in one slot of a Redis Cluster. */
  #keys(room: string): [string, string] {
    const base = this.store.k(`@history:{${room}}`)
    return [`${base}:pos`, base]
  }
}
