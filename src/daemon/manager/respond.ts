import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import { errorBody, httpHeadersOf, httpStatusOf } from './http-error.js'

/** Answers with a JSON body; a client that has gone is left alone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Answers with the error's status and `{"error":{"code","message"}}`; what is not an MswError is logged and answered 500. */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  const known = err instanceof MswError ? err : new MswError('MSW_ERR_INTERNAL', 'internal error', { cause: err })
  const status = httpStatusOf(known)
  if (status >= 500) logger.error({ err }, 'manager request failed')
  sendJson(res, status, errorBody(known), httpHeadersOf(known))
}
