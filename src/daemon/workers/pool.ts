import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { CloseEvent, Message } from '../../app-api/types.js'
import { MswError } from '../../errors.js'
import type { WorkerStatus } from '../../ipc/methods.js'
import type { FromWorker, ToWorker, WorkerData } from '../../worker/protocol.js'
import { workerEntry } from './entry.js'

export interface PoolOptions {
  appDir: string
  size: number
  generation: number
  logger: Logger
  readyTimeoutMs: number
  /** Everything a worker asks of the master (sends, calls, logs). */
  onMessage(message: FromWorker, worker: PoolWorker): void
  /** A worker died with these messages unanswered: each fd is owed an error reply. */
  onLost(fds: number[]): void
}

/** One worker thread and what it has in flight. */
export class PoolWorker {
  handled = 0
  readonly inFlight = new Map<number, number>()
  ready = false
  readonly backlog: ToWorker[] = []

  constructor(
    readonly id: number,
    readonly thread: Worker,
  ) {}

  post(message: ToWorker): void {
    if (this.ready) this.thread.postMessage(message)
    else this.backlog.push(message)
  }
}

/**
 * The workers that run the application's controllers. Each fd belongs to one
 * worker (fd modulo the pool size), so one connection's messages are handled
 * in order by one thread.
 */
export class WorkerPool {
  #slots: PoolWorker[] = []
  #seq = 0
  #stopping = false
  #drained: Array<() => void> = []

  constructor(private readonly options: PoolOptions) {}

  get generation(): number {
    return this.options.generation
  }

  async start(): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: this.options.size }, (_, id) => this.#spawn(id)))
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed) {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.thread.terminate() : undefined)))
      throw failed.reason
    }
    this.#slots = started.map((result) => (result as PromiseFulfilledResult<PoolWorker>).value)
  }

  dispatch(data: Message): void {
    const worker = this.#owner(data.fd)
    const seq = ++this.#seq
    worker.inFlight.set(seq, data.fd)
    worker.post({ t: 'message', seq, data })
  }

  closeEvent(controllers: string[], event: CloseEvent): void {
    const worker = this.#owner(event.fd)
    const seq = ++this.#seq
    worker.inFlight.set(seq, -1)
    worker.post({ t: 'close', seq, controllers, event })
  }

  /** Settles a call a worker made. */
  answer(worker: PoolWorker, id: number, outcome: { value: unknown } | { error: { code: string; message: string } }): void {
    worker.post({ t: 'result', id, ...outcome } as ToWorker)
  }

  /** Marks message `seq` finished. */
  finished(worker: PoolWorker, seq: number): void {
    if (worker.inFlight.delete(seq)) worker.handled++
    if (this.inFlight() === 0) for (const resolve of this.#drained.splice(0)) resolve()
  }

  inFlight(): number {
    return this.#slots.reduce((sum, worker) => sum + worker.inFlight.size, 0)
  }

  /** Resolves when nothing is in flight, or at the deadline. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight() === 0) return true
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.#drained.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    return done
  }

  async stop(): Promise<void> {
    this.#stopping = true
    await Promise.all(this.#slots.map((worker) => worker.thread.terminate()))
  }

  status(): WorkerStatus[] {
    return this.#slots.map((worker) => ({
      id: worker.id,
      pid: process.pid,
      threadId: worker.thread.threadId,
      generation: this.options.generation,
      handled: worker.handled,
      inFlight: worker.inFlight.size,
      memory: 0,
    }))
  }

  #owner(fd: number): PoolWorker {
    const worker = this.#slots[fd % this.#slots.length]
    if (!worker) throw new MswError('MSW_ERR_INTERNAL', 'no worker to dispatch to')
    return worker
  }

  /** Starts one worker and resolves once it has loaded the application. */
  #spawn(id: number): Promise<PoolWorker> {
    const { appDir, generation, logger } = this.options
    const entry = workerEntry()
    const workerData: WorkerData = { appDir, workerId: id, generation }
    const thread = new Worker(entry.file, { workerData, execArgv: entry.execArgv, stdout: false, stderr: false })
    const worker = new PoolWorker(id, thread)
    return new Promise<PoolWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        void thread.terminate()
        reject(new MswError('MSW_ERR_APP_LOAD', `worker ${id} did not report ready within ${this.options.readyTimeoutMs} ms`))
      }, this.options.readyTimeoutMs)
      thread.on('message', (message: FromWorker) => {
        if (message.t === 'ready') {
          clearTimeout(timer)
          worker.ready = true
          for (const queued of worker.backlog.splice(0)) thread.postMessage(queued)
          logger.debug({ worker: id, generation, controllers: message.controllers }, 'worker ready')
          resolve(worker)
        } else if (message.t === 'loadError') {
          clearTimeout(timer)
          const where = message.file && !message.message.includes(message.file) ? `${message.file}${message.line ? `:${message.line}` : ''}: ` : ''
          reject(new MswError('MSW_ERR_APP_LOAD', `cannot load the application: ${where}${message.message}`, { details: { file: message.file, line: message.line } }))
        } else {
          this.options.onMessage(message, worker)
        }
      })
      thread.on('error', (err) => logger.error({ err, worker: id }, 'worker error'))
      thread.on('exit', (code) => {
        clearTimeout(timer)
        if (!worker.ready) return reject(new MswError('MSW_ERR_APP_LOAD', `worker ${id} exited with code ${code} while loading`))
        if (this.#stopping) return
        this.#replace(worker, code)
      })
    })
  }

  /** A worker died: its unanswered messages are owed an error, and a new worker takes its place. */
  #replace(dead: PoolWorker, code: number): void {
    this.options.logger.error({ worker: dead.id, code, inFlight: dead.inFlight.size }, 'worker exited; replacing it')
    const lost = [...dead.inFlight.values()].filter((fd) => fd > 0)
    dead.inFlight.clear()
    this.options.onLost(lost)
    if (this.inFlight() === 0) for (const resolve of this.#drained.splice(0)) resolve()
    this.#spawn(dead.id).then(
      (fresh) => {
        if (this.#stopping) return void fresh.thread.terminate()
        this.#slots[dead.id] = fresh
      },
      (err) => this.options.logger.error({ err, worker: dead.id }, 'replacement worker failed to start'),
    )
  }
}
