import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { CloseEvent } from '../../app-api/types.js'
import type { DbConfig } from '../../config/schema.js'
import { MswError } from '../../errors.js'
import type { WorkerStatus } from '../../contracts/control-api.js'
import type {
  CallMessage,
  CallOutcome,
  ClientFrame,
  FromWorker,
  LogMessage,
  SendMessage,
  ToWorker,
  WorkerData,
} from '../../contracts/thread-channel.js'
import { wireFormat } from '../../protocol/wire-format.js'
import { batcher, unbatch } from '../../contracts/thread-batch.js'
import { packToWorker, unpackFromWorker } from '../../contracts/thread-packing.js'
import { loadFailure } from './load-failure.js'
import { workerEntry } from './worker-entry.js'

/** What a worker asks of the master beyond its own bookkeeping: carried out outside the pool. */
export interface WorkerRequests {
  /** The prebuilt receiveMessage, to the fd (setting.ack). */
  ack(fd: number): void
  send(message: SendMessage): void
  /** `respond` settles the call in the worker that made it (a call without an id is never answered). */
  call(message: CallMessage, respond: (outcome: CallOutcome) => void): void
  log(message: LogMessage, workerId: number): void
}

export interface PoolOptions {
  appDir: string
  /** config/db.json, resolved, for the workers' `app.db()`. */
  db?: DbConfig
  size: number
  generation: number
  logger: Logger
  readyTimeoutMs: number
  /** A handler running longer than this has its worker replaced (0 = no limit). */
  maxExecutionMs: number
  /** V8 old-space limit of each worker, in MB; past it the worker dies and is replaced. */
  maxMemoryMb: number
  /** How the workers take client frames: setting.ack and setting.escape_html. */
  client: { ack: boolean; escapeHtml: boolean }
  /** Sends, calls and logs of the workers. */
  requests: WorkerRequests
  /** Messages that will never be answered by their controller: each fd is owed this status. */
  onLost(lost: Array<{ fd: number; status: 500 | 504 }>): void
  /** The fd has nothing in flight in this pool any more. */
  onFdIdle(fd: number): void
  /** A dead worker is being replaced. */
  onReplace(): void
}

interface InFlight {
  /** The connection, or -1 for work that is not a client's (retire). */
  fd: number
  startedAt: number
  timedOut: boolean
}

/** One worker thread and what it has in flight. */
export class PoolWorker {
  handled = 0
  memory = 0
  ready = false
  readonly inFlight = new Map<number, InFlight>()
  readonly backlog: ToWorker[] = []
  /** Settles the start of a worker still loading: ready, or why it cannot serve. */
  loading: { ready(): void; failed(err: MswError): void } | undefined
  /** Its thread has gone. */
  exited = false
  /** Settles an `end`: the worker said it has ended. */
  onEnded: (() => void) | undefined
  readonly #send: (message: ToWorker | string) => void

  constructor(
    readonly id: number,
    readonly thread: Worker,
  ) {
    this.#send = batcher<ToWorker | string>((batch) => thread.postMessage(batch), setImmediate)
  }

  post(message: ToWorker): void {
    if (this.ready) this.#send(packToWorker(message))
    else this.backlog.push(message)
  }
}

/** A worker thread on its way to ready. */
interface Booting {
  worker: PoolWorker
  loaded: Promise<PoolWorker>
  /** Has a standby worker load the application now; nothing for one that loads at once. */
  load(): void
}

/** How often in-flight handlers are checked against max_execution_time. */
const WATCHDOG_MS = 250
/** How long an idle worker asked to end may take to close its database and exit before it is terminated. */
const END_GRACE_MS = 5000

/**
 * One generation of the workers that run the application's controllers. Each
 * fd belongs to one worker (fd modulo the pool size), so one connection's
 * messages are handled in order by one thread. A worker that dies, hangs past
 * max_execution_time or outgrows its memory is replaced, and what it had in
 * flight is answered for.
 */
export class WorkerPool {
  #slots: PoolWorker[] = []
  #prepared: Booting[] | undefined
  #seq = 0
  #stopping = false
  #drained: Array<() => void> = []
  readonly #fdBusy = new Map<number, number>()
  #watchdog: NodeJS.Timeout | undefined

  constructor(private readonly options: PoolOptions) {}

