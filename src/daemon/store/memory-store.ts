import { MswError } from '../../errors.js'
import {
  checkExpireSeconds,
  checkIncrement,
  checkIndex,
  checkSetTtl,
  DEFAULT_STORE_PREFIX,
  notIntegerError,
  wrongTypeError,
  type Store,
} from './store.js'

/** One key's value; `expireAt` is a clock time in ms, Infinity for none. */
export type MemoryEntry =
  | { type: 'string'; value: string; expireAt: number }
  | { type: 'hash'; value: Map<string, string>; expireAt: number }
  | { type: 'set'; value: Set<SetMember>; expireAt: number }
  | { type: 'list'; value: string[]; expireAt: number }

type EntryOf<T extends MemoryEntry['type']> = Extract<MemoryEntry, { type: T }>

/** Keys checked per sweep tick, so a sweep never stalls the master's event loop. */
const SWEEP_BUDGET = 20_000
const DEFAULT_SWEEP_INTERVAL_MS = 1000

/**
 * The data behind one or more MemoryStores (full, prefixed keys), as one Redis
 * server is behind many clients. Invariant: `volatile` holds exactly the keys
 * whose entry has a finite `expireAt`, so a sweep visits only those.
 */
export class MemoryKeyspace {
  readonly entries = new Map<string, MemoryEntry>()
  readonly volatile = new Set<string>()
  // A live iterator survives inserts and deletes, so a sweep cut short by its budget resumes where it stopped.
  private cursor: Iterator<string> | undefined

  /** Number of keys held, counting expired ones not yet removed. */
  get size(): number {
    return this.entries.size
  }

  put(k: string, entry: MemoryEntry): void {
    this.entries.set(k, entry)
    if (entry.expireAt === Infinity) this.volatile.delete(k)
    else this.volatile.add(k)
  }

  remove(k: string, entry: MemoryEntry): void {
    this.entries.delete(k)
    if (entry.expireAt !== Infinity) this.volatile.delete(k)
  }

  /** Removes keys whose TTL passed before `now`, checking at most `budget` keys; returns how many it removed. */
  sweep(now: number, budget = SWEEP_BUDGET): number {
    let removed = 0
    this.cursor ??= this.volatile.values()
    for (let i = 0; i < budget; i++) {
      const next = this.cursor.next()
      if (next.done === true) {
        this.cursor = undefined
        break
      }
      const entry = this.entries.get(next.value)
      if (entry !== undefined && now > entry.expireAt) {
        this.remove(next.value, entry)
        removed++
      }
    }
    return removed
  }
}

export interface MemoryStoreOptions {
  /** Namespace for every key (cache.json `prefix`). */
  prefix?: string
  /** How often keys past their TTL are removed without being accessed. */
  sweepIntervalMs?: number
  /** Monotonic milliseconds; tests pass a clock they can move forward. */
  clock?: () => number
  /** Share data with other stores (each keeps its own prefix), as clients share a Redis server. */
  keyspace?: MemoryKeyspace
}

