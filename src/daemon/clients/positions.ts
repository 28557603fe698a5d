import type { Position } from '../../protocol/seq.js'
import type { WireFrame } from './wire-frame.js'

/** A live frame held back while its room is recovered. */
export interface HeldFrame {
  position: Position
  frame: WireFrame
}

/**
 * What a connection has been sent of each room's history, made at its first
 * such message (connections never sent one carry nothing). A frame at or
 * below `seen` is never written again, so a replay and a live send that
 * overlap deliver each message once.
 */
export interface ConnectionPositions {
  seen: Map<string, Position>
  /** Rooms being recovered: their live frames, written after the replay. */
  held: Map<string, HeldFrame[]> | undefined
}

export function positionsOf(owner: { positions: ConnectionPositions | undefined }): ConnectionPositions {
  owner.positions ??= { seen: new Map(), held: undefined }
  return owner.positions
}

/** Whether a message at `position` of `room` was already written to this connection. */
export function alreadySeen(positions: ConnectionPositions, room: string, position: Position): boolean {
  const seen = positions.seen.get(room)
  return seen !== undefined && seen.epoch === position.epoch && seen.offset >= position.offset
}
