import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Config } from '../config/load.js'
import { MswError } from '../errors.js'
import type { StatusResult, StopResult } from '../ipc/methods.js'
import { listenIpc, type IpcServer } from '../ipc/server.js'
import { VERSION } from '../version.js'
import { ConnectionRegistry } from './connections/registry.js'
import { createControlApi } from './control/api.js'
import { createDaemonLogger, type DaemonLogger } from './logging/logger.js'
import { listenManager, type ManagerServer } from './manager/server.js'
import { listenOutside, type OutsideServer } from './outside/server.js'
import { removeFiles, removeFilesSync, writePidFile } from './runtime/pid-file.js'
import { probeDaemon, type ProbeResult } from './runtime/probe.js'
import { ensureRuntimeDir } from './runtime/runtime-dir.js'
import { acquireStartLock } from './runtime/start-lock.js'

export type DaemonState = 'starting' | 'running' | 'stopping' | 'stopped'

export interface DaemonOptions {
  config: Config
  /** Also log to stdout: `mswoole start --foreground`. */
  foreground: boolean
  /** How long a start may wait for a concurrent start to finish. */
  lockTimeoutMs?: number
}

/** WebSocket close code for "going away": the server is shutting down. */
const GOING_AWAY = 1001
const CLOSE_HANDSHAKE_MS = 2000

/**
 * The master process: owns the runtime files, the control socket, the outside
 * and manager ports and every client socket. Start and stop happen here only.
 */
export class Daemon {
  state: DaemonState = 'starting'
  readonly startedAt = new Date()
  readonly registry: ConnectionRegistry
  readonly logger: Logger
  #ipc: IpcServer | undefined
  #outside: OutsideServer | undefined
  #manager: ManagerServer | undefined
  #stopping: Promise<StopResult> | undefined
  #onStopped: Array<() => void> = []

  private constructor(
    readonly config: Config,
    readonly log: DaemonLogger,
    readonly nodeId: string,
  ) {
    this.logger = log.logger
    this.registry = new ConnectionRegistry({
      closeTimeoutMs: CLOSE_HANDSHAKE_MS,
      onHookError: (err, closed) => this.logger.error({ err, fd: closed.connection.fd }, 'close hook failed'),
    })
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config } = options
    const { paths } = config
    await ensureRuntimeDir(paths.runtime, paths.logDir)
    const releaseLock = await acquireStartLock(paths.lockFile, options.lockTimeoutMs ?? 30_000)
    let daemon: Daemon | undefined
    try {
      const claimed = await claimRuntime(paths.socket, paths.pidFile)
      const nodeId = config.app.node_id ?? `${hostname()}-${config.app.outside.port}`
      const log = createDaemonLogger({
        file: paths.logFile,
        level: config.app.log.level,
        maxSize: config.app.log.max_size,
        maxFiles: config.app.log.max_files,
        stdout: options.foreground,
        nodeId,
      })
      daemon = new Daemon(config, log, nodeId)
      if (claimed.state === 'stale') daemon.logger.warn({ stalePid: claimed.pid }, 'removed the pid file and socket of a daemon that died')
      await daemon.#listen()
      daemon.state = 'running'
      daemon.logger.info(
        { pid: process.pid, version: VERSION, outside: daemon.#outside?.address, manager: daemon.#manager?.address, config: config.dir },
        'mswoole started',
      )
      return daemon
    } catch (err) {
      if (daemon) await daemon.#abortStart(err)
      throw err
    } finally {
      await releaseLock()
    }
  }

