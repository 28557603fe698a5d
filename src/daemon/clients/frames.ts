import { envelope } from '../../protocol/envelope.js'
import { wireFormat, wireTexts, type WireFormat } from '../../protocol/wire-format.js'
import { wireFrame, type WireFrame } from './wire-frame.js'

export interface Frames {
  ack: string
  badJson: string
  notObject: string
  badMethod: string
  binary: string
  badUtf8: string
  tooLarge: string
  rateLimited: string
  unavailable: string
  /** A request a dying worker took with it: the seed's 500, in its text. */
  workerLost: string
  /** A request past setting.max_execution_time (the seed had no such limit). */
  timedOut: string
}

export interface WireFrames {
  ack: WireFrame
  keepalive: WireFrame
  rateLimited: WireFrame
}

/**
 * The replies the master itself sends; their events keep the seed's names
 * where it had one. The ack's info is the seed's text in the "seed" format;
 * the refusals the seed never sent (it closed the connection or had no such
 * limit) are in English in both formats.
 */
function build(format: WireFormat): Frames {
  const text = wireTexts(format)
  return {
    ack: envelope(200, 'receiveMessage', text.ack, undefined, format),
    badJson: envelope(400, 'badRequest', 'message is not valid JSON', undefined, format),
    notObject: envelope(400, 'badRequest', 'message must be a JSON object', undefined, format),
    badMethod: envelope(400, 'badRequest', 'method must be a string', undefined, format),
    binary: envelope(400, 'badRequest', 'binary frames are not supported; send JSON text', undefined, format),
    badUtf8: envelope(400, 'badRequest', 'message is not valid UTF-8', undefined, format),
    tooLarge: envelope(413, 'messageTooLarge', 'message exceeds the size limit', undefined, format),
    rateLimited: envelope(429, 'rateLimited', 'too many messages; slow down', undefined, format),
    unavailable: envelope(503, 'serviceUnavailable', 'the server is not ready to handle messages', undefined, format),
    workerLost: envelope(500, 'controllerError', text.controllerError, undefined, format),
    timedOut: envelope(504, 'controllerTimeout', 'the request took too long', undefined, format),
  }
}

interface Built {
  frames: Frames
  wire: WireFrames
}

const built = new Map<WireFormat, Built>()

function forFormat(format: WireFormat): Built {
  let entry = built.get(format)
  if (entry === undefined) {
    const frames = build(format)
    // The replies sent most often, framed once for the life of the daemon.
    entry = { frames, wire: { ack: wireFrame(frames.ack), keepalive: wireFrame('3'), rateLimited: wireFrame(frames.rateLimited) } }
    built.set(format, entry)
  }
  return entry
}

/** The master's replies in the daemon's wire format. */
export function frames(): Frames {
  return forFormat(wireFormat()).frames
}

/** The most frequent replies, already framed, in the daemon's wire format. */
export function wireFrames(): WireFrames {
  return forFormat(wireFormat()).wire
}

/** The reply owed to a message its controller will never answer: its worker died (500) or it ran past max_execution_time (504). */
export function lostReply(status: 500 | 504): string {
  return status === 500 ? frames().workerLost : frames().timedOut
}

export function forbiddenKeyFrame(key: string): string {
  return envelope(400, 'badRequest', `forbidden key "${key}"`)
}

export function tooDeepFrame(depth: number): string {
  return envelope(400, 'badRequest', `message nests deeper than ${depth} levels`)
}
