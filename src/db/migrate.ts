import { Migrator, type Kysely } from 'kysely'
import { MswError } from '../errors.js'
import { locateLoadError } from '../load-location.js'
import { describeError } from './describe-error.js'
import { MigrationError } from './migration-error.js'
import type { AppMigrationProvider } from './migration-provider.js'

/** Kysely's migrator tables, named for mswoole: the migrations applied, and the lock row. */
export const MIGRATION_TABLE = 'mswoole_migration'
export const MIGRATION_LOCK_TABLE = 'mswoole_migration_lock'

/**
 * Applies every migration not applied yet, in name order, in one transaction
 * (on both databases), and answers their names. A migration added with a name
 * before one already applied still runs, since modules add migrations
 * independently of each other. Throws MSW_ERR_MIGRATION_FAILED naming the
 * migration that failed, or MSW_ERR_DB_UNAVAILABLE when the database cannot
 * be reached.
 */
export async function migrateToLatest(db: Kysely<unknown>, provider: AppMigrationProvider): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    allowUnorderedMigrations: true,
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error === undefined) return results.filter((result) => result.status === 'Success').map((result) => result.migrationName)

  const failed = results.find((result) => result.status === 'Error')
  if (failed !== undefined) {
    const name = failed.migrationName
    const file = provider.fileOf(name)
    const where = file === undefined ? undefined : await locateLoadError(error, file, provider.appDir)
    // The place in the migration's own file, when the error's stack passes through it.
    const line = where?.file === file ? where?.line : undefined
    const at = file === undefined ? '' : `${file}${line === undefined ? '' : `:${line}`}: `
    throw new MigrationError(`migration ${name} failed: ${at}${describeError(error)}`, { migration: name, file, line }, error)
  }
  // Not a migration's own fault: a file that did not load, a database that cannot be reached.
  if (error instanceof MswError) throw error
  throw new MigrationError(`migrations cannot run: ${describeError(error)}`, {}, error)
}
