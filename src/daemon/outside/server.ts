import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import type { Address } from '../../ipc/methods.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import { closeServer, listen } from '../listen.js'

export interface OutsideOptions {
  host: string
  port: number
  maxMessageSize: number
  registry: ConnectionRegistry
  logger: Logger
}

export interface OutsideServer {
  address: Address
  /** Stops accepting new connections; open ones are closed by the registry. */
  stopAccepting(): Promise<void>
}

/** The public WebSocket port. Every upgraded socket is handed to the connection registry. */
export async function listenOutside(options: OutsideOptions): Promise<OutsideServer> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageSize, clientTracking: false })
  let accepting = true
  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' })
    res.end('this port speaks WebSocket\n')
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (!accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = options.registry.add(ws, req.socket.remoteAddress ?? '')
      options.logger.debug({ fd: connection.fd, ip: connection.ip }, 'connection open')
    })
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
