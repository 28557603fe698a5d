import { chmod, mkdir } from 'node:fs/promises'
import { MswError, systemCode } from '../../errors.js'

/** The runtime folder holds the control socket: only its owner may enter it. */
export async function ensureRuntimeDir(runtimeDir: string, logDir: string): Promise<void> {
  try {
    await mkdir(runtimeDir, { recursive: true, mode: 0o700 })
    await chmod(runtimeDir, 0o700)
    await mkdir(logDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    const code = systemCode(err) ?? 'error'
    throw new MswError('MSW_ERR_START_FAILED', `cannot prepare the runtime folder ${runtimeDir} (${code}): start as its owner, or set runtime to a folder of your own`, {
      cause: err,
      details: { runtime: runtimeDir, errno: code },
    })
  }
}
