import type { Logger } from 'pino'
import type { AppConfig } from '../../config/schema.js'
import { MswError } from '../../errors.js'
import { envelope, STATUS } from '../../protocol/envelope.js'
import type { Connection } from '../clients/connection.js'
import type { RedisStore } from '../store/redis-store.js'
import type { Store } from '../store/store.js'
import type { DirectoryEntry } from './directory-entry.js'
import {
  addShare,
  MemoryPresenceCounts,
  type ClusterPresenceCounts,
  type PresenceChange,
  type PresenceCounts,
  type RoomShares,
} from './presence-counts.js'

/** The events a presence room's members get when a uid comes or goes. */
export const PRESENCE_EVENTS = { join: 'presenceJoin', leave: 'presenceLeave' } as const

export interface PresenceEventsOptions {
  /** app.json `presence.rooms`: room names, in which `*` stands for any run of characters. */
  rooms: readonly string[]
  counts: PresenceCounts
  /** A room send, as a controller's: to the members on every node (with room history on, with its seq). */
  send(room: string, frame: string): Promise<unknown>
  /** The store is away: the cluster sets this node's counts again once it is back. */
  onUnavailable(err: MswError): void
  logger: Logger
}

/** Whether a room name matches one of the patterns (`*` for any run of characters, the rest as it is). */
export function roomMatcher(patterns: readonly string[]): (room: string) => boolean {
  if (patterns.length === 0) return () => false
  const alternatives = patterns.map((pattern) => pattern.split('*').map(escapeRegExp).join('.*'))
  const re = new RegExp(`^(?:${alternatives.join('|')})$`, 's')
  return (room) => re.test(room)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The envelope a presence room's members get. */
export function presenceFrame(room: string, change: PresenceChange): string {
  return change.joined
    ? envelope(STATUS.ok, PRESENCE_EVENTS.join, 'joined', { room, uid: change.uid })
    : envelope(STATUS.ok, PRESENCE_EVENTS.leave, 'left', { room, uid: change.uid })
}

const DONE = Promise.resolve()

/**
 * Room presence events (app.json `presence`): in the rooms it names, a uid's
 * first connection to enter sends `presenceJoin` to the room and its last to
 * go sends `presenceLeave`. A connection counts for each uid bound to it, from
 * the moment it is in the room with that uid (open, join, close key, bindUid)
 * until it leaves, closes or is unbound. The counts decide (see PresenceCounts);
 * this turns their changes into room sends.
 */
export class PresenceEvents {
  readonly watches: (room: string) => boolean
  readonly #inflight = new Set<Promise<void>>()
  /** Sends made before the daemon can deliver to the whole cluster; none once it can. */
  #waiting: Array<[room: string, frame: string]> | undefined = []

  constructor(protected readonly options: PresenceEventsOptions) {
    this.watches = roomMatcher(options.rooms)
  }

  /** What a cluster asks when it rewrites or removes a node; none on one node. */
  get cluster(): ClusterPresence | undefined {
    return undefined
  }

  /** A connection opened in its token's room, bound to its token's uid. */
  opened(connection: Connection): void {
    for (const room of connection.rooms) if (this.watches(room)) void this.#change(room, connection.uids, 1)
  }

  /** It entered a room (app.join, a close key); settles once the room has its event, if any. */
  entered(connection: Connection, room: string): Promise<void> {
    return this.watches(room) ? this.#change(room, connection.uids, 1) : DONE
  }

  left(connection: Connection, room: string): Promise<void> {
    return this.watches(room) ? this.#change(room, connection.uids, -1) : DONE
  }

  /** A uid was bound to it: each presence room it is in gains the uid. */
  bound(connection: Connection, uid: string): Promise<void> {
    return this.#each(connection, (room) => this.#change(room, [uid], 1))
  }

  unbound(connection: Connection, uid: string): Promise<void> {
    return this.#each(connection, (room) => this.#change(room, [uid], -1))
  }

  /** It closed: its rooms and uids, still listed on it, go. */
  closed(connection: Connection): void {
    void this.#each(connection, (room) => this.#change(room, connection.uids, -1))
  }

  /** Settles once the changes under way have been counted and their events sent. */
  settled(): Promise<void> {
    if (this.#inflight.size === 0) return DONE
    return Promise.all(this.#inflight).then(() => undefined)
  }

  /** The daemon delivers to the whole cluster now: the events held until then go out. */
  start(): void {
    const waiting = this.#waiting ?? []
    this.#waiting = undefined
    for (const [room, frame] of waiting) void this.#send(room, frame)
  }

  /** Sends one event per change; never fails (a send that does is logged). */
  protected announce(room: string, changes: readonly PresenceChange[]): Promise<void> {
    if (changes.length === 0) return DONE
    return Promise.all(changes.map((change) => this.#send(room, presenceFrame(room, change)))).then(() => undefined)
  }

  /** Holds a change until its events are sent, for `settled`. */
  protected track(work: Promise<void>): Promise<void> {
    const done = work.then(
      () => undefined,
      () => undefined,
    )
    this.#inflight.add(done)
    void done.then(() => this.#inflight.delete(done))
    return work
  }

  #each(connection: Connection, change: (room: string) => Promise<void>): Promise<void> {
    const changes: Array<Promise<void>> = []
    for (const room of connection.rooms) if (this.watches(room)) changes.push(change(room))
    if (changes.length === 0) return DONE
    return Promise.all(changes).then(() => undefined)
  }

  /** Counts a change and sends its events. A store that is away is the cluster's to repair; the caller never fails for it. */
  #change(room: string, uids: readonly string[], delta: 1 | -1): Promise<void> {
    if (uids.length === 0) return DONE
    const work = this.options.counts.add(room, uids, delta).then(
      (changes) => this.announce(room, changes),
      (err: unknown) => {
        if (err instanceof MswError && err.code === 'MSW_ERR_STORE_UNAVAILABLE') this.options.onUnavailable(err)
        else this.options.logger.error({ err, room }, 'presence count failed')
      },
    )
    return this.track(work)
  }

  #send(room: string, frame: string): Promise<void> {
    if (this.#waiting !== undefined) {
      this.#waiting.push([room, frame])
      return DONE
    }
    return this.options.send(room, frame).then(
      () => undefined,
      (err: unknown) => this.options.logger.error({ err, room }, 'presence event not sent'),
    )
  }
}

/** What the cluster asks of presence when it removes a node's entries or writes its own again. */
export interface ClusterPresence {
  /** The rooms where a node may hold a share (beyond its directory's). */
  rooms(node: string): Promise<string[]>
  /**
   * Sets a node's share in these rooms and those of `entries` to what
   * `entries` say (none: the node is gone), sending the joins and leaves
   * that makes. Every count is written before this returns; it settles once
   * they are counted (failing if Redis did not take them) and sent.
   */
  restate(node: string, rooms: Iterable<string>, entries: ReadonlyArray<Pick<DirectoryEntry, 'rooms' | 'uids'>>): Promise<void>
}

/** Presence events of a cluster, where a node's share can be set again or removed. */
export class ClusterPresenceEvents extends PresenceEvents implements ClusterPresence {
  readonly #counts: ClusterPresenceCounts

  constructor(options: PresenceEventsOptions & { counts: ClusterPresenceCounts }) {
    super(options)
    this.#counts = options.counts
  }

  override get cluster(): ClusterPresence {
    return this
  }

  rooms(node: string): Promise<string[]> {
    return this.#counts.rooms(node)
  }

  restate(node: string, rooms: Iterable<string>, entries: ReadonlyArray<Pick<DirectoryEntry, 'rooms' | 'uids'>>): Promise<void> {
    const shares: RoomShares = new Map()
    for (const room of rooms) if (this.watches(room)) shares.set(room, new Map())
    for (const entry of entries) {
      for (const room of entry.rooms) {
        if (!this.watches(room)) continue
        if (!shares.has(room)) shares.set(room, new Map())
        for (const uid of entry.uids) addShare(shares, room, uid)
      }
    }
    if (shares.size === 0) return this.#counts.restate(node, shares).then(() => undefined)
    const work = this.#counts
      .restate(node, shares)
      .then((changes) => Promise.all(changes.map(([room, roomChanges]) => this.announce(room, roomChanges))))
      .then(() => undefined)
    return this.track(work)
  }
}

export interface OpenPresenceOptions {
  node: string
  send(room: string, frame: string): Promise<unknown>
  onUnavailable(err: MswError): void
  logger: Logger
}

/** app.json `presence`'s events for this store, or none while it names no room. */
export async function openPresenceEvents(
  config: AppConfig['presence'],
  store: Store,
  options: OpenPresenceOptions,
): Promise<PresenceEvents | undefined> {
  if (config.rooms.length === 0) return undefined
  const { node, ...rest } = options
  if (store.kind === 'memory') return new PresenceEvents({ ...rest, rooms: config.rooms, counts: new MemoryPresenceCounts() })
  // Loaded only beside the Redis store, as the cluster's modules are.
  const { RedisPresenceCounts } = await import('./redis-presence-counts.js')
  return new ClusterPresenceEvents({ ...rest, rooms: config.rooms, counts: new RedisPresenceCounts(store as RedisStore, node) })
}
