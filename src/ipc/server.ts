import { chmod } from 'node:fs/promises'
import net from 'node:net'
import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import { failure, idOf, parseRequest, type JsonRpcId, type JsonRpcResponse } from './jsonrpc.js'
import { LineReader } from './line-reader.js'
import { isMethodName, paramSchemas, type MethodName, type Notifications, type ParsedParamsOf, type ResultOf } from './methods.js'
import { checkSocketPath } from './socket-path.js'

/** What a handler can do with the connection that called it (stream notifications, learn of its close). */
export interface CallContext {
  notify<N extends keyof Notifications>(method: N, params: Notifications[N]): void
  onClose(listener: () => void): void
  readonly closed: boolean
}

export type Handlers = {
  [M in MethodName]: (params: ParsedParamsOf<M>, ctx: CallContext) => Promise<ResultOf<M>>
}

export interface IpcServerOptions {
  socketPath: string
  handlers: Handlers
  logger: Logger
  /** Longest request line accepted, in bytes. */
  maxLineBytes?: number
}

export interface IpcServer {
  close(): Promise<void>
}

const DEFAULT_MAX_LINE = 1024 * 1024

/** Serves JSON-RPC 2.0, one message per line, on a Unix socket of mode 0600. */
export async function listenIpc(options: IpcServerOptions): Promise<IpcServer> {
  checkSocketPath(options.socketPath)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    serveConnection(socket, options)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(options.socketPath, 0o600)
  server.on('error', (err) => options.logger.error({ err }, 'control socket error'))
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

function serveConnection(socket: net.Socket, options: IpcServerOptions): void {
  const closeListeners: Array<() => void> = []
  let closed = false
  const write = (message: unknown): void => {
    if (!closed && socket.writable) socket.write(JSON.stringify(message) + '\n')
  }
  const ctx: CallContext = {
    notify: (method, params) => write({ jsonrpc: '2.0', method, params }),
    onClose: (listener) => (closed ? listener() : closeListeners.push(listener)),
    get closed() {
      return closed
    },
  }
  const reader = new LineReader(
    options.maxLineBytes ?? DEFAULT_MAX_LINE,
    (line) => {
      void answerLine(line, ctx, options).then((response) => {
        if (response !== undefined) write(response)
      })
    },
    () => {
      write(failure(null, new MswError('MSW_ERR_RPC_TOO_LARGE', `request line exceeds ${options.maxLineBytes ?? DEFAULT_MAX_LINE} bytes`)))
      socket.end()
    },
  )
  socket.on('data', (chunk: Buffer) => reader.push(chunk))
  socket.on('error', () => socket.destroy())
  socket.on('close', () => {
    closed = true
    for (const listener of closeListeners.splice(0)) listener()
  })
}

async function answerLine(line: string, ctx: CallContext, options: IpcServerOptions): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return failure(null, new MswError('MSW_ERR_RPC_PARSE', 'request is not valid JSON'))
  }
  if (!Array.isArray(value)) return answerOne(value, ctx, options)
  if (value.length === 0) return failure(null, new MswError('MSW_ERR_RPC_INVALID_REQUEST', 'empty batch'))
  const answers = await Promise.all(value.map((item) => answerOne(item, ctx, options)))
  const present = answers.filter((a): a is JsonRpcResponse => a !== undefined)
  return present.length > 0 ? present : undefined
}

async function answerOne(value: unknown, ctx: CallContext, options: IpcServerOptions): Promise<JsonRpcResponse | undefined> {
  let id: JsonRpcId = idOf(value)
  try {
    const request = parseRequest(value)
    id = request.id ?? null
    const result = await invoke(request.method, request.params, ctx, options.handlers)
    return request.id === undefined ? undefined : { jsonrpc: '2.0', id, result }
  } catch (err) {
    if (!(err instanceof MswError)) options.logger.error({ err }, 'control method failed')
    return failure(id, err)
  }
}

async function invoke(method: string, params: unknown, ctx: CallContext, handlers: Handlers): Promise<unknown> {
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
