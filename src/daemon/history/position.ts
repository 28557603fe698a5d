import { randomBytes } from 'node:crypto'
import type { Position } from '../../protocol/seq.js'

/** A message of a room's history, as the room was sent it (without its seq). */
export interface HistoryEntry {
  offset: number
  text: string
}

/**
 * What a history answers for "everything after offset N of epoch E": the
 * entries when it holds all of them, or `recovered: false` when the epoch
 * differs or the oldest it holds is past N + 1. Either way the room's current
 * position, so a client that cannot recover knows where live messages resume.
 */
export type Since = ({ recovered: true; entries: HistoryEntry[] } | { recovered: false }) & Position

/** app.json `history`. */
export interface HistorySettings {
  /** Messages kept per room. */
  size: number
  /** Seconds a message is kept. */
  ttlSeconds: number
}

/**
 * How long a room's epoch and offset outlive its last message: a wall that
 * reconnects after a quiet spell longer than the ttl still finds its epoch,
 * so "nothing missed" stays a successful recovery.
 */
export const POSITION_TTL_SECONDS = 86_400

/** A new history's epoch: short, random, so a lost history never resumes an old one's offsets. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url')
}

/** The answer to `since` given a history's epoch, last offset and entries after the asked offset. */
export function sinceAnswer(current: Position, asked: Position, entries: () => HistoryEntry[]): Since {
  if (asked.epoch !== current.epoch || asked.offset > current.offset) return { recovered: false, ...current }
  if (asked.offset === current.offset) return { recovered: true, entries: [], ...current }
  const found = entries()
  // The oldest kept must be the very next one: anything less would be a replay with a hole.
  if (found[0]?.offset !== asked.offset + 1) return { recovered: false, ...current }
  return { recovered: true, entries: found, ...current }
}
