import { closeSync, constants, lstatSync, mkdirSync, openSync } from 'node:fs'
import path from 'node:path'
import type { Database } from 'better-sqlite3'
import { MswError } from '../errors.js'
import { describeError } from './describe-error.js'

/** How long a statement waits for another connection's write lock (other workers, other processes) before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

/**
 * Opens the SQLite file, making its folder. WAL lets the other workers read
 * while one writes; foreign keys are enforced, as PostgreSQL does, so one
 * schema behaves the same on both.
 */
export async function openSqlite(file: string): Promise<Database> {
  // Loaded here, on first use: a worker that never touches the database never loads the native module.
  const { default: BetterSqlite3 } = await import('better-sqlite3')
  refuseLinks(file)
  let db: Database | undefined
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    // Private like the rest of runtime/: SQLite gives its -wal and -shm files the database file's mode.
    closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600))
    db = new BetterSqlite3(file, { timeout: SQLITE_BUSY_TIMEOUT_MS })
    db.pragma('journal_mode = WAL')
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
    db.pragma('foreign_keys = ON')
    return db
  } catch (err) {
    db?.close()
    throw new MswError('MSW_ERR_DB_UNAVAILABLE', `cannot open the SQLite database ${file}: ${describeError(err)}`, {
      cause: err,
      details: { driver: 'sqlite', file },
    })
  }
}

/**
 * SQLite follows symbolic links and takes no O_NOFOLLOW, so a link planted at
 * the database (or its -wal, -shm or -journal file) is refused before it opens:
 * a daemon running as root must not write its data through it.
 */
function refuseLinks(file: string): void {
  for (const name of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    let link = false
    try {
      link = lstatSync(name).isSymbolicLink()
    } catch {
      // Not there yet: SQLite creates it.
    }
    if (link) {
      throw new MswError(
        'MSW_ERR_UNSAFE_FILE',
        `refused to open the SQLite database ${file}: ${name === file ? 'it' : name} is a symbolic link (remove it, or point db.json's file at the real path)`,
        {
          details: { driver: 'sqlite', file, link: name },
        },
      )
    }
  }
}
