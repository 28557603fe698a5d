import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import { failure, idOf, parseRequest, type JsonRpcId, type JsonRpcNotification, type JsonRpcResponse } from './jsonrpc.js'
import {
  isMethodName,
  paramSchemas,
  type MethodName,
  type Notifications,
  type ParsedParamsOf,
  type ResultOf,
} from '../contracts/control-api.js'

/**
 * The one dispatch of the control API: JSON-RPC 2.0 messages in, answers out.
 * The control socket and the manager port (HTTP and WebSocket) all call it,
 * so every transport validates params and maps errors the same way.
 */

/** What a handler can do with the connection that called it (stream notifications, learn of its close). */
export interface CallContext {
  notify<N extends keyof Notifications>(method: N, params: Notifications[N]): void
  onClose(listener: () => void): void
  readonly closed: boolean
}

export type Handlers = {
  [M in MethodName]: (params: ParsedParamsOf<M>, ctx: CallContext) => Promise<ResultOf<M>>
}

/** A CallContext for one connection, and the switch its transport flips when the connection closes. */
export interface ConnectionContext {
  ctx: CallContext
  /** Marks the connection closed and runs the handlers' close listeners, once. */
  closed(): void
}

/** Builds the CallContext of a connection whose transport sends notifications with `send`. */
export function connectionContext(send: (notification: JsonRpcNotification) => void): ConnectionContext {
  const listeners: Array<() => void> = []
  let closed = false
  const ctx: CallContext = {
    notify: (method, params) => {
      if (!closed) send({ jsonrpc: '2.0', method, params })
    },
    onClose: (listener) => (closed ? listener() : listeners.push(listener)),
    get closed() {
      return closed
    },
  }
  return {
    ctx,
    closed: () => {
      closed = true
      for (const listener of listeners.splice(0)) listener()
    },
  }
}

export type JsonRpcAnswer = JsonRpcResponse | JsonRpcResponse[] | undefined

/** Answers one line of text; malformed JSON gets the parse error. */
export function answerJsonRpcText(text: string, ctx: CallContext, handlers: Handlers, logger: Logger): Promise<JsonRpcAnswer> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return Promise.resolve(failure(null, new MswError('MSW_ERR_RPC_PARSE', 'request is not valid JSON')))
  }
  return answerJsonRpc(value, ctx, handlers, logger)
}

/** Answers a decoded request, notification or batch; undefined when nothing is owed (notifications only). */
export async function answerJsonRpc(value: unknown, ctx: CallContext, handlers: Handlers, logger: Logger): Promise<JsonRpcAnswer> {
  if (!Array.isArray(value)) return answerOne(value, ctx, handlers, logger)
  if (value.length === 0) return failure(null, new MswError('MSW_ERR_RPC_INVALID_REQUEST', 'empty batch'))
  const answers = await Promise.all(value.map((item) => answerOne(item, ctx, handlers, logger)))
  const present = answers.filter((a): a is JsonRpcResponse => a !== undefined)
  return present.length > 0 ? present : undefined
}

async function answerOne(value: unknown, ctx: CallContext, handlers: Handlers, logger: Logger): Promise<JsonRpcResponse | undefined> {
  let id: JsonRpcId = idOf(value)
  let notification = false
  try {
    const request = parseRequest(value)
    id = request.id ?? null
    notification = request.id === undefined
    const result = await invokeMethod(request.method, request.params, ctx, handlers)
    return notification ? undefined : { jsonrpc: '2.0', id, result }
  } catch (err) {
    if (!(err instanceof MswError)) logger.error({ err }, 'control method failed')
    // A notification is never answered, not even its failure (JSON-RPC 2.0, section 4.1); a request too broken to tell is.
    return notification ? undefined : failure(id, err)
  }
}

/** Calls a method by name with unchecked params: unknown names and invalid params fail with their RPC codes. */
export function invokeMethod<M extends MethodName>(method: M, params: unknown, ctx: CallContext, handlers: Handlers): Promise<ResultOf<M>>
export function invokeMethod(method: string, params: unknown, ctx: CallContext, handlers: Handlers): Promise<unknown>
export async function invokeMethod(method: string, params: unknown, ctx: CallContext, handlers: Handlers): Promise<unknown> {
  if (!isMethodName(method)) throw new MswError('MSW_ERR_RPC_METHOD_NOT_FOUND', `unknown method "${method}"`)
  const parsed = paramSchemas[method].safeParse(params ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
    throw new MswError('MSW_ERR_RPC_INVALID_PARAMS', `${method}: ${where}${issue?.message ?? 'invalid params'}`)
  }
  const handler = handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>
  return handler(parsed.data, ctx)
}
