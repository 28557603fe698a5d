import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'

/**
 * A WebSocket client made of a bare TCP socket: it completes the upgrade, then
 * writes whatever bytes a test gives it (valid framing or not) and decodes what
 * the server sends back, so framing the `ws` client would never produce can be sent.
 */

export interface ClientFrame {
  fin?: boolean
  /** RSV1..RSV3 as the three bits 0b100, 0b010, 0b001. */
  rsv?: number
  opcode: number
  /** Clients must mask; false writes an unmasked frame (a protocol error). */
  masked?: boolean
  mask?: Uint8Array
  payload: Uint8Array
}

/** Encodes one client frame: header, extended length, mask and the masked payload. */
export function encodeFrame(frame: ClientFrame): Buffer {
  const masked = frame.masked ?? true
  const mask = Buffer.from(frame.mask ?? [0x12, 0x34, 0x56, 0x78])
  const length = frame.payload.length
  const head: number[] = [((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | (frame.opcode & 0x0f)]
  const maskBit = masked ? 0x80 : 0
  let extended = Buffer.alloc(0)
  if (length < 126) head.push(maskBit | length)
  else if (length < 0x10000) {
    head.push(maskBit | 126)
    extended = Buffer.alloc(2)
    extended.writeUInt16BE(length)
  } else {
    head.push(maskBit | 127)
    extended = Buffer.alloc(8)
    extended.writeBigUInt64BE(BigInt(length))
  }
  const body = Buffer.from(frame.payload)
  if (masked) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i % 4]!
  return Buffer.concat([Buffer.from(head), extended, masked ? mask : Buffer.alloc(0), body])
}

/** A close frame's payload: the code, then the reason's bytes. */
export function closePayload(code: number, reason: Uint8Array = new Uint8Array()): Uint8Array {
  const out = Buffer.alloc(2 + reason.length)
  out.writeUInt16BE(code)
  out.set(reason, 2)
  return out
}

export interface ServerFrame {
  fin: boolean
  opcode: number
  masked: boolean
  payload: Buffer
}

export class RawWsClient {
  readonly frames: ServerFrame[] = []
  /** Resolves once the TCP connection is fully closed, whoever closed it. */
  readonly closed: Promise<void>
  #pending = Buffer.alloc(0)

  private constructor(
    readonly socket: net.Socket,
    leftover: Buffer,
  ) {
    this.closed = once(socket, 'close').then(() => undefined)
    // The server may reset while a test still writes; the close is what tests look at.
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => this.#take(chunk))
    if (leftover.length > 0) this.#take(leftover)
    socket.resume()
  }

  /**
   * Connects and upgrades with `token`; rejects unless the server answers 101.
   * `pipelined` bytes go out in the same write as the request, so the server
   * finds them already read when it completes the upgrade.
   */
  static async open(port: number, token: string, pipelined: Uint8Array = new Uint8Array()): Promise<RawWsClient> {
    const socket = net.connect(port, '127.0.0.1')
    // A reset before the constructor adds its own listener must not be an unhandled 'error'.
    socket.on('error', () => undefined)
    await once(socket, 'connect')
    const request =
      `GET /?auth=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    socket.write(Buffer.concat([Buffer.from(request), pipelined]))
    const head = await readHead(socket)
    const statusLine = head.head.subarray(0, head.head.indexOf('\r\n')).toString('latin1')
    if (!/^HTTP\/1\.1 101 /.test(statusLine)) {
      socket.destroy()
      throw new Error(`upgrade refused: ${statusLine}`)
    }
    return new RawWsClient(socket, head.rest)
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** Half-closes: no more bytes from us, but we keep reading what the server sends. */
  end(): void {
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** The server's close frame, if it sent one: its code (undefined when it carried none) and reason. */
  get closeFrame(): { code: number | undefined; reason: string } | undefined {
    const frame = this.frames.find((f) => f.opcode === 0x8)
    if (!frame) return undefined
    return {
      code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined,
      reason: frame.payload.subarray(2).toString('utf8'),
    }
  }

  /** The payloads of the text frames the server sent, in order. */
  get texts(): string[] {
    return this.frames.filter((f) => f.opcode === 0x1).map((f) => f.payload.toString('utf8'))
  }

  #take(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk])
    for (;;) {
      const frame = this.#decodeOne()
      if (!frame) return
      this.frames.push(frame)
    }
  }

  /** Decodes one whole frame off the front of what has arrived, or nothing yet. */
  #decodeOne(): ServerFrame | undefined {
    const buf = this.#pending
    if (buf.length < 2) return undefined
    const masked = (buf[1]! & 0x80) !== 0
    let length = buf[1]! & 0x7f
    let offset = 2
    if (length === 126) {
      if (buf.length < 4) return undefined
      length = buf.readUInt16BE(2)
      offset = 4
    } else if (length === 127) {
      if (buf.length < 10) return undefined
      length = Number(buf.readBigUInt64BE(2))
      offset = 10
    }
    const maskAt = offset
    if (masked) offset += 4
    if (buf.length < offset + length) return undefined
    const payload = Buffer.from(buf.subarray(offset, offset + length))
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ buf[maskAt + (i % 4)]!
    this.#pending = buf.subarray(offset + length)
    return { fin: (buf[0]! & 0x80) !== 0, opcode: buf[0]! & 0x0f, masked, payload }
  }
}

/**
 * Reads an HTTP response head off `socket`: what came up to the blank line, and
 * what came after it. Rejects if the socket closes first. Leaves the socket
 * paused: the next reader resumes it.
 */
export function readHead(socket: net.Socket): Promise<{ head: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk])
      const end = seen.indexOf('\r\n\r\n')
      if (end === -1) return
      done()
      resolve({ head: seen.subarray(0, end + 4), rest: seen.subarray(end + 4) })
    }
    const onClose = (): void => {
      done()
      reject(new Error(`closed before a whole response head; got ${JSON.stringify(seen.toString('latin1').slice(0, 200))}`))
    }
    const done = (): void => {
      // Paused until the next reader is attached, so no chunk goes by unread.
      socket.pause()
      socket.off('data', onData).off('close', onClose)
    }
    socket.on('data', onData).on('close', onClose)
  })
}
