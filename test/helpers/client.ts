import { once } from 'node:events'
import WebSocket from 'ws'
import { encodeToken } from '../../src/auth/codec.js'

export interface Envelope {
  status: number
  event: string
  info: string
  param?: unknown
}

export interface TokenFields {
  id: number | string
  type: string
  code: string
  nickname?: string
  ctime?: number
}

/** A token as the default config (codec mswoole, key marico-websocket) accepts it. */
export function mintToken(fields: TokenFields, key = 'marico-websocket'): Promise<string> {
  return encodeToken('mswoole', { nickname: '', ctime: Math.floor(Date.now() / 1000), ...fields }, key)
}

/**
 * A WebSocket client that queues what the server sends, so a test can await
 * the next frame, or the next envelope with a given event, without sleeping.
 */
export class TestClient {
  readonly frames: string[] = []
  #waiters: Array<() => void> = []
  #closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(data.toString())
      for (const wake of this.#waiters.splice(0)) wake()
    })
    this.#closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        for (const wake of this.#waiters.splice(0)) wake()
      }),
    )
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options)
    const client = new TestClient(ws)
    await once(ws, 'open')
    return client
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value))
  }

  /** The next raw frame. */
  async nextFrame(): Promise<string> {
    for (;;) {
      const frame = this.frames.shift()
      if (frame !== undefined) return frame
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting for a frame')
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Skips frames until an envelope with this event arrives (the acks, for example). */
  async next(event: string): Promise<Envelope> {
    for (;;) {
      const frame = await this.nextFrame()
      const parsed = JSON.parse(frame) as Envelope
      if (parsed.event === event) return parsed
    }
  }

  /** Sends a message and returns the reply with `event`. */
  async ask(message: Record<string, unknown>, event: string): Promise<Envelope> {
    this.send(message)
    return this.next(event)
  }

  closed(): Promise<{ code: number; reason: string }> {
    return this.#closed
  }

  close(): void {
    this.ws.close()
  }
}

/** The HTTP status and headers of a refused upgrade. */
export function refusal(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      ws.terminate()
      reject(new Error(`${url} was accepted`))
    })
    ws.on('error', () => undefined)
  })
}
