import { PostgresAdapter, PostgresDialect, SqliteAdapter, SqliteDialect } from 'kysely'
import { DIALECT_BRAND } from './dialect.js'

/** Kysely's dialects, with adapters that say which database they are (see dialectOf). */

class MswSqliteAdapter extends SqliteAdapter {
  readonly [DIALECT_BRAND] = 'sqlite' as const

  /**
   * SQLite does run DDL inside a transaction. Saying so makes the migrator
   * run each batch in one, as on PostgreSQL, so a migration that fails
   * leaves the schema as it was before the batch.
   */
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class MswPostgresAdapter extends PostgresAdapter {
  readonly [DIALECT_BRAND] = 'postgres' as const
}

export class MswSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new MswSqliteAdapter()
  }
}

export class MswPostgresDialect extends PostgresDialect {
  override createAdapter(): PostgresAdapter {
    return new MswPostgresAdapter()
  }
}
