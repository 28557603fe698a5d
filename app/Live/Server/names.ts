/**
 * Room and store key names of the Live module. Each kind has its own prefix:
 * the seed built the user room, the wall room and the pending messages from
 * one prefix, so walls and users received each other's messages.
 */

/** The users (phones) of event `code`. */
export function userRoom(code: string): string {
  return `live:user:${code}`
}

/** The walls (big screens) of event `code`. */
export function wallRoom(code: string): string {
  return `live:wall:${code}`
}

/** The walls of event `code` that joined with {"extras": true}: they also get the port's own updates. */
export function extrasRoom(code: string): string {
  return `live:wall-extras:${code}`
}

/** Store hash of the messages waiting for moderation: pending id → JSON. */
export function pendingKey(code: string): string {
  return `live:pending:${code}`
}

/** Store hash of the approved user messages a wall may still recall: pending id → "1". */
export function approvedKey(code: string): string {
  return `live:approved:${code}`
}

/** Store counter of one user's messages in one rate window. */
export function rateKey(code: string, userId: string, window: number): string {
  return `live:rate:${code}:${userId}:${window}`
}
