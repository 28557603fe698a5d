import { replies } from '../../protocol/replies.js'
import { wireFormat, type WireFormat } from '../../protocol/wire-format.js'
import { wireFrame, type WireFrame } from './wire-frame.js'

/** The master's most frequent replies, already framed. */
export interface WireFrames {
  ack: WireFrame
  keepalive: WireFrame
  rateLimited: WireFrame
}

const built = new Map<WireFormat, WireFrames>()

/** The most frequent replies, framed once for the life of the daemon, in its wire format. */
export function wireFrames(): WireFrames {
  const format = wireFormat()
  let entry = built.get(format)
  if (entry === undefined) {
    const text = replies()
    entry = { ack: wireFrame(text.ack), keepalive: wireFrame('3'), rateLimited: wireFrame(text.rateLimited) }
    built.set(format, entry)
  }
  return entry
}

/** The reply owed to a message its controller will never answer: its worker died (500) or it ran past max_execution_time (504). */
export function lostReply(status: 500 | 504): string {
  return status === 500 ? replies().workerLost : replies().timedOut
}
