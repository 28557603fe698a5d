import type { Config } from '../config/load.js'
import { MswError } from '../errors.js'
import { IpcClient } from '../ipc/client.js'
import type { StopResult } from '../contracts/control-api.js'
import { readPidFile, removeFiles } from '../daemon/runtime/pid-file.js'
import { probeDaemon } from '../daemon/runtime/probe.js'
import { killHard, waitForExit } from './wait-exit.js'

export type StopOutcome =
  | { wasRunning: false; staleRemoved: boolean }
  | { wasRunning: true; pid: number; result: StopResult | undefined; killed: boolean }

/** Extra time, past the stop timeout, for the daemon to close its files and exit. */
const EXIT_GRACE_MS = 5000

/**
 * Asks the daemon to stop gracefully within `timeoutSeconds`; when it does not
 * answer or exit in time, kills it and removes what it left.
 */
export async function stopDaemon(config: Config, timeoutSeconds: number): Promise<StopOutcome> {
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
    result = await client.call('stop', { timeout: timeoutSeconds }, { timeoutMs: timeoutSeconds * 1000 + EXIT_GRACE_MS })
  } catch {
    // No answer in time (or the connection dropped): fall through to the exit wait and force if needed.
  } finally {
    client.close()
  }
  if (pid === undefined) return { wasRunning: true, pid: 0, result, killed: false }
  if (await waitForExit(pid, result ? EXIT_GRACE_MS : 0)) return { wasRunning: true, pid, result, killed: false }
  return forceStop(config, pid, result)
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
