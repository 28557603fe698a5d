import { once } from 'node:events'
import net from 'node:net'
import { LineCollector } from './lines.js'

/** A raw connection to a daemon's control socket: write a line, await the next answer line. */
export class RawControl {
  readonly lines: LineCollector
  readonly closed: Promise<unknown>

  private constructor(readonly socket: net.Socket) {
    this.lines = new LineCollector(socket, 'control socket')
    this.closed = once(socket, 'close')
    // The daemon may close while we are still writing a refused line (EPIPE).
    socket.on('error', () => undefined)
  }

  static async connect(file: string): Promise<RawControl> {
    const socket = net.connect(file)
    await once(socket, 'connect')
    return new RawControl(socket)
  }

  /** Writes `line` and its newline (a Buffer as it is), and parses the next line the daemon answers. */
  async send(line: string | Buffer): Promise<unknown> {
    const next = this.lines.next()
    this.socket.write(line)
    this.socket.write('\n')
    return JSON.parse(await next) as unknown
  }

  close(): void {
    this.socket.destroy()
  }
}