/** The embedded default store: the master's memory, Redis semantics (see Store). */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const
  readonly keyspace: MemoryKeyspace
  private readonly prefix: string
  private readonly clock: () => number
  private timer: NodeJS.Timeout | undefined

  constructor(options: MemoryStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_STORE_PREFIX
    // Monotonic, so a wall-clock step (NTP, suspend) neither expires nor extends keys.
    this.clock = options.clock ?? (() => performance.now())
    this.keyspace = options.keyspace ?? new MemoryKeyspace()
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS
    this.timer = setInterval(() => this.keyspace.sweep(this.clock()), interval)
    // The sweep only bounds memory; it must never keep the process alive.
    this.timer.unref()
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** In-process: reachable until closed, as a Redis connection is until it drops. */
  async ping(): Promise<void> {
    if (this.timer === undefined) throw new MswError('MSW_ERR_STORE_UNAVAILABLE', 'the memory store is closed')
  }

  // Strings

  async get(key: string): Promise<string | null> {
    return this.typed(key, 'string')?.value ?? null
  }

  async set(key: string, value: string, options?: { ttl?: number }): Promise<void> {
    const ttl = options?.ttl
    checkSetTtl(ttl)
    // Like Redis SET: replaces a key of any type and drops any TTL it had.
    const expireAt = ttl === undefined ? Infinity : this.clock() + ttl * 1000
    this.keyspace.put(this.prefix + key, { type: 'string', value: String(value), expireAt })
  }

  async incr(key: string, by = 1): Promise<number> {
    checkIncrement(by)
    const entry = this.typed(key, 'string')
    const result = addInteger(key, entry?.value ?? '0', by)
    // Redis's INCR keeps the key's TTL.
    if (entry !== undefined) entry.value = String(result)
    else this.keyspace.put(this.prefix + key, { type: 'string', value: String(result), expireAt: Infinity })
    return Number(result)
  }

  // Keys

  async del(...keys: string[]): Promise<number> {
    let removed = 0
    for (const key of keys) {
      const k = this.prefix + key
      const entry = this.lookup(k)
      if (entry !== undefined) {
        this.keyspace.remove(k, entry)
        removed++
      }
    }
    return removed
  }

  async expire(key: string, ttlSeconds: number): Promise<boolean> {
    checkExpireSeconds(ttlSeconds)
    const k = this.prefix + key
    const entry = this.lookup(k)
    if (entry === undefined) return false
    if (ttlSeconds <= 0) {
      this.keyspace.remove(k, entry)
    } else {
      entry.expireAt = this.clock() + ttlSeconds * 1000
      this.keyspace.volatile.add(k)
    }
    return true
  }

  async ttl(key: string): Promise<number> {
    const entry = this.lookup(this.prefix + key)
    if (entry === undefined) return -2
    if (entry.expireAt === Infinity) return -1
    // Redis rounds the remaining milliseconds to the nearest second.
    return Math.floor((Math.max(0, entry.expireAt - this.clock()) + 500) / 1000)
  }

  // Hashes

  async hget(key: string, field: string): Promise<string | null> {
    return this.typed(key, 'hash')?.value.get(String(field)) ?? null
  }

  async hset(key: string, field: string, value: string): Promise<number> {
    const hash = this.typed(key, 'hash')?.value ?? this.create(key, 'hash', new Map<string, string>())
    const name = String(field)
    const added = hash.has(name) ? 0 : 1
    hash.set(name, String(value))
    return added
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const entry = this.typed(key, 'hash')
    if (entry === undefined) return 0
    const before = entry.value.size
    for (const field of fields) entry.value.delete(String(field))
    return before - this.dropIfEmpty(key, entry, entry.value.size)
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const entry = this.typed(key, 'hash')
    // fromEntries defines own properties, so fields like "__proto__" stay plain fields.
    return entry === undefined ? {} : Object.fromEntries(entry.value)
  }

  async hlen(key: string): Promise<number> {
    return this.typed(key, 'hash')?.value.size ?? 0
  }

  // Sets

  async sadd(key: string, ...members: string[]): Promise<number> {
    let set = this.typed(key, 'set')?.value
    if (set === undefined) {
      if (members.length === 0) return 0 // never leave an empty set behind
      set = this.create(key, 'set', new Set<SetMember>())
    }
    const before = set.size
    for (const member of members) set.add(setMember(member))
    return set.size - before
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    const entry = this.typed(key, 'set')
    if (entry === undefined) return 0
    const before = entry.value.size
    for (const member of members) entry.value.delete(setMember(member))
    return before - this.dropIfEmpty(key, entry, entry.value.size)
  }

  async smembers(key: string): Promise<string[]> {
    const entry = this.typed(key, 'set')
    return entry === undefined ? [] : Array.from(entry.value, String)
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return this.typed(key, 'set')?.value.has(setMember(member)) ?? false
  }

  async scard(key: string): Promise<number> {
    return this.typed(key, 'set')?.value.size ?? 0
  }

  // Lists

  async lpush(key: string, ...values: string[]): Promise<number> {
    const list = this.listForPush(key, values.length)
    if (list === undefined) return 0
    // Each value goes to the head in turn, so the last one given ends up first.
    list.unshift(...values.map(String).reverse())
    return list.length
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    const list = this.listForPush(key, values.length)
    if (list === undefined) return 0
    for (const value of values) list.push(String(value))
    return list.length
  }

  async lpop(key: string): Promise<string | null> {
    const entry = this.typed(key, 'list')
    if (entry === undefined) return null
    const value = entry.value.shift() ?? null
    this.dropIfEmpty(key, entry, entry.value.length)
    return value
  }

  async rpop(key: string): Promise<string | null> {
    const entry = this.typed(key, 'list')
    if (entry === undefined) return null
    const value = entry.value.pop() ?? null
    this.dropIfEmpty(key, entry, entry.value.length)
    return value
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    checkIndex('start', start)
    checkIndex('stop', stop)
    const list = this.typed(key, 'list')?.value
    if (list === undefined) return []
    const range = listRange(list.length, start, stop)
    return range === undefined ? [] : list.slice(range[0], range[1] + 1)
  }

  async llen(key: string): Promise<number> {
    return this.typed(key, 'list')?.value.length ?? 0
  }

  async ltrim(key: string, start: number, stop: number): Promise<void> {
    checkIndex('start', start)
    checkIndex('stop', stop)
    const entry = this.typed(key, 'list')
    if (entry === undefined) return
    const range = listRange(entry.value.length, start, stop)
    if (range === undefined) {
      this.keyspace.remove(this.prefix + key, entry)
      return
    }
    entry.value.splice(range[1] + 1)
    entry.value.splice(0, range[0])
  }

  // Internals

  /** The live entry at a full key; one whose TTL has passed is removed here (Redis's lazy expiry). */
  private lookup(k: string): MemoryEntry | undefined {
    const entry = this.keyspace.entries.get(k)
    if (entry !== undefined && entry.expireAt !== Infinity && this.clock() > entry.expireAt) {
      this.keyspace.remove(k, entry)
      return undefined
    }
    return entry
  }

  /** The live entry at `key` if it holds `type`; WRONGTYPE if it holds another. */
  private typed<T extends MemoryEntry['type']>(key: string, type: T): EntryOf<T> | undefined {
    const entry = this.lookup(this.prefix + key)
    if (entry !== undefined && entry.type !== type) throw wrongTypeError(key)
    return entry as EntryOf<T> | undefined
  }

  private create<V extends MemoryEntry['value']>(key: string, type: MemoryEntry['type'], value: V): V {
    this.keyspace.put(this.prefix + key, { type, value, expireAt: Infinity } as MemoryEntry)
    return value
  }

  /** Redis never keeps an empty hash, set or list; passes `size` through for the caller's arithmetic. */
  private dropIfEmpty(key: string, entry: MemoryEntry, size: number): number {
    if (size === 0) this.keyspace.remove(this.prefix + key, entry)
    return size
  }

  private listForPush(key: string, count: number): string[] | undefined {
    const list = this.typed(key, 'list')?.value
    if (list !== undefined || count === 0) return list
    return this.create(key, 'list', [] as string[])
  }
}

