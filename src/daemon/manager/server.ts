import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Address } from '../../ipc/methods.js'
import { closeServer, listen } from '../listen.js'

export interface ManagerOptions {
  host: string
  port: number
  logger: Logger
}

export interface ManagerServer {
  address: Address
  close(): Promise<void>
}

/** The manager port for backend services; today it answers health checks. */
export async function listenManager(options: ManagerOptions): Promise<ManagerServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://manager').pathname
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 'ok' }))
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { code: 'MSW_ERR_NOT_FOUND', message: `no route ${req.method} ${path}` } }))
  })
  server.on('clientError', (_err, socket) => socket.destroy())
  const address = await listen(server, options.host, options.port, 'manager')
  return { address, close: () => closeServer(server) }
}
