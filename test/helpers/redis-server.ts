import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LineCollector } from './lines.js'
import { ensureProgram } from './system-package.js'

/** A real redis-server on 127.0.0.1, memory only, for one test file. */
export interface RedisServer {
  readonly url: string
  readonly port: number
  /** The running server's pid (a new one after restart()). */
  readonly pid: number
  /** SIGTERM, then SIGKILL if it has not exited after a while; harmless when already stopped. */
  stop(): Promise<void>
  /** stop(), then a new server on the same port. */
  restart(): Promise<void>
}

/** A port taken between our probe and redis-server's bind is retried on another free port, this many times. */
const PORT_ATTEMPTS = 5
const KILL_AFTER_MS = 5000

/** Thrown when redis-server exits because its port was taken, so start() can try another. */
class PortInUseError extends Error {}

export async function startRedisServer(): Promise<RedisServer> {
  const program = await ensureProgram('/usr/bin/redis-server', 'redis-server')
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    try {
      const running = await launch(program, port)
      return handle(program, port, running)
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw err
    }
  }
}

interface Running {
  child: ChildProcess
  dir: string
}

function handle(program: string, port: number, first: Running): RedisServer {
  let current: Running | undefined = first
  let pid = first.child.pid as number
  const stop = async (): Promise<void> => {
    const running = current
    current = undefined
    if (running !== undefined) await terminate(running)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return pid
    },
    stop,
    async restart() {
      await stop()
      current = await launch(program, port)
      pid = current.child.pid as number
    },
  }
}

/** Starts redis-server on `port` and resolves once it logs that it accepts connections. */
async function launch(program: string, port: number): Promise<Running> {
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-redis-'))
  // No persistence: nothing to load at start, nothing to write at stop.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no']
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new LineCollector(child.stdout, `redis-server on port ${port}`)
  // Errors before logging (a bad argument) go to stderr; keep them for the failure message.
  const errors = new LineCollector(child.stderr, 'redis-server stderr')
  const spawned = once(child, 'spawn')
  try {
    await spawned
    await output.waitFor((line) => line.includes('Ready to accept connections'))
    return { child, dir }
  } catch (err) {
    await terminate({ child, dir })
    const printed = [...output.lines, ...errors.lines]
    if (printed.some((line) => line.includes('Address already in use'))) throw new PortInUseError(`port ${port} is in use`)
    throw new Error(`redis-server did not start on port ${port}:\n${printed.join('\n')}`, { cause: err })
  }
}

async function terminate({ child, dir }: Running): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
    try {
      await exited
    } finally {
      clearTimeout(timer)
    }
  }
  await rm(dir, { recursive: true, force: true })
}

/** A port nothing listens on right now: bind port 0, read what the system gave, release it. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('could not read the probe socket address')
  return address.port
}
