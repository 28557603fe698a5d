import { MigrationError } from '../db/migration-error.js'
import { findMigrationFiles } from '../db/migration-files.js'
import { AppMigrationProvider } from '../db/migration-provider.js'
import { migrateToLatest } from '../db/migrate.js'
import type { WorkerApp } from './app.js'
import { makeImporter } from './module-importer.js'

/**
 * Brings the database up to the application's migrations, through the
 * worker's own `app.db()`, and answers the names applied. An application
 * with no Migration folder never opens the database here.
 */
export async function runMigrations(appDir: string, app: WorkerApp): Promise<string[]> {
  const files = await findMigrationFiles(appDir)
  if (files.length === 0) return []
  const importModule = await makeImporter(
    files.map((found) => found.file),
    (reason, file, cause) =>
      new MigrationError(`TypeScript migrations need the tsx package, which cannot be loaded: ${reason}`, { file }, cause),
  )
  const applied = await migrateToLatest(app.db(), new AppMigrationProvider(appDir, { importModule, files }))
  for (const migration of applied) app.log.info('migration applied', { migration })
  return applied
}
