import type { ServerResponse } from 'node:http'
import { MswError } from '../../errors.js'
import { connectionContext, type CallContext, type Handlers } from '../../ipc/dispatch.js'

/**
 * The control API as HTTP serves it: one request, one answer, no stream, so
 * `logs.tail` cannot follow there (the manager's WebSocket and the control socket can).
 */
export function withoutStreams(handlers: Handlers): Handlers {
  return {
    ...handlers,
    'logs.tail': async (params, ctx) => {
      if (params.follow) {
        throw new MswError('MSW_ERR_RPC_INVALID_PARAMS', 'logs.tail: follow needs a stream: call it over a WebSocket to the manager port')
      }
      return handlers['logs.tail'](params, ctx)
    },
  }
}

/** The CallContext of one HTTP request: nothing to notify, closed when the response is. */
export function requestContext(res: ServerResponse): CallContext {
  const { ctx, closed } = connectionContext(() => undefined)
  res.once('close', closed)
  return ctx
}
