import { randomBytes } from 'node:crypto'
import type { KeyValueStore } from 'mswoole'
import { pendingKey } from './names.js'

/**
 * Users' messages waiting for a wall to approve or reject them, one store
 * hash per event. They live in the store, not the database: only approved
 * messages become part of the event's history.
 */

export interface PendingMessage {
  /** Unguessable, and sorting in the order this worker made them (see newPendingId). */
  id: string
  userId: string
  nickname: string
  say: string
  createdAt: number
}

let sequence = 0

/**
 * The time, a counter and 64 random bits: messages of the same millisecond
 * still list in the order they were said, and nobody can guess an id.
 */
export function newPendingId(now = Date.now()): string {
  sequence = (sequence + 1) % 36 ** 6
  return `${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(6, '0')}${randomBytes(8).toString('hex')}`
}

export async function addPending(store: KeyValueStore, code: string, message: PendingMessage): Promise<void> {
  await store.hset(pendingKey(code), message.id, JSON.stringify(message))
}

/**
 * Removes a pending message and answers it, or null when it is not there. Two
 * walls approving the same message at once both read it, but only one hdel
 * removes it: that one wins, the other is answered null.
 */
export async function takePending(store: KeyValueStore, code: string, id: string): Promise<PendingMessage | null> {
  const raw = await store.hget(pendingKey(code), id)
  if (raw === null) return null
  if ((await store.hdel(pendingKey(code), id)) === 0) return null
  return JSON.parse(raw) as PendingMessage
}

/** Removes a pending message; false when it was not there. */
export async function dropPending(store: KeyValueStore, code: string, id: string): Promise<boolean> {
  return (await store.hdel(pendingKey(code), id)) > 0
}

/** The event's pending messages, oldest first. */
export async function listPending(store: KeyValueStore, code: string): Promise<PendingMessage[]> {
  const entries = Object.values(await store.hgetall(pendingKey(code)))
  return entries.map((raw) => JSON.parse(raw) as PendingMessage).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

export function countPending(store: KeyValueStore, code: string): Promise<number> {
  return store.hlen(pendingKey(code))
}

export async function clearPending(store: KeyValueStore, code: string): Promise<void> {
  await store.del(pendingKey(code))
}
