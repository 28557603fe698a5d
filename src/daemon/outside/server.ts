import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Address } from '../../contracts/control-api.js'
import type { ConnectionIdentity } from '../clients/connection.js'
import { headerTimeoutOptions } from '../header-timeout.js'
import { closeServer, destroySocket, listen } from '../listen.js'
import { acceptUnmaskedFrames } from '../unmasked-frames.js'
import { UpgradeAdmission, type AdmissionSettings } from './admission.js'
import { AUTH_REFUSAL, authenticate, type AuthSettings } from './authenticate.js'
import { clientIp, normalizeIp } from './client-ip.js'
import { outsideSocketClass } from './outside-socket.js'
import { refusal, refuse } from './refusal.js'
import { OUTSIDE_PAGE } from './page.js'
import { serveStatic } from './static-files.js'

export interface OutsideOptions {
  host: string
  port: number
  maxMessageSize: number
  /** setting.max_buffered_bytes: a client that leaves more unread is cut when it pings. */
  maxBufferedBytes: number
  auth: AuthSettings
  trustedProxies: string[]
  /** Checked at each upgrade before the token: origin, per-address limits, URL length. */
  admission: AdmissionSettings
  /** Most bytes of request line and headers; larger requests get 431. */
  maxHeaderSize: number
  /** outside.header_timeout: a connection whose request line and headers take longer is closed (408). */
  headerTimeoutMs: number
  /** outside.accept_unmasked_frames: read client frames sent without a mask (Swoole's client) instead of closing with 1002. */
  acceptUnmaskedFrames?: boolean
  /** Plain GETs are answered from this folder (the app's public/). */
  publicDir: string
  logger: Logger
  /** Called for every upgraded, authenticated socket. */
  onConnection(ws: WebSocket, identity: ConnectionIdentity): void
}

export interface OutsideServer {
  address: Address
  /** Stops accepting new connections; open ones are closed by the registry. */
  stopAccepting(): Promise<void>
}

/**
 * The public WebSocket port. Each upgrade passes the admission checks (sizes,
 * Origin, per-address rate and cap), then the token, before any WebSocket
 * frame; a refusal is a plain HTTP response and touches no other connection.
 */
export async function listenOutside(options: OutsideOptions): Promise<OutsideServer> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageSize,
    clientTracking: false,
    perMessageDeflate: false,
    // OutsideSocket answers pings itself, without ws's closure per socket.
    autoPong: false,
    WebSocket: outsideSocketClass(options.maxBufferedBytes),
  })
  const trusted = new Set(options.trustedProxies.map(normalizeIp))
  const admission = new UpgradeAdmission(options.admission)
  let accepting = true
  const server: Server = createServer(
    { maxHeaderSize: options.maxHeaderSize, ...headerTimeoutOptions(options.headerTimeoutMs) },
    (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
        return
      }
      // A failed answer ends this one response; it must never become an unhandled rejection in the master.
      serveStatic(req, res, { root: options.publicDir, fallbackPage: OUTSIDE_PAGE, logger: options.logger }).catch((err: unknown) => {
        options.logger.warn({ err }, 'static file answer failed')
        res.destroy()
      })
    },
  )
  // Counted from the TCP accept, so sockets that never finish their headers hold a slot too.
  // A trusted proxy's sockets are counted at the upgrade, by the address it forwards.
  server.on('connection', (socket: Socket) => {
    const peer = normalizeIp(socket.remoteAddress ?? '')
    if (trusted.has(peer) || admission.accept(socket, peer)) return
    options.logger.debug({ ip: peer }, 'connection refused: connections')
    socket.destroy()
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroySocket)
    if (!accepting) {
      refuse(socket, UNAVAILABLE)
      return
    }
    const ip = clientIp(req, trusted)
    const admitted = admission.check(req, ip, Date.now())
    if (!admitted.ok) {
      // Debug, not warn: a flood of refused upgrades must not become a flood of log lines.
      options.logger.debug({ ip, reason: admitted.reason }, `upgrade refused: ${admitted.check}`)
      refuse(socket, admitted.response)
      return
    }
    // The socket stays the same object once upgraded, so its 'close' frees the
    // address's slot whether the upgrade fails, auth refuses or the WebSocket ends.
    const release = admitted.release
    if (release) socket.once('close', release)
    authenticate(req, options.auth).then(
      (auth) => {
        if (socket.destroyed) return
        const upgraded = options.acceptUnmaskedFrames ? acceptUnmaskedFrames(socket, head) : { socket, head }
        wss.handleUpgrade(req, upgraded.socket, upgraded.head, (ws) => {
          // ws now handles the socket's errors (unless it got a wrapper); a second listener costs a list per connection.
          if (upgraded.socket === socket) socket.off('error', destroySocket)
          options.onConnection(ws, { ip, auth, code: typeof auth?.code === 'string' ? auth.code : '' })
          releasePeerAddress(socket)
        })
      },
      (err: Error & { code?: string }) => {
        options.logger.debug({ ip, reason: err.message, code: err.code }, 'upgrade refused: auth')
        release?.()
        refuse(socket, AUTH_REFUSAL)
      },
    )
  })
  server.on('clientError', answerClientError)
  const address = await listen(server, options.host, options.port, 'outside')
  return {
    address,
    async stopAccepting() {
      accepting = false
      await closeServer(server)
    },
  }
}

const UNAVAILABLE = refusal(503)

const CLIENT_ERROR_RESPONSES: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: refusal(431),
  ERR_HTTP_REQUEST_TIMEOUT: refusal(408),
}
const BAD_REQUEST = refusal(400)

/**
 * A request the HTTP parser refused (headers over outside.max_header_size, bad
 * syntax, headers not all in within outside.header_timeout): answered as Node
 * itself would, 431, 400 or 408, unless a response already
 * started on that socket, then closed. Never logged per request.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const net = socket as Duplex & { bytesWritten?: number }
  if (err.code !== 'ECONNRESET' && socket.writable && (net.bytesWritten ?? 0) === 0) {
    refuse(socket, CLIENT_ERROR_RESPONSES[err.code ?? ''] ?? BAD_REQUEST)
    return
  }
  socket.destroy()
}

/**
 * Node keeps a socket's peer address as an object on the socket from the first read
 * (`_peername`) to its end. The daemon reads it once, at the accept, and its connection
 * keeps the address, so the copy (some 60 bytes a connection) is let go; a later read of
 * `remoteAddress` asks the kernel again.
 */
function releasePeerAddress(socket: Duplex): void {
  const held = socket as Duplex & { _peername?: unknown }
  if (held._peername !== undefined) held._peername = undefined
}
