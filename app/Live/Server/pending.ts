import { randomBytes } from 'node:crypto'
import type { KeyValueStore } from 'mswoole'
import { approvedKey, pendingKey } from './names.js'

/**
 * Users' messages waiting for a wall to approve or reject them, one store
 * hash per event. They live in the store, not the database, as in the seed:
 * approving one shows it, and only what walls say becomes the history.
 */

/** A pending message as clients see it: the seed's {id, nickname, say}. */
export interface PendingView {
  id: string
  nickname: string
  say: string
}

/** As it is stored: the view, plus what ordering and the rate limit need. */
export interface PendingMessage extends PendingView {
  userId: string
  createdAt: number
}

/** How long an approved message stays recallable after the event's last approval. */
const APPROVED_TTL_SECONDS = 7 * 24 * 3600

let sequence = 0

/**
 * 32 lowercase hex digits, like the seed's md5 ids: the time in ms, a counter
 * and 64 random bits, so messages of one millisecond still sort in the order
 * they were said and nobody can guess an id.
 */
export function newPendingId(now = Date.now()): string {
  sequence = (sequence + 1) % 0x10000
  return `${now.toString(16).padStart(12, '0')}${sequence.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`
}

export function pendingView(message: PendingMessage): PendingView {
  return { id: message.id, nickname: message.nickname, say: message.say }
}

export async function addPending(store: KeyValueStore, code: string, message: PendingMessage): Promise<void> {
  await store.hset(pendingKey(code), message.id, JSON.stringify(message))
}

/**
 * Removes a pending message and answers it, or null when it is not there. Two
 * walls approving the same message at once both read it, but only one hdel
 * removes it: that one wins, the other finds nothing to show.
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

/**
 * The event's pending messages as the seed's hGetAll gave them: an object
 * keyed by id, oldest first (a store hash keeps no order of its own).
 */
export async function listPending(store: KeyValueStore, code: string): Promise<Record<string, PendingView>> {
  const messages = Object.values(await store.hgetall(pendingKey(code))).map((raw) => JSON.parse(raw) as PendingMessage)
  messages.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const keyed: Record<string, PendingView> = {}
  for (const message of messages) keyed[message.id] = pendingView(message)
  return keyed
}

export function countPending(store: KeyValueStore, code: string): Promise<number> {
  return store.hlen(pendingKey(code))
}

export async function clearPending(store: KeyValueStore, code: string): Promise<void> {
  await store.del(pendingKey(code))
}

/** Remembers an approved message so a wall can recall it by the id the phones saw. */
export async function markApproved(store: KeyValueStore, code: string, id: string): Promise<void> {
  await store.hset(approvedKey(code), id, '1')
  await store.expire(approvedKey(code), APPROVED_TTL_SECONDS)
}

/** Forgets an approved message; false when it was not (or no longer) shown. */
export async function unmarkApproved(store: KeyValueStore, code: string, id: string): Promise<boolean> {
  return (await store.hdel(approvedKey(code), id)) > 0
}
