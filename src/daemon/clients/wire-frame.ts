/**
 * A whole unmasked WebSocket text frame (RFC 6455 §5.2), header and payload in
 * one buffer: built once per message and written as it is to every socket it
 * goes to, where `ws.send` would encode and frame it again for each one.
 */
export type WireFrame = Buffer & { readonly __wireFrame: true }

const FIN_TEXT = 0x81

export function wireFrame(text: string): WireFrame {
  const length = Buffer.byteLength(text)
  const header = length < 126 ? 2 : length <= 0xffff ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = FIN_TEXT
  if (header === 2) {
    frame[1] = length
  } else if (header === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  frame.write(text, header, 'utf8')
  return frame as WireFrame
}

/** The message inside a frame, for a socket that can only take `ws.send`. */
export function payloadOf(frame: WireFrame): Buffer {
  const length = (frame[1] ?? 0) & 0x7f
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10)
}
