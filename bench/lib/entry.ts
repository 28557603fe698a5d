import { stopAllMswoole } from './mswoole-target.js'

/**
 * Runs a bench entry point: its exit code becomes the process's, a throw is
 * printed and exits 1, and Ctrl-C or a kill stops the detached daemons the run
 * started instead of leaving them behind.
 */
export function runEntry(main: () => Promise<number>, log: (message: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the daemons this run started`)
      void stopAllMswoole().finally(() => process.exit(130))
    })
  }
  main().then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      log(err instanceof Error ? (err.stack ?? err.message) : String(err))
      process.exitCode = 1
    },
  )
}