  get generation(): number {
    return this.options.generation
  }

  /**
   * Boots the generation's threads ahead of start(), to wait there: a reload
   * then pays for loading the application alone. A second call does nothing.
   */
  prepare(): void {
    this.#prepared ??= Array.from({ length: this.options.size }, (_, id) => this.#boot(id, id === 0, true))
  }

  /**
   * Starts the generation's workers side by side; only the first applies the
   * application's migrations, so one thread migrates a database at a time.
   * The generation serves once every worker is ready, so none of it runs a
   * query before the schema is up to date.
   */
  async start(): Promise<void> {
    // A prepared thread that has gone since is replaced by a fresh one.
    const booting = (this.#prepared ?? []).filter((b) => !b.worker.exited)
    this.#prepared = undefined
    const all = Array.from(
      { length: this.options.size },
      (_, id) => booting.find((b) => b.worker.id === id) ?? this.#boot(id, id === 0, false),
    )
    for (const b of all) b.load()
    const started = await Promise.allSettled(all.map((b) => b.loaded))
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed) {
      this.#stopping = true
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.thread.terminate() : undefined)))
      throw failed.reason
    }
    this.#slots = started.map((result) => (result as PromiseFulfilledResult<PoolWorker>).value)
    if (this.options.maxExecutionMs > 0) {
      this.#watchdog = setInterval(() => this.#checkTimeouts(), WATCHDOG_MS)
      this.#watchdog.unref()
    }
  }

  dispatch(frame: ClientFrame): void {
    this.#send(frame.fd, (seq) => ({ t: 'frame', seq, fd: frame.fd, text: frame.text, sender: frame.sender }))
  }

  closeEvent(controllers: string[], event: CloseEvent): void {
    this.#send(event.fd, (seq) => ({ t: 'close', seq, controllers, event }))
  }

  /** True while this pool still has work of the fd in flight. */
  busyWith(fd: number): boolean {
    return this.#fdBusy.has(fd)
  }

  inFlight(): number {
    return this.#slots.reduce((sum, worker) => sum + worker.inFlight.size, 0)
  }

  /** Resolves true when nothing is in flight, false at the deadline. */
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

  /** The last act of a generation being replaced: every worker runs its controllers' onReload. */
  async retire(timeoutMs: number): Promise<boolean> {
    for (const worker of this.#slots) {
      const seq = ++this.#seq
      worker.inFlight.set(seq, { fd: -1, startedAt: Date.now(), timedOut: false })
      worker.post({ t: 'retire', seq })
    }
    return this.drain(timeoutMs)
  }

  /**
   * Ends every worker; whatever is still in flight is answered 500. An idle
   * worker is asked to end, so it closes its database; a busy one (a handler
   * that never returns) is terminated at once. Resolves once each has said it
   * ended (or has gone): its thread's teardown may still be running, which
   * `exited()` waits for.
   */
  async stop(): Promise<void> {
    this.#stopping = true
    clearInterval(this.#watchdog)
    const prepared = this.#prepared ?? []
    this.#prepared = undefined
    // Waiting for `load`, they hold nothing open: ending them is terminating them.
    await Promise.all(prepared.map((b) => b.worker.thread.terminate()))
    const idle = new Set(this.#slots.filter((worker) => worker.ready && worker.inFlight.size === 0))
    const lost = this.#slots.flatMap((worker) => this.#takeLost(worker))
    if (lost.length > 0) this.options.onLost(lost)
    await Promise.all(this.#slots.map((worker) => (idle.has(worker) ? this.#end(worker) : worker.thread.terminate())))
    for (const { fd } of lost) this.#release(fd)
  }

  /** Resolves once every thread of this pool has exited. */
  async exited(): Promise<void> {
    await Promise.all(this.#slots.map(threadExit))
  }

  async #end(worker: PoolWorker): Promise<void> {
    const ended = new Promise<void>((resolve) => (worker.onEnded = resolve))
    const exited = threadExit(worker)
    let timer: NodeJS.Timeout | undefined
    // terminate() resolves at once for a thread that has already gone.
    const forced = new Promise<void>(
      (resolve) => (timer = setTimeout(() => void worker.thread.terminate().then(() => resolve()), END_GRACE_MS)),
    )
    worker.post({ t: 'end' })
    await Promise.race([ended, exited, forced])
    clearTimeout(timer)
  }

  status(): WorkerStatus[] {
    return this.#slots.map((worker) => ({
      id: worker.id,
      pid: process.pid,
      threadId: worker.thread.threadId,
      generation: this.options.generation,
      handled: worker.handled,
      inFlight: worker.inFlight.size,
      memory: worker.memory,
    }))
  }

  /**
   * Every message from a worker thread, in one place: the pool keeps its own
   * books (ready, load errors, heap, finished messages) and hands the rest to
   * `requests`. A type this master does not know is a build mismatch between
   * master and worker, logged as an error rather than dropped.
   */
  #handle(worker: PoolWorker, message: FromWorker): void {
    switch (message.t) {
      case 'standby':
        this.options.logger.debug({ worker: worker.id, generation: this.generation }, 'worker on standby for the next reload')
        return
      case 'ready':
        worker.ready = true
        for (const queued of worker.backlog.splice(0)) worker.post(queued)
        this.options.logger.debug({ worker: worker.id, generation: this.generation, controllers: message.controllers }, 'worker ready')
        worker.loading?.ready()
        return
      case 'loadError':
        worker.loading?.failed(loadFailure(message))
        return
      case 'stats':
        worker.memory = message.heapUsed
        return
      case 'ended':
        worker.onEnded?.()
        return
      case 'done':
        this.#finished(worker, message.seq)
        return
      case 'ack':
        this.options.requests.ack(message.fd)
        return
      case 'send':
        this.options.requests.send(message)
        return
      case 'call':
        this.options.requests.call(message, (outcome) => {
          if (message.id !== undefined) worker.post({ t: 'result', id: message.id, ...outcome } as ToWorker)
        })
        return
      case 'log':
        this.options.requests.log(message, worker.id)
        return
      default: {
        const unknown: never = message
        this.options.logger.error(
          { code: 'MSW_ERR_INTERNAL', type: (unknown as { t?: unknown }).t, worker: worker.id, generation: this.generation },
          'unknown message type from a worker; the master and worker builds differ',
        )
      }
    }
  }

  /** Marks message `seq` finished. */
  #finished(worker: PoolWorker, seq: number): void {
    const entry = worker.inFlight.get(seq)
    if (!entry) return
    worker.inFlight.delete(seq)
    worker.handled++
    this.#release(entry.fd)
  }

  #send(fd: number, make: (seq: number) => ToWorker): void {
    const worker = this.#slots[fd % this.#slots.length]
    if (!worker) throw new MswError('MSW_ERR_INTERNAL', 'no worker to dispatch to')
    const seq = ++this.#seq
    worker.inFlight.set(seq, { fd, startedAt: Date.now(), timedOut: false })
    this.#fdBusy.set(fd, (this.#fdBusy.get(fd) ?? 0) + 1)
    worker.post(make(seq))
  }

  #release(fd: number): void {
    if (fd >= 0) {
      const left = (this.#fdBusy.get(fd) ?? 1) - 1
      if (left > 0) this.#fdBusy.set(fd, left)
      else {
        this.#fdBusy.delete(fd)
        this.options.onFdIdle(fd)
      }
    }
    if (this.inFlight() === 0) for (const resolve of this.#drained.splice(0)) resolve()
  }

  /** A hung handler cannot be interrupted any other way: its worker is ended and replaced. */
  #checkTimeouts(): void {
    const deadline = Date.now() - this.options.maxExecutionMs
    for (const worker of this.#slots) {
      let hung = false
      for (const entry of worker.inFlight.values()) {
        if (entry.fd >= 0 && entry.startedAt < deadline) {
          entry.timedOut = true
          hung = true
        }
      }
      if (hung && worker.ready) {
        this.options.logger.error(
          { worker: worker.id, generation: this.generation, limitMs: this.options.maxExecutionMs },
          'handler exceeded max_execution_time; replacing the worker',
        )
        worker.ready = false
        void worker.thread.terminate()
      }
    }
  }

  #takeLost(worker: PoolWorker): Array<{ fd: number; status: 500 | 504 }> {
    const lost = [...worker.inFlight.values()]
      .filter((entry) => entry.fd >= 0)
      .map((entry) => ({ fd: entry.fd, status: entry.timedOut ? (504 as const) : (500 as const) }))
    worker.inFlight.clear()
    return lost
  }

  /** Starts one worker and resolves once it has loaded the application (and, with `migrate`, applied its migrations). */
  #spawn(id: number, migrate = false): Promise<PoolWorker> {
    return this.#boot(id, migrate, false).loaded
  }

  /**
   * Starts one worker thread. A standby one boots and waits: its
   * `load()` has it load the application, and only then does the ready
   * timeout run. `loaded` settles once it is ready or cannot serve.
   */
  #boot(id: number, migrate: boolean, standby: boolean): Booting {
    const { appDir, generation, logger, db } = this.options
    const entry = workerEntry()
    const workerData: WorkerData = {
      appDir,
      workerId: id,
      generation,
      migrate,
      db,
      wire: wireFormat(),
      client: this.options.client,
      standby,
    }
    const thread = new Worker(entry.file, {
      workerData,
      execArgv: entry.execArgv,
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb },
    })
    const worker = new PoolWorker(id, thread)
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      timer = setTimeout(() => {
        void thread.terminate()
        worker.loading?.failed(
          new MswError('MSW_ERR_APP_LOAD', `worker ${id} did not report ready within ${this.options.readyTimeoutMs} ms`),
        )
      }, this.options.readyTimeoutMs)
    }
    const loaded = new Promise<PoolWorker>((resolve, reject) => {
      worker.loading = {
        ready: () => {
          clearTimeout(timer)
          worker.loading = undefined
          resolve(worker)
        },
        failed: (err) => {
          clearTimeout(timer)
          worker.loading = undefined
          reject(err)
        },
      }
    })
    // Awaited by start(); a standby worker that dies unused must not be an unhandled rejection.
    loaded.catch(() => undefined)
    thread.on('message', (received: FromWorker | string | Array<FromWorker | string>) => {
      for (const message of unbatch(received)) this.#handle(worker, unpackFromWorker(message))
    })
    thread.on('error', (err) => logger.error({ err, worker: id, generation }, 'worker error'))
    thread.on('exit', (code) => {
      clearTimeout(timer)
      worker.exited = true
      if (!this.#slots.includes(worker))
        return worker.loading?.failed(new MswError('MSW_ERR_APP_LOAD', `worker ${id} exited with code ${code} while loading`))
      if (this.#stopping) return
      this.#replace(worker, code)
    })
    if (!standby) arm()
    return {
      worker,
      loaded,
      // Past the backlog, which holds what waits for `ready`.
      load: standby
        ? () => {
            arm()
            thread.postMessage([{ t: 'load' } satisfies ToWorker])
          }
        : () => undefined,
    }
  }

  /** A worker died: its unanswered messages are owed a reply, and a new worker takes its slot. */
  #replace(dead: PoolWorker, code: number): void {
    const lost = this.#takeLost(dead)
    this.options.logger.error({ worker: dead.id, generation: this.generation, code, lost: lost.length }, 'worker exited; replacing it')
    if (lost.length > 0) this.options.onLost(lost)
    this.options.onReplace()
    // Messages for this slot wait in the new worker's backlog until it is ready.
    void this.#spawnInto(dead)
    for (const { fd } of lost) this.#release(fd)
  }

  #spawnInto(dead: PoolWorker): Promise<void> {
    const id = dead.id
    // Stands in (not ready) for the worker being replaced, collecting what is sent to its slot meanwhile.
    const placeholder = new PoolWorker(id, dead.thread)
    // Its thread is the dead one's: waiting for that thread's exit would wait forever.
    placeholder.exited = true
    this.#slots[id] = placeholder
    return this.#spawn(id).then(
      (fresh) => {
        if (this.#stopping) return void fresh.thread.terminate()
        for (const queued of placeholder.backlog.splice(0)) fresh.post(queued)
        for (const [seq, entry] of placeholder.inFlight) fresh.inFlight.set(seq, entry)
        this.#slots[id] = fresh
      },
      (err: unknown) => this.options.logger.error({ err, worker: id }, 'replacement worker failed to start'),
    )
  }
}

function threadExit(worker: PoolWorker): Promise<void> {
  if (worker.exited) return Promise.resolve()
  return new Promise((resolve) => worker.thread.once('exit', () => resolve()))
}
