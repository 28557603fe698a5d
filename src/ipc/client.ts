import { EventEmitter } from 'node:events'
import net from 'node:net'
import { MswError, systemCode } from '../errors.js'
import { fromRpcError, isRecord, type JsonRpcErrorObject } from './jsonrpc.js'
import { LineReader } from './line-reader.js'
import type { MethodName, Notifications, ParamsOf, ResultOf } from '../contracts/control-api.js'
import { checkSocketPath } from './socket-path.js'

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: MswError) => void
  timer: NodeJS.Timeout | undefined
}

export interface CallOptions {
  /** Milliseconds to wait for the answer; 0 waits for ever. */
  timeoutMs?: number
}

const MAX_RESPONSE_LINE = 64 * 1024 * 1024

/** A JSON-RPC client of the daemon's control socket. */
export class IpcClient extends EventEmitter<{ notification: [method: keyof Notifications, params: unknown]; close: [] }> {
  #nextId = 1
  #pending = new Map<number, Pending>()

  private constructor(private readonly socket: net.Socket) {
    super()
    const reader = new LineReader(
      MAX_RESPONSE_LINE,
      (line) => this.#receive(line),
      () => {
        this.#failAll(new MswError('MSW_ERR_IPC_CLOSED', 'daemon sent an oversized line'))
        socket.destroy()
      },
    )
    socket.on('data', (chunk: Buffer) => reader.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.#failAll(new MswError('MSW_ERR_IPC_CLOSED', 'the daemon closed the control connection'))
      this.emit('close')
    })
  }

  static connect(socketPath: string, timeoutMs = 2000): Promise<IpcClient> {
    checkSocketPath(socketPath)
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new MswError('MSW_ERR_IPC_TIMEOUT', `no answer from the control socket ${socketPath}`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new IpcClient(socket))
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(connectError(err, socketPath))
      })
    })
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options: CallOptions = {}): Promise<ResultOf<M>> {
    const id = this.#nextId++
    const timeoutMs = options.timeoutMs ?? 10_000
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id)
              reject(new MswError('MSW_ERR_IPC_TIMEOUT', `${method}: no answer within ${timeoutMs} ms`))
            }, timeoutMs)
          : undefined
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n')
    })
  }

  close(): void {
    this.socket.end()
    this.socket.destroy()
  }

  #receive(line: string): void {
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    if (!isRecord(message)) return
    if (typeof message.method === 'string' && message.id === undefined) {
      this.emit('notification', message.method as keyof Notifications, message.params)
      return
    }
    const pending = typeof message.id === 'number' ? this.#pending.get(message.id) : undefined
    if (!pending) return
    this.#pending.delete(message.id as number)
    clearTimeout(pending.timer)
    if (isRecord(message.error)) pending.reject(fromRpcError(message.error as unknown as JsonRpcErrorObject))
    else pending.resolve(message.result)
  }

  #failAll(err: MswError): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(err)
    }
    this.#pending.clear()
  }
}

function connectError(err: Error, socketPath: string): MswError {
  const code = systemCode(err)
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new MswError('MSW_ERR_NOT_RUNNING', `mswoole is not running (no daemon at ${socketPath})`, {
      cause: err,
      details: { socket: socketPath },
    })
  }
  return new MswError('MSW_ERR_IPC_CONNECT', `cannot connect to ${socketPath}: ${err.message}`, {
    cause: err,
    details: { socket: socketPath },
  })
}

/** Connects, runs `fn`, and always closes the connection. */
export async function withDaemon<T>(socketPath: string, fn: (client: IpcClient) => Promise<T>): Promise<T> {
  const client = await IpcClient.connect(socketPath)
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}
