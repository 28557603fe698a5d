import { once } from 'node:events'
import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { MswError } from '../../errors.js'
import { answerJsonRpc, connectionContext, type CallContext, type Handlers } from '../../ipc/dispatch.js'
import { isRecord } from '../../ipc/jsonrpc.js'
import { destroySocket } from '../listen.js'
import { acceptUnmaskedFrames } from '../unmasked-frames.js'
import type { KeyGate } from './auth.js'
import { errorBody, HttpError, httpHeadersOf, httpStatusOf } from './http-error.js'
import type { RequestGuard } from './request-guard.js'
import { answerConsole } from './seed-console.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'

export interface ManagerSocketsOptions {
  handlers: Handlers
  /** Host and Origin, checked before the key. */
  guard: RequestGuard
  checkKey: KeyGate
  /** The largest frame a manager client may send, in bytes. */
  maxPayload: number
  logger: Logger
}

export interface ManagerSockets {
  /** Takes an HTTP upgrade on any path: Host, Origin and the key are checked first, a refusal is a plain HTTP answer (421, 403, 401, 429). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Refuses new sockets and closes the open ones (1001); one still answering a call closes once it has answered. */
  close(): Promise<void>
}

interface Peer {
  ws: WebSocket
  /** The socket ws reads and writes: closing after a console reply ends it without waiting for the client. */
  socket: Duplex
  ctx: CallContext
  /** Messages being answered; a socket is not closed under a call (a `stop` must get its answer). */
  inFlight: number
  /** A console command was received: the connection closes after its reply and reads nothing more. */
  answered: boolean
}

const CLOSE_TIMEOUT_MS = 2000
/** A manager client that lets this much pile up unread (a log follow it never reads) is cut. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/**
 * WebSockets on the manager port. A message is either JSON-RPC 2.0 (an object
 * with "jsonrpc", or a batch), answered through the control socket's dispatch
 * with notifications streamed back (`logs.tail` follow), or a command of the
 * seed's console (`{"method":"status"}`), answered with one text frame, after
 * which the connection is closed as the seed's Manager.php did. Swoole's client
 * sends its frames unmasked: they are accepted here.
 */
export function createManagerSockets(options: ManagerSocketsOptions): ManagerSockets {
  const { logger } = options
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxPayload, clientTracking: false })
  const peers = new Set<Peer>()
  let closing = false

  const send = (peer: Peer, message: unknown): void => {
    const { ws } = peer
    if (ws.readyState !== WebSocket.OPEN) return
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger.warn({ buffered: ws.bufferedAmount }, 'manager socket stopped reading; cut')
      ws.terminate()
      return
    }
    ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  const closePeer = async (peer: Peer): Promise<void> => {
    const { ws } = peer
    if (ws.readyState === WebSocket.CLOSED) return
    const done = once(ws, 'close')
    ws.close(CLOSE_CODES.GOING_AWAY, 'server shutting down')
    const timer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS)
    await done
    clearTimeout(timer)
  }

  const failureText = (err: unknown): string => {
    if (!(err instanceof MswError)) logger.error({ err }, 'manager socket message failed')
    const known = err instanceof MswError ? err : new MswError('MSW_ERR_INTERNAL', 'internal error')
    return `error [${known.code}]: ${known.message}`
  }

  const receive = async (peer: Peer, text: string): Promise<void> => {
    peer.inFlight++
    try {
      await answer(peer, text)
    } catch (err) {
      send(peer, failureText(err))
    } finally {
      peer.inFlight--
      if (closing && peer.inFlight === 0) void closePeer(peer)
    }
  }

  const answer = async (peer: Peer, text: string): Promise<void> => {
    const value = parseJson(text)
    if (Array.isArray(value) || (isRecord(value) && 'jsonrpc' in value)) {
      const response = await answerJsonRpc(value, peer.ctx, options.handlers, logger)
      if (response !== undefined) send(peer, response)
      return
    }
    // Set before the first await: a frame right behind this one is not answered (Swoole dropped it with the connection).
    peer.answered = true
    const context = { ctx: peer.ctx, handlers: options.handlers, managerSockets: peers.size }
    // A command that fails (a say too deep to send) is answered with the error, then closed all the same.
    const reply = await answerConsole(value, context).catch((err: unknown) => ({ text: failureText(err), after: undefined }))
    send(peer, reply.text)
    await closeAfterReply(peer)
    await reply
      .after?.()
      .catch((err: unknown) => logger.warn({ err, command: isRecord(value) ? value.method : undefined }, 'console command failed'))
  }

  const serve = (ws: WebSocket, socket: Duplex): void => {
    const { ctx, closed } = connectionContext((notification) => send(peer, notification))
    const peer: Peer = { ws, socket, ctx, inFlight: 0, answered: false }
    peers.add(peer)
    ws.on('error', (err) => logger.debug({ err }, 'manager socket error'))
    ws.on('close', () => {
      peers.delete(peer)
      closed()
    })
    ws.on('message', (data) => {
      if (!peer.answered && ws.readyState === WebSocket.OPEN) void receive(peer, textOf(data))
    })
  }

  return {
    upgrade(req, socket, head) {
      socket.on('error', destroySocket)
      if (closing) return refuse(socket, new HttpError(503, 'MSW_ERR_NOT_RUNNING', 'the daemon is stopping'))
      try {
        options.guard(req)
        options.checkKey(req, true)
      } catch (err) {
        return refuse(socket, err instanceof MswError ? err : new MswError('MSW_ERR_INTERNAL', 'internal error'))
      }
      const unmasked = acceptUnmaskedFrames(socket, head)
      wss.handleUpgrade(req, unmasked.socket, unmasked.head, (ws) => serve(ws, unmasked.socket))
    },
    async close() {
      closing = true
      wss.close()
      await Promise.all([...peers].filter((peer) => peer.inFlight === 0).map(closePeer))
    },
  }
}

/**
 * Manager.php's `$server->close($fd)` after a reply: a close frame, then the
 * TCP close at once, without waiting for the client's close frame (Swoole's
 * client never sends one: the console would wait for ws's 30 s timer). The
 * close frame carries no status code: Swoole's client hands every frame to
 * the console, which prints its payload, so a 1000 would print two bytes of
 * binary; an empty one prints an empty line (RFC 6455 reads it as 1005).
 */
async function closeAfterReply(peer: Peer): Promise<void> {
  const { ws, socket } = peer
  if (ws.readyState !== WebSocket.OPEN) return
  ws.close()
  // A client that reads nothing cannot hold a reload or stop back.
  const timer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS)
  await new Promise<void>((resolve) => socket.end(() => resolve()))
  clearTimeout(timer)
}

/** Refuses an upgrade with a plain HTTP answer, before any WebSocket frame. */
function refuse(socket: Duplex, err: MswError): void {
  const status = httpStatusOf(err)
  const body = JSON.stringify(errorBody(err))
  const headers = {
    ...httpHeadersOf(err),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  }
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`)
}

function textOf(data: RawData): string {
  const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
  return buffer.toString('utf8')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
