import type { Daemon } from '../daemon.js'
import { onUserSignal } from './early-signals.js'

/**
 * SIGUSR1 reopens the log file (logrotate's move-then-signal habit); SIGUSR2
 * writes a status snapshot to the log. Neither ever stops the daemon.
 */
export function wireUserSignals(daemon: Daemon): void {
  onUserSignal('SIGUSR1', () => {
    // Once stopped, the log is closed for good: a new file would be left open.
    if (daemon.state === 'stopped') return
    const file = daemon.config.paths.logFile
    try {
      daemon.log.reopen()
    } catch (err) {
      // The old file is still open: the refusal lands there.
      daemon.logger.error({ err, signal: 'SIGUSR1', file }, 'log file not reopened')
      return
    }
    daemon.logger.info({ signal: 'SIGUSR1', file }, 'log file reopened')
  })
  onUserSignal('SIGUSR2', () => {
    if (daemon.state !== 'stopped') daemon.logger.info({ signal: 'SIGUSR2', ...statusSnapshot(daemon) }, 'status snapshot')
  })
}

/** What an operator asks a stuck-looking daemon first: how many clients, workers and bytes, for how long. */
export function statusSnapshot(daemon: Daemon): Record<string, unknown> {
  const status = daemon.status()
  return {
    state: status.state,
    uptime: status.uptime,
    connections: status.connections,
    ...(status.draining === undefined ? {} : { draining: status.draining }),
    generation: status.generation,
    workers: status.workers.map(({ id, threadId, handled, inFlight, memory }) => ({ id, threadId, handled, inFlight, memory })),
    memory: status.memory,
    cluster: status.cluster,
  }
}
