import { readFileSync } from 'node:fs'
import { systemCode } from '../../errors.js'

/**
 * True while a process with this pid runs (EPERM: it exists but belongs to
 * someone else). A zombie has exited: a detached daemon's exit is reaped by
 * init, which may take its time, and until then signal 0 still finds it.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    return systemCode(err) === 'EPERM' && !isZombie(pid)
  }
  return !isZombie(pid)
}

/** Whether /proc says the process has exited and waits to be reaped (state Z or X). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // "pid (comm) S …": comm may hold spaces and parentheses, so the state follows the last ")".
    const state = stat.charAt(stat.lastIndexOf(')') + 2)
    return state === 'Z' || state === 'X'
  } catch {
    return false
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
