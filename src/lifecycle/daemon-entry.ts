import { fileURLToPath } from 'node:url'

/**
 * The node arguments that run the daemon: the built entry next to this file,
 * or, when the CLI itself runs from TypeScript sources (bin/dev.js), the
 * source entry through tsx.
 */
export function daemonEntryArgs(): string[] {
  const here = fileURLToPath(import.meta.url)
  const fromSources = here.endsWith('.ts')
  const entry = fileURLToPath(new URL(`../daemon/main.${fromSources ? 'ts' : 'js'}`, import.meta.url))
  return fromSources ? ['--import', 'tsx', entry] : [entry]
}
