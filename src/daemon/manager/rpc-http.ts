import type { Logger } from 'pino'
import { answerJsonRpcText } from '../../ipc/dispatch.js'
import { readBody } from './body.js'
import { requestContext } from './http-calls.js'
import type { HandlersFor } from './rest.js'
import { sendJson } from './respond.js'
import type { RouteHandler } from './routes.js'

/**
 * POST /rpc: JSON-RPC 2.0, a request or a batch, through the control socket's
 * dispatch. Answers 200 with the JSON-RPC response (errors included), 204 when
 * the body held notifications only. The router lets only a JSON content type through.
 */
export function rpcOverHttp(handlers: HandlersFor, logger: Logger): RouteHandler {
  return async (request) => {
    const { req, res } = request
    const text = (await readBody(req)).toString('utf8')
    const answer = await answerJsonRpcText(text, requestContext(res), handlers(request), logger)
    if (answer === undefined) res.writeHead(204).end()
    else sendJson(res, 200, answer)
  }
}
