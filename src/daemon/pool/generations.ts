import type { Logger } from 'pino'
import type { CloseEvent } from '../../app-api/types.js'
import type { ClientFrame } from '../../contracts/thread-channel.js'
import type { DbConfig } from '../../config/schema.js'
import { MswError } from '../../errors.js'
import type { ReloadResult, WorkerStatus } from '../../contracts/control-api.js'
import { WorkerPool, type WorkerRequests } from './pool.js'

export interface GenerationsOptions {
  appDir: string
  /** config/db.json, resolved, handed to every worker. */
  db?: DbConfig
  size: number
  readyTimeoutMs: number
  /** setting.reload_standby: boot the next generation's threads ahead of the next reload. */
  standby: boolean
  maxExecutionMs: number
  maxMemoryMb: number
  /** How the workers take client frames: setting.ack and setting.escape_html. */
  client: { ack: boolean; escapeHtml: boolean }
  logger: Logger
  /** Sends, calls and logs of the workers. */
  requests: WorkerRequests
  /** Answers a message that will never reach its controller: 500 when its worker died, 504 past max_execution_time. */
  reply(fd: number, status: 500 | 504): void
  /** A worker died or was ended and a new one takes its place. */
  onWorkerRestart(): void
}

/**
 * How long after a start or a reload the next generation's threads are booted.
 * Short: under load a boot takes a second or more, and a reload that comes
 * while its standby still boots waits for it.
 */
const STANDBY_DELAY_MS = 200

type Work = { kind: 'frame'; frame: ClientFrame } | { kind: 'close'; controllers: string[]; event: CloseEvent }

/**
 * The current generation of workers and, during a reload, the one it
 * replaces. A reload loads the new generation beside the old, switches
 * dispatch, lets the old finish what it has, runs its onReload hooks and ends
 * it. A connection whose earlier messages are still in the old generation has
 * its next ones held until they are done, so its order survives the switch.
 */
export class WorkerGenerations {
  #current: WorkerPool | undefined
  #retiring: WorkerPool | undefined
  /** The next generation, its threads booted and waiting, so a reload pays for loading the application alone. */
  #next: WorkerPool | undefined
  /** Replaced generations whose threads are still tearing down. */
  readonly #exiting = new Set<Promise<void>>()
  #nextTimer: NodeJS.Timeout | undefined
  readonly #held = new Map<number, Work[]>()
  #reloads: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(private readonly options: GenerationsOptions) {}

  get generation(): number {
    return this.#current?.generation ?? 0
  }

  async start(): Promise<void> {
    const pool = this.#create(1)
    await pool.start()
    this.#current = pool
    this.#prepareNext()
  }

  dispatch(frame: ClientFrame): void {
    this.#schedule(frame.fd, { kind: 'frame', frame })
  }

  closeEvent(controllers: string[], event: CloseEvent): void {
    this.#schedule(event.fd, { kind: 'close', controllers, event })
  }

  /** Reloads run one after another; each sees the application as it is on disk when it starts. */
  reload(maxWaitMs: number): Promise<ReloadResult> {
    const next = this.#reloads.then(() => this.#reload(maxWaitMs))
    this.#reloads = next.catch(() => undefined)
    return next
  }

