import path from 'node:path'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Config } from '../config/load.js'
import { logConfigFileWarnings } from '../config/file-modes.js'
import { MswError } from '../errors.js'
import type { DrainResult, NodeSummary, ReloadRecord, ReloadResult, StatusResult, StopResult } from '../contracts/control-api.js'
import { listenIpc, type IpcServer } from '../ipc/server.js'
import { VERSION } from '../version.js'
import { connectionId } from '../protocol/connection-id.js'
import { setWireFormat } from '../protocol/wire-format.js'
import { Presence } from './cluster/presence.js'
import { openPresenceEvents } from './cluster/presence-events.js'
import type { RedisCluster } from './cluster/redis-cluster.js'
import { ClusterDelivery } from './cluster/cluster-delivery.js'
import { openHistory, recoveryFor, type RoomHistory } from './history/open-history.js'
import { lostReply } from './clients/frames.js'
import { createClientLifecycle } from './clients/lifecycle.js'
import { LocalIndex } from './clients/local-index.js'
import { ConnectionRegistry } from './clients/registry.js'
import { Delivery } from './clients/delivery.js'
import { Drain } from './clients/drain.js'
import { startHeartbeat } from './clients/heartbeat.js'
import { assertPortsFree } from './port-check.js'
import { startWarnings } from './start-warnings.js'
import type { StartWarning } from '../contracts/ready-message.js'
import { DaemonStats } from './stats.js'
import { openStore } from './store/open-store.js'
import type { RedisStore } from './store/redis-store.js'
import type { Store } from './store/store.js'
import { createWorkerRequests } from './worker-requests.js'
import { clusterKeys } from './cluster/keys.js'
import { WorkerGenerations } from './pool/generations.js'
import { createControlApi } from './control/api.js'
import { createDaemonLogger, type DaemonLogger, type StdoutFormat } from './logging/logger.js'
import { resolveManagerKey } from './manager/key-file.js'
import { listenManager, type ManagerServer } from './manager/server.js'
import { listenOutside, type OutsideServer } from './outside/server.js'
import { removeFiles, removeFilesSync, writePidFile } from './runtime/pid-file.js'
import { probeDaemon, type ProbeResult } from './runtime/probe.js'
import { ensureRuntimeDir } from './runtime/runtime-dir.js'
import { acquireStartLock } from './runtime/start-lock.js'
import { CLOSE_CODES } from '../protocol/close-codes.js'

export type DaemonState = 'starting' | 'running' | 'stopping' | 'stopped'

export interface DaemonOptions {
  config: Config
  /** Also log to stdout: `mswoole start --foreground`. */
  foreground: boolean
  /** How those stdout lines look: JSON lines unless set. */
  stdoutFormat?: StdoutFormat
  /** How long a start may wait for a concurrent start to finish. */
  lockTimeoutMs?: number
  /**
   * Runs once the daemon serves, before it says `mswoole started`: the process's
   * signal and crash handlers, so a signal sent on that line finds them in place.
   */
  onRunning?: (daemon: Daemon) => void
}

const CLOSE_HANDSHAKE_MS = 2000
/** The reason a drained stop's clients get with close code 1012. */
const DRAIN_REASON = 'service restart'
/** How long a crashing daemon waits for its log to take the crash line. */
const CRASH_LOG_WAIT_MS = 2000
/** Reloads status remembers. */
const RELOADS_KEPT = 10

/**
 * The master process: owns the runtime files, the control socket, the outside
 * and manager ports and every client socket. Start and stop happen here only.
 */
