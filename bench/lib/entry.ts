import { stopAllMswoole } from './mswoole-target.js'

/** What else a run started that would outlive it (a redis-server is no child that dies with it). */
const others = new Set<() => Promise<void>>()

/** Has Ctrl-C or a kill run `stop` too, until the returned function is called. */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  others.add(stop)
  return () => others.delete(stop)
}

/**
 * Runs a bench entry point: its exit code becomes the process's, a throw is
 * printed and exits 1, and Ctrl-C or a kill stops the detached daemons and the
 * servers the run started instead of leaving them behind.
 */
export function runEntry(main: () => Promise<number>, log: (message: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the daemons and servers this run started`)
      void Promise.allSettled([stopAllMswoole(), ...[...others].map((stop) => stop())]).finally(() => process.exit(130))
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
