import { Duplex } from 'node:stream'

/**
 * Lets a ws server read client frames sent without a mask. RFC 6455 has a
 * server close such a connection (1002) and ws always does, with no option to
 * do otherwise; but Swoole's WebSocket client (`Swoole\Http\Client`, which the
 * seed's console and its README's test client use) never masks. So the bytes
 * are rewritten before ws reads them: each unmasked frame header gets the MASK
 * bit and a zero masking key, which leaves the payload as it is (ws does not
 * even unmask with a zero key). Masked frames pass through untouched, and what
 * ws writes goes to the socket as it is.
 */
export function acceptUnmaskedFrames(socket: Duplex, head: Buffer): { socket: Duplex; head: Buffer } {
  const frames = new FrameMasker()
  return { socket: new MaskingSocket(socket, frames), head: frames.feed(head) }
}

const ZERO_KEY = Buffer.alloc(4)

/** Finds frame headers in a byte stream and gives each unmasked one a zero key. */
class FrameMasker {
  /** Bytes of the header being read (at most 14). */
  #header: Buffer[] = []
  #headerBytes = 0
  /** Payload bytes still to pass through before the next header. */
  #payloadLeft = 0
  /** A length past 2^53 - 1: ws refuses the frame; from then on bytes pass through unread. */
  #verbatim = false

  feed(chunk: Buffer): Buffer {
    if (this.#verbatim || chunk.length === 0) return chunk
    const out: Buffer[] = []
    let at = 0
    while (at < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - at)
        out.push(chunk.subarray(at, at + take))
        this.#payloadLeft -= take
        at += take
        continue
      }
      const need = this.#headerLength()
      const take = Math.min(need - this.#headerBytes, chunk.length - at)
      this.#header.push(chunk.subarray(at, at + take))
      this.#headerBytes += take
      at += take
      // The length decides how long the header is: read again once the first two bytes are in.
      if (this.#headerBytes < this.#headerLength()) continue
      out.push(this.#takeHeader())
      if (this.#verbatim) {
        out.push(chunk.subarray(at))
        break
      }
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out)
  }

  /** Bytes of the current header as far as they tell: 2, then 2 + extended length + key. */
  #headerLength(): number {
    if (this.#headerBytes < 2) return 2
    const first = Buffer.concat(this.#header, 2)
    const lengthBytes = lengthFieldBytes(first[1] as number)
    return 2 + lengthBytes + ((first[1] as number) & 0x80 ? 4 : 0)
  }

  /** The complete header, masked; sets how many payload bytes follow it. */
  #takeHeader(): Buffer {
    const header = Buffer.concat(this.#header, this.#headerBytes)
    this.#header = []
    this.#headerBytes = 0
    const second = header[1] as number
    const lengthBytes = lengthFieldBytes(second)
    const length = lengthBytes === 0 ? second & 0x7f : lengthBytes === 2 ? header.readUInt16BE(2) : header.readBigUInt64BE(2)
    if (typeof length === 'bigint' && length > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.#verbatim = true
      return header
    }
    this.#payloadLeft = Number(length)
    if (second & 0x80) return header
    const masked = Buffer.concat([header, ZERO_KEY])
    masked[1] = second | 0x80
    return masked
  }
}

function lengthFieldBytes(second: number): number {
  const length = second & 0x7f
  return length === 127 ? 8 : length === 126 ? 2 : 0
}

/**
 * The socket as ws sees it: reads come through the FrameMasker, writes go
 * straight to the socket. A write completes when the socket has taken it, so
 * ws's bufferedAmount still counts what a slow client has not read.
 */
class MaskingSocket extends Duplex {
  readonly #socket: Duplex
  readonly #frames: FrameMasker

  constructor(socket: Duplex, frames: FrameMasker) {
    super({ allowHalfOpen: true })
    this.#socket = socket
    this.#frames = frames
    socket.on('data', (chunk: Buffer) => {
      const bytes = this.#frames.feed(chunk)
      if (bytes.length > 0 && !this.push(bytes)) socket.pause()
    })
    socket.on('end', () => this.push(null))
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
  }

  /** ws turns the socket's idle timeout off and Nagle off, when the socket has these. */
  setTimeout(ms: number): this {
    ;(this.#socket as Duplex & { setTimeout?: (ms: number) => unknown }).setTimeout?.(ms)
    return this
  }

  setNoDelay(noDelay?: boolean): this {
    ;(this.#socket as Duplex & { setNoDelay?: (noDelay?: boolean) => unknown }).setNoDelay?.(noDelay)
    return this
  }

  override _read(): void {
    this.#socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#socket.write(chunk, callback)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.#socket.cork()
    const last = chunks.length - 1
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i]!.chunk)
    this.#socket.write(chunks[last]!.chunk, callback)
    this.#socket.uncork()
  }

  override _final(callback: () => void): void {
    // An error on the way shows on the socket itself; ending never fails the stream.
    this.#socket.end(() => callback())
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#socket.destroy()
    callback(err)
  }
}
