import { chmod, mkdir } from 'node:fs/promises'

/** The runtime folder holds the control socket: only its owner may enter it. */
export async function ensureRuntimeDir(runtimeDir: string, logDir: string): Promise<void> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 })
  await chmod(runtimeDir, 0o700)
  await mkdir(logDir, { recursive: true, mode: 0o700 })
}
