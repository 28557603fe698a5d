import { setTimeout as delay } from 'node:timers/promises'
import type { Config } from '../config/load.js'
import { MswError } from '../errors.js'
import { IpcClient } from '../ipc/client.js'
import type { DrainStatus, StopResult } from '../contracts/control-api.js'
import { readPidFile, removeFiles } from '../daemon/runtime/pid-file.js'
import { probeDaemon } from '../daemon/runtime/probe.js'
import { killHard, waitForExit } from './wait-exit.js'

export type StopOutcome =
  | { wasRunning: false; staleRemoved: boolean }
  | { wasRunning: true; pid: number; result: StopResult | undefined; killed: boolean }

/** Extra time, past the stop timeout, for the daemon to close its files and exit. */
const EXIT_GRACE_MS = 5000
/** How often a drain's progress is asked for while the stop waits. */
const DRAIN_POLL_MS = 500

export interface DrainOptions {
  /** `stop --drain`: seconds over which the daemon closes its clients before it stops; 0, none. */
  drainSeconds?: number
  /** Told the drain's progress while the stop waits for it (for a progress line). */
  onDrain?: (draining: DrainStatus | undefined) => void
}

/**
 * Asks the daemon to stop gracefully within `timeoutSeconds` (after its drain,
 * with `drainSeconds`); when it does not answer or exit in time, kills it and
 * removes what it left.
 */
export async function stopDaemon(config: Config, timeoutSeconds: number, options: DrainOptions = {}): Promise<StopOutcome> {
  const { drainSeconds = 0, onDrain } = options
  const { paths } = config
  let client: IpcClient
  try {
    client = await IpcClient.connect(paths.socket)
  } catch (err) {
    if (!(err instanceof MswError && err.code === 'MSW_ERR_NOT_RUNNING')) throw err
    const probe = await probeDaemon(paths.socket, paths.pidFile)
    if (probe.state === 'unresponsive' && probe.pid !== undefined) return terminate(config, probe.pid, timeoutSeconds)
    if (probe.state === 'stale') await removeFiles(paths.pidFile, paths.socket)
    return { wasRunning: false, staleRemoved: probe.state === 'stale' }
  }
  let pid = await readPidFile(paths.pidFile)
  let result: StopResult | undefined
  try {
    pid ??= (await client.call('status', {}, { timeoutMs: 2000 })).pid
    const params = drainSeconds > 0 ? { timeout: timeoutSeconds, drain: drainSeconds } : { timeout: timeoutSeconds }
    // The answer comes once the drain and then the stop are over: wait for both.
    const stopping = client.call('stop', params, { timeoutMs: (drainSeconds + timeoutSeconds) * 1000 + EXIT_GRACE_MS })
    result = await (drainSeconds > 0 && onDrain ? watchDrain(client, stopping, onDrain) : stopping)
  } catch (err) {
    // A daemon of an older mswoole refuses the param: say so and leave it running, rather than kill it below.
    if (drainSeconds > 0 && err instanceof MswError && err.code === 'MSW_ERR_RPC_INVALID_PARAMS') {
      throw new MswError(
        'MSW_ERR_DRAIN_UNSUPPORTED',
        `the running daemon${pid === undefined ? '' : ` (pid ${pid})`} does not know --drain: an older mswoole started it; it is still running (stop it without --drain)`,
        { cause: err, details: { pid } },
      )
    }
    // No answer in time (or the connection dropped): fall through to the exit wait and force if needed.
  } finally {
    client.close()
  }
  if (pid === undefined) return { wasRunning: true, pid: 0, result, killed: false }
  if (await waitForExit(pid, result ? EXIT_GRACE_MS : 0)) return { wasRunning: true, pid, result, killed: false }
  return forceStop(config, pid, result)
}

/**
 * Waits for the stop's answer, asking the daemon how its drain goes meanwhile
 * (on the same connection) and passing that on; undefined once the drain is over.
 */
async function watchDrain<T>(client: IpcClient, stopping: Promise<T>, onDrain: (draining: DrainStatus | undefined) => void): Promise<T> {
  const over = new AbortController()
  const poll = async (): Promise<void> => {
    try {
      while (!over.signal.aborted) {
        const status = await client.call('status', {}, { timeoutMs: DRAIN_POLL_MS * 4 })
        if (over.signal.aborted) return
        onDrain(status.draining)
        await delay(DRAIN_POLL_MS, undefined, { signal: over.signal })
      }
    } catch {
      // Over, or the daemon is going away: the stop's own answer says how it ended.
    }
  }
  void poll()
  try {
    return await stopping
  } finally {
    over.abort()
  }
}

/**
 * A live daemon whose control socket does not answer (deleted, say): SIGTERM
 * still stops it gracefully, closing its clients and running their close
 * hooks; only one that has not exited by the deadline is killed.
 */
async function terminate(config: Config, pid: number, timeoutSeconds: number): Promise<StopOutcome> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    // Gone meanwhile: the exit wait below says so.
  }
  if (await waitForExit(pid, timeoutSeconds * 1000 + EXIT_GRACE_MS)) {
    await removeFiles(config.paths.pidFile, config.paths.socket)
    return { wasRunning: true, pid, result: undefined, killed: false }
  }
  return forceStop(config, pid)
}

async function forceStop(config: Config, pid: number, result?: StopResult): Promise<StopOutcome> {
  await killHard(pid)
  await removeFiles(config.paths.pidFile, config.paths.socket)
  return { wasRunning: true, pid, result, killed: true }
}
