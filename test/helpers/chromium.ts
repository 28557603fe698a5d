import { chromium, type Browser } from 'playwright-core'
import { ensureProgram } from './system-package.js'

/** Debian's Chromium; installed with apt when missing, never downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless, as root in a container, with nothing that reaches out to the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * How long a test file's launch may take: Chromium's first start on a machine builds the
 * font cache, a minute or more while the rest of the suite runs beside it (playwright's
 * own launch limit is 3 minutes).
 */
export const LAUNCH_TIMEOUT_MS = 180_000

/** Chromium as the tests, the benchmarks and the screenshot script all run it. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureProgram(CHROMIUM, 'chromium')
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: LAUNCH_TIMEOUT_MS })
}
