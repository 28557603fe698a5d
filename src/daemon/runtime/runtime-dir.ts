import { chmod, lstat, mkdir } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { MswError, systemCode } from '../../errors.js'
import { assertPrivateFolder } from './private-folder.js'

/**
 * The runtime folder holds the control socket: only its owner may enter it.
 * One that already exists is used only when it is a real folder of the
 * daemon's user that nobody else may write; a folder we make is ours.
 */
export async function ensureRuntimeDir(runtimeDir: string, logDir: string): Promise<void> {
  await preparePrivateFolder(runtimeDir, 'runtime folder')
  await wrapSystemError(runtimeDir, () => chmod(runtimeDir, 0o700))
  await preparePrivateFolder(logDir, 'log folder')
}

async function preparePrivateFolder(folder: string, what: string): Promise<void> {
  let stats = await wrapSystemError(folder, () => lstatIfPresent(folder))
  if (stats === undefined) {
    await wrapSystemError(folder, () => mkdir(folder, { recursive: true, mode: 0o700 }))
    // Checked again: another user may have made it between our look and our mkdir.
    stats = await wrapSystemError(folder, () => lstat(folder))
  }
  assertPrivateFolder(folder, what, stats)
}

async function lstatIfPresent(folder: string): Promise<Stats | undefined> {
  try {
    return await lstat(folder)
  } catch (err) {
    if (systemCode(err) === 'ENOENT') return undefined
    throw err
  }
}

async function wrapSystemError<T>(folder: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    const code = systemCode(err) ?? 'error'
    throw new MswError(
      'MSW_ERR_START_FAILED',
      `cannot prepare the runtime folder ${folder} (${code}): start as its owner, or set runtime to a folder of your own`,
      {
        cause: err,
        details: { runtime: folder, errno: code },
      },
    )
  }
}
