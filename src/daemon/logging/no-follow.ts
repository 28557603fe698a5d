import { constants, fstatSync, openSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { MswError, systemCode } from '../../errors.js'

/**
 * Append-only, created 0600 if missing, and never through a symbolic link:
 * the daemon often runs as root, so a link planted where its log goes must not
 * point its writes at another file.
 */
export const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW
export const PRIVATE_MODE = 0o600

/** The error for a refused link; any other failure is passed on unchanged. */
export function refusedLink(file: string, err: unknown): unknown {
  // O_NOFOLLOW fails with ELOOP when the last part of the path is a symbolic link.
  if (systemCode(err) !== 'ELOOP') return err
  return symlinkRefused(file, err)
}

export function symlinkRefused(file: string, cause?: unknown): MswError {
  return new MswError(
    'MSW_ERR_UNSAFE_FILE',
    `refused to open ${file}: it is a symbolic link (remove it; the daemon creates its own files there)`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { file },
    },
  )
}

/** Opens `file` for appending without following a link; answers the descriptor and the file's current size. */
export function openAppendNoFollowSync(file: string): { fd: number; size: number } {
  let fd: number
  try {
    fd = openSync(file, APPEND_NO_FOLLOW, PRIVATE_MODE)
  } catch (err) {
    throw refusedLink(file, err)
  }
  return { fd, size: fstatSync(fd).size }
}

export async function openAppendNoFollow(file: string): Promise<FileHandle> {
  try {
    return await open(file, APPEND_NO_FOLLOW, PRIVATE_MODE)
  } catch (err) {
    throw refusedLink(file, err)
  }
}
