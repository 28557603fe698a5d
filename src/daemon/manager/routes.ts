import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { AccessGate } from './auth.js'
import { discardRest, drained } from './body.js'
import { checkBodyType } from './content-type.js'
import { type Access, type DashboardRoute, fromDashboardPage } from './dashboard.js'
import { HttpError } from './http-error.js'
import type { RequestGuard } from './request-guard.js'
import { sendError } from './respond.js'

export interface RouteRequest {
  req: IncomingMessage
  res: ServerResponse
  /** The query string, without its "?". */
  query: string
  /** How the caller proved it may call (an open route: "open"). */
  access: Access
}

export type RouteHandler = (request: RouteRequest) => Promise<void>

export interface Route {
  GET?: RouteHandler
  POST?: RouteHandler
  /** Served without the manager key (health checks). */
  open?: boolean
  /** POST takes a form body too (from a keyed caller that is not a browser page). */
  forms?: boolean
}

export interface RouterOptions {
  routes: Readonly<Record<string, Route>>
  /** Host and Origin, checked before anything else. */
  guard: RequestGuard
  checkAccess: AccessGate
  /** /dashboard and below (served before the key: the page is how an operator logs in). */
  dashboard: DashboardRoute
  /** Whether the dashboard page is served: its own origin may then call. */
  ownOrigin: boolean
  /** Whether a key is configured: forms are taken only from callers that proved they hold it. */
  keyed: boolean
  logger: Logger
}

/**
 * The manager's HTTP routing: Host and Origin first, then the key (so an unkeyed
 * caller learns nothing of the routes), then path (404), then method (405 with
 * Allow), then a POST's content type (415). HEAD is served as GET.
 * Whatever a route throws is answered as `{"error":{"code","message"}}`.
 */
export function createRouter(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(req, res, options)
      .catch(async (err: unknown) => {
        await drained(req)
        sendError(res, err, options.logger)
      })
      .finally(() => discardRest(req))
  }
}

async function serve(req: IncomingMessage, res: ServerResponse, options: RouterOptions): Promise<void> {
  const { routes, guard, checkAccess, keyed } = options
  guard(req, options.ownOrigin)
  const target = req.url ?? '/'
  const mark = target.indexOf('?')
  const rawPath = mark === -1 ? target : target.slice(0, mark)
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath
  const query = mark === -1 ? '' : target.slice(mark + 1)
  if (await options.dashboard(req, res, rawPath)) return
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined
  const access = route?.open ? 'open' : checkAccess(req)
  // A session is a cookie the browser sends by itself: a state-changing call must come from the page.
  if (access === 'session' && req.method !== 'GET' && req.method !== 'HEAD' && !fromDashboardPage(req))
    throw new MswError('MSW_ERR_DASHBOARD_ORIGIN', 'a dashboard session may change things from the dashboard page only')
  if (!route) throw new MswError('MSW_ERR_NOT_FOUND', `no route ${req.method ?? ''} ${path}`)
  const method = req.method === 'HEAD' ? 'GET' : req.method
  const handler = method === 'GET' || method === 'POST' ? route[method] : undefined
  if (!handler) {
    const allow = [route.GET && 'GET, HEAD', route.POST && 'POST'].filter(Boolean).join(', ')
    throw new HttpError(405, 'MSW_ERR_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${path}; use ${allow}`, { allow })
  }
  if (method === 'POST') checkBodyType(req, route.forms === true && keyed && access === 'key' && req.headers.origin === undefined)
  await handler({ req, res, query, access })
}
