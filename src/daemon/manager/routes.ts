import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { KeyGate } from './auth.js'
import { discardRest, drained } from './body.js'
import { checkBodyType } from './content-type.js'
import { HttpError } from './http-error.js'
import type { RequestGuard } from './request-guard.js'
import { sendError } from './respond.js'

export interface RouteRequest {
  req: IncomingMessage
  res: ServerResponse
  /** The query string, without its "?". */
  query: string
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
  checkKey: KeyGate
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

async function serve(req: IncomingMessage, res: ServerResponse, { routes, guard, checkKey, keyed }: RouterOptions): Promise<void> {
  guard(req)
  const target = req.url ?? '/'
  const mark = target.indexOf('?')
  const rawPath = mark === -1 ? target : target.slice(0, mark)
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath
  const query = mark === -1 ? '' : target.slice(mark + 1)
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined
  if (!route?.open) checkKey(req, false)
  if (!route) throw new MswError('MSW_ERR_NOT_FOUND', `no route ${req.method ?? ''} ${path}`)
  const method = req.method === 'HEAD' ? 'GET' : req.method
  const handler = method === 'GET' || method === 'POST' ? route[method] : undefined
  if (!handler) {
    const allow = [route.GET && 'GET, HEAD', route.POST && 'POST'].filter(Boolean).join(', ')
    throw new HttpError(405, 'MSW_ERR_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${path}; use ${allow}`, { allow })
  }
  if (method === 'POST') checkBodyType(req, route.forms === true && keyed && req.headers.origin === undefined)
  await handler({ req, res, query })
}
