import type { Position } from '../../protocol/seq.js'
import { newEpoch, POSITION_TTL_SECONDS, sinceAnswer, type HistoryEntry, type HistorySettings, type Since } from './position.js'

interface Kept extends HistoryEntry {
  at: number
}

interface RoomLog {
  epoch: string
  offset: number
  /** Oldest first; `kept[start]` is the oldest still held (the front is trimmed in batches). */
  kept: Kept[]
  start: number
  /** When it last changed, for the sweep. */
  touchedAt: number
}

const SWEEP_INTERVAL_MS = 60_000

/**
 * Room history on one node (the memory store): every call is synchronous, so
 * a send's offset, its place in the history and its delivery happen in one
 * turn and a recovery can never interleave with a live send.
 */
export class MemoryHistory {
  readonly #rooms = new Map<string, RoomLog>()
  readonly #ttlMs: number
  readonly #timer: NodeJS.Timeout

  constructor(
    private readonly settings: HistorySettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#ttlMs = settings.ttlSeconds * 1000
    this.#timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS)
    this.#timer.unref()
  }

  /** Gives the message the room's next offset and keeps it. */
  append(room: string, text: string): Position {
    const log = this.#log(room)
    const at = this.now()
    log.offset++
    log.kept.push({ offset: log.offset, text, at })
    log.touchedAt = at
    this.#trim(log, at)
    return { epoch: log.epoch, offset: log.offset }
  }

  since(room: string, asked: Position): Since {
    const log = this.#log(room)
    this.#trim(log, this.now())
    return sinceAnswer({ epoch: log.epoch, offset: log.offset }, asked, () =>
      log.kept.slice(log.start).filter((entry) => entry.offset > asked.offset),
    )
  }

  /** Messages held for a room (tests and status). */
  held(room: string): number {
    const log = this.#rooms.get(room)
    return log === undefined ? 0 : log.kept.length - log.start
  }

  /** Drops expired messages, and rooms quiet for longer than their position is kept. */
  sweep(): void {
    const now = this.now()
    for (const [room, log] of this.#rooms) {
      if (now - log.touchedAt > POSITION_TTL_SECONDS * 1000) this.#rooms.delete(room)
      else this.#trim(log, now)
    }
  }

  close(): void {
    clearInterval(this.#timer)
    this.#rooms.clear()
  }

  #log(room: string): RoomLog {
    let log = this.#rooms.get(room)
    if (log === undefined) {
      log = { epoch: newEpoch(), offset: 0, kept: [], start: 0, touchedAt: this.now() }
      this.#rooms.set(room, log)
    }
    return log
  }

  #trim(log: RoomLog, now: number): void {
    const { kept } = log
    let start = Math.max(log.start, kept.length - this.settings.size)
    while (start < kept.length && now - (kept[start] as Kept).at > this.#ttlMs) start++
    if (start === kept.length) {
      log.kept = []
      log.start = 0
    } else if (start > this.settings.size) {
      // Compact once the dropped front is as long as the history: amortised O(1) per message.
      log.kept = kept.slice(start)
      log.start = 0
    } else {
      log.start = start
    }
  }
}
