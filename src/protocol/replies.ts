import { envelope } from './envelope.js'
import { wireFormat, wireTexts, type WireFormat } from './wire-format.js'

/** The replies mswoole itself sends, not a controller: the master's, and the worker's refusals of a frame. */
export interface Replies {
  ack: string
  badJson: string
  notObject: string
  badMethod: string
  binary: string
  badUtf8: string
  tooLarge: string
  rateLimited: string
  /** A request a dying worker took with it: the seed's 500, in its text. */
  workerLost: string
  /** A request past setting.max_execution_time (the seed had no such limit). */
  timedOut: string
}

/**
 * Their events keep the seed's names where it had one. The ack's info is the
 * seed's text in the "seed" format; the refusals the seed never sent (it
 * closed the connection or had no such limit) are in English in both formats.
 */
function build(format: WireFormat): Replies {
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
    workerLost: envelope(500, 'controllerError', text.controllerError, undefined, format),
    timedOut: envelope(504, 'controllerTimeout', 'the request took too long', undefined, format),
  }
}

const built = new Map<WireFormat, Replies>()

/** The replies in the wire format of this thread (setWireFormat). */
export function replies(): Replies {
  const format = wireFormat()
  let entry = built.get(format)
  if (entry === undefined) {
    entry = build(format)
    built.set(format, entry)
  }
  return entry
}

export function forbiddenKeyReply(key: string): string {
  return envelope(400, 'badRequest', `forbidden key "${key}"`)
}

export function tooDeepReply(depth: number): string {
  return envelope(400, 'badRequest', `message nests deeper than ${depth} levels`)
}
