import type { Stats } from 'node:fs'
import { MswError } from '../../errors.js'

/** The mode as operators type it: 0700, 0777. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`
}

/**
 * Refuses a folder that someone other than the daemon's user could change: a
 * symbolic link (it may point anywhere, and be re-pointed), a folder owned by
 * another user (its owner can chmod it back and rename what we put in it), or
 * one that group or others may write (they can replace the control socket).
 * `stats` must come from lstat, so a link is seen as a link.
 */
export function assertPrivateFolder(folder: string, what: string, stats: Stats, euid = process.geteuid?.()): void {
  const mode = octalMode(stats.mode)
  const details = { folder, uid: stats.uid, mode, ...(euid === undefined ? {} : { expectedUid: euid }) }
  const refuse = (problem: string, fix: string) =>
    new MswError('MSW_ERR_RUNTIME_UNSAFE', `the ${what} ${folder} ${problem} (owner uid ${stats.uid}, mode ${mode}): ${fix}`, { details })
  if (stats.isSymbolicLink()) {
    throw refuse('is a symbolic link', 'replace it with a real folder, or set runtime to the folder it points to')
  }
  if (!stats.isDirectory()) {
    throw refuse('is not a folder', 'remove it, or set runtime to a folder of your own')
  }
  if (euid !== undefined && stats.uid !== euid) {
    throw refuse(
      `belongs to another user, not to uid ${euid} that mswoole runs as`,
      `remove it, or chown it to uid ${euid} and chmod it 700, or set runtime to a folder of your own`,
    )
  }
  if ((stats.mode & 0o022) !== 0) {
    throw refuse('is writable by group or others', 'chmod it 700 (check what is in it first), or set runtime to a folder of your own')
  }
}
