import { fileURLToPath } from 'node:url'

/**
 * The worker script: the built one beside this file, or, when the daemon
 * itself runs from TypeScript sources, the source entry through tsx. A daemon
 * run under `node --cpu-prof` (bench/profile.ts) has its workers profiled too;
 * no other flag of the master reaches them.
 */
export function workerEntry(): { file: string; execArgv: string[] } {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts')
  const execArgv = process.execArgv.filter((flag) => flag === '--cpu-prof' || flag.startsWith('--cpu-prof-dir='))
  if (!fromSources) return { file: fileURLToPath(new URL('../../worker/main.js', import.meta.url)), execArgv }
  return { file: fileURLToPath(new URL('../../worker/bootstrap.mjs', import.meta.url)), execArgv }
}
