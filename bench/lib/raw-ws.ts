/**
 * What the bench's raw-TCP WebSocket clients (bench/fan-out-client.ts,
 * bench/history-client.ts) share: the upgrade request, the check of its answer,
 * and masked client frames. They read sockets with `onread` into a buffer of
 * their own and parse frames themselves, so no `ws` cost lands on the client side.
 */
import { createHash, randomBytes } from 'node:crypto'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const HEAD_END = Buffer.from('\r\n\r\n')
const MAX_HEAD = 8192

/** A client frame, masked with the key 0 (so the payload goes as it is); payloads up to 64 KiB. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const long = payload.length > 125
  if (payload.length > 0xffff) throw new Error('raw-ws: frame too long')
  const head = long ? 8 : 6
  const frame = Buffer.alloc(head + payload.length)
  frame[0] = 0x80 | opcode
  if (long) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(payload.length, 2)
  } else {
    frame[1] = 0x80 | payload.length
  }
  payload.copy(frame, head)
  return frame
}

export const CLOSE_FRAME = maskedFrame(0x8, Buffer.alloc(0))

/** A fresh upgrade: the request to write once connected, and the Sec-WebSocket-Accept its answer must carry. */
export function upgradeRequest(url: URL): { request: string; accept: string } {
  const key = randomBytes(16).toString('base64')
  const accept = createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64')
  const request =
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  return { request, accept }
}

export type UpgradeAnswer =
  /** The head is not complete yet: keep these bytes and read on. */
  | { kind: 'more'; pending: Buffer }
  | { kind: 'refused'; message: string }
  /** 101 with the right accept; `rest` is what followed the head (the first frames). */
  | { kind: 'upgraded'; rest: Buffer }

/** Reads the upgrade's answer from what came before (`pending`) and this read's bytes. */
export function readUpgradeAnswer(pending: Buffer | null, chunk: Buffer, accept: string): UpgradeAnswer {
  const head = pending === null ? Buffer.from(chunk) : Buffer.concat([pending, chunk])
  const end = head.indexOf(HEAD_END)
  if (end < 0) {
    return head.length > MAX_HEAD ? { kind: 'refused', message: 'upgrade response head too large' } : { kind: 'more', pending: head }
  }
  const text = head.toString('latin1', 0, end)
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]
  if (status !== '101') return { kind: 'refused', message: `upgrade refused: HTTP ${status ?? '?'}` }
  if (/\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1] !== accept) {
    return { kind: 'refused', message: 'upgrade answered with a wrong Sec-WebSocket-Accept' }
  }
  return { kind: 'upgraded', rest: head.subarray(end + HEAD_END.length) }
}