  async #listen(): Promise<void> {
    const { app, paths } = this.config
    this.#ipc = await listenIpc({ socketPath: paths.socket, handlers: createControlApi(this), logger: this.logger })
    await writePidFile(paths.pidFile, process.pid)
    this.#outside = await listenOutside({
      host: app.outside.host,
      port: app.outside.port,
      maxMessageSize: app.setting.max_message_size,
      registry: this.registry,
      logger: this.logger,
    })
    this.#manager = await listenManager({ host: app.manager.host, port: app.manager.port, logger: this.logger })
  }

  async #abortStart(err: unknown): Promise<void> {
    this.logger.error({ err }, 'start failed')
    await this.#outside?.stopAccepting()
    await this.#manager?.close()
    await this.#ipc?.close()
    await removeFiles(this.config.paths.pidFile, this.config.paths.socket)
    this.log.flushSync()
    await this.log.close()
  }

  status(): StatusResult {
    const memory = process.memoryUsage()
    const unbound = { host: '', port: 0 }
    return {
      running: true,
      state: this.state === 'stopped' ? 'stopping' : this.state,
      pid: process.pid,
      version: VERSION,
      nodeId: this.nodeId,
      node: hostname(),
      startedAt: this.startedAt.toISOString(),
      uptime: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      outside: this.#outside?.address ?? unbound,
      manager: this.#manager?.address ?? unbound,
      connections: this.registry.size,
      generation: 0,
      workers: [],
      memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
      configDir: this.config.dir,
      logFile: this.config.paths.logFile,
      socket: this.config.paths.socket,
    }
  }

  /**
   * Graceful stop: refuse new clients, close the open ones with 1001 (running
   * their close hooks), then release the ports. The control socket, the pid
   * file and the log close in `exit`, after the caller has had its answer.
   */
  stop(timeoutSeconds = 10): Promise<StopResult> {
    this.#stopping ??= this.#stop(timeoutSeconds)
    return this.#stopping
  }

  async #stop(timeoutSeconds: number): Promise<StopResult> {
    const started = Date.now()
    this.state = 'stopping'
    this.logger.info({ timeout: timeoutSeconds, connections: this.registry.size }, 'stopping')
    const accepting = this.#outside?.stopAccepting()
    const { closed, forced } = await this.registry.closeAll(GOING_AWAY, 'server shutting down', timeoutSeconds * 1000)
    await accepting
    await this.#manager?.close()
    const result: StopResult = { stopped: true, pid: process.pid, closedConnections: closed, forced, durationMs: Date.now() - started }
    this.logger.info(result, 'stopped')
    // Let the stop request's answer go out before the control socket closes.
    setImmediate(() => void this.#release())
    return result
  }

  async #release(): Promise<void> {
    await this.#ipc?.close()
    await removeFiles(this.config.paths.pidFile, this.config.paths.socket)
    this.log.flushSync()
    await this.log.close()
    this.state = 'stopped'
    for (const listener of this.#onStopped.splice(0)) listener()
  }

  /** Resolves once the daemon has released everything after a stop. */
  stopped(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    return new Promise((resolve) => this.#onStopped.push(resolve))
  }

  /** Last words on a crash: log the stack, flush, and leave no pid file or socket for the next start. */
  crash(err: unknown): void {
    try {
      this.logger.fatal({ err }, 'crashed')
      this.log.flushSync()
    } finally {
      removeFilesSync(this.config.paths.pidFile, this.config.paths.socket)
    }
  }
}

/** Refuses to start beside a live daemon and cleans what a dead one left. */
async function claimRuntime(socketPath: string, pidFile: string): Promise<ProbeResult> {
  const probe = await probeDaemon(socketPath, pidFile)
  switch (probe.state) {
    case 'live':
      throw new MswError('MSW_ERR_ALREADY_RUNNING', `mswoole is already running (pid ${probe.status.pid})`, { details: { pid: probe.status.pid } })
    case 'unresponsive':
      throw new MswError('MSW_ERR_ALREADY_RUNNING', `a daemon${probe.pid ? ` (pid ${probe.pid})` : ''} holds ${socketPath} but does not answer`, {
        details: { pid: probe.pid },
      })
    case 'stale':
      await removeFiles(socketPath, pidFile)
      return probe
    case 'absent':
      return probe
  }
}