export class Daemon {
  state: DaemonState = 'starting'
  readonly startedAt = new Date()
  readonly registry: ConnectionRegistry
  readonly index = new LocalIndex()
  readonly logger: Logger
  readonly stats = new DaemonStats()
  #clusterDelivery: ClusterDelivery | undefined
  #cluster: RedisCluster | undefined
  #ipc: IpcServer | undefined
  #outside: OutsideServer | undefined
  #manager: ManagerServer | undefined
  /** Where the generated manager key is kept (none when the config sets manager.key). */
  #managerKeyFile: string | undefined
  /** The last reloads, newest first (status shows them). */
  readonly #reloads: ReloadRecord[] = []
  #warnings: StartWarning[] = []
  #stopping: Promise<StopResult> | undefined
  /** The drain of a `stop --drain`, while it runs. */
  #drain: Drain | undefined
  #store: Store | undefined
  #history: RoomHistory | undefined
  #workers: WorkerGenerations | undefined
  #stopHeartbeat: (() => void) | undefined
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
        stdout: options.foreground ? (options.stdoutFormat ?? { pretty: false }) : false,
        nodeId,
      })
      daemon = new Daemon(config, log, nodeId)
      if (claimed.state === 'stale') daemon.logger.warn({ stalePid: claimed.pid }, 'removed the pid file and socket of a daemon that died')
      await logConfigFileWarnings(config.dir, daemon.logger)
      await daemon.#listen()
      daemon.state = 'running'
      options.onRunning?.(daemon)
      daemon.logger.info(
        {
          pid: process.pid,
          version: VERSION,
          outside: daemon.#outside?.address,
          manager: daemon.#manager?.address,
          managerKeyFile: daemon.#managerKeyFile,
          config: config.dir,
        },
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
    // Before the workers load (seconds, for a large app): a port in use fails the start at once.
    await assertPortsFree([
      { host: app.outside.host, port: app.outside.port, what: 'outside' },
      { host: app.manager.host, port: app.manager.port, what: 'manager' },
    ])
    // Before any frame is built: the master's replies and the control API's envelopes follow it.
    setWireFormat(app.setting.wire_format)
    const api = createControlApi(this)
    this.#ipc = await listenIpc({ socketPath: paths.socket, handlers: api, logger: this.logger })
    await writePidFile(paths.pidFile, process.pid)
    const store = await openStore(this.config.cache)
    this.#store = store
    const delivery = new Delivery({
      registry: this.registry,
      index: this.index,
      maxBufferedBytes: app.setting.max_buffered_bytes,
      stats: this.stats,
      logger: this.logger,
    })
    const history = await openHistory(app.history, store)
    this.#history = history
    const clusterDelivery = new ClusterDelivery({
      node: this.nodeId,
      registry: this.registry,
      delivery,
      stats: this.stats,
      logger: this.logger,
      ...(history === undefined ? {} : { history }),
    })
    this.#clusterDelivery = clusterDelivery
    const presenceEvents = await openPresenceEvents(app.presence, store, {
      node: this.nodeId,
      send: (room, frame) => clusterDelivery.toRoom(room, frame),
      onUnavailable: (err) => this.#cluster?.unavailable(err),
      logger: this.logger,
    })
    if (this.config.cache.driver === 'redis') {
      // Loaded with the store (see openStore): only a Redis node needs the cluster's modules.
      const { RedisCluster } = await import('./cluster/redis-cluster.js')
      this.#cluster = await RedisCluster.join({
        store: store as RedisStore,
        node: this.nodeId,
        registry: this.registry,
        nodeTimeoutMs: app.setting.node_timeout * 1000,
        logger: this.logger,
        onMessage: (message) => clusterDelivery.receive(message),
        presence: presenceEvents?.cluster,
        summary: () => this.#summary(),
      })
      clusterDelivery.attach(this.#cluster)
    }
    // Events counted while the node joined its cluster (a former self's leaves) go out once sends reach every node.
    presenceEvents?.start()
    const cluster = this.#cluster
    const presence = new Presence({
      store,
      index: this.index,
      ...(cluster === undefined ? {} : { node: this.nodeId }),
      events: presenceEvents,
      member: cluster === undefined ? (c) => String(c.fd) : (c) => connectionId(this.nodeId, c.fd),
      ...(cluster === undefined ? {} : { directory: clusterKeys.connections(this.nodeId) }),
      uidSets: cluster !== undefined,
      onUnavailable: (err) => cluster?.unavailable(err),
      logger: this.logger,
    })
    this.#workers = new WorkerGenerations({
      appDir: paths.app,
      db: this.config.db,
      size: app.setting.worker_num,
      readyTimeoutMs: app.setting.worker_start_timeout * 1000,
      standby: app.setting.reload_standby,
      maxExecutionMs: app.setting.max_execution_time * 1000,
      maxMemoryMb: app.setting.worker_max_memory,
      client: { ack: app.setting.ack, escapeHtml: app.setting.escape_html },
      logger: this.logger,
      requests: createWorkerRequests({
        registry: this.registry,
        index: this.index,
        presence,
        store,
        delivery,
        clusterDelivery,
        logger: this.logger,
      }),
      reply: (fd, status) => void delivery.toFd(fd, lostReply(status)),
      onWorkerRestart: () => this.stats.workerRestarts++,
    })
    await this.#workers.start()
    // The summary written as the node joined had no workers yet.
    void this.#cluster?.refresh()
    const clients = createClientLifecycle({
      registry: this.registry,
      index: this.index,
      presence,
      delivery,
      stats: this.stats,
      app: this.#workers,
      messagesPerSecond: app.setting.max_messages_per_second,
      ...(history === undefined ? {} : { recover: recoveryFor(history, delivery, this.logger) }),
      logger: this.logger,
    })
    this.registry.onClose(clients.closed)
    this.#outside = await listenOutside({
      host: app.outside.host,
      port: app.outside.port,
      maxMessageSize: app.setting.max_message_size,
      maxBufferedBytes: app.setting.max_buffered_bytes,
      auth: { enabled: app.auth.enabled, codec: app.auth.codec, key: app.auth.key, maxAge: app.auth.max_age },
      trustedProxies: app.outside.trusted_proxies,
      admission: {
        allowedOrigins: app.outside.allowed_origins,
        maxConnectionsPerIp: app.outside.max_connections_per_ip,
        connectionsPerSecondPerIp: app.outside.connections_per_second_per_ip,
        maxUrlLength: app.outside.max_url_length,
      },
      maxHeaderSize: app.outside.max_header_size,
      headerTimeoutMs: app.outside.header_timeout * 1000,
      acceptUnmaskedFrames: app.outside.accept_unmasked_frames,
      publicDir: path.join(paths.app, 'public'),
      logger: this.logger,
      onConnection: clients.open,
    })
    const managerKey = await resolveManagerKey(app.manager.key, paths.runtime)
    this.#managerKeyFile = managerKey.file
    this.#manager = await listenManager({
      host: app.manager.host,
      port: app.manager.port,
      headerTimeoutMs: app.manager.header_timeout * 1000,
      key: managerKey.key,
      keyFile: managerKey.file,
      allowedHosts: app.manager.allowed_hosts,
      allowedOrigins: app.manager.allowed_origins,
      maxKeyFailures: app.manager.max_key_failures,
      ...(app.manager.dashboard === undefined ? {} : { dashboard: app.manager.dashboard }),
      // Forced GC is for the benchmarks, on the control socket only: no key holder needs it.
      handlers: {
        ...api,
        'debug.gc': async () => Promise.reject(new MswError('MSW_ERR_DEBUG_DISABLED', 'debug.gc is served on the control socket only')),
      },
      store,
      ...(cluster === undefined ? {} : { clusterState: () => cluster.state }),
      connections: () => this.registry.size,
      rooms: () => this.index.roomCount,
      stats: this.stats,
      logger: this.logger,
    })
    this.#warnings = startWarnings(app, { outside: this.#outside.address, manager: this.#manager.address, managerKey: managerKey.key })
    for (const { message, ...where } of this.#warnings) this.logger.warn(where, message)
    this.#stopHeartbeat = startHeartbeat(this.registry, {
      idleSeconds: app.setting.heartbeat_idle_time,
      checkSeconds: app.setting.heartbeat_check_interval,
    })
  }

  async #abortStart(err: unknown): Promise<void> {
    this.logger.error({ err }, 'start failed')
    await this.#outside?.stopAccepting()
    await this.#manager?.close()
    await this.#workers?.stop(0)
    await this.#cluster?.leave()
    this.#history?.close()
    await this.#store?.close()
    await this.#ipc?.close()
    await removeFiles(this.config.paths.pidFile, this.config.paths.socket)
    this.log.flushSync()
    await this.log.close()
  }

  /** What the operator should change in the settings this daemon started with (see start-warnings.ts). */
  get warnings(): readonly StartWarning[] {
    return this.#warnings
  }

  /** Where control methods send; there once the ports are up. */
  get clusterDelivery(): ClusterDelivery {
    if (!this.#clusterDelivery) throw new MswError('MSW_ERR_NOT_RUNNING', 'the daemon is still starting')
    return this.#clusterDelivery
  }

  get store(): Store {
    if (!this.#store) throw new MswError('MSW_ERR_NOT_RUNNING', 'the daemon is still starting')
    return this.#store
  }

  /** The cluster this node belongs to, on the Redis store. */
  get cluster(): RedisCluster | undefined {
    return this.#cluster
  }

  /** This node as status's cluster.members shows it, to itself and (through Redis) to the other nodes. */
  #summary(): NodeSummary {
    return {
      node: this.nodeId,
      version: VERSION,
      startedAt: this.startedAt.toISOString(),
      generation: this.#workers?.generation ?? 0,
      connections: this.registry.size,
    }
  }

  /** Every node's summary, by node id; this node's as of now, the others' as of their last heartbeat. */
  #members(): NodeSummary[] {
    const own = this.#summary()
    const others = (this.#cluster?.members ?? []).filter((member) => member.node !== this.nodeId)
    return [own, ...others].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
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
      ...(this.#managerKeyFile === undefined ? {} : { managerKeyFile: this.#managerKeyFile }),
      connections: this.registry.size,
      generation: this.#workers?.generation ?? 0,
      workers: this.#workers?.status() ?? [],
      reloads: [...this.#reloads],
      memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
      configDir: this.config.dir,
      logFile: this.config.paths.logFile,
      socket: this.config.paths.socket,
      cluster: {
        store: this.config.cache.driver,
        state: this.#cluster?.state ?? 'ok',
        nodes: this.#cluster ? [...this.#cluster.nodes].sort() : [this.nodeId],
        members: this.#members(),
      },
      ...(this.#drain === undefined ? {} : { draining: this.#drain.status() }),
    }
  }

  /**
   * Graceful stop: refuse new clients, close the open ones with 1001 (running
   * their close hooks), then release the ports. The control socket, the pid
   * file and the log close in `exit`, after the caller has had its answer.
   * With `drainSeconds`, the clients are first closed with 1012 a few at a
   * time over that window (see clients/drain.ts). A stop while another runs
   * joins it, and may only bring a drain's end forward: to its own drain, or
   * to now for a stop without one (a signal's).
   */
  stop(timeoutSeconds = 10, drainSeconds = 0): Promise<StopResult> {
    if (this.#drain?.shorten(drainSeconds)) {
      this.logger.info({ drain: drainSeconds }, drainSeconds === 0 ? 'drain cut short' : 'drain shortened')
    }
    this.#stopping ??= this.#stop(timeoutSeconds, drainSeconds)
    return this.#stopping
  }

  async #stop(timeoutSeconds: number, drainSeconds: number): Promise<StopResult> {
    const started = Date.now()
    this.state = 'stopping'
    this.logger.info(
      { timeout: timeoutSeconds, connections: this.registry.size, ...(drainSeconds > 0 ? { drain: drainSeconds } : {}) },
      'stopping',
    )
    const accepting = this.#outside?.stopAccepting()
    const drain = drainSeconds > 0 ? await this.#drainClients(drainSeconds) : undefined
    this.#stopHeartbeat?.()
    const closing = Date.now()
    // After a drain: the clients that came in while it ran (their upgrade was already under way), with its code.
    const late = this.registry.openCount
    const { closed, forced } = drain
      ? await this.registry.closeAll(CLOSE_CODES.SERVICE_RESTART, DRAIN_REASON, timeoutSeconds * 1000)
      : await this.registry.closeAll(CLOSE_CODES.GOING_AWAY, 'server shutting down', timeoutSeconds * 1000)
    await accepting
    // Close hooks are running in the workers: let them finish, within what is left of the timeout.
    const left = Math.max(0, timeoutSeconds * 1000 - (Date.now() - closing))
    const abortedInFlight = (await this.#workers?.stop(left)) ?? 0
    if (abortedInFlight > 0) this.logger.warn({ inFlight: abortedInFlight }, 'workers still busy at stop; ended them')
    await this.#cluster?.leave()
    this.#history?.close()
    await this.#store?.close()
    await this.#manager?.close()
    const result: StopResult = {
      stopped: true,
      pid: process.pid,
      closedConnections: drain ? drain.closedConnections + late : closed,
      forced,
      abortedInFlight,
      durationMs: Date.now() - started,
      ...(drain ? { drain } : {}),
    }
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

  /** The drain of `stop --drain`: the port is closed; the clients go with 1012, evenly over the window, the others served meanwhile. */
  async #drainClients(seconds: number): Promise<DrainResult> {
    this.#drain = new Drain(this.registry, { windowMs: seconds * 1000, code: CLOSE_CODES.SERVICE_RESTART, reason: DRAIN_REASON })
    const result = await this.#drain.finished
    this.#drain = undefined
    this.logger.info(result, 'drained')
    return result
  }

  /** Loads a new generation of workers from the application on disk and retires the old one. */
  reload(): Promise<ReloadResult> {
    if (this.state !== 'running' || !this.#workers) {
      return Promise.reject(new MswError('MSW_ERR_RELOAD_REFUSED', `cannot reload while ${this.state}`))
    }
    return this.#workers.reload(this.config.app.setting.max_wait_time * 1000).then((result) => {
      this.stats.reloads++
      const { generation, previous, durationMs } = result
      this.#reloads.unshift({ at: new Date().toISOString(), generation, previous, durationMs })
      this.#reloads.length = Math.min(this.#reloads.length, RELOADS_KEPT)
      void this.#cluster?.refresh()
      return result
    })
  }

  /** Resolves once the daemon has released everything after a stop. */
  stopped(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    return new Promise((resolve) => this.#onStopped.push(resolve))
  }

  /** Last words on a crash: log the stack, flush, and leave no pid file or socket for the next start. */
  async crash(err: unknown): Promise<void> {
    try {
      this.logger.fatal({ err }, 'crashed')
    } finally {
      removeFilesSync(this.config.paths.pidFile, this.config.paths.socket)
    }
    // Ending the log writes the crash line after a write still in flight (a flushSync would
    // write it first); a log that cannot finish within the bound is left as it is.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.log.close(), new Promise((resolve) => (timer = setTimeout(resolve, CRASH_LOG_WAIT_MS)))])
    clearTimeout(timer)
  }
}

/** Refuses to start beside a live daemon and cleans what a dead one left. */
async function claimRuntime(socketPath: string, pidFile: string): Promise<ProbeResult> {
  const probe = await probeDaemon(socketPath, pidFile)
  switch (probe.state) {
    case 'live':
      throw new MswError('MSW_ERR_ALREADY_RUNNING', `mswoole is already running (pid ${probe.status.pid})`, {
        details: { pid: probe.status.pid },
      })
    case 'unresponsive':
      throw new MswError(
        'MSW_ERR_ALREADY_RUNNING',
        `a daemon${probe.pid ? ` (pid ${probe.pid})` : ''} holds ${socketPath} but does not answer`,
        {
          details: { pid: probe.pid },
        },
      )
    case 'stale':
      await removeFiles(socketPath, pidFile)
      return probe
    case 'absent':
      return probe
  }
}
