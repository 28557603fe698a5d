import type { Daemon } from './daemon.js'
import { wireUserSignals } from './signals/user-signals.js'

/**
 * SIGTERM and SIGINT stop the daemon gracefully, SIGHUP is ignored, SIGUSR1
 * and SIGUSR2 do their own work (signals/user-signals.ts); an uncaught error
 * is logged with its stack and the runtime files are removed before the
 * process exits.
 */
export function installProcessHandlers(daemon: Daemon): void {
  const stop = (signal: NodeJS.Signals) => {
    daemon.logger.info({ signal }, 'signal received')
    void daemon.stop().then(() => daemon.stopped())
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGHUP', () => daemon.logger.info('SIGHUP ignored'))
  wireUserSignals(daemon)
  let dying = false
  const die = (err: unknown) => {
    if (dying) return
    dying = true
    // The log ends before the exit, so the crash line lands after any line still being written.
    void daemon.crash(err).finally(() => process.exit(1))
  }
  process.on('uncaughtException', die)
  process.on('unhandledRejection', die)
  void daemon.stopped().then(() => process.exit(0))
}
