import { envelope } from '../../protocol/envelope.js'
import { wireFrame } from '../delivery/wire-frame.js'

/** The replies the master itself sends; their events keep the seed's names where it had one. */
export const FRAMES = {
  ack: envelope(200, 'receiveMessage', 'message received'),
  badJson: envelope(400, 'badRequest', 'message is not valid JSON'),
  notObject: envelope(400, 'badRequest', 'message must be a JSON object'),
  badMethod: envelope(400, 'badRequest', 'method must be a string'),
  binary: envelope(400, 'badRequest', 'binary frames are not supported; send JSON text'),
  badUtf8: envelope(400, 'badRequest', 'message is not valid UTF-8'),
  tooLarge: envelope(413, 'messageTooLarge', 'message exceeds the size limit'),
  rateLimited: envelope(429, 'rateLimited', 'too many messages; slow down'),
  unavailable: envelope(503, 'serviceUnavailable', 'the server is not ready to handle messages'),
} as const

/** The replies sent most often, framed once for the life of the daemon. */
export const WIRE = {
  ack: wireFrame(FRAMES.ack),
  keepalive: wireFrame('3'),
  rateLimited: wireFrame(FRAMES.rateLimited),
} as const

export function forbiddenKeyFrame(key: string): string {
  return envelope(400, 'badRequest', `forbidden key "${key}"`)
}

export function tooDeepFrame(depth: number): string {
  return envelope(400, 'badRequest', `message nests deeper than ${depth} levels`)
}
