import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Handlers } from '../../ipc/dispatch.js'
import type { Address } from '../../ipc/methods.js'
import { listen } from '../listen.js'
import { createMetricsRegistry } from '../metrics/metrics.js'
import type { DaemonStats } from '../stats.js'
import type { Store } from '../store/store.js'
import { createKeyCheck } from './auth.js'
import { bodyTooLarge, MAX_BODY_BYTES } from './body.js'
import { createHealthCheck } from './health.js'
import { withoutStreams } from './http-calls.js'
import { sendError, sendJson } from './respond.js'
import { bodyParams, queryParams, restCall } from './rest.js'
import { createRouter, type Route } from './routes.js'
import { rpcOverHttp } from './rpc-http.js'
import { createManagerSockets } from './ws.js'

export interface ManagerOptions {
  host: string
  port: number
  /** manager.key; empty leaves the port open (the config loader allows that on a loopback host only). */
  key: string
  /** The control API, as the control socket serves it. */
  handlers: Handlers
  /** Pinged by /healthz. */
  store: Pick<Store, 'ping' | 'kind'>
  /** In a cluster: whether this node is connected to it (else /healthz says degraded). */
  clusterState?: () => 'ok' | 'degraded'
  /** This node's open client connections and rooms (the gauges). */
  connections(): number
  rooms(): number
  /** The totals /metrics shows. */
  stats: DaemonStats
  logger: Logger
}

export interface ManagerServer {
  address: Address
  /** Stops accepting, closes idle connections and manager WebSockets; a call still running (a `stop`) answers first. */
  close(): Promise<void>
}

/** A request (headers and body) must arrive within this; a half-sent one is cut. */
const REQUEST_TIMEOUT_MS = 30_000
const HEADERS_TIMEOUT_MS = 10_000

/**
 * The manager port for backend services: the control API over HTTP
 * (POST /rpc, REST under /api/) and WebSocket (JSON-RPC, and the seed's console),
 * /metrics for Prometheus and an unkeyed /healthz. Every route but /healthz needs the key.
 */
export async function listenManager(options: ManagerOptions): Promise<ManagerServer> {
  const { host, key, logger, store } = options
  const checkKey = createKeyCheck(key)
  const http = withoutStreams(options.handlers)
  const metrics = createMetricsRegistry({ stats: options.stats, connections: options.connections, rooms: options.rooms })
  const health = createHealthCheck({ store, cluster: options.clusterState, connections: options.connections, logger })

  const routes: Record<string, Route> = {
    '/healthz': {
      open: true,
      GET: async ({ res }) => {
        const state = await health()
        sendJson(res, state.status === 'ok' ? 200 : 503, state)
      },
    },
    '/metrics': {
      GET: async ({ res }) => {
        const text = await metrics.metrics()
        res.writeHead(200, { 'content-type': metrics.contentType }).end(text)
      },
    },
    '/rpc': { POST: rpcOverHttp(http, logger) },
    '/api/status': { GET: restCall('status', queryParams, http) },
    '/api/connections': { GET: restCall('connections.list', queryParams, http) },
    '/api/rooms': { GET: restCall('rooms.list', queryParams, http) },
    '/api/push': { POST: restCall('push', bodyParams, http) },
    '/api/broadcast': { POST: restCall('broadcast', bodyParams, http) },
    '/api/kick': { POST: restCall('connections.kick', bodyParams, http) },
  }
  const router = createRouter({ routes, checkKey, logger })
  // Requests still running at close (a `stop` over /rpc) answer, then their connection closes.
  const running = new Set<ServerResponse>()
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    running.add(res)
    res.once('close', () => running.delete(res))
    router(req, res)
  }
  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS }, serve)
  // `Expect: 100-continue` with a declared body over the cap: refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return sendError(res.setHeader('connection', 'close'), bodyTooLarge(), logger)
    res.writeContinue()
    serve(req, res)
  })
  const sockets = createManagerSockets({ handlers: options.handlers, checkKey, maxPayload: MAX_BODY_BYTES, logger })
  server.on('upgrade', sockets.upgrade)

  const address = await listen(server, host, options.port, 'manager')
  if (key === '') logger.warn({ host, port: address.port }, 'manager.key is empty: the manager port is open to anyone on this machine')
  return {
    address,
    async close() {
      server.close()
      server.closeIdleConnections()
      for (const res of running) if (!res.headersSent) res.setHeader('connection', 'close')
      await sockets.close()
    },
  }
}
