/**
 * Broadcasts with a sequence number, one at a time, through the manager port's
 * `POST /api/broadcast`: `{"room": <the connections' room>, "event": BROADCAST_EVENT, "param": {"seq": n}}`.
 * Each is recorded with when it was sent and when the daemon answered (after writing it to its
 * sockets), which is what the accounting needs to say who was owed it.
 */
import type { ManagerClient } from './manager-client.js'

export const BROADCAST_EVENT = 'soakBroadcast'

export interface BroadcastRecord {
  seq: number
  /** performance.now() just before the request left, and when its answer arrived. */
  sentAt: number
  answeredAt: number | null
  /** Sockets the daemon says it wrote. */
  delivered: number | null
  error?: string
}

export class Broadcaster {
  readonly records: BroadcastRecord[] = []
  /** Ticks that found the previous broadcast still unanswered, so sent nothing. */
  skipped = 0
  #timer: NodeJS.Timeout | null = null
  #inFlight: Promise<void> | null = null

  readonly #manager: ManagerClient
  readonly #room: string

  constructor(manager: ManagerClient, room: string) {
    this.#manager = manager
    this.#room = room
  }

  start(perSecond: number): void {
    if (perSecond <= 0) return
    this.#timer = setInterval(() => {
      if (this.#inFlight !== null) {
        this.skipped++
        return
      }
      this.#inFlight = this.#send().finally(() => (this.#inFlight = null))
    }, 1000 / perSecond)
  }

  async #send(): Promise<void> {
    const record: BroadcastRecord = { seq: this.records.length + 1, sentAt: performance.now(), answeredAt: null, delivered: null }
    this.records.push(record)
    try {
      const result = await this.#manager.broadcast({ room: this.#room, event: BROADCAST_EVENT, param: { seq: record.seq } })
      record.answeredAt = performance.now()
      record.delivered = result.delivered
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err)
    }
  }

  /** No new broadcast; resolves when the one in flight is answered (its own timeout bounds it). */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.#inFlight
  }
}
