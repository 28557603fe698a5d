/**
 * The baselines as benchmark targets: a script under bench/baselines/ in a child process, so
 * it gets a process of its own exactly as the mswoole daemon does. The plain `ws` floors, and
 * Socket.IO 4 with its Redis adapter (a throwaway redis-server beside it).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { openChildHeapProbe, type HeapProbe } from './heap-probe.js'
import { REPO_ROOT } from './paths.js'
// The same throwaway redis-server the tests start (installed from Debian when missing).
import { startRedisServer } from '../../test/helpers/redis-server.js'
import { stopOnInterrupt } from './entry.js'

export const PLAIN_WS_SCRIPT = path.join(REPO_ROOT, 'bench', 'baselines', 'plain-ws.ts')
export const SOCKETIO_SCRIPT = path.join(REPO_ROOT, 'bench', 'baselines', 'socketio.ts')
/** Where a Socket.IO client opens its WebSocket straight away (Engine.IO 4, no polling first). */
export const SOCKETIO_PATH = '/socket.io/?EIO=4&transport=websocket'
const GC_CHANNEL = pathToFileURL(path.join(REPO_ROOT, 'bench', 'lib', 'gc-channel.ts')).href

export interface PlainWsTarget {
  readonly port: number
  readonly pid: number
  readonly command: string
  url(index: number): string
  /** Forces and reads its heap over its IPC channel (bench/lib/heap-probe.ts). */
  heapProbe(): Promise<HeapProbe>
  stop(): Promise<void>
}

export function startPlainWs(): Promise<PlainWsTarget> {
  return startBaseline(PLAIN_WS_SCRIPT)
}

/** How the Socket.IO subject is named in every table. */
export const SOCKETIO_LABEL = 'Socket.IO 4 + Redis adapter'

export interface SocketIoTarget extends PlainWsTarget {
  /** The redis-server its adapter publishes to, for its CPU. */
  readonly redisPid: number
}

/** How a throwaway redis-server (test/helpers/redis-server.ts) is started, as one would type it. */
export function redisCommand(port: number): string {
  return `redis-server --port ${port} --save '' --appendonly no`
}

/** bench/baselines/socketio.ts on a redis-server of its own; stop() ends both. */
export async function startSocketIo(): Promise<SocketIoTarget> {
  const redis = await startRedisServer()
  const forget = stopOnInterrupt(() => redis.stop())
  const stopRedis = async () => {
    forget()
    await redis.stop()
  }
  try {
    const server = await startBaseline(SOCKETIO_SCRIPT, ['--redis', redis.url], SOCKETIO_PATH)
    return {
      ...server,
      redisPid: redis.pid,
      command: `${redisCommand(redis.port)}; ${server.command}`,
      stop: async () => {
        try {
          await server.stop()
        } finally {
          await stopRedis()
        }
      },
    }
  } catch (err) {
    await stopRedis()
    throw err
  }
}

/** Starts bench/baselines/<script> with `args`, once it has printed its port; clients connect to `urlPath`. */
export async function startBaseline(script: string, args: string[] = [], urlPath = '/'): Promise<PlainWsTarget> {
  const name = path.basename(script, '.ts')
  // --expose-gc and gc-channel.ts: the memory scenario forces its collections over the IPC channel.
  const argv = [
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    GC_CHANNEL,
    script,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    ...args,
    '--stdin-lifeline',
  ]
  // stdin is its lifeline: if this process dies, the pipe closes and the floor exits.
  const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit', 'ipc'] })
  // Piped above; the types of a spawn with an IPC channel do not carry that.
  const stdout = child.stdout as Readable
  const lines = createInterface({ input: stdout })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not print its port within 20 s`)), 20_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      const value = Number(line.trim())
      if (Number.isInteger(value) && value > 0) resolve(value)
      else reject(new Error(`${name} printed ${line} instead of a port`))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code} before listening`))
    })
  }).catch((err: unknown) => {
    child.kill('SIGKILL')
    throw err
  })
  lines.close()
  stdout.resume()
  const pid = child.pid!
  let stopped = false
  return {
    port,
    pid,
    command: `node --import tsx ${path.relative(REPO_ROOT, script)} --port ${port}${args.length > 0 ? ` ${args.join(' ')}` : ''}`,
    url: () => `ws://127.0.0.1:${port}${urlPath}`,
    heapProbe: () => openChildHeapProbe(child),
    async stop() {
      if (stopped || child.exitCode !== null || child.signalCode !== null) return
      stopped = true
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
