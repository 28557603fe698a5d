/**
 * N idle WebSocket connections to a server, held by child processes (bench/lib/idle-holder.ts)
 * so that no process nears its open-files limit: each holder takes at most `perProcess`
 * sockets, from source addresses of its own (127.0.0.x), opened in bounded batches. Every
 * wait has a deadline, and close() (or this process ending) ends every holder.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { ConnectFigures } from '../fan-out-client.js'
import type { WireProtocol } from '../load-client.js'
import type { HolderAnswer, HolderRequest } from './idle-holder.js'
import { REPO_ROOT } from './paths.js'

const HOLDER_SCRIPT = path.join(REPO_ROOT, 'bench', 'lib', 'idle-holder.ts')
const OPEN_TIMEOUT_MS = 180_000
const ANSWER_TIMEOUT_MS = 10_000

export interface IdleClientsOptions {
  url(index: number): string
  /** Connection indexes [from, from + connections): a second set can carry on where the first stopped. Default 0. */
  from?: number
  connections: number
  /** Sockets per holder process at most. Default 10 000. */
  perProcess?: number
  /** Source addresses per holder: holder k uses 127.0.0.<firstSource + k × sourcesPerProcess>…. Default 4. */
  sourcesPerProcess?: number
  firstSource: number
  /** Upgrades in flight at once, per holder. Default 200. */
  connectConcurrency?: number
  /** 'socketio' for a Socket.IO server. Default 'ws'. */
  protocol?: WireProtocol
}

export interface IdleCounts {
  open: number
  /** Sockets the server closed while they were held. */
  disconnected: number
  otherFrames: number
}

export interface IdleClients {
  readonly processes: number
  /** Summed over the holders; `seconds` is the slowest holder's. */
  readonly connect: ConnectFigures
  counts(): Promise<IdleCounts>
  close(): Promise<void>
}

class Holder {
  readonly #child: ChildProcess
  readonly #exited: Promise<void>

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', HOLDER_SCRIPT], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
  }

  /** Sends `request` and resolves with the next answer, rejecting when the holder exits or is silent past `timeoutMs`. */
  ask(request: HolderRequest, timeoutMs: number): Promise<HolderAnswer> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        this.#child.off('message', onMessage)
        this.#child.off('exit', onExit)
      }
      const onMessage = (message: HolderAnswer) => {
        done()
        resolve(message)
      }
      const onExit = (code: number | null) => {
        done()
        reject(new Error(`idle-clients: a holder process exited (${code ?? 'signal'}) before it answered ${request.type}`))
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`idle-clients: a holder process did not answer ${request.type} within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      this.#child.on('message', onMessage)
      this.#child.once('exit', onExit)
      this.#child.send(request)
    })
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    if (this.#child.connected) this.#child.send({ type: 'close' } satisfies HolderRequest)
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await this.#exited
    clearTimeout(timer)
  }
}

export async function openIdleClients(o: IdleClientsOptions): Promise<IdleClients> {
  const from = o.from ?? 0
  const perProcess = o.perProcess ?? 10_000
  const sources = o.sourcesPerProcess ?? 4
  const processes = Math.max(1, Math.ceil(o.connections / perProcess))
  if (o.firstSource < 1 || o.firstSource + processes * sources - 1 > 254)
    throw new Error('idle-clients: source addresses must stay within 127.0.0.1–127.0.0.254')
  const holders = Array.from({ length: processes }, () => new Holder())
  const stopAll = () => Promise.all(holders.map((h) => h.stop())).then(() => undefined)
  try {
    const answers = await Promise.all(
      holders.map((holder, k) => {
        const start = from + k * perProcess
        const count = Math.min(perProcess, o.connections - k * perProcess)
        return holder.ask(
          {
            type: 'open',
            urls: Array.from({ length: count }, (_, i) => o.url(start + i)),
            sourceAddresses: sources,
            firstSource: o.firstSource + k * sources,
            connectConcurrency: o.connectConcurrency ?? 200,
            protocol: o.protocol ?? 'ws',
          },
          OPEN_TIMEOUT_MS,
        )
      }),
    )
    const connect: ConnectFigures = { asked: 0, opened: 0, failed: 0, seconds: 0, sourceAddresses: 0, failures: [] }
    for (const a of answers) {
      if (a.type === 'failed') throw new Error(`idle-clients: ${a.error}`)
      if (a.type !== 'opened') throw new Error(`idle-clients: a holder answered ${a.type} to open`)
      connect.asked += a.connect.asked
      connect.opened += a.connect.opened
      connect.failed += a.connect.failed
      connect.seconds = Math.max(connect.seconds, a.connect.seconds)
      connect.sourceAddresses += a.connect.sourceAddresses
      connect.failures.push(...a.connect.failures.slice(0, 5 - connect.failures.length))
    }
    return {
      processes,
      connect,
      async counts() {
        const all = await Promise.all(holders.map((h) => h.ask({ type: 'counts' }, ANSWER_TIMEOUT_MS)))
        const sum: IdleCounts = { open: 0, disconnected: 0, otherFrames: 0 }
        for (const a of all) {
          if (a.type !== 'counts') throw new Error(`idle-clients: a holder answered ${a.type} to counts`)
          sum.open += a.open
          sum.disconnected += a.disconnected
          sum.otherFrames += a.otherFrames
        }
        return sum
      },
      close: stopAll,
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
