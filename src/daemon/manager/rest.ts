import type { IncomingMessage } from 'node:http'
import { invokeMethod, type Handlers } from '../../ipc/dispatch.js'
import type { MethodName } from '../../contracts/control-api.js'
import { readBodyParams } from './body.js'
import { coerceFormParams, parseForm } from './form.js'
import { requestContext } from './http-calls.js'
import { sendJson } from './respond.js'
import type { RouteHandler, RouteRequest } from './routes.js'

/** The control API a request may call (a dashboard session's is narrower). */
export type HandlersFor = (request: RouteRequest) => Handlers

/** Where a REST route finds its method's params. */
export type ParamsSource = (req: IncomingMessage, query: string) => Promise<Record<string, unknown>>

/** A JSON or form body (POST routes). */
export const bodyParams: ParamsSource = (req) => readBodyParams(req)

/** The query string, with numbers coerced (GET routes). */
export const queryParams: ParamsSource = async (_req, query) => coerceFormParams(parseForm(query))

/**
 * A REST route over one control method: the params go through the same
 * invoke (and zod schema) as JSON-RPC; the method's result is the 200 body.
 */
export function restCall(method: MethodName, source: ParamsSource, handlers: HandlersFor): RouteHandler {
  return async (request) => {
    const { req, res, query } = request
    const params = await source(req, query)
    const result = await invokeMethod(method, params, requestContext(res), handlers(request))
    sendJson(res, 200, result)
  }
}
