import WebSocket from 'ws'
import { replies } from '../../protocol/replies.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'

/**
 * ws closes a connection by itself on a frame over maxPayload (1009) or on
 * invalid UTF-8 (1007). Its close() is the one hook that runs before the close
 * frame goes out, so the client first gets an envelope that says why.
 */
export class OutsideSocket extends WebSocket {
  /**
   * ws follows each error of a client's socket (a bad frame, a reset) with
   * 'close', where the daemon ends the connection, so an error nobody listens
   * to is dropped here rather than thrown. A listener on every socket for that
   * alone would take its listeners past the three that fit the small table
   * every socket gets (some 100 bytes more a connection).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false
    return super.emit(event, ...args)
  }

  override close(code?: number, data?: string | Buffer): void {
    if (this.readyState === WebSocket.OPEN) {
      if (code === CLOSE_CODES.MESSAGE_TOO_BIG) this.send(replies().tooLarge)
      else if (code === CLOSE_CODES.INVALID_PAYLOAD) this.send(replies().badUtf8)
    }
    super.close(code, data)
  }
}