const INTEGER = /^(?:0|-?[1-9][0-9]*)$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** `value + by` under Redis's rules: `value` must be a canonical 64-bit integer and so must the sum. */
function addInteger(key: string, value: string, by: number): number | bigint {
  if (!INTEGER.test(value)) throw notIntegerError(key)
  // Fast path: up to 15 digits a double is exact, and a safe-integer sum is exact too.
  if (value.length <= 15) {
    const sum = Number(value) + by
    if (Number.isSafeInteger(sum)) return sum
  }
  const sum = BigInt(value) + BigInt(by)
  if (sum < INT64_MIN || sum > INT64_MAX) throw notIntegerError(key)
  return sum
}

/** Redis's LRANGE/LTRIM index rules: inclusive, negative from the end, clamped; undefined when empty. */
function listRange(length: number, start: number, stop: number): [number, number] | undefined {
  if (start < 0) start += length
  if (stop < 0) stop += length
  if (start < 0) start = 0
  if (start > stop || start >= length) return undefined
  return [start, Math.min(stop, length - 1)]
}

/**
 * A set member as a set here holds it. Members are strings, as in Redis, but most are
 * decimal integers (the fds of a room, the node's connections): such a member is held
 * as its number, which V8 keeps in the set's own slot where the string would take some
 * 30 bytes more. Only the exact decimal form of a small integer is, so reading it back
 * with String() gives the same text; "007" or "1e3" stay strings.
 */
type SetMember = string | number

const SMALL_DECIMAL = /^(?:0|[1-9][0-9]{0,8})$/

function setMember(member: string): SetMember {
  // String(): keeps memory and Redis answering the same strings if a caller slips a number in.
  const text = String(member)
  return SMALL_DECIMAL.test(text) ? Number(text) : text
}
