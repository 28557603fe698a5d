import { Kysely } from 'kysely'
import { DEFAULT_POOL_SIZE, type DbConfig } from '../config/schema.js'
import { MswPostgresDialect, MswSqliteDialect } from './dialects.js'
import { openPostgresPool } from './postgres-pool.js'
import { openSqlite } from './sqlite-database.js'

export interface OpenDatabaseOptions {
  /** Errors with no query to fail (a pooled PostgreSQL connection dropped while idle). */
  onIdleError(err: Error): void
}

/**
 * A Kysely on config/db.json's database. Nothing is opened until the first
 * query; a failed open fails that query (MSW_ERR_DB_UNAVAILABLE) and is tried
 * again by the next. `destroy()` closes it.
 */
export function openDatabase(config: DbConfig, options: OpenDatabaseOptions): Kysely<unknown> {
  if (config.driver === 'sqlite') {
    return new Kysely<unknown>({ dialect: new MswSqliteDialect({ database: () => openSqlite(config.file) }) })
  }
  const { url } = config
  const size = config.pool_size ?? DEFAULT_POOL_SIZE
  return new Kysely<unknown>({
    dialect: new MswPostgresDialect({ pool: () => openPostgresPool({ url, size, onIdleError: options.onIdleError }) }),
  })
}
