import { fileURLToPath } from 'node:url'

/**
 * The node arguments that run the daemon: the built entry next to this file,
 * or, when the CLI itself runs from TypeScript sources (bin/dev.js), the
 * source entry through tsx. The signal guard (daemon/signals/early-signals)
 * is preloaded, so SIGUSR1 cannot open the inspector while the daemon's
 * modules load.
 */
export function daemonEntryArgs(): string[] {
  const here = fileURLToPath(import.meta.url)
  const fromSources = here.endsWith('.ts')
  const ext = fromSources ? 'ts' : 'js'
  const entry = fileURLToPath(new URL(`../daemon/main.${ext}`, import.meta.url))
  const guard = new URL(`../daemon/signals/early-signals.${ext}`, import.meta.url).href
  return fromSources ? ['--import', 'tsx', '--import', guard, entry] : ['--import', guard, entry]
}
