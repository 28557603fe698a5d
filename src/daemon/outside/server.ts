import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Address } from '../../ipc/methods.js'
import type { ConnectionIdentity } from '../connections/connection.js'
import { closeServer, destroyOnError, listen } from '../listen.js'
import { AUTH_REFUSAL, authenticate, type AuthSettings } from './authenticate.js'
import { clientIp, normalizeIp } from './client-ip.js'
import { OutsideSocket } from './outside-socket.js'
import { OUTSIDE_PAGE } from './page.js'

export interface OutsideOptions {
  host: string
  port: number
  maxMessageSize: number
  auth: AuthSettings
  trustedProxies: string[]
  logger: Logger
  /** Called for every upgraded, authenticated socket. */
  onConnection(ws: WebSocket, identity: ConnectionIdentity): void
}

export interface OutsideServer {
  address: Address
  /** Stops accepting new connections; open ones are closed by the registry. */
  stopAccepting(): Promise<void>
}

/** The public WebSocket port: the token is checked at the upgrade, before any WebSocket frame. */
export async function listenOutside(options: OutsideOptions): Promise<OutsideServer> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageSize,
    clientTracking: false,
    perMessageDeflate: false,
    WebSocket: OutsideSocket,
  })
  const trusted = new Set(options.trustedProxies.map(normalizeIp))
  let accepting = true
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : OUTSIDE_PAGE)
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError)
    if (!accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const ip = clientIp(req, trusted)
    authenticate(req, options.auth).then(
      (auth) => {
        if (socket.destroyed) return
        wss.handleUpgrade(req, socket, head, (ws) => options.onConnection(ws, { ip, auth, code: typeof auth?.code === 'string' ? auth.code : '' }))
      },
      (err: Error & { code?: string }) => {
        options.logger.debug({ ip, reason: err.message, code: err.code }, 'upgrade refused: auth')
        socket.end(AUTH_REFUSAL)
      },
    )
  })
  server.on('clientError', (_err, socket) => socket.destroy())
  const address = await listen(server, options.host, options.port, 'outside')
  return {
    address,
    async stopAccepting() {
      accepting = false
      await closeServer(server)
    },
  }
}
