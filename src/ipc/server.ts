import { chmod } from 'node:fs/promises'
import net from 'node:net'
import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import { answerJsonRpcText, connectionContext, type Handlers } from './dispatch.js'
import { failure } from './jsonrpc.js'
import { LineReader } from './line-reader.js'
import { checkSocketPath } from './socket-path.js'

export type { CallContext, Handlers } from './dispatch.js'

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
  const write = (message: unknown): void => {
    if (socket.writable) socket.write(JSON.stringify(message) + '\n')
  }
  const { ctx, closed } = connectionContext(write)
  const reader = new LineReader(
    options.maxLineBytes ?? DEFAULT_MAX_LINE,
    (line) => {
      void answerJsonRpcText(line, ctx, options.handlers, options.logger).then((response) => {
        if (response !== undefined && !ctx.closed) write(response)
      })
    },
    () => {
      write(failure(null, new MswError('MSW_ERR_RPC_TOO_LARGE', `request line exceeds ${options.maxLineBytes ?? DEFAULT_MAX_LINE} bytes`)))
      socket.end()
    },
  )
  socket.on('data', (chunk: Buffer) => reader.push(chunk))
  socket.on('error', () => socket.destroy())
  socket.on('close', closed)
}
