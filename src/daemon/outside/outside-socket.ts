import WebSocket from 'ws'
import { replies } from '../../protocol/replies.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'

/**
 * A client's WebSocket as the outside port makes it (WebSocketServer's `WebSocket`
 * option, with `autoPong: false`). ws closes a connection by itself on a frame over
 * maxPayload (1009) or on invalid UTF-8 (1007); close() is the one hook that runs
 * before the close frame goes out, so the client first gets an envelope that says why.
 */
export class OutsideSocket extends WebSocket {
  /**
   * Bytes a client may leave unread before a ping of its own cuts it rather than
   * queue one more pong (a ping flood from a peer that never reads). The outside
   * port makes a subclass with its `max_buffered_bytes` (outsideSocketClass).
   */
  static maxBufferedBytes = 4 * 1024 * 1024

  /**
   * Three events are handled here rather than by a listener or a closure on every socket:
   * - 'error': ws follows each error of a client's socket (a bad frame, a reset) with
   *   'close', where the daemon ends the connection, so an error nobody listens to is
   *   dropped rather than thrown. A listener for that alone would take a socket's
   *   listeners past the three that fit the small table each one gets.
   * - 'ping': answered with its pong, as ws's autoPong would, which costs a closure and
   *   three fields on every socket (some 120 bytes a connection).
   * - 'pong': ws's read list is given back (#releaseReadList) before the listeners hear it.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pong') this.#releaseReadList()
    else if (event === 'ping') this.#answerPing(args[0] as Buffer)
    else if (event === 'error' && this.listenerCount('error') === 0) return false
    return super.emit(event, ...args)
  }

  override close(code?: number, data?: string | Buffer): void {
    if (this.readyState === WebSocket.OPEN) {
      if (code === CLOSE_CODES.MESSAGE_TOO_BIG) this.send(replies().tooLarge)
      else if (code === CLOSE_CODES.INVALID_PAYLOAD) this.send(replies().badUtf8)
    }
    super.close(code, data)
  }

  /**
   * ws's receiver passes each chunk it reads through a list, and once one has, the list
   * keeps room for 17 (some 150 bytes) for the socket's whole life, empty between frames.
   * Most clients are idle and read nothing but their heartbeat pongs, so the room is given
   * back at a pong that left the list empty (a socket that goes on reading makes it again).
   * Setting an empty list's length to 0 changes nothing else.
   */
  #releaseReadList(): void {
    const chunks = (this as unknown as { _receiver?: { _buffers?: unknown[] } })._receiver?._buffers
    if (chunks?.length === 0) chunks.length = 0
  }

  #answerPing(data: Buffer): void {
    if (this.readyState !== WebSocket.OPEN) return
    // A peer that pings and never reads would pile pongs up here without end.
    if (this.bufferedAmount > (this.constructor as typeof OutsideSocket).maxBufferedBytes) this.terminate()
    else this.pong(data, false)
  }
}

/** The outside port's socket class: pings answered while a client leaves at most `maxBufferedBytes` unread. */
export function outsideSocketClass(maxBufferedBytes: number): typeof OutsideSocket {
  return class extends OutsideSocket {
    static override maxBufferedBytes = maxBufferedBytes
  }
}
