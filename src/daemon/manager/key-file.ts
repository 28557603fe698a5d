import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { MswError, systemCode } from '../../errors.js'

/** The file, in the runtime folder, that holds the generated manager key. */
export const MANAGER_KEY_FILE = 'manager.key'

/** The manager key in force, and where it came from. */
export interface ManagerKey {
  key: string
  /** The key file, when the key was generated (manager.key absent from the config). */
  file?: string
  /** True when this start wrote the file. */
  created?: boolean
}

/**
 * The manager key: the configured one (an explicit "" is the open mode), or,
 * when the config has none, the one kept in `<runtime>/manager.key`, generated
 * (32 random bytes, hex) at the first start. The file is opened without
 * following a symlink and used only if it is a regular file of ours that no one
 * else may read; anything else stops the start rather than trust or clobber it.
 */
export async function resolveManagerKey(configured: string | undefined, runtimeDir: string): Promise<ManagerKey> {
  if (configured !== undefined) return { key: configured }
  const file = path.join(runtimeDir, MANAGER_KEY_FILE)
  const existing = await readKeyFile(file)
  if (existing !== undefined) return { key: existing, file, created: false }
  return { key: await writeKeyFile(file), file, created: true }
}

async function readKeyFile(file: string): Promise<string | undefined> {
  let handle: FileHandle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = systemCode(err)
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') throw keyFileError(file, 'is a symbolic link; remove it so a new key is generated')
    throw keyFileError(file, `cannot be opened (${code ?? 'error'})`, err)
  }
  try {
    checkOwnFile(file, await handle.stat())
    const key = (await handle.readFile('utf8')).trim()
    if (key === '' || /\s/.test(key))
      throw keyFileError(file, 'holds no key (empty, or more than one word); remove it so a new key is generated')
    return key
  } finally {
    await handle.close()
  }
}

function checkOwnFile(file: string, stats: Stats): void {
  if (!stats.isFile()) throw keyFileError(file, 'is not a regular file')
  const uid = process.getuid?.()
  if (uid !== undefined && stats.uid !== uid) throw keyFileError(file, `belongs to uid ${stats.uid}, not to this process (uid ${uid})`)
  if ((stats.mode & 0o077) !== 0) {
    throw keyFileError(
      file,
      `is readable by others (mode ${(stats.mode & 0o777).toString(8)}); the key may be known: remove the file so a new key is generated`,
    )
  }
}

/** Writes a new key beside the file, then renames it in place, so no reader sees half a key. */
async function writeKeyFile(file: string): Promise<string> {
  const key = randomBytes(32).toString('hex')
  const temp = `${file}.${process.pid}.tmp`
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
    try {
      await handle.writeFile(`${key}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await unlink(temp).catch(() => undefined)
    throw keyFileError(file, `cannot be written (${systemCode(err) ?? 'error'})`, err)
  }
  return key
}

function keyFileError(file: string, problem: string, cause?: unknown): MswError {
  return new MswError('MSW_ERR_MANAGER_KEY_FILE', `manager key file ${file} ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { file },
  })
}
