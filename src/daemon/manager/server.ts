import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Handlers } from '../../ipc/dispatch.js'
import type { Address } from '../../contracts/control-api.js'
import { headerTimeoutOptions } from '../header-timeout.js'
import { listen } from '../listen.js'
import type { Registry } from 'prom-client'
import type { DaemonStats } from '../stats.js'
import type { Store } from '../store/store.js'
import { randomBytes } from 'node:crypto'
import { createAccessGate, createKeyGate } from './auth.js'
import { bodyTooLarge, MAX_BODY_BYTES } from './body.js'
import { createDashboardRoute, type DashboardMode, DashboardSessions, sessionHandlers } from './dashboard.js'
import { createHealthCheck } from './health.js'
import { withoutStreams } from './http-calls.js'
import { KeyFailures } from './key-failures.js'
import { createRequestGuard } from './request-guard.js'
import { sendError, sendJson } from './respond.js'
import { bodyParams, type HandlersFor, queryParams, restCall } from './rest.js'
import { createRouter, type Route } from './routes.js'
import { rpcOverHttp } from './rpc-http.js'
import { createManagerSockets } from './ws.js'

export interface ManagerOptions {
  host: string
  port: number
  /** manager.header_timeout: a connection whose request line and headers take longer is closed (408). */
  headerTimeoutMs?: number
  /** The key in force (configured, or generated); empty leaves the port open (the config loader allows that on a loopback host only). */
  key: string
  /** Where a generated key is kept, for the start log. */
  keyFile?: string | undefined
  /** manager.allowed_hosts: Host header names accepted besides loopback and `host`. */
  allowedHosts?: readonly string[]
  /** manager.allowed_origins: browser pages that may call; none when absent. */
  allowedOrigins?: readonly string[]
  /** manager.max_key_failures: wrong keys per address within 10 s before 429; 0 = no limit. */
  maxKeyFailures?: number
  /** manager.dashboard, resolved: "on" by default with a key, "readonly" without one. */
  dashboard?: DashboardMode
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

/** Wrong keys per address within the window, when the options give no limit. */
const DEFAULT_MAX_KEY_FAILURES = 10

/**
 * The manager port for backend services: the control API over HTTP
 * (POST /rpc, REST under /api/) and WebSocket (JSON-RPC, and the seed's console),
 * /metrics for Prometheus and an unkeyed /healthz. Every route but /healthz needs the key;
 * every request, keyed or not, must name this machine in Host and come from no
 * browser page but the allowed origins.
 */
export async function listenManager(options: ManagerOptions): Promise<ManagerServer> {
  const { host, key, logger, store } = options
  const guard = createRequestGuard({ host, allowedHosts: options.allowedHosts ?? [], allowedOrigins: options.allowedOrigins ?? [] })
  const failures = new KeyFailures({ limit: options.maxKeyFailures ?? DEFAULT_MAX_KEY_FAILURES, logger })
  const checkKey = createKeyGate(key, failures)
  const http = withoutStreams(options.handlers)
  const dashboardMode = options.dashboard ?? (key === '' ? 'readonly' : 'on')
  const sessions = new DashboardSessions(key, randomBytes(32))
  const checkAccess = createAccessGate(key, failures, dashboardMode, sessions)
  const handlersFor: HandlersFor = ({ req, access }) =>
    access === 'session' ? sessionHandlers(http, dashboardMode, req.socket.remoteAddress ?? '', logger) : http
  // prom-client loads at the first scrape: a node nobody scrapes never pays for it. Its
  // process metrics start then too, and run on from there.
  let metrics: Promise<Registry> | undefined
  const registry = () =>
    (metrics ??= import('../metrics/metrics.js').then(({ createMetricsRegistry }) =>
      createMetricsRegistry({ stats: options.stats, connections: options.connections, rooms: options.rooms }),
    ))
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
        const scraped = await registry()
        const text = await scraped.metrics()
        res.writeHead(200, { 'content-type': scraped.contentType }).end(text)
      },
    },
    '/rpc': { POST: rpcOverHttp(handlersFor, logger) },
    '/api/status': { GET: restCall('status', queryParams, handlersFor) },
    '/api/connections': { GET: restCall('connections.list', queryParams, handlersFor) },
    '/api/rooms': { GET: restCall('rooms.list', queryParams, handlersFor) },
    '/api/push': { POST: restCall('push', bodyParams, handlersFor), forms: true },
    '/api/broadcast': { POST: restCall('broadcast', bodyParams, handlersFor), forms: true },
    '/api/kick': { POST: restCall('connections.kick', bodyParams, handlersFor), forms: true },
  }
  const dashboard = createDashboardRoute({ mode: dashboardMode, key, sessions, failures, logger })
  const router = createRouter({ routes, guard, checkAccess, dashboard, ownOrigin: dashboardMode !== 'off', keyed: key !== '', logger })
  // Requests still running at close (a `stop` over /rpc) answer, then their connection closes.
  const running = new Set<ServerResponse>()
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    running.add(res)
    res.once('close', () => running.delete(res))
    router(req, res)
  }
  const server: Server = createServer(headerTimeoutOptions(options.headerTimeoutMs ?? HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS), serve)
  // `Expect: 100-continue` with a declared body over the cap: refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES)
      return sendError(res.setHeader('connection', 'close'), bodyTooLarge(), logger)
    res.writeContinue()
    serve(req, res)
  })
  const sockets = createManagerSockets({ handlers: options.handlers, guard, checkKey, maxPayload: MAX_BODY_BYTES, logger })
  server.on('upgrade', sockets.upgrade)

  const address = await listen(server, host, options.port, 'manager')
  // The warnings of an open or wide manager port are the daemon's (start-warnings.ts): `mswoole start` tells them too.
  if (key !== '' && options.keyFile !== undefined)
    logger.info({ host, port: address.port, keyFile: options.keyFile }, `the manager key is in ${options.keyFile}`)
  return {
    address,
    async close() {
      server.close()
      server.closeIdleConnections()
      for (const res of running) if (!res.headersSent) res.setHeader('connection', 'close')
      await sockets.close()
      failures.close()
    },
  }
}
