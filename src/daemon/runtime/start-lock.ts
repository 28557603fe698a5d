import { open, readFile, stat, unlink } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { MswError, systemCode } from '../../errors.js'
import { isProcessAlive } from './process-alive.js'

/** An empty lock older than this was left by a process that died between create and write. */
const EMPTY_LOCK_GRACE_MS = 5000
const POLL_MS = 50

/**
 * Serialises starts on one runtime folder: created with O_EXCL, it holds the
 * pid of the starting daemon until that daemon is ready or has failed. A lock
 * whose owner is dead is stale and removed, so kill -9 never wedges a start.
 */
export async function acquireStartLock(lockFile: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      return () => unlink(lockFile).catch(() => undefined)
    } catch (err) {
      if (systemCode(err) !== 'EEXIST') throw err
    }
    if (await isStale(lockFile)) {
      await unlink(lockFile).catch(() => undefined)
      continue
    }
    if (Date.now() >= deadline) {
      throw new MswError('MSW_ERR_START_LOCKED', `another mswoole start holds ${lockFile}`, { details: { lockFile } })
    }
    await delay(POLL_MS)
  }
}

async function isStale(lockFile: string): Promise<boolean> {
  try {
    const text = (await readFile(lockFile, 'utf8')).trim()
    if (text === '') return Date.now() - (await stat(lockFile)).mtimeMs > EMPTY_LOCK_GRACE_MS
    return !isProcessAlive(Number.parseInt(text, 10))
  } catch (err) {
    // Gone between our open and our read: the next attempt will take it.
    return systemCode(err) === 'ENOENT'
  }
}

/**
 * Removes the lock of a start whose daemon was killed before it could let go
 * (a launcher's timeout): only when it names that pid, and that pid is gone.
 */
export async function removeLockOf(lockFile: string, pid: number): Promise<void> {
  const text = await readFile(lockFile, 'utf8').catch(() => '')
  if (Number.parseInt(text.trim(), 10) === pid && !isProcessAlive(pid)) await unlink(lockFile).catch(() => undefined)
}

/** The live process that holds the start lock, if any: a start is under way. */
export async function lockHolder(lockFile: string): Promise<number | undefined> {
  const pid = Number.parseInt((await readFile(lockFile, 'utf8').catch(() => '')).trim(), 10)
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined
}