  inFlight(): number {
    return (this.#current?.inFlight() ?? 0) + (this.#retiring?.inFlight() ?? 0)
  }

  status(): WorkerStatus[] {
    return [...(this.#retiring?.status() ?? []), ...(this.#current?.status() ?? [])]
  }

  /**
   * Lets every generation finish within `timeoutMs`, then ends them all.
   * Resolves to how much work (messages, hooks) was still running and was cut: 0 when all finished.
   */
  async stop(timeoutMs: number): Promise<number> {
    this.#closed = true
    clearTimeout(this.#nextTimer)
    const next = this.#next
    this.#next = undefined
    await next?.stop()
    const deadline = Date.now() + timeoutMs
    const pools = [this.#retiring, this.#current].filter((pool): pool is WorkerPool => pool !== undefined)
    for (const pool of pools) await pool.drain(Math.max(0, deadline - Date.now()))
    const cut = this.inFlight()
    await Promise.all(pools.map((pool) => pool.stop()))
    await Promise.all([...pools.map((pool) => pool.exited()), ...this.#exiting])
    return cut
  }

  async #reload(maxWaitMs: number): Promise<ReloadResult> {
    if (this.#closed) throw new MswError('MSW_ERR_RELOAD_REFUSED', 'the daemon is stopping')
    const started = Date.now()
    const old = this.#current
    const generation = (old?.generation ?? 0) + 1
    clearTimeout(this.#nextTimer)
    const standby = this.#next
    this.#next = undefined
    const next = standby?.generation === generation ? standby : this.#create(generation)
    if (standby !== undefined && standby !== next) void standby.stop()
    // A generation that fails to load changes nothing: the old one keeps serving, with a new standby.
    try {
      await next.start()
    } catch (err) {
      this.#prepareNext()
      throw err
    }
    if (this.#closed) {
      await next.stop()
      throw new MswError('MSW_ERR_RELOAD_REFUSED', 'the daemon is stopping')
    }
    this.#current = next
    this.#retiring = old
    this.options.logger.info({ generation, previous: old?.generation }, 'reload: new generation serving')
    if (old) {
      if (!(await old.drain(maxWaitMs)))
        this.options.logger.warn(
          { generation: old.generation, inFlight: old.inFlight() },
          'reload: old generation still busy at max_wait_time; ending it',
        )
      else await old.retire(maxWaitMs)
      await old.stop()
      this.#retiring = undefined
    }
    const durationMs = Date.now() - started
    this.options.logger.info({ generation, durationMs }, 'reload: done')
    // After the old generation has gone, so booting the standby never slows a reload down.
    this.#prepareNext()
    return { generation, previous: old?.generation ?? 0, durationMs, workers: next.status() }
  }

  /**
   * Boots the threads of the generation after the current one, to wait for
   * the next reload. A moment on: the reload (or start) has finished its own
   * work first, a daemon stopped at once never pays for them, and a reload
   * before then starts its generation from scratch.
   */
  #prepareNext(): void {
    if (!this.options.standby) return
    clearTimeout(this.#nextTimer)
    this.#nextTimer = setTimeout(() => {
      if (this.#closed || this.#next !== undefined) return
      this.#next = this.#create(this.generation + 1)
      this.#next.prepare()
    }, STANDBY_DELAY_MS)
    this.#nextTimer.unref()
  }

  #create(generation: number): WorkerPool {
    const { options } = this
    return new WorkerPool({
      appDir: options.appDir,
      db: options.db,
      size: options.size,
      generation,
      logger: options.logger,
      readyTimeoutMs: options.readyTimeoutMs,
      maxExecutionMs: options.maxExecutionMs,
      maxMemoryMb: options.maxMemoryMb,
      client: options.client,
      requests: options.requests,
      onLost: (lost) => {
        for (const { fd, status } of lost) options.reply(fd, status)
      },
      onFdIdle: (fd) => this.#release(fd),
      onReplace: options.onWorkerRestart,
    })
  }

  #schedule(fd: number, work: Work): void {
    const held = this.#held.get(fd)
    if (held) return void held.push(work)
    if (this.#retiring?.busyWith(fd)) return void this.#held.set(fd, [work])
    this.#run(work)
  }

  /** The old generation is done with this fd: what waited for it goes to the current one, in order. */
  #release(fd: number): void {
    const held = this.#held.get(fd)
    if (!held || this.#retiring?.busyWith(fd)) return
    this.#held.delete(fd)
    for (const work of held) this.#run(work)
  }

  #run(work: Work): void {
    const pool = this.#current
    if (!pool) return
    if (work.kind === 'frame') pool.dispatch(work.frame)
    else pool.closeEvent(work.controllers, work.event)
  }
}
