// First, so SIGUSR1 never opens the inspector; the launcher also preloads it (--import), before this graph loads.
import './signals/early-signals.js'
import { loadConfig } from '../config/load.js'
import { MswError } from '../errors.js'
import { Daemon } from './daemon.js'
import type { ReadyMessage } from '../contracts/ready-message.js'
import { installProcessHandlers } from './process-handlers.js'

/**
 * Entry of the detached daemon that `mswoole start` spawns. It reports
 * ready (or its own error) to the launcher over the IPC channel, then lets the
 * channel go so the launcher can exit.
 */
const configIndex = process.argv.indexOf('--config')
const dir = configIndex === -1 ? undefined : process.argv[configIndex + 1]

function report(message: ReadyMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve()
    process.send(message, undefined, {}, () => {
      process.disconnect?.()
      resolve()
    })
  })
}

try {
  const config = await loadConfig(dir === undefined ? {} : { dir })
  const daemon = await Daemon.start({ config, foreground: false, onRunning: installProcessHandlers })
  await report({ type: 'ready', status: daemon.status(), warnings: [...daemon.warnings] })
} catch (err) {
  const error =
    err instanceof MswError ? err.toJSON() : { code: 'MSW_ERR_START_FAILED' as const, message: String((err as Error)?.stack ?? err) }
  await report({ type: 'error', error })
  process.exit(1)
}
