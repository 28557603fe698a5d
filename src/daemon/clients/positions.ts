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
  /**
   * Per room, the lowest offset of `seen`'s epoch written to it. A connection
   * is sent a room's live messages from its open, so some can reach it before
   * its @recover does: it has the run from here to `seen`, not what came
   * before, and a replay must still write that.
   */
  from: Map<string, number>
  /** Rooms being recovered: their live frames, written after the replay. */
  held: Map<string, HeldFrame[]> | undefined
}

export function positionsOf(owner: { positions: ConnectionPositions | undefined }): ConnectionPositions {
  owner.positions ??= { seen: new Map(), from: new Map(), held: undefined }
  return owner.positions
}

/** Whether a message at `position` of `room` was already written to this connection. */
export function alreadySeen(positions: ConnectionPositions, room: string, position: Position): boolean {
  const seen = positions.seen.get(room)
  return seen !== undefined && seen.epoch === position.epoch && seen.offset >= position.offset
}
