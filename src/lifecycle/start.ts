import type { Config } from '../config/load.js'
import { MswError } from '../errors.js'
import type { StatusResult } from '../contracts/control-api.js'
import { assertPortsFree } from '../daemon/port-check.js'
import { probeDaemon } from '../daemon/runtime/probe.js'
import { ensureRuntimeDir } from '../daemon/runtime/runtime-dir.js'
import { lockHolder } from '../daemon/runtime/start-lock.js'
import type { StartWarning } from '../contracts/ready-message.js'
import { launchDaemon, type LaunchOptions } from './launch.js'

export interface StartOutcome {
  status: StatusResult
  /** A daemon was running already (this start, or a racing one, found it): as `systemctl start`, that is success. */
  alreadyRunning: boolean
  warnings: StartWarning[]
}

/**
 * `mswoole start` in the background: finds a running daemon, or fails at once
 * on a port in use, or spawns one and waits for it to report ready.
 */
export async function startDaemon(config: Config, options: LaunchOptions): Promise<StartOutcome> {
  const { paths } = config
  // First: a socket in a folder that is not private must not be asked anything.
  await ensureRuntimeDir(paths.runtime, paths.logDir)
  const probe = await probeDaemon(paths.socket, paths.pidFile)
  if (probe.state === 'live') return { status: probe.status, alreadyRunning: true, warnings: [] }
  // A daemon that holds the ports but does not answer: the spawned one says so, better than "port in use".
  if (probe.state !== 'unresponsive') await checkPorts(config)
  try {
    return { ...(await launchDaemon(config, options)), alreadyRunning: false }
  } catch (err) {
    // Another start won the race for the runtime folder: its daemon is the one asked for.
    const winner = err instanceof MswError && err.code === 'MSW_ERR_ALREADY_RUNNING' ? await liveStatus(config) : undefined
    if (winner === undefined) throw err
    return { status: winner, alreadyRunning: true, warnings: [] }
  }
}

async function liveStatus(config: Config): Promise<StatusResult | undefined> {
  const probe = await probeDaemon(config.paths.socket, config.paths.pidFile)
  return probe.state === 'live' ? probe.status : undefined
}

/**
 * A port in use fails here, before a daemon is spawned (the daemon checks
 * again, before it loads the application). Not while another start holds the
 * lock: those are its daemon's ports, and this start will find it running.
 */
async function checkPorts(config: Config): Promise<void> {
  const { app, paths } = config
  try {
    await assertPortsFree([
      { host: app.outside.host, port: app.outside.port, what: 'outside' },
      { host: app.manager.host, port: app.manager.port, what: 'manager' },
    ])
  } catch (err) {
    // Other bind errors (a privileged port, an address not of this machine) are the daemon's to tell.
    if (!(err instanceof MswError && err.code === 'MSW_ERR_PORT_IN_USE')) return
    if ((await lockHolder(paths.lockFile)) === undefined) throw err
  }
}
