import { createHash, randomInt } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'

/**
 * A WebSocket client that writes what `Swoole\Http\Client` wrote, byte for
 * byte (swoole_http_client.c of the versions MSwoole-ws ran on): the upgrade
 * with Host (the host alone, no port) first, then Connection, Upgrade,
 * Sec-WebSocket-Version and Sec-WebSocket-Key in that order, Accept-Encoding
 * (zlib builds), no Origin; and push() frames with no mask (its
 * `websocket_mask` setting is off unless set). What the server sends is kept
 * as raw frames, so a test compares payload bytes, and sees the close frame
 * and the TCP close as they come.
 */

export interface RawFrame {
  /** The frame as it came, header included. */
  bytes: Buffer
  fin: boolean
  opcode: number
  masked: boolean
  payload: Buffer
}

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function upgradeRequest(path: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\n` +
    'Host: 127.0.0.1\r\n' +
    'Connection: Upgrade\r\n' +
    'Upgrade: websocket\r\n' +
    'Sec-WebSocket-Version: 13\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Accept-Encoding: gzip\r\n' +
    '\r\n'
  )
}

/** A frame as Swoole's push() built it: FIN, the opcode, no mask, the length in 7, 16 or 64 bits. */
export function unmaskedFrame(payload: string | Buffer, opcode = 0x1): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  let head: Buffer
  if (body.length < 126) {
    head = Buffer.from([0x80 | opcode, body.length])
  } else if (body.length < 0x10000) {
    head = Buffer.alloc(4)
    head[0] = 0x80 | opcode
    head[1] = 126
    head.writeUInt16BE(body.length, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = 0x80 | opcode
    head[1] = 127
    head.writeBigUInt64BE(BigInt(body.length), 2)
  }
  return Buffer.concat([head, body])
}

export class SwooleClient {
  readonly frames: RawFrame[] = []
  /** The HTTP status line of the upgrade's answer. */
  statusLine = ''
  #buffer = Buffer.alloc(0)
  #headers = ''
  #upgraded = false
  #waiters: Array<() => void> = []
  #ended = false
  readonly #closed: Promise<void>

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    socket.on('end', () => {
      this.#ended = true
      this.#wake()
    })
    this.#closed = once(socket, 'close').then(() => this.#wake())
  }

  /** Connects and upgrades as `$client->upgrade($path, …)` did; resolves on the 101. */
  static async connect(port: number, path = '/'): Promise<SwooleClient> {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    const client = new SwooleClient(socket)
    // http_client_create_token: 16 characters from this set, base64-encoded.
    const token = Array.from({ length: 16 }, () => TOKEN_CHARS[randomInt(TOKEN_CHARS.length)]).join('')
    const key = Buffer.from(token).toString('base64')
    socket.write(upgradeRequest(path, key))
    await client.#until(() => client.#upgraded || client.#ended)
    if (!client.statusLine.startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${client.statusLine}`)
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    if (!client.#headers.includes(`\r\nSec-WebSocket-Accept: ${accept}\r\n`)) throw new Error('wrong Sec-WebSocket-Accept')
    return client
  }

  /** `$client->push($data)`: one unmasked text frame. */
  push(text: string): void {
    this.socket.write(unmaskedFrame(text))
  }

  /** The next frame the server sent; throws if the server closed the TCP connection first. */
  async nextFrame(): Promise<RawFrame> {
    await this.#until(() => this.frames.length > 0 || this.#ended)
    const frame = this.frames.shift()
    if (frame === undefined) throw new Error('the server closed the connection before sending a frame')
    return frame
  }

  /** Resolves when the server has closed its side of the TCP connection (FIN), with no bytes left unread. */
  async serverEnded(): Promise<void> {
    await this.#until(() => this.#ended)
    if (this.#buffer.length > 0) throw new Error(`${this.#buffer.length} bytes after the last frame`)
  }

  /** Closes this side (as Swoole's client does on the server's FIN) and waits for the socket to close. */
  async close(): Promise<void> {
    this.socket.end()
    await this.#closed
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    if (!this.#upgraded) {
      const end = this.#buffer.indexOf('\r\n\r\n')
      if (end === -1) return
      this.#headers = this.#buffer.subarray(0, end + 4).toString('latin1')
      this.statusLine = this.#headers.slice(0, this.#headers.indexOf('\r\n'))
      this.#buffer = this.#buffer.subarray(end + 4)
      this.#upgraded = true
    }
    for (;;) {
      const frame = takeFrame(this.#buffer)
      if (frame === undefined) break
      this.frames.push(frame.frame)
      this.#buffer = this.#buffer.subarray(frame.length)
    }
    this.#wake()
  }

  async #until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.socket.destroyed && !done()) throw new Error('socket closed')
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

/** One complete frame at the start of `bytes`, or undefined when more bytes are needed. */
function takeFrame(bytes: Buffer): { frame: RawFrame; length: number } | undefined {
  if (bytes.length < 2) return undefined
  const first = bytes[0] as number
  const second = bytes[1] as number
  let length = second & 0x7f
  let at = 2
  if (length === 126) {
    if (bytes.length < 4) return undefined
    length = bytes.readUInt16BE(2)
    at = 4
  } else if (length === 127) {
    if (bytes.length < 10) return undefined
    length = Number(bytes.readBigUInt64BE(2))
    at = 10
  }
  const masked = (second & 0x80) !== 0
  const key = masked ? bytes.subarray(at, at + 4) : undefined
  if (masked) at += 4
  if (bytes.length < at + length) return undefined
  const payload = Buffer.from(bytes.subarray(at, at + length))
  if (key !== undefined) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i % 4] as number)
  const frame = { bytes: Buffer.from(bytes.subarray(0, at + length)), fin: (first & 0x80) !== 0, opcode: first & 0x0f, masked, payload }
  return { frame, length: at + length }
}
