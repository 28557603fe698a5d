import { readFileSync } from 'node:fs'
import { systemCode } from '../../errors.js'

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return systemCode(err) === 'EPERM'
  }
}

/**
 * Whether a live pid still looks like an mswoole daemon; after a crash the pid
 * may have been reused by an unrelated process. Where /proc is missing, assume it does.
 */
export function looksLikeDaemon(pid: number): boolean {
  if (!isProcessAlive(pid)) return false
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    return /mswoole|daemon[\\/]main\.[jt]s|bin[\\/](run|dev)\.js/.test(cmdline)
  } catch (err) {
    return systemCode(err) !== 'ENOENT' || process.platform !== 'linux'
  }
}
